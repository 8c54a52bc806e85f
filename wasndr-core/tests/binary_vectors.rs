//! Every case of `testdata/vectors/binary-node.json` (Baileys 7 encodeBinaryNode/decodeBinaryNode).
//!
//! The vector nodes are Baileys nodes, whose attribute values are all strings: Baileys' encoder turns a
//! string into a JID when it is not a token or packable and contains `@` (transport guide B.4, step 5).
//! Our encoder never guesses, so `node_from_json` applies that same rule once, on the test side, to
//! build the typed node Baileys effectively encoded. Everything else is compared byte for byte.

// Helpers outside #[test] functions: a panic here is a failed test, not a crash on peer input.
#![allow(clippy::unwrap_used)]

use std::borrow::Cow;

use serde_json::Value as Json;
use wasndr_core::binary::{self, Content, Node, NodeRef, Value, ValueRef};
use wasndr_core::crypto::sha256;
use wasndr_core::jid::Jid;

fn vectors() -> Json {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/vectors/binary-node.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn is_packable(text: &str) -> bool {
    let len_ok = !text.is_empty() && text.len() <= 127;
    let nibble = text.bytes().all(|c| c.is_ascii_digit() || c == b'-' || c == b'.');
    let hex = text
        .bytes()
        .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(&c));
    len_ok && (nibble || hex)
}

/// Baileys' view of a string: a JID when step 5 of its writeString would treat it as one.
fn baileys_is_jid(text: &str) -> bool {
    binary::token_index(text).is_none() && !is_packable(text) && text.contains('@')
}

fn value_from_json(text: &str) -> Value {
    if baileys_is_jid(text) {
        Value::Jid(Jid::parse(text).unwrap_or_else(|e| panic!("{text}: {e}")))
    } else {
        Value::Str(Cow::Owned(text.to_owned()))
    }
}

fn node_from_json(json: &Json) -> Node {
    let mut node = Node::new(json["tag"].as_str().unwrap().to_owned());
    for (key, value) in json["attrs"].as_object().unwrap() {
        node = node.attr(key.clone(), value_from_json(value.as_str().unwrap()));
    }
    let content = &json["content"];
    node.content = if content.is_null() {
        Content::None
    } else if let Some(children) = content.get("nodes") {
        Content::Nodes(children.as_array().unwrap().iter().map(node_from_json).collect())
    } else if let Some(bytes) = content.get("bytes") {
        Content::Bytes(hex::decode(bytes.as_str().unwrap()).unwrap())
    } else if let Some(repeat) = content.get("bytes_repeat") {
        let byte = hex::decode(repeat["byte"].as_str().unwrap()).unwrap()[0];
        Content::Bytes(vec![byte; repeat["len"].as_u64().unwrap() as usize])
    } else if let Some(text) = content.get("text") {
        match value_from_json(text.as_str().unwrap()) {
            Value::Jid(jid) => Content::Jid(jid),
            Value::Str(text) => Content::Text(text),
        }
    } else {
        panic!("unknown content {content}");
    };
    node
}

/// Baileys renders decoded values as strings; ours must render the same text.
fn assert_renders_like_baileys(node: NodeRef<'_>, json: &Json, case: &str) {
    assert_eq!(node.tag(), json["tag"].as_str().unwrap(), "{case}");
    let attrs = json["attrs"].as_object().unwrap();
    assert_eq!(node.attr_count(), attrs.len(), "{case}");
    for ((key, value), (json_key, json_value)) in node.attrs().zip(attrs) {
        assert_eq!(key, json_key, "{case}");
        assert_eq!(value.to_string(), json_value.as_str().unwrap(), "{case}: {key}");
        if let ValueRef::Jid(_) = value {
            assert!(value.to_string().contains('@'), "{case}");
        }
    }
    if let Some(children) = json["content"].get("nodes") {
        let children = children.as_array().unwrap();
        assert_eq!(node.children().len(), children.len(), "{case}");
        for (child, json_child) in node.children().zip(children) {
            assert_renders_like_baileys(child, json_child, case);
        }
    }
}

fn decode(hex_payload: &str) -> Node {
    let payload = hex::decode(hex_payload).unwrap();
    binary::decode_owned(&payload).unwrap()
}

