//! `apply`: every kind of change, all or nothing; device isolation; logout.

use std::sync::Arc;

use wasndr_core::crypto::PublicKey;
use wasndr_core::jid::Jid;
use wasndr_core::signal::{ProtocolAddress, SenderKeyName, generate_prekeys};
use wasndr_core::store::{
    Changes, Contact, Device, DeviceList, HistoryQuery, LidMapping, ListedDevice, MessageSecret,
    MessageStatus, PollVote, RecentMessage, StatusUpdate, Store, StoreError,
};
use wasndr_store::StoreContainer;

use super::groups::group;
use super::signal::{sender_key_record, session_record};
use super::{new_device, pn, rng, text_message};

fn peer() -> ProtocolAddress {
    ProtocolAddress::new("15550001111", 2)
}

fn sender_key_name() -> SenderKeyName {
    SenderKeyName::new("120363000000000009@g.us", peer())
}

fn chat() -> Jid {
    pn("15550001111")
}

/// A batch touching every field of [`Changes`], for a store whose device is `device`.
fn every_change(device: &Device, seed: u64) -> Changes {
    let mut changes = Changes::new();
    changes.device = Some(device.clone());
    changes
        .identities
        .push((peer(), PublicKey::from_bytes([seed as u8; 32])));
    changes.deleted_sessions.push(peer());
    changes.sessions.push((peer(), session_record(seed)));
    changes.prekeys = generate_prekeys(1, 10, &mut rng(seed)).unwrap().0;
    changes.removed_prekeys.push(4);
    changes.signed_prekeys.push(
        wasndr_core::signal::SignedPreKeyRecord::generate(&device.identity, 2, 5, &mut rng(seed)).unwrap(),
    );
    changes
        .deleted_sender_keys
        .push(SenderKeyName::new("120363000000000010@g.us", peer()));
    changes
        .sender_keys
        .push((sender_key_name(), sender_key_record(seed)));
    let mut contact = Contact::new(chat());
    contact.push_name = Some(format!("Alice {seed}"));
    changes.contacts.push(contact);
    changes
        .lid_mappings
        .push(LidMapping::new(&Jid::lid("111111111111111"), &chat()));
    changes.deleted_device_lists.push(pn("15550002222"));
    changes.device_lists.push(DeviceList {
        user: chat(),
        devices: vec![
            ListedDevice {
                device: 0,
                key_index: None,
            },
            ListedDevice {
                device: 2,
                key_index: Some(1),
            },
        ],
        fetched_at: seed,
    });
    changes.groups.push(group("120363000000000009", 3));
    let mut message = text_message(&chat(), "MSG", 1_700_000_000, &format!("text {seed}"));
    message.from_me = true;
    message.status = MessageStatus::Pending;
    changes.messages.push(message);
    changes.status_updates.push(StatusUpdate {
        chat: chat(),
        id: "MSG".into(),
        status: MessageStatus::Sent,
    });
    changes.message_secrets.push(MessageSecret {
        chat: chat(),
        sender: chat(),
        id: "MSG".into(),
        secret: vec![seed as u8; 32],
    });
    changes.recent_messages.push(RecentMessage {
        chat: chat(),
        id: "MSG".into(),
        plaintext: vec![seed as u8; 5],
        sent_at: 1_700_000_000,
    });
    changes.poll_votes.push(PollVote {
        chat: chat(),
        poll_id: "MSG".into(),
        voter: pn("15550002222"),
        selected: vec![vec![seed as u8; 32]],
        timestamp: 3,
    });
    changes.settings.push(("setting".into(), vec![seed as u8]));
    changes
}

