//! Messages one by one: insert, read back, status, secrets, poll votes, recent plaintexts.

use wasndr_core::jid::Jid;
use wasndr_core::store::{
    MediaInfo, MessageSecret, MessageStatus, PollVote, RecentMessage, StatusUpdate, StoreError,
};
use wasndr_store::StoreContainer;

use super::{new_device, pn, text_message};

pub(crate) fn media(media_type: &str, name: &str) -> MediaInfo {
    MediaInfo {
        media_type: media_type.into(),
        mimetype: Some("application/pdf".into()),
        file_name: Some(name.into()),
        file_length: Some(123_456_789_012),
        file_sha256: Some(vec![1; 32]),
        file_enc_sha256: Some(vec![2; 32]),
        media_key: Some(vec![3; 32]),
        direct_path: Some("/v/t62.7119-24/abc?ccb=11-4".into()),
        url: Some("https://mmg.whatsapp.net/v/t62.7119-24/abc".into()),
    }
}

pub(crate) async fn messages_insert_once_and_read_back(container: &dyn StoreContainer) {
    let (_, store, _) = new_device(container, 1).await;
    let chat = pn("15550001111");
    let group = Jid::group("120363025246125888");
    assert!(store.message(&chat, "A1").await.unwrap().is_none());

    let mut sent = text_message(&chat, "A1", 1_700_000_001, "héllo");
    sent.from_me = true;
    sent.sender = pn("15559990000").with_device(3);
    sent.status = MessageStatus::Pending;
    sent.raw = vec![0, 159, 146, 150, 255];
    assert!(store.insert_message(&sent).await.unwrap());
    assert_eq!(store.message(&chat, "A1").await.unwrap(), Some(sent.clone()));

    // A second message with the same chat and id is a duplicate: the first stays.
    let duplicate = text_message(&chat, "A1", 1_800_000_000, "other");
    assert!(!store.insert_message(&duplicate).await.unwrap());
    assert_eq!(store.message(&chat, "A1").await.unwrap(), Some(sent.clone()));

    // The same id in another chat is another message.
    let mut in_group = text_message(&group, "A1", 1_700_000_002, "group text");
    in_group.sender = pn("15550002222").with_device(1);
    in_group.message_type = "document".into();
    in_group.text = None;
    in_group.media = Some(media("document", "report.pdf"));
    assert!(store.insert_message(&in_group).await.unwrap());
    assert_eq!(store.message(&group, "A1").await.unwrap(), Some(in_group));
    assert_eq!(store.message(&chat, "A1").await.unwrap(), Some(sent));

    let mut nameless = text_message(&chat, "", 1, "x");
    assert!(matches!(
        store.insert_message(&nameless).await,
        Err(StoreError::Invalid(_))
    ));
    nameless.id = "B".into();
    nameless.message_type = "unknown".into();
    nameless.text = None;
    assert!(store.insert_message(&nameless).await.unwrap());
    assert_eq!(store.message(&chat, "B").await.unwrap(), Some(nameless));
}

pub(crate) async fn statuses_only_move_forward(container: &dyn StoreContainer) {
    let (_, store, _) = new_device(container, 1).await;
    let chat = pn("15550001111");
    let mut message = text_message(&chat, "M", 10, "hi");
    message.from_me = true;
    message.status = MessageStatus::Pending;
    store.insert_message(&message).await.unwrap();
    let set = |status| StatusUpdate {
        chat: chat.clone(),
        id: "M".into(),
        status,
    };
    let status = || async { store.message(&chat, "M").await.unwrap().unwrap().status };

    assert!(
        store
            .update_message_status(&set(MessageStatus::Failed))
            .await
            .unwrap()
    );
    assert_eq!(status().await, MessageStatus::Failed);
    // A resend that the server acked moves a failed message on.
    assert!(
        store
            .update_message_status(&set(MessageStatus::Sent))
            .await
            .unwrap()
    );
    assert!(
        !store
            .update_message_status(&set(MessageStatus::Failed))
            .await
            .unwrap()
    );
    assert!(
        !store
            .update_message_status(&set(MessageStatus::Pending))
            .await
            .unwrap()
    );
    // Read before delivered (receipts race): read stays.
    assert!(
        store
            .update_message_status(&set(MessageStatus::Read))
            .await
            .unwrap()
    );
    assert!(
        !store
            .update_message_status(&set(MessageStatus::Delivered))
            .await
            .unwrap()
    );
    assert!(
        !store
            .update_message_status(&set(MessageStatus::Read))
            .await
            .unwrap()
    );
    assert_eq!(status().await, MessageStatus::Read);
    assert!(
        store
            .update_message_status(&set(MessageStatus::Played))
            .await
            .unwrap()
    );
    assert_eq!(status().await, MessageStatus::Played);

    let unknown = StatusUpdate {
        chat: chat.clone(),
        id: "nope".into(),
        status: MessageStatus::Delivered,
    };
    assert!(!store.update_message_status(&unknown).await.unwrap());
    let other_chat = StatusUpdate {
        chat: pn("15550002222"),
        id: "M".into(),
        status: MessageStatus::Played,
    };
    assert!(!store.update_message_status(&other_chat).await.unwrap());
    let nameless = StatusUpdate {
        chat: chat.clone(),
        id: String::new(),
        status: MessageStatus::Played,
    };
    assert!(matches!(
        store.update_message_status(&nameless).await,
        Err(StoreError::Invalid(_))
    ));

    // Every status survives the round trip.
    for (i, status) in MessageStatus::ALL.into_iter().enumerate() {
        let mut m = text_message(&chat, &format!("S{i}"), 20, "s");
        m.status = status;
        store.insert_message(&m).await.unwrap();
        assert_eq!(store.message(&chat, &m.id).await.unwrap().unwrap().status, status);
    }
}

