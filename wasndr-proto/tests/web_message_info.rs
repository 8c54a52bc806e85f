//! `WebMessageInfo` has no vector of its own; its expected bytes are assembled by hand from pieces
//! whose encodings the Baileys vectors do pin down (a `MessageKey`, a `Message`), which checks the
//! container's field numbers and that the required `key` is always written.

// Helpers outside #[test] functions are test code too: a panic there is a failed test.
#![allow(clippy::unwrap_used)]

use prost::Message as _;
use wasndr_proto::common::MessageKey;
use wasndr_proto::e2e::Message;
use wasndr_proto::web::WebMessageInfo;
use wasndr_proto::web::web_message_info::Status;

#[test]
fn fields_land_on_upstream_numbers() {
    let key = MessageKey {
        remote_jid: Some("15551234567@s.whatsapp.net".into()),
        from_me: Some(false),
        id: Some("3EB0C0FFEE1234567890AB".into()),
        participant: None,
    };
    // The key of the `reaction` case in padding-and-message.json.
    let key_hex = "0a1a313535353132333435363740732e77686174736170702e6e657410001a1633454230433046464545313233343536373839304142";
    assert_eq!(hex::encode(key.encode_to_vec()), key_hex);
    let message = Message {
        conversation: Some("hi".into()),
        ..Default::default()
    };
    let info = WebMessageInfo {
        key,
        message: Some(message),
        message_timestamp: Some(1_700_000_000),
        status: Some(Status::ServerAck as i32),
        ..Default::default()
    };
    let expected = format!(
        "0a36{key_hex}\
         1204{message}\
         1880e2cfaa06\
         2002",
        message = "0a026869",
    );
    assert_eq!(hex::encode(info.encode_to_vec()), expected);
    assert_eq!(
        WebMessageInfo::decode(hex::decode(&expected).unwrap().as_slice()).unwrap(),
        info
    );
}

#[test]
fn required_key_is_written_even_when_empty() {
    let info = WebMessageInfo::default();
    assert_eq!(hex::encode(info.encode_to_vec()), "0a00");
}

/// prost does not enforce `required` when decoding: a record without a key decodes with an empty
/// key, so readers of history-sync data must check `key.id` themselves.
#[test]
fn missing_key_decodes_as_empty_key() {
    let info = WebMessageInfo::decode(&[0x18u8, 0x01][..]).unwrap();
    assert_eq!(info.key, MessageKey::default());
    assert_eq!(info.message_timestamp, Some(1));
}
