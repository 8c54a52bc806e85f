//! Media through wasndr-core's Client against the simulator's media host: one client uploads an image,
//! a video, an audio file and a document; another client (another account) downloads each from what
//! the message would carry and gets the same bytes back. A body that is not what the message
//! describes is refused by the hash and MAC checks. Then media messages of each type are sent with
//! `send_media`: the receiving client downloads and decrypts each from its `Event::Message`, and the
//! receiving account's virtual phone decrypts the same files; in a group (sender keys) likewise.

#![allow(clippy::unwrap_used)]

mod wasndr_client;

use wasndr_client::{WAIT, memory_store, next_event, pair_by_qr};
use wasndr_core::Error;
use wasndr_core::client::{Event, MessageEvent, OutgoingMedia};
use wasndr_core::jid::Jid;
use wasndr_core::media::{MediaProblem, MediaType};
use wasndr_core::message::{MediaDetails, attachment, media_message, plain_text};
use wasndr_core::store::{AttachmentQuery, MediaInfo, Order};

const SENDER: &str = "15550009001";
const RECEIVER: &str = "15550009002";

/// Bytes that are not a repeat of one value, so a wrong key or offset cannot decrypt to them by luck.
fn sample(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[1] ^ seed)
        .collect()
}

#[tokio::test]
async fn uploaded_media_downloads_byte_identical_on_another_client() {
    let sim = wasndr_client::simulator().await;
    sim.create_phone(SENDER).await.unwrap();
    sim.create_phone(RECEIVER).await.unwrap();
    let (sender, _sender_events, _) = pair_by_qr(&sim, SENDER, memory_store()).await;
    let (receiver, _receiver_events, _) = pair_by_qr(&sim, RECEIVER, memory_store()).await;

    let files = [
        (MediaType::Image, "image/jpeg", sample(70_001, 1)),
        // Past axum's 2 MB default body limit, which the media host lifts.
        (MediaType::Video, "video/mp4", sample(2_500_000, 2)),
        (MediaType::Audio, "audio/ogg; codecs=opus", sample(16, 3)),
        (MediaType::Document, "application/pdf", sample(1, 4)),
    ];
    let mut infos = Vec::new();
    for (kind, mime, data) in &files {
        let uploaded = sender.upload_media(data, *kind).await.unwrap();
        assert_eq!(uploaded.hashes.file_length, data.len() as u64);
        assert!(
            uploaded.direct_path.starts_with("/v/"),
            "{}",
            uploaded.direct_path
        );
        let details = MediaDetails {
            mimetype: (*mime).to_owned(),
            caption: Some(format!("a {kind}")),
            file_name: (*kind == MediaType::Document).then(|| "report.pdf".to_owned()),
            ..Default::default()
        };
        let message = media_message(*kind, &details, &uploaded).unwrap();
        let info = attachment(&message).unwrap().to_media_info();
        assert_eq!(info.media_type, kind.name());
        let downloaded = receiver.download_media(&info).await.unwrap();
        assert_eq!(&downloaded, data, "{kind} comes back byte-identical");
        infos.push(info);
    }

    // The URL alone is enough when a message carries no direct path.
    let by_url = MediaInfo {
        direct_path: None,
        ..infos[0].clone()
    };
    assert_eq!(receiver.download_media(&by_url).await.unwrap(), files[0].2);
    // The URL comes from the sender: one that is not on a media host is never fetched.
    let elsewhere = MediaInfo {
        url: Some("http://127.0.0.1:9/latest/meta-data".to_owned()),
        ..by_url.clone()
    };
    assert!(matches!(
        receiver.download_media(&elsewhere).await,
        Err(Error::InvalidArgument(_))
    ));

    // A message whose hashes do not match the stored body is refused before decryption.
    let mut wrong_body = infos[1].clone();
    wrong_body.file_enc_sha256 = infos[0].file_enc_sha256.clone();
    assert_eq!(
        receiver.download_media(&wrong_body).await.unwrap_err(),
        Error::InvalidMedia(MediaProblem::EncSha256Mismatch)
    );
    // The right body under another key fails the MAC.
    let mut wrong_key = infos[1].clone();
    wrong_key.media_key = infos[0].media_key.clone();
    assert_eq!(
        receiver.download_media(&wrong_key).await.unwrap_err(),
        Error::InvalidMedia(MediaProblem::MacMismatch)
    );
    // A plaintext hash that does not match is caught after decryption.
    let mut wrong_plain = infos[2].clone();
    wrong_plain.file_sha256 = Some(vec![0; 32]);
    assert_eq!(
        receiver.download_media(&wrong_plain).await.unwrap_err(),
        Error::InvalidMedia(MediaProblem::Sha256Mismatch)
    );
    // A file the host does not have is the host's 404.
    let mut missing = infos[3].clone();
    missing.direct_path = Some("/v/media/nothing.enc?ccb=11-4".to_owned());
    missing.url = None;
    assert!(matches!(
        receiver.download_media(&missing).await.unwrap_err(),
        Error::MediaHttp {
            status: Some(404),
            ..
        }
    ));
    // Not a file type that uploads.
    assert!(matches!(
        sender.upload_media(b"x", MediaType::ProfilePicture).await,
        Err(Error::InvalidArgument(_))
    ));

    sender.disconnect().await;
    receiver.disconnect().await;
}