pub(crate) async fn message_secrets_poll_votes_and_recent_messages(container: &dyn StoreContainer) {
    let (_, store, _) = new_device(container, 1).await;
    let group = Jid::group("120363025246125888");
    let (alice, bob) = (pn("15550001111"), pn("15550002222"));

    let secret = MessageSecret {
        chat: group.clone(),
        sender: alice.clone(),
        id: "POLL1".into(),
        secret: vec![7; 32],
    };
    store.save_message_secret(&secret).await.unwrap();
    assert_eq!(
        store.message_secret(&group, &alice, "POLL1").await.unwrap(),
        Some(vec![7; 32])
    );
    assert_eq!(store.message_secret(&group, &bob, "POLL1").await.unwrap(), None);
    assert_eq!(store.message_secret(&alice, &alice, "POLL1").await.unwrap(), None);
    store
        .save_message_secret(&MessageSecret {
            secret: vec![8; 32],
            ..secret.clone()
        })
        .await
        .unwrap();
    assert_eq!(
        store.message_secret(&group, &alice, "POLL1").await.unwrap(),
        Some(vec![8; 32])
    );
    assert!(!format!("{secret:?}").contains("7, 7"));

    let vote = |voter: &Jid, selected: Vec<Vec<u8>>, timestamp| PollVote {
        chat: group.clone(),
        poll_id: "POLL1".into(),
        voter: voter.clone(),
        selected,
        timestamp,
    };
    store
        .save_poll_vote(&vote(&bob, vec![vec![1; 32]], 5))
        .await
        .unwrap();
    store
        .save_poll_vote(&vote(&alice, vec![vec![2; 32], vec![3; 32]], 6))
        .await
        .unwrap();
    // Bob changes his mind, then withdraws: his latest vote replaces the earlier ones.
    store
        .save_poll_vote(&vote(&bob, vec![vec![3; 32]], 7))
        .await
        .unwrap();
    store.save_poll_vote(&vote(&bob, Vec::new(), 8)).await.unwrap();
    let votes = store.poll_votes(&group, "POLL1").await.unwrap();
    assert_eq!(
        votes,
        vec![
            vote(&alice, vec![vec![2; 32], vec![3; 32]], 6),
            vote(&bob, Vec::new(), 8)
        ]
    );
    assert!(store.poll_votes(&group, "POLL2").await.unwrap().is_empty());

    let recent = |id: &str, sent_at| RecentMessage {
        chat: alice.clone(),
        id: id.into(),
        plaintext: format!("plain {id}").into_bytes(),
        sent_at,
    };
    for (id, at) in [("R1", 100), ("R2", 200), ("R3", 300)] {
        store.save_recent_message(&recent(id, at)).await.unwrap();
    }
    assert_eq!(
        store.recent_message(&alice, "R2").await.unwrap(),
        Some(recent("R2", 200))
    );
    assert_eq!(store.recent_message(&bob, "R2").await.unwrap(), None);
    assert_eq!(store.prune_recent_messages(200).await.unwrap(), 1);
    assert_eq!(store.recent_message(&alice, "R1").await.unwrap(), None);
    assert!(store.recent_message(&alice, "R2").await.unwrap().is_some());
    assert_eq!(store.prune_recent_messages(1000).await.unwrap(), 2);
    assert_eq!(store.recent_message(&alice, "R3").await.unwrap(), None);
}