/// Every entry of `changes` is in `store`, as written.
async fn assert_has(store: &Arc<dyn Store>, changes: &Changes) {
    let device = store.load_device().await.unwrap().unwrap();
    let expected = changes.device.as_ref().unwrap();
    assert_eq!(device.identity.public(), expected.identity.public());
    assert_eq!(device.registration_id, expected.registration_id);
    assert_eq!(
        store.remote_identity(&peer()).await.unwrap(),
        Some(changes.identities[0].1)
    );
    assert_eq!(
        store.load_session(&peer()).await.unwrap().unwrap().to_bytes(),
        changes.sessions[0].1.to_bytes()
    );
    assert_eq!(store.prekey_count().await.unwrap(), 9);
    assert!(store.load_prekey(4).await.unwrap().is_none());
    assert_eq!(
        store.load_prekey(5).await.unwrap().unwrap().to_bytes(),
        changes.prekeys[4].to_bytes()
    );
    assert_eq!(store.next_prekey_id().await.unwrap(), 11);
    assert_eq!(
        store.load_signed_prekey(2).await.unwrap().unwrap().to_bytes(),
        changes.signed_prekeys[0].to_bytes()
    );
    assert_eq!(
        store
            .load_sender_key(&sender_key_name())
            .await
            .unwrap()
            .unwrap()
            .to_bytes(),
        changes.sender_keys[0].1.to_bytes()
    );
    assert_eq!(
        store.contact(&chat()).await.unwrap(),
        Some(changes.contacts[0].clone())
    );
    assert_eq!(
        store.lid_for_pn(&chat()).await.unwrap(),
        Some(Jid::lid("111111111111111"))
    );
    assert_eq!(
        store.device_list(&chat()).await.unwrap(),
        Some(changes.device_lists[0].clone())
    );
    assert_eq!(
        store.group(&changes.groups[0].jid).await.unwrap(),
        Some(changes.groups[0].clone())
    );
    let message = store.message(&chat(), "MSG").await.unwrap().unwrap();
    assert_eq!(message.text, changes.messages[0].text);
    assert_eq!(
        message.status,
        MessageStatus::Sent,
        "the status update after the insert applied"
    );
    assert_eq!(
        store.message_secret(&chat(), &chat(), "MSG").await.unwrap(),
        Some(changes.message_secrets[0].secret.clone())
    );
    assert_eq!(
        store.recent_message(&chat(), "MSG").await.unwrap(),
        Some(changes.recent_messages[0].clone())
    );
    assert_eq!(
        store.poll_votes(&chat(), "MSG").await.unwrap(),
        changes.poll_votes
    );
    assert_eq!(
        store.setting("setting").await.unwrap(),
        Some(changes.settings[0].1.clone())
    );
}

/// None of what [`every_change`] writes is in `store`, the device aside.
async fn assert_has_none(store: &Arc<dyn Store>) {
    assert_eq!(store.remote_identity(&peer()).await.unwrap(), None);
    assert!(store.load_session(&peer()).await.unwrap().is_none());
    assert_eq!(store.prekey_count().await.unwrap(), 0);
    assert_eq!(store.next_prekey_id().await.unwrap(), 1);
    assert!(store.load_signed_prekey(2).await.unwrap().is_none());
    assert!(store.load_sender_key(&sender_key_name()).await.unwrap().is_none());
    assert!(store.contacts().await.unwrap().is_empty());
    assert_eq!(store.lid_for_pn(&chat()).await.unwrap(), None);
    assert_eq!(
        store.pn_for_lid(&Jid::lid("111111111111111")).await.unwrap(),
        None
    );
    assert!(store.device_list(&chat()).await.unwrap().is_none());
    assert!(store.groups().await.unwrap().is_empty());
    assert!(store.message(&chat(), "MSG").await.unwrap().is_none());
    assert_eq!(store.messages(&HistoryQuery::default()).await.unwrap().total, 0);
    assert_eq!(store.attachments(&Default::default()).await.unwrap().total, 0);
    assert_eq!(store.message_secret(&chat(), &chat(), "MSG").await.unwrap(), None);
    assert_eq!(store.recent_message(&chat(), "MSG").await.unwrap(), None);
    assert!(store.poll_votes(&chat(), "MSG").await.unwrap().is_empty());
    assert_eq!(store.setting("setting").await.unwrap(), None);
}

