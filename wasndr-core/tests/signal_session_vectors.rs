//! Replays every case of `testdata/vectors/signal-session.json` (libsignal-node 6.0.0 as used by
//! Baileys): decryption from the recorded keys alone, and byte-for-byte encryption with the recorded
//! ratchet keys injected.

#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is a failed test

mod common;

use std::collections::HashMap;

use common::{RecordedKeys, hex_of, hex32, u32_of, vectors};
use pollster::block_on;
use serde_json::Value;
use wasndr_core::crypto::{KeyPair, PrivateKey, PublicKey};
use wasndr_core::signal::session::{self, LocalIdentity, PreKeys, SessionRecord};
use wasndr_core::signal::wire::{PreKeySignalMessage, SignalMessage};
use wasndr_core::signal::{
    IdentityKeyPair, PreKeyBundle, PreKeyRecord, ProtocolAddress, SignedPreKeyRecord, cipher,
};
use wasndr_core::store::{MemoryStore, PreKeyStore, SignedPreKeyStore};

fn cases() -> Vec<Value> {
    vectors("signal-session.json")["cases"]
        .as_array()
        .unwrap()
        .clone()
}

fn address(party: &Value) -> ProtocolAddress {
    let text = party["address"].as_str().unwrap();
    let (name, device) = text.rsplit_once('.').unwrap();
    ProtocolAddress::new(name, device.parse().unwrap())
}

fn identity(party: &Value) -> IdentityKeyPair {
    let identity = IdentityKeyPair::from_private(PrivateKey::from_bytes(hex32(party, "identity_private")));
    assert_eq!(
        identity.public().serialize().to_vec(),
        hex_of(party, "identity_public")
    );
    identity
}

fn key_pair(value: &Value) -> KeyPair {
    let pair = KeyPair::from_private(PrivateKey::from_bytes(hex32(value, "private")));
    assert_eq!(pair.public.serialize().to_vec(), hex_of(value, "public"));
    pair
}

fn signed_prekey(bob: &Value) -> SignedPreKeyRecord {
    let spk = &bob["signed_prekey"];
    SignedPreKeyRecord {
        id: u32_of(spk, "id"),
        key_pair: key_pair(spk),
        signature: hex_of(spk, "signature").try_into().unwrap(),
        timestamp: 0,
    }
}

fn one_time_prekey(bob: &Value) -> Option<PreKeyRecord> {
    let opk = &bob["one_time_prekey"];
    opk.is_object().then(|| PreKeyRecord {
        id: u32_of(opk, "id"),
        key_pair: key_pair(opk),
    })
}

fn bundle(case: &Value) -> PreKeyBundle {
    let b = &case["bundle_given_to_alice"];
    let spk = &b["signed_prekey"];
    PreKeyBundle {
        registration_id: u32_of(b, "registration_id"),
        identity_key: PublicKey::from_slice(&hex_of(b, "identity_key")).unwrap(),
        signed_prekey_id: u32_of(spk, "key_id"),
        signed_prekey: PublicKey::from_slice(&hex_of(spk, "public_key")).unwrap(),
        signed_prekey_signature: hex_of(spk, "signature"),
        prekey: b["prekey"].as_object().map(|_| {
            (
                u32_of(&b["prekey"], "key_id"),
                PublicKey::from_slice(&hex_of(&b["prekey"], "public_key")).unwrap(),
            )
        }),
    }
}

