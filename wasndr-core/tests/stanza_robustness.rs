//! Peer stanzas never panic the parsers or the receive pipeline: random node trees built from the tags,
//! attribute names and values the messaging stanzas use (so they get deep into the parsers), encoded and
//! decoded as they would arrive, go through every parser and, when they parse as a message, through
//! `receive` with random ciphertexts.

#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is a failed test

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use wasndr_core::binary::{self, Content, Node, Value};
use wasndr_core::jid::Jid;
use wasndr_core::message::{self, OwnDevice, ReceiveContext, Records};
use wasndr_core::signal::{IdentityKeyPair, SignedPreKeyRecord};
use wasndr_core::stanza::{self, NodeView, ParticipantAction};

const TAGS: &[&str] = &[
    "message",
    "enc",
    "receipt",
    "ack",
    "iq",
    "notification",
    "presence",
    "chatstate",
    "participants",
    "to",
    "list",
    "item",
    "retry",
    "registration",
    "keys",
    "type",
    "identity",
    "key",
    "skey",
    "id",
    "value",
    "signature",
    "device-identity",
    "usync",
    "user",
    "devices",
    "device-list",
    "device",
    "key-index-list",
    "lid",
    "contact",
    "media_conn",
    "host",
    "group",
    "groups",
    "participant",
    "description",
    "body",
    "add",
    "remove",
    "promote",
    "demote",
    "invite",
    "create",
    "subject",
    "error",
    "count",
    "composing",
    "paused",
    "unavailable",
    "add_request",
    "ephemeral",
    "delete",
];

const KEYS: &[&str] = &[
    "id",
    "from",
    "to",
    "type",
    "t",
    "participant",
    "recipient",
    "v",
    "count",
    "mediatype",
    "jid",
    "code",
    "text",
    "key-index",
    "is_hosted",
    "val",
    "auth",
    "ttl",
    "hostname",
    "subject",
    "s_t",
    "creation",
    "size",
    "expiration",
    "class",
    "error",
    "phash",
    "value",
    "device_hash",
    "last",
    "media",
    "addressing_mode",
    "sender_lid",
    "notify",
];

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::from("2")),
        Just(Value::from("pkmsg")),
        Just(Value::from("msg")),
        Just(Value::from("skmsg")),
        Just(Value::from("result")),
        Just(Value::from("error")),
        Just(Value::from("retry")),
        Just(Value::from("true")),
        Just(Value::from("18446744073709551616")),
        Just(Value::from("-1")),
        Just(Value::from(Jid::pn("15551234567").with_device(2))),
        Just(Value::from(Jid::group("120363000000000000"))),
        Just(Value::from(Jid::lid("123"))),
        Just(Value::from(Jid::server())),
        "[a-z0-9@.:]{0,12}".prop_map(Value::from),
        any::<u32>().prop_map(Value::from),
    ]
}

fn leaf() -> impl Strategy<Value = Node> {
    (
        prop::sample::select(TAGS),
        prop::collection::vec((prop::sample::select(KEYS), value()), 0..5),
        prop_oneof![
            Just(Content::None),
            prop::collection::vec(any::<u8>(), 0..80).prop_map(Content::Bytes),
            "[a-z0-9+]{0,10}".prop_map(|text| Content::Text(text.into())),
        ],
    )
        .prop_map(|(tag, attrs, content)| {
            let mut node = Node::new(tag);
            for (key, value) in attrs {
                node.set_attr(key, value);
            }
            node.content = content;
            node
        })
}

fn tree() -> impl Strategy<Value = Node> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        (leaf(), prop::collection::vec(inner, 0..6)).prop_map(|(mut node, children)| {
            node.content = Content::Nodes(children);
            node
        })
    })
}

