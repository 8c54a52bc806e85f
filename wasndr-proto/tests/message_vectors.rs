//! The E2E `Message` schema against Baileys' encodings in `testdata/vectors/padding-and-message.json`.
//!
//! For every case: the message is built from the JSON description (every JSON key must map to a
//! schema field, see `support::Fields`), encoded with prost and compared to `proto_hex`; `proto_hex`
//! is decoded, compared field by field with the built message, and re-encoded to the same bytes.

// Helpers outside #[test] functions are test code too: a panic there is a failed test.
#![allow(clippy::unwrap_used)]

mod support;

use prost::Message as _;
use support::{Fields, load_vectors, unhex};
use wasndr_proto::common::MessageKey;
use wasndr_proto::e2e::{
    ContextInfo, DeviceSentMessage, ExtendedTextMessage, ImageMessage, Message, MessageContextInfo,
    PollCreationMessage, ProtocolMessage, ReactionMessage, poll_creation_message, protocol_message,
};

fn message(f: &Fields<'_>) -> Message {
    Message {
        conversation: f.string("conversation"),
        extended_text_message: f
            .object("extendedTextMessage")
            .map(|o| Box::new(extended_text(&o))),
        image_message: f.object("imageMessage").map(|o| Box::new(image(&o))),
        protocol_message: f.object("protocolMessage").map(|o| Box::new(protocol(&o))),
        device_sent_message: f.object("deviceSentMessage").map(|o| Box::new(device_sent(&o))),
        message_context_info: f.object("messageContextInfo").map(|o| message_context(&o)),
        reaction_message: f.object("reactionMessage").map(|o| reaction(&o)),
        poll_creation_message: f
            .object("pollCreationMessage")
            .map(|o| Box::new(poll_creation(&o))),
        poll_creation_message_v3: f
            .object("pollCreationMessageV3")
            .map(|o| Box::new(poll_creation(&o))),
        ..Default::default()
    }
}

fn extended_text(f: &Fields<'_>) -> ExtendedTextMessage {
    ExtendedTextMessage {
        text: f.string("text"),
        context_info: f.object("contextInfo").map(|o| Box::new(context_info(&o))),
        ..Default::default()
    }
}

fn context_info(f: &Fields<'_>) -> ContextInfo {
    ContextInfo {
        stanza_id: f.string("stanzaId"),
        participant: f.string("participant"),
        quoted_message: f.object("quotedMessage").map(|o| Box::new(message(&o))),
        remote_jid: f.string("remoteJid"),
        mentioned_jid: f.strings("mentionedJid"),
        forwarding_score: f.u32("forwardingScore"),
        is_forwarded: f.bool("isForwarded"),
        expiration: f.u32("expiration"),
        non_jid_mentions: f.u32("nonJidMentions"),
        ..Default::default()
    }
}

fn message_context(f: &Fields<'_>) -> MessageContextInfo {
    MessageContextInfo {
        message_secret: f.bytes("messageSecret"),
        ..Default::default()
    }
}

fn image(f: &Fields<'_>) -> ImageMessage {
    ImageMessage {
        url: f.string("url"),
        mimetype: f.string("mimetype"),
        caption: f.string("caption"),
        file_sha256: f.bytes("fileSha256"),
        file_length: f.u64("fileLength"),
        height: f.u32("height"),
        width: f.u32("width"),
        media_key: f.bytes("mediaKey"),
        file_enc_sha256: f.bytes("fileEncSha256"),
        direct_path: f.string("directPath"),
        media_key_timestamp: f.i64("mediaKeyTimestamp"),
        jpeg_thumbnail: f.bytes("jpegThumbnail"),
        context_info: f.object("contextInfo").map(|o| Box::new(context_info(&o))),
        first_scan_sidecar: f.bytes("firstScanSidecar"),
        first_scan_length: f.u32("firstScanLength"),
        scans_sidecar: f.bytes("scansSidecar"),
        scan_lengths: f.u32s("scanLengths"),
        mid_quality_file_sha256: f.bytes("midQualityFileSha256"),
        thumbnail_direct_path: f.string("thumbnailDirectPath"),
        thumbnail_sha256: f.bytes("thumbnailSha256"),
        thumbnail_enc_sha256: f.bytes("thumbnailEncSha256"),
        ..Default::default()
    }
}

fn message_key(f: &Fields<'_>) -> MessageKey {
    MessageKey {
        remote_jid: f.string("remoteJid"),
        from_me: f.bool("fromMe"),
        id: f.string("id"),
        participant: f.string("participant"),
    }
}

fn reaction(f: &Fields<'_>) -> ReactionMessage {
    ReactionMessage {
        key: f.object("key").map(|o| message_key(&o)),
        text: f.string("text"),
        grouping_key: f.string("groupingKey"),
        sender_timestamp_ms: f.i64("senderTimestampMs"),
    }
}

fn protocol(f: &Fields<'_>) -> ProtocolMessage {
    ProtocolMessage {
        key: f.object("key").map(|o| message_key(&o)),
        r#type: f.enumeration("type", |n| {
            protocol_message::Type::from_str_name(n).map(i32::from)
        }),
        ..Default::default()
    }
}

fn device_sent(f: &Fields<'_>) -> DeviceSentMessage {
    DeviceSentMessage {
        destination_jid: f.string("destinationJid"),
        message: f.object("message").map(|o| Box::new(message(&o))),
        phash: f.string("phash"),
    }
}

