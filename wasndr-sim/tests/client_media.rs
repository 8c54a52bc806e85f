//! Media through wasndr-core's Client against the simulator's media host: one client uploads an image,
//! a video, an audio file and a document; another client (another account) downloads each from what
//! the message would carry and gets the same bytes back. A body that is not what the message
//! describes is refused by the hash and MAC checks.

#![allow(clippy::unwrap_used)]

mod wasndr_client;

use wasndr_client::{memory_store, pair_by_qr};
use wasndr_core::Error;
use wasndr_core::media::{MediaProblem, MediaType};
use wasndr_core::message::{MediaDetails, attachment, media_message};
use wasndr_core::store::MediaInfo;

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
        (MediaType::Video, "video/mp4", sample(300_000, 2)),
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