fn messages(case: &Value) -> HashMap<String, Value> {
    case["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["id"].as_str().unwrap().to_owned(), m.clone()))
        .collect()
}

/// Our parser reads every recorded message as libsignal-node's `parsed` describes it.
#[test]
fn parser_reads_every_recorded_message() {
    for case in cases() {
        for message in case["messages"].as_array().unwrap() {
            let bytes = hex_of(message, "ciphertext");
            let parsed = &message["parsed"];
            let whisper_json = if message["type"] == 3 {
                let pkmsg = PreKeySignalMessage::parse(&bytes).unwrap();
                assert_eq!(pkmsg.registration_id, u32_of(parsed, "registration_id"));
                // protobuf.js shows an absent preKeyId as its default, 0; the bytes leave it out.
                let recorded = u32_of(parsed, "pre_key_id");
                assert_eq!(pkmsg.prekey_id, (recorded != 0).then_some(recorded));
                assert_eq!(pkmsg.signed_prekey_id, u32_of(parsed, "signed_pre_key_id"));
                assert_eq!(pkmsg.base_key.serialize().to_vec(), hex_of(parsed, "base_key"));
                assert_eq!(
                    pkmsg.identity_key.serialize().to_vec(),
                    hex_of(parsed, "identity_key")
                );
                check_whisper(&pkmsg.message, &parsed["whisper"]);
                continue;
            } else {
                &parsed["whisper"]
            };
            check_whisper(&SignalMessage::parse(&bytes).unwrap(), whisper_json);
        }
    }
}

fn check_whisper(message: &SignalMessage, parsed: &Value) {
    assert_eq!(
        message.ratchet_key.serialize().to_vec(),
        hex_of(parsed, "ephemeral_key")
    );
    assert_eq!(message.counter, u32_of(parsed, "counter"));
    assert_eq!(message.previous_counter, u32_of(parsed, "previous_counter"));
    assert_eq!(message.ciphertext, hex_of(parsed, "ciphertext"));
    let bytes = message.serialized();
    assert_eq!(
        &bytes[1..bytes.len() - 8],
        &hex_of(parsed, "whisper_message_proto")[..]
    );
    assert_eq!(&bytes[bytes.len() - 8..], &hex_of(parsed, "mac")[..]);
}

/// Decrypts every recorded ciphertext, in the recorded order, with state built from the recorded keys
/// alone (no encryption of ours involved). Ratchet keys are drawn from the recording at the recorded
/// events.
#[test]
fn decrypts_every_recorded_message_from_the_recorded_keys() {
    for case in cases() {
        let name = case["name"].as_str().unwrap().to_owned();
        let messages = messages(&case);
        let alice_identity = identity(&case["alice"]);
        let bob_identity = identity(&case["bob"]);
        let alice = LocalIdentity {
            identity: &alice_identity,
            registration_id: u32_of(&case["alice"], "registration_id"),
        };
        let bob = LocalIdentity {
            identity: &bob_identity,
            registration_id: u32_of(&case["bob"], "registration_id"),
        };
        let spk = signed_prekey(&case["bob"]);
        let mut opk = one_time_prekey(&case["bob"]);
        let mut rngs = HashMap::from([
            ("alice", RecordedKeys::for_actor(&case, "alice")),
            ("bob", RecordedKeys::for_actor(&case, "bob")),
        ]);
        let mut records: HashMap<&str, SessionRecord> = HashMap::new();
        let mut decrypted = 0;

        for event in case["events"].as_array().unwrap() {
            let number = event["event"].as_u64().unwrap();
            for rng in rngs.values_mut() {
                rng.event = number;
            }
            let actor = if event["actor"] == "alice" { "alice" } else { "bob" };
            let rng = rngs.get_mut(actor).unwrap();
            match event["op"].as_str().unwrap() {
                "init_outgoing" => {
                    let record = session::initiate(None, alice, &bundle(&case), rng).unwrap();
                    records.insert("alice", record);
                }
                "encrypt" => {}
                "decrypt_prekey_whisper_message" => {
                    let message = &messages[event["message"].as_str().unwrap()];
                    let pkmsg = PreKeySignalMessage::parse(&hex_of(message, "ciphertext")).unwrap();
                    let prekeys = PreKeys {
                        signed: Some(&spk),
                        one_time: opk.as_ref(),
                    };
                    let out = session::decrypt_prekey_message(records.get("bob"), bob, &pkmsg, prekeys, rng)
                        .unwrap_or_else(|e| panic!("{name}: {}: {e}", message["id"]));
                    assert_eq!(out.plaintext, hex_of(message, "plaintext"), "{name}");
                    assert_eq!(out.sender_identity, *alice_identity.public());
                    if out.consumed_prekey.is_some() {
                        assert_eq!(out.consumed_prekey, opk.as_ref().map(|k| k.id));
                        opk = None;
                    }
                    records.insert("bob", out.record);
                    decrypted += 1;
                }
                "decrypt_whisper_message" => {
                    let message = &messages[event["message"].as_str().unwrap()];
                    let msg = SignalMessage::parse(&hex_of(message, "ciphertext")).unwrap();
                    let out = session::decrypt_message(&records[actor], &msg, rng)
                        .unwrap_or_else(|e| panic!("{name}: {}: {e}", message["id"]));
                    assert_eq!(out.plaintext, hex_of(message, "plaintext"), "{name}");
                    records.insert(actor, out.record);
                    decrypted += 1;
                }
                other => panic!("unknown op {other}"),
            }
        }
        assert_eq!(decrypted, messages.len(), "{name}: every message decrypted");
        for (actor, rng) in &rngs {
            assert_eq!(
                rng.remaining(),
                0,
                "{name}: {actor} drew fewer keys than recorded"
            );
        }
    }
}

/// Replays every event through the store-backed API with the recorded keys injected: each ciphertext
/// we produce equals the recorded one byte for byte, and decrypts back.
#[test]
fn encrypts_every_message_byte_for_byte() {
    for case in cases() {
        let name = case["name"].as_str().unwrap().to_owned();
        let messages = messages(&case);
        let stores = HashMap::from([
            (
                "alice",
                MemoryStore::new(
                    identity(&case["alice"]),
                    u32_of(&case["alice"], "registration_id"),
                ),
            ),
            (
                "bob",
                MemoryStore::new(identity(&case["bob"]), u32_of(&case["bob"], "registration_id")),
            ),
        ]);
        let addresses = HashMap::from([("alice", address(&case["alice"])), ("bob", address(&case["bob"]))]);
        block_on(stores["bob"].store_signed_prekey(&signed_prekey(&case["bob"]))).unwrap();
        let opk = one_time_prekey(&case["bob"]);
        if let Some(opk) = &opk {
            block_on(stores["bob"].store_prekeys(std::slice::from_ref(opk))).unwrap();
        }
        let mut rngs = HashMap::from([
            ("alice", RecordedKeys::for_actor(&case, "alice")),
            ("bob", RecordedKeys::for_actor(&case, "bob")),
        ]);
        let mut sent: HashMap<String, (String, Vec<u8>)> = HashMap::new();

        for event in case["events"].as_array().unwrap() {
            let number = event["event"].as_u64().unwrap();
            for rng in rngs.values_mut() {
                rng.event = number;
            }
            let actor = if event["actor"] == "alice" { "alice" } else { "bob" };
            let peer = if actor == "alice" { "bob" } else { "alice" };
            let store = &stores[actor];
            let rng = rngs.get_mut(actor).unwrap();
            match event["op"].as_str().unwrap() {
                "init_outgoing" => {
                    block_on(cipher::process_prekey_bundle(
                        store,
                        &addresses["bob"],
                        &bundle(&case),
                        rng,
                    ))
                    .unwrap();
                }
                "encrypt" => {
                    let id = event["message"].as_str().unwrap();
                    let message = &messages[id];
                    let out = block_on(cipher::encrypt(
                        store,
                        &addresses[peer],
                        &hex_of(message, "plaintext"),
                    ))
                    .unwrap();
                    let expected_type = if message["type"] == 3 { "pkmsg" } else { "msg" };
                    assert_eq!(out.enc_type(), expected_type, "{name} {id}");
                    assert_eq!(
                        hex::encode(out.serialized()),
                        message["ciphertext"].as_str().unwrap(),
                        "{name} {id}: ciphertext differs from libsignal-node's"
                    );
                    sent.insert(id.to_owned(), (out.enc_type().to_owned(), out.into_serialized()));
                }
                "decrypt_prekey_whisper_message" | "decrypt_whisper_message" => {
                    let id = event["message"].as_str().unwrap();
                    let (enc_type, bytes) = &sent[id];
                    let plaintext = block_on(cipher::decrypt(store, &addresses[peer], enc_type, bytes, rng))
                        .unwrap_or_else(|e| panic!("{name} {id}: {e}"));
                    assert_eq!(plaintext, hex_of(&messages[id], "plaintext"));
                }
                other => panic!("unknown op {other}"),
            }
        }
        assert_eq!(sent.len(), messages.len(), "{name}");
        for (actor, rng) in &rngs {
            assert_eq!(
                rng.remaining(),
                0,
                "{name}: {actor} drew fewer keys than recorded"
            );
        }
        // The one-time prekey was deleted once used (the no-OPK case never offered it).
        if let Some(opk) = &opk {
            let used = case["bundle_given_to_alice"]["prekey"].is_object();
            assert_eq!(
                block_on(stores["bob"].load_prekey(opk.id)).unwrap().is_none(),
                used,
                "{name}"
            );
        }
    }
}