fn poll_creation(f: &Fields<'_>) -> PollCreationMessage {
    PollCreationMessage {
        name: f.string("name"),
        options: f
            .objects("options")
            .iter()
            .map(|o| poll_creation_message::Option {
                option_name: o.string("optionName"),
                option_hash: o.string("optionHash"),
            })
            .collect(),
        selectable_options_count: f.u32("selectableOptionsCount"),
        ..Default::default()
    }
}

struct Case {
    name: String,
    built: Message,
    wire: Vec<u8>,
}

fn cases() -> Vec<Case> {
    let vectors = load_vectors("padding-and-message.json");
    let cases = vectors["cases"].as_array().unwrap();
    cases
        .iter()
        .map(|case| {
            let name = case["name"].as_str().unwrap().to_owned();
            let built = message(&Fields::new(format!("{name}.message"), &case["message"]));
            let wire = unhex(case["proto_hex"].as_str().unwrap());
            Case { name, built, wire }
        })
        .collect()
}

#[test]
fn every_case_is_read() {
    let names: Vec<String> = cases().into_iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        [
            "conversation",
            "extended_text_baileys_send",
            "extended_text_with_context_info",
            "image_message_all_media_fields",
            "poll_creation_multi_select",
            "poll_creation_single_select_v3",
            "reaction",
            "reaction_group_remove",
            "protocol_revoke",
            "device_sent_message",
        ]
    );
}

#[test]
fn encoding_the_described_message_gives_baileys_bytes() {
    for case in cases() {
        assert_eq!(
            hex::encode(case.built.encode_to_vec()),
            hex::encode(&case.wire),
            "case {}",
            case.name
        );
    }
}

#[test]
fn decoding_baileys_bytes_gives_the_described_message() {
    for case in cases() {
        let decoded = Message::decode(case.wire.as_slice()).unwrap();
        assert_eq!(decoded, case.built, "case {}", case.name);
    }
}

#[test]
fn decode_then_encode_reproduces_baileys_bytes() {
    for case in cases() {
        let decoded = Message::decode(case.wire.as_slice()).unwrap();
        assert_eq!(
            hex::encode(decoded.encode_to_vec()),
            hex::encode(&case.wire),
            "case {}",
            case.name
        );
    }
}

fn decoded(name: &str) -> Message {
    let case = cases().into_iter().find(|c| c.name == name).unwrap();
    Message::decode(case.wire.as_slice()).unwrap()
}

/// protobufjs writes explicitly set proto2 fields even when they hold the default value; the schema
/// must keep them (proto2 `optional` gives presence) or re-encoding would drop bytes.
#[test]
fn explicit_default_values_are_kept() {
    let reaction = decoded("reaction_group_remove").reaction_message.unwrap();
    assert_eq!(reaction.text.as_deref(), Some(""));
    let key = reaction.key.unwrap();
    assert_eq!(key.from_me, Some(false));
    assert_eq!(key.participant.as_deref(), Some("123456789012345@lid"));
    assert_eq!(reaction.sender_timestamp_ms, Some(1_700_000_000_999));

    let poll = decoded("poll_creation_multi_select")
        .poll_creation_message
        .unwrap();
    assert_eq!(poll.selectable_options_count, Some(0));
    assert_eq!(poll.options.len(), 3);

    let text = decoded("extended_text_baileys_send")
        .extended_text_message
        .unwrap();
    assert_eq!(text.context_info.unwrap().non_jid_mentions, Some(0));

    let revoke = decoded("protocol_revoke").protocol_message.unwrap();
    assert_eq!(revoke.r#type, Some(protocol_message::Type::Revoke as i32));
    assert_eq!(revoke.key.unwrap().from_me, Some(true));
}

#[test]
fn nested_messages_decode() {
    let quoted = decoded("extended_text_with_context_info")
        .extended_text_message
        .unwrap()
        .context_info
        .unwrap();
    assert_eq!(quoted.stanza_id.as_deref(), Some("3EB0C0FFEE1234567890AB"));
    assert_eq!(
        quoted.quoted_message.unwrap().conversation.as_deref(),
        Some("Original message")
    );
    assert_eq!(quoted.expiration, Some(604_800));

    let dsm = decoded("device_sent_message").device_sent_message.unwrap();
    assert_eq!(dsm.destination_jid.as_deref(), Some("15551234567@s.whatsapp.net"));
    assert_eq!(
        dsm.message.unwrap().conversation.as_deref(),
        Some("sent from my other device")
    );

    let v3 = decoded("poll_creation_single_select_v3");
    assert!(v3.poll_creation_message.is_none());
    assert_eq!(
        v3.poll_creation_message_v3.unwrap().selectable_options_count,
        Some(1)
    );
}

/// Baileys (proto3 schema) packs `scanLengths`; whatsmeow's proto2 schema would not. The schema
/// declares it packed so our bytes match, and a decoder must still accept the unpacked form.
#[test]
fn scan_lengths_are_packed_and_unpacked_form_still_decodes() {
    let image = ImageMessage {
        scan_lengths: vec![100, 200],
        ..Default::default()
    };
    // field 22, wire type 2, length 3: 0x64, 0xc8 0x01
    assert_eq!(hex::encode(image.encode_to_vec()), "b2010364c801");
    // field 22, wire type 0, twice
    let unpacked = unhex("b00164b001c801");
    assert_eq!(ImageMessage::decode(unpacked.as_slice()).unwrap(), image);
}

/// The builder must refuse JSON it does not map, or a vector field could be silently skipped.
#[test]
#[should_panic(expected = "keys the test does not map to the schema")]
fn unmapped_json_keys_fail_the_test() {
    let description = serde_json::json!({ "conversation": "hi", "videoMessage": {} });
    message(&Fields::new("probe", &description));
}