const MEDIA_SENDER: &str = "15550009101";
const MEDIA_RECEIVER: &str = "15550009102";
const MEDIA_MEMBER: &str = "15550009103";

#[tokio::test]
async fn media_messages_of_each_type_arrive_and_decrypt_byte_identical() {
    let sim = wasndr_client::simulator().await;
    sim.create_phone(MEDIA_SENDER).await.unwrap();
    sim.create_phone(MEDIA_RECEIVER).await.unwrap();
    let sender_store = memory_store();
    let receiver_store = memory_store();
    let (sender, _sender_events, _) = pair_by_qr(&sim, MEDIA_SENDER, sender_store.clone()).await;
    let (receiver, mut receiver_events, _) = pair_by_qr(&sim, MEDIA_RECEIVER, receiver_store.clone()).await;

    // (kind, MIME, caption, file name, bytes); audio messages carry no caption.
    let files = [
        (
            MediaType::Image,
            "image/jpeg",
            Some("the view"),
            None,
            sample(40_000, 5),
        ),
        (
            MediaType::Video,
            "video/mp4",
            Some("the walk"),
            None,
            sample(120_003, 6),
        ),
        (
            MediaType::Audio,
            "audio/ogg; codecs=opus",
            None,
            None,
            sample(9_999, 7),
        ),
        (
            MediaType::Document,
            "application/pdf",
            Some("the contract"),
            Some("contract.pdf"),
            sample(32, 8),
        ),
    ];
    for (kind, mime, caption, file_name, data) in &files {
        let sent = sender
            .send_media(
                &Jid::pn(MEDIA_RECEIVER),
                OutgoingMedia {
                    data: data.clone(),
                    kind: *kind,
                    mime: (*mime).to_owned(),
                    caption: caption.map(str::to_owned),
                    file_name: file_name.map(str::to_owned),
                },
            )
            .await
            .unwrap();
        let event: MessageEvent = tokio::time::timeout(WAIT, async {
            loop {
                if let Event::Message(message) = next_event(&mut receiver_events).await
                    && message.info.id == sent.id
                {
                    return *message;
                }
            }
        })
        .await
        .expect("the media message reaches the other client");
        let message = event.message.expect("the message parses");
        let found = attachment(&message).expect("it carries a file");
        assert_eq!(found.media_type, *kind);
        assert_eq!(found.mimetype, Some(*mime));
        assert_eq!(found.file_name, *file_name);
        assert_eq!(plain_text(&message).filter(|t| !t.is_empty()), *caption);
        let downloaded = receiver.download_media(&found.to_media_info()).await.unwrap();
        assert_eq!(
            &downloaded, data,
            "{kind} decrypts byte-identical on the receiving client"
        );
    }

    // Both histories list the four attachments, and each downloads from its stored row: the
    // receiver's attachments list and the sender's own copies.
    for (store, chat) in [
        (&receiver_store, Jid::pn(MEDIA_SENDER)),
        (&sender_store, Jid::pn(MEDIA_RECEIVER)),
    ] {
        let page = store
            .attachments(&AttachmentQuery {
                chat: Some(chat),
                order: Order::OldestFirst,
                ..AttachmentQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(page.total, files.len() as u64);
        for (row, (kind, _, _, _, data)) in page.items.iter().zip(&files) {
            let media = row.media.as_ref().expect("an attachment row has media");
            assert_eq!(media.media_type, kind.name());
            assert_eq!(&receiver.download_media(media).await.unwrap(), data);
        }
    }

    // The receiving account's phone decrypted the same four files.
    let received = sim
        .wait_for_messages(MEDIA_RECEIVER, files.len(), WAIT)
        .await
        .unwrap();
    assert_eq!(received.len(), files.len());
    for (message, (kind, mime, caption, file_name, data)) in received.iter().zip(&files) {
        let media = message.media.as_ref().expect("the phone recorded the file");
        assert_eq!(media.error, None);
        assert_eq!(media.kind, kind.name());
        assert_eq!(media.mimetype.as_deref(), Some(*mime));
        assert_eq!(media.caption.as_deref(), *caption);
        assert_eq!(media.file_name.as_deref(), *file_name);
        assert_eq!(&media.data, data, "{kind} decrypts byte-identical on the phone");
        assert_eq!(media.size, data.len());
        assert_eq!(message.from, Jid::pn(MEDIA_SENDER).to_string());
    }

    // In a group (sender keys) the same: the other client and a member's phone decrypt the file.
    sim.create_phone(MEDIA_MEMBER).await.unwrap();
    let group = sender
        .create_group("Album", &[Jid::pn(MEDIA_RECEIVER), Jid::pn(MEDIA_MEMBER)])
        .await
        .unwrap()
        .jid;
    let photo = sample(25_000, 9);
    let sent = sender
        .send_media(
            &group,
            OutgoingMedia {
                data: photo.clone(),
                kind: MediaType::Image,
                mime: "image/jpeg".into(),
                caption: Some("group photo".into()),
                file_name: None,
            },
        )
        .await
        .unwrap();
    let event: MessageEvent = tokio::time::timeout(WAIT, async {
        loop {
            if let Event::Message(message) = next_event(&mut receiver_events).await
                && message.info.id == sent.id
            {
                return *message;
            }
        }
    })
    .await
    .expect("the group media message reaches the other client");
    assert_eq!(event.info.chat, group);
    let info = attachment(event.message.as_ref().unwrap())
        .unwrap()
        .to_media_info();
    assert_eq!(receiver.download_media(&info).await.unwrap(), photo);
    let on_phone = sim.wait_for_messages(MEDIA_MEMBER, 1, WAIT).await.unwrap();
    assert_eq!(on_phone[0].chat, group.to_string());
    let media = on_phone[0].media.as_ref().unwrap();
    assert_eq!(
        (media.caption.as_deref(), &media.data),
        (Some("group photo"), &photo)
    );

    // A media type that is no message is refused before anything is uploaded.
    assert!(matches!(
        sender
            .send_media(
                &Jid::pn(MEDIA_RECEIVER),
                OutgoingMedia {
                    data: vec![1],
                    kind: MediaType::History,
                    mime: "application/octet-stream".into(),
                    caption: None,
                    file_name: None,
                },
            )
            .await,
        Err(Error::InvalidArgument(_))
    ));
    sender.disconnect().await;
    receiver.disconnect().await;
}
