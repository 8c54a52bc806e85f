//! Virtual phones send media: the phone encrypts the file with wasndr-core's media crypto, puts the blob
//! on the simulator's media host and sends the media message like a text. A wasndr Client receives it
//! and downloads the same bytes; in a group another phone decrypts it too; the admin endpoint
//! `POST /admin/phones/{phone}/send-media` does the same over HTTP and names the field it refuses.

#![allow(clippy::unwrap_used)]

mod wasndr_client;

use base64::Engine as _;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wasndr_client::{WAIT, memory_store, next_event, pair_by_qr};
use wasndr_core::client::{Event, Events, MessageEvent};
use wasndr_core::jid::Jid;
use wasndr_core::media::MediaType;
use wasndr_core::message::{attachment, plain_text, stanza_type};
use wasndr_sim::{PhoneMedia, SimError};

/// Bytes that are not a repeat of one value, so a wrong key or offset cannot decrypt to them by luck.
fn sample(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[1] ^ seed)
        .collect()
}

/// The message with this id, skipping everything else the client reports.
async fn message_with_id(events: &mut Events, id: &str) -> MessageEvent {
    tokio::time::timeout(WAIT, async {
        loop {
            if let Event::Message(message) = next_event(events).await
                && message.info.id == id
            {
                return *message;
            }
        }
    })
    .await
    .expect("the media message reaches the client")
}

const PHONE: &str = "15550010001";
const CLIENT_ACCOUNT: &str = "15550010002";