pub(crate) async fn apply_writes_every_kind_of_change(container: &dyn StoreContainer) {
    let id = container.create_device().await.unwrap();
    let store = container.open_device(id).await.unwrap();
    store.apply(&Changes::new()).await.unwrap();
    assert!(Changes::new().is_empty());

    let (device, _) = Device::generate(1_700_000_000, &mut rng(1)).unwrap();
    let changes = every_change(&device, 1);
    assert!(!changes.is_empty());
    store.apply(&changes).await.unwrap();
    assert_has(&store, &changes).await;
    assert_eq!(
        store.identity_key_pair().await.unwrap().public(),
        device.identity.public()
    );

    // Applying again changes nothing (upserts; the message is a duplicate; the status cannot go back).
    store.apply(&changes).await.unwrap();
    assert_has(&store, &changes).await;
    assert_eq!(store.messages(&HistoryQuery::default()).await.unwrap().total, 1);
}

pub(crate) async fn apply_is_all_or_nothing(container: &dyn StoreContainer) {
    let (_, store, device) = new_device(container, 1).await;
    let old_session = session_record(50);
    store.store_session(&peer(), &old_session).await.unwrap();
    let old_prekeys = generate_prekeys(1, 5, &mut rng(2)).unwrap().0;
    store.store_prekeys(&old_prekeys).await.unwrap();

    // A decrypted message: new ratchet, consumed prekey, the message and facts from the stanza; the
    // last entry of the batch is bad, so everything before it must be undone.
    let mut changes = every_change(&device, 3);
    changes.prekeys.clear();
    changes.removed_prekeys = vec![2];
    changes.settings.push((String::new(), b"bad".to_vec()));
    assert!(matches!(store.apply(&changes).await, Err(StoreError::Invalid(_))));
    let check_untouched = || async {
        assert_eq!(
            store.load_session(&peer()).await.unwrap().unwrap().to_bytes(),
            old_session.to_bytes()
        );
        assert_eq!(
            store.load_prekey(2).await.unwrap().unwrap().to_bytes(),
            old_prekeys[1].to_bytes()
        );
        assert_eq!(store.prekey_count().await.unwrap(), 5);
        assert_eq!(store.remote_identity(&peer()).await.unwrap(), None);
        assert!(store.message(&chat(), "MSG").await.unwrap().is_none());
        assert_eq!(store.messages(&HistoryQuery::default()).await.unwrap().total, 0);
        assert!(store.contacts().await.unwrap().is_empty());
        assert!(store.groups().await.unwrap().is_empty());
        assert_eq!(store.lid_for_pn(&chat()).await.unwrap(), None);
        assert_eq!(store.setting("setting").await.unwrap(), None);
        assert!(store.load_sender_key(&sender_key_name()).await.unwrap().is_none());
    };
    check_untouched().await;

    // A bad message in the middle of the messages (after a good one) fails the same way.
    changes.settings.pop();
    let mut bad = text_message(&chat(), "", 1, "no id");
    bad.status = MessageStatus::Read;
    changes.messages.push(bad);
    assert!(matches!(store.apply(&changes).await, Err(StoreError::Invalid(_))));
    check_untouched().await;

    // Fixed, the same batch lands whole.
    changes.messages.pop();
    store.apply(&changes).await.unwrap();
    assert!(store.load_prekey(2).await.unwrap().is_none());
    assert_eq!(store.prekey_count().await.unwrap(), 4);
    assert_eq!(
        store.load_session(&peer()).await.unwrap().unwrap().to_bytes(),
        changes.sessions[0].1.to_bytes()
    );
    assert!(store.message(&chat(), "MSG").await.unwrap().is_some());
}