fn every_parser<'t, N: NodeView<'t>>(node: N) {
    let _ = stanza::IncomingReceipt::parse(node);
    let _ = stanza::Ack::for_stanza(node);
    let _ = stanza::ServerAck::parse(node);
    let _ = stanza::iq_result(node);
    let _ = stanza::parse_prekey_count(node);
    let _ = stanza::parse_bundles(node);
    let _ = stanza::parse_device_reply(node);
    let _ = stanza::parse_contact_reply(node);
    let _ = stanza::parse_media_conn(node);
    let _ = stanza::parse_group_reply(node);
    let _ = stanza::parse_participating(node);
    let _ = stanza::parse_invite_code(node);
    let _ = stanza::parse_participant_changes(node, ParticipantAction::Add);
    let _ = stanza::GroupMetadata::parse(node);
    let _ = stanza::GroupNotification::parse(node);
    let _ = stanza::DevicesNotification::parse(node);
    let _ = stanza::EncryptNotification::parse(node);
    let _ = stanza::IncomingPresence::parse(node);
    let _ = stanza::IncomingChatState::parse(node);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn parsers_and_receive_never_panic(mut root in tree(), as_message in any::<bool>(), seed in any::<u64>()) {
        if as_message {
            // Steer half the cases into the message path: a plausible envelope around random encs.
            root.tag = "message".into();
            root.set_attr("id", "3EB0AA");
            root.set_attr("from", Jid::pn("15551234567").with_device(2));
        }
        let Ok(bytes) = binary::encode(&root) else { return Ok(()) };
        let body = binary::unpack(&bytes).unwrap();
        let tree = binary::decode_node(&body).unwrap();
        let node = tree.root();
        every_parser(node);
        for child in node.children() {
            every_parser(child);
        }
        // The owned form goes through the same parsers.
        let owned = node.to_owned();
        every_parser(&owned);
        for child in owned.child_nodes() {
            every_parser(child);
        }
        if let Ok(incoming) = stanza::IncomingMessage::parse(node) {
            let mut rng = StdRng::seed_from_u64(seed);
            let identity = IdentityKeyPair::generate(&mut rng);
            let signed_prekey = SignedPreKeyRecord::generate(&identity, 1, 0, &mut rng).unwrap();
            let pn = Jid::pn("15550000000").with_device(3);
            let context = ReceiveContext {
                own: OwnDevice {
                    identity: &identity,
                    registration_id: 7,
                    pn: &pn,
                    lid: None,
                    device_identity: b"identity",
                },
                signed_prekey: &signed_prekey,
                next_prekey_id: 5,
                previous_retries: 0,
                active: true,
                prefer_lid: true,
            };
            let _ = message::needed_records(&incoming, true);
            let received = message::receive(&incoming, &context, &Records::default(), &mut rng);
            // Whatever happened, the answers encode.
            for reply in &received.replies {
                prop_assert!(binary::encode(reply).is_ok());
            }
        }
    }
}

fn enc() -> impl Strategy<Value = Node> {
    (
        prop::sample::select(&["pkmsg", "msg", "skmsg"][..]),
        any::<bool>(),
        prop::collection::vec(any::<u8>(), 0..200),
    )
        .prop_map(|(enc_type, versioned, mut bytes)| {
            if versioned {
                bytes.insert(0, 0x33);
            }
            Node::new("enc")
                .attr("type", enc_type)
                .attr("v", "2")
                .bytes(bytes)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Random ciphertexts in a well-formed envelope: never decrypted, never a panic, always answered
    /// with a retry receipt and an ack, and nothing of ours (sessions, prekeys) is changed.
    #[test]
    fn garbage_ciphertext_is_retried(encs in prop::collection::vec(enc(), 1..4), group in any::<bool>(), seed in any::<u64>()) {
        let sender = Jid::pn("15551234567").with_device(2);
        let mut node = Node::new("message").attr("id", "3EB0AA").attr("t", "1700000000").attr("type", "text");
        if group {
            node.set_attr("from", Jid::group("120363000000000000"));
            node.set_attr("participant", sender);
        } else {
            node.set_attr("from", sender);
        }
        node.content = Content::Nodes(encs);
        let bytes = binary::encode(&node).unwrap();
        let tree = binary::decode_node(&bytes[1..]).unwrap();
        let incoming = stanza::IncomingMessage::parse(tree.root()).unwrap();
        let mut rng = StdRng::seed_from_u64(seed);
        let identity = IdentityKeyPair::generate(&mut rng);
        let signed_prekey = SignedPreKeyRecord::generate(&identity, 1, 0, &mut rng).unwrap();
        let pn = Jid::pn("15550000000").with_device(3);
        let context = ReceiveContext {
            own: OwnDevice {
                identity: &identity,
                registration_id: 7,
                pn: &pn,
                lid: None,
                device_identity: b"identity",
            },
            signed_prekey: &signed_prekey,
            next_prekey_id: 5,
            previous_retries: 0,
            active: true,
            prefer_lid: false,
        };
        let received = message::receive(&incoming, &context, &Records::default(), &mut rng);
        prop_assert!(
            matches!(received.outcome, message::ReceiveOutcome::Failed { retry_count: Some(1), .. }),
            "{:?}",
            received.outcome
        );
        prop_assert!(received.messages.is_empty());
        prop_assert!(received.changes.sessions.is_empty());
        prop_assert!(received.changes.removed_prekeys.is_empty());
        let tags: Vec<String> = received.replies.iter().map(|reply| reply.tag.to_string()).collect();
        prop_assert_eq!(tags, vec!["receipt".to_owned(), "ack".to_owned()]);
        prop_assert_eq!(received.replies[0].attr_str("type"), Some("retry"));
    }
}