#[tokio::test]
async fn a_phone_sends_an_image_and_a_document_that_a_client_downloads_byte_identical() {
    let sim = wasndr_client::simulator().await;
    sim.create_phone(PHONE).await.unwrap();
    sim.create_phone(CLIENT_ACCOUNT).await.unwrap();
    let (client, mut events, _) = pair_by_qr(&sim, CLIENT_ACCOUNT, memory_store()).await;
    let to = Jid::pn(CLIENT_ACCOUNT).to_string();

    let files = [
        PhoneMedia {
            kind: MediaType::Image,
            data: sample(30_017, 1),
            mimetype: "image/jpeg".into(),
            caption: Some("from the phone".into()),
            file_name: None,
        },
        PhoneMedia {
            kind: MediaType::Document,
            data: sample(4_096, 2),
            mimetype: "application/pdf".into(),
            caption: None,
            file_name: Some("invoice.pdf".into()),
        },
    ];
    for file in &files {
        let id = sim.send_media(PHONE, &to, file.clone()).await.unwrap();
        let event = message_with_id(&mut events, &id).await;
        assert_eq!(event.info.chat, Jid::pn(PHONE));
        let message = event.message.expect("the message parses");
        assert_eq!(stanza_type(&message), "media");
        let found = attachment(&message).expect("it carries a file");
        assert_eq!(found.media_type, file.kind);
        assert_eq!(found.mimetype, Some(file.mimetype.as_str()));
        assert_eq!(found.file_name, file.file_name.as_deref());
        assert_eq!(found.file_length, Some(file.data.len() as u64));
        assert_eq!(
            plain_text(&message).filter(|text| !text.is_empty()),
            file.caption.as_deref()
        );
        let downloaded = client.download_media(&found.to_media_info()).await.unwrap();
        assert_eq!(downloaded, file.data, "{} downloads byte-identical", file.kind);
    }

    // The client's own phone (device 0 of the same account) got both as well and decrypted them.
    let on_phone = sim
        .wait_for_messages(CLIENT_ACCOUNT, files.len(), WAIT)
        .await
        .unwrap();
    for (message, file) in on_phone.iter().zip(&files) {
        let media = message.media.as_ref().expect("the phone recorded the file");
        assert_eq!(media.error, None);
        assert_eq!(media.data, file.data);
    }

    // A media type that is no message is refused, naming the field; an unknown sender phone too.
    let refused = sim
        .send_media(
            PHONE,
            &to,
            PhoneMedia {
                kind: MediaType::History,
                ..files[0].clone()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(refused, SimError::InvalidField { field: "kind", .. }),
        "{refused:?}"
    );
    assert!(matches!(
        sim.send_media("15550010999", &to, files[0].clone()).await,
        Err(SimError::UnknownPhone(_))
    ));
    client.disconnect().await;
}

const GROUP_SENDER: &str = "15550010101";
const GROUP_CLIENT: &str = "15550010102";
const GROUP_OTHER: &str = "15550010103";

#[tokio::test]
async fn a_phone_sends_an_image_to_a_group_of_a_client_and_another_phone() {
    let sim = wasndr_client::simulator().await;
    for phone in [GROUP_SENDER, GROUP_CLIENT, GROUP_OTHER] {
        sim.create_phone(phone).await.unwrap();
    }
    let (client, mut events, _) = pair_by_qr(&sim, GROUP_CLIENT, memory_store()).await;
    let group = sim
        .create_group(GROUP_SENDER, "Photos", &[GROUP_CLIENT, GROUP_OTHER])
        .unwrap();
    let photo = sample(50_001, 3);
    let id = sim
        .send_media(
            GROUP_SENDER,
            &group,
            PhoneMedia {
                kind: MediaType::Image,
                data: photo.clone(),
                mimetype: "image/png".into(),
                caption: Some("group photo".into()),
                file_name: None,
            },
        )
        .await
        .unwrap();

    let event = message_with_id(&mut events, &id).await;
    assert_eq!(event.info.chat.to_string(), group);
    assert_eq!(event.info.sender.to_non_ad(), Jid::pn(GROUP_SENDER));
    let message = event.message.unwrap();
    let info = attachment(&message).unwrap().to_media_info();
    assert_eq!(client.download_media(&info).await.unwrap(), photo);

    let at_other = sim.wait_for_messages(GROUP_OTHER, 1, WAIT).await.unwrap();
    assert_eq!(at_other[0].id, id);
    assert_eq!(at_other[0].chat, group);
    assert_eq!(at_other[0].from, Jid::pn(GROUP_SENDER).to_string());
    let media = at_other[0]
        .media
        .as_ref()
        .expect("the other phone recorded the file");
    assert_eq!(media.error, None);
    assert_eq!(media.kind, "image");
    assert_eq!(media.mimetype.as_deref(), Some("image/png"));
    assert_eq!(media.caption.as_deref(), Some("group photo"));
    assert_eq!(media.data, photo);
    client.disconnect().await;
}

/// One HTTP/1.1 request with `Connection: close`; returns the status and the JSON body.
async fn request(admin_url: &str, path: &str, body: &Value) -> (u16, Value) {
    let host = admin_url.trim_start_matches("http://").split('/').next().unwrap();
    let mut stream = TcpStream::connect(host).await.unwrap();
    let body = body.to_string();
    let request = format!(
        "POST /admin{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response.split(' ').nth(1).unwrap().parse().unwrap();
    let (_, body) = response.split_once("\r\n\r\n").unwrap();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

const HTTP_SENDER: &str = "15550010201";
const HTTP_RECEIVER: &str = "15550010202";

#[tokio::test]
async fn the_admin_endpoint_sends_media_and_names_the_bad_field() {
    let sim = wasndr_client::simulator().await;
    sim.create_phone(HTTP_SENDER).await.unwrap();
    sim.create_phone(HTTP_RECEIVER).await.unwrap();
    let admin = sim.info().admin_url;
    let path = format!("/phones/{HTTP_SENDER}/send-media");
    let data = sample(10_000, 4);
    let valid = json!({
        "to": Jid::pn(HTTP_RECEIVER).to_string(),
        "kind": "document",
        "mimetype": "text/csv",
        "caption": "the numbers",
        "fileName": "numbers.csv",
        "dataBase64": base64::engine::general_purpose::STANDARD.encode(&data),
    });
    let (status, sent) = request(&admin, &path, &valid).await;
    assert_eq!(status, 201, "{sent}");
    let id = sent["id"].as_str().unwrap();
    let received = sim.wait_for_messages(HTTP_RECEIVER, 1, WAIT).await.unwrap();
    assert_eq!(received[0].id, id);
    let media = received[0].media.as_ref().unwrap();
    assert_eq!(media.error, None);
    assert_eq!(media.kind, "document");
    assert_eq!(media.file_name.as_deref(), Some("numbers.csv"));
    assert_eq!(media.caption.as_deref(), Some("the numbers"));
    assert_eq!(media.data, data);

    // Each bad field is a 400 whose message names it; nothing is sent.
    let with = |field: &str, value: Value| {
        let mut body = valid.clone();
        body[field] = value;
        body
    };
    let without = |field: &str| {
        let mut body = valid.clone();
        body.as_object_mut().unwrap().remove(field);
        body
    };
    for (body, field) in [
        (with("kind", json!("hologram")), "kind"),
        (without("kind"), "kind"),
        (without("mimetype"), "mimetype"),
        (with("dataBase64", json!("not base64!")), "dataBase64"),
        (with("dataBase64", json!("")), "dataBase64"),
        (without("to"), "to"),
        (with("to", json!("not a number")), "to"),
        (with("caption", json!(7)), "caption"),
        (with("fileName", json!(["a"])), "fileName"),
    ] {
        let (status, answer) = request(&admin, &path, &body).await;
        assert_eq!(status, 400, "{body} -> {answer}");
        let error = answer["error"].as_str().unwrap();
        assert!(error.contains(field), "{error:?} names {field}");
    }
    assert_eq!(sim.messages(HTTP_RECEIVER).unwrap().len(), 1);
    // An unknown phone is a 404, as for the other phone endpoints.
    let (status, _) = request(&admin, "/phones/15550010299/send-media", &valid).await;
    assert_eq!(status, 404);
}