#[test]
fn every_case_encodes_to_the_recorded_bytes_and_decodes_back() {
    let vectors = vectors();
    let cases = vectors["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 74);
    let mut checked_hex = 0;
    let mut checked_digest = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let node = node_from_json(&case["node"]);
        let encoded = binary::encode(&node).unwrap();
        if !case["roundtrip_identical"].as_bool().unwrap() {
            // The lossy cases are the ones the notes explain: raw text content comes back as bytes, ':0'
            // and agent forms come back normalised.
            let known = [
                "text_content_raw",
                "text_content_300",
                "jid_device_0",
                "jid_agent_device",
            ];
            assert!(
                known.contains(&name),
                "{name} is lossy for a reason the notes do not give"
            );
        }

        if let Some(hex_payload) = case["hex"].as_str() {
            let expected = match name {
                // Our Jid has no "explicit :0" state: device 0 is simply no device, written as JID_PAIR.
                // The file records that encoding as the re-encoding of the decoded node.
                "jid_device_0" => case["reencoded_decoded_hex"].as_str().unwrap(),
                _ => hex_payload,
            };
            assert_eq!(hex::encode(&encoded), expected, "{name}: encoding");

            let payload = hex::decode(hex_payload).unwrap();
            let body = binary::unpack(&payload).unwrap();
            let tree = binary::decode_node(&body).unwrap();
            assert_eq!(
                tree.root().to_owned(),
                node_from_json(&case["decoded"]),
                "{name}: decoding"
            );
            assert_renders_like_baileys(tree.root(), &case["decoded"], name);

            let reencoded = binary::encode(&tree.root().to_owned()).unwrap();
            let expected = case["reencoded_decoded_hex"].as_str().unwrap_or(hex_payload);
            assert_eq!(
                hex::encode(reencoded),
                expected,
                "{name}: re-encoding the decoded node"
            );
            checked_hex += 1;
        } else {
            assert_eq!(
                encoded.len() as u64,
                case["encoded_len"].as_u64().unwrap(),
                "{name}"
            );
            assert_eq!(
                hex::encode(sha256(&encoded)),
                case["encoded_sha256"].as_str().unwrap(),
                "{name}"
            );
            let prefix = case["encoded_prefix_hex"].as_str().unwrap();
            assert!(hex::encode(&encoded).starts_with(prefix), "{name}");
            let decoded = binary::decode_owned(&encoded).unwrap();
            assert_eq!(decoded, node_from_json(&case["decoded"]), "{name}: decoding");
            checked_digest += 1;
        }
    }
    assert_eq!((checked_hex, checked_digest), (72, 2));
}

#[test]
fn every_decode_only_case_decodes() {
    let vectors = vectors();
    let cases = vectors["decode_only_cases"].as_array().unwrap();
    assert_eq!(cases.len(), 11);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let payload = hex::decode(case["hex"].as_str().unwrap()).unwrap();
        let body = binary::unpack(&payload).unwrap();
        let tree = binary::decode_node(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(tree.root().to_owned(), node_from_json(&case["decoded"]), "{name}");
        assert_renders_like_baileys(tree.root(), &case["decoded"], name);
    }
}

#[test]
fn compressed_cases_equal_their_uncompressed_originals() {
    let vectors = vectors();
    let cases = vectors["cases"].as_array().unwrap();
    let mut compared = 0;
    for case in vectors["decode_only_cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let Some(original) = name.strip_prefix("compressed_") else {
            continue;
        };
        assert!(case["hex"].as_str().unwrap().starts_with("02"), "{name}");
        let original = cases.iter().find(|c| c["name"] == original).unwrap();
        assert_eq!(
            decode(case["hex"].as_str().unwrap()),
            decode(original["hex"].as_str().unwrap()),
            "{name}"
        );
        compared += 1;
    }
    assert_eq!(compared, 4);
}

#[test]
fn decoded_jids_are_typed() {
    let node = decode("00f8031305f70003ff8615551234567f");
    let jid = node.attr_value("participant").and_then(Value::as_jid).unwrap();
    assert_eq!((jid.user(), jid.device()), ("15551234567", 3));
    let node = decode("00f803190cf5fc043132333400020005fc07696e7465726f70");
    let jid = node.attr_value("jid").and_then(Value::as_jid).unwrap();
    assert_eq!((jid.user(), jid.device(), jid.integrator()), ("1234", 2, 5));
}