pub(crate) async fn devices_never_see_each_other(container: &dyn StoreContainer) {
    let (_, a, device_a) = new_device(container, 1).await;
    let (_, b, device_b) = new_device(container, 2).await;
    let changes_a = every_change(&device_a, 1);
    a.apply(&changes_a).await.unwrap();
    assert_has_none(&b).await;
    assert_eq!(
        b.identity_key_pair().await.unwrap().public(),
        device_b.identity.public()
    );

    // The same keys with other values in B leave A's untouched.
    let changes_b = every_change(&device_b, 2);
    b.apply(&changes_b).await.unwrap();
    assert_has(&a, &changes_a).await;
    assert_has(&b, &changes_b).await;
    b.insert_message(&text_message(&chat(), "ONLY_B", 5, "text 1"))
        .await
        .unwrap();
    let search = HistoryQuery {
        search: Some("text 1".into()),
        ..HistoryQuery::default()
    };
    assert_eq!(super::ids(&a.messages(&search).await.unwrap().items), ["MSG"]);
    assert_eq!(super::ids(&b.messages(&search).await.unwrap().items), ["ONLY_B"]);

    // Logging B out leaves A whole.
    b.delete_device().await.unwrap();
    assert_has(&a, &changes_a).await;
}

pub(crate) async fn logout_wipes_every_table(container: &dyn StoreContainer) {
    let (id, store, device) = new_device(container, 1).await;
    store.apply(&every_change(&device, 1)).await.unwrap();
    store.delete_device().await.unwrap();

    assert!(store.load_device().await.unwrap().is_none());
    assert!(matches!(
        store.identity_key_pair().await,
        Err(StoreError::Missing(_))
    ));
    assert!(store.signed_prekeys().await.unwrap().is_empty());
    assert_has_none(&store).await;
    let listed = container.devices().await.unwrap();
    assert_eq!((listed.len(), listed[0].id, listed[0].has_device), (1, id, false));

    // The same store pairs again from scratch.
    let (fresh, _) = Device::generate(1_800_000_000, &mut rng(9)).unwrap();
    let changes = every_change(&fresh, 4);
    store.apply(&changes).await.unwrap();
    assert_has(&store, &changes).await;
    let reopened = container.open_device(id).await.unwrap();
    assert_has(&reopened, &changes).await;
}

pub(crate) async fn apply_all_is_sequential_apply_in_one_transaction(container: &dyn StoreContainer) {
    let (_, store, device) = new_device(container, 1).await;
    store.apply_all(&[]).await.unwrap();
    store.apply_all(&[Changes::new(), Changes::new()]).await.unwrap();

    // Later batches see earlier ones: a session stored by the first and deleted by the second is gone
    // (merging both into one `Changes` would run the deletion first and keep it); a message inserted
    // by the first has its status moved by the second.
    let first = every_change(&device, 1);
    let mut second = Changes::new();
    second.deleted_sessions.push(peer());
    second.settings.push(("setting".into(), b"second".to_vec()));
    second.status_updates.push(StatusUpdate {
        chat: chat(),
        id: "MSG".into(),
        status: MessageStatus::Delivered,
    });
    store.apply_all(&[first.clone(), second]).await.unwrap();
    assert!(store.load_session(&peer()).await.unwrap().is_none());
    assert_eq!(store.setting("setting").await.unwrap(), Some(b"second".to_vec()));
    let message = store.message(&chat(), "MSG").await.unwrap().unwrap();
    assert_eq!(message.status, MessageStatus::Delivered);
    assert_eq!(
        store.remote_identity(&peer()).await.unwrap(),
        Some(first.identities[0].1)
    );

    // A bad batch anywhere leaves none of them stored, the good ones before it included.
    let (_, other, other_device) = new_device(container, 2).await;
    let good = every_change(&other_device, 3);
    let mut bad = Changes::new();
    bad.settings.push((String::new(), b"bad".to_vec()));
    assert!(matches!(
        other.apply_all(&[good.clone(), bad]).await,
        Err(StoreError::Invalid(_))
    ));
    assert_has_none(&other).await;

    // Without the bad one, the same batches land whole.
    other.apply_all(std::slice::from_ref(&good)).await.unwrap();
    assert_has(&other, &good).await;
}
