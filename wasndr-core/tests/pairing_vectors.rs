//! Every case of `testdata/vectors/pairing.json` (Baileys 7.0.0-rc14 as the companion, a generator
//! with fixed keys as the phone), both sides: the primary's container is rebuilt byte for byte, the
//! companion accepts exactly the cases that must be accepted, its answer matches Baileys' (with Baileys'
//! deterministic device signature substituted for ours, which uses fresh randomness), and the primary
//! accepts that answer. Plus the QR strings and the pair-device stanza.

#![allow(clippy::unwrap_used)]

mod common;

use common::{hex_of, hex32, vectors};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::Value;
use wasndr_core::Error;
use wasndr_core::binary::{self, decode_node};
use wasndr_core::crypto::{PrivateKey, PublicKey};
use wasndr_core::pair::companion::{PairedIdentity, verify_device_identity};
use wasndr_core::pair::primary::{
    IssuedIdentity, account_signature_message, issue_device_identity, seal_device_identity,
    verify_pair_device_sign,
};
use wasndr_core::pair::stanza::{PairDeviceSign, PairSuccess, pair_device, parse_pair_device};
use wasndr_core::pair::{DeviceIdentity, QrCode};
use wasndr_core::signal::IdentityKeyPair;

fn identity(inputs: &Value, who: &str) -> IdentityKeyPair {
    let pair = IdentityKeyPair::from_private(PrivateKey::from_bytes(hex32(
        inputs,
        &format!("{who}_identity_private"),
    )));
    assert_eq!(
        pair.public().as_bytes(),
        &hex32(inputs, &format!("{who}_identity_public"))
    );
    pair
}

fn device_identity(inputs: &Value) -> DeviceIdentity {
    let identity = &inputs["device_identity"];
    DeviceIdentity {
        raw_id: identity["rawId"].as_u64().unwrap() as u32,
        timestamp: identity["timestamp"].as_u64().unwrap(),
        key_index: identity["keyIndex"].as_u64().unwrap() as u32,
        hosted: identity["deviceType"] == "HOSTED",
    }
}

fn node_of(hex: &str) -> binary::Node {
    binary::decode_owned(&hex::decode(hex).unwrap()).unwrap()
}

#[test]
fn primary_side_rebuilds_the_container_byte_for_byte() {
    for case in vectors("pairing.json")["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let inputs = &case["inputs"];
        let phone = &case["phone_side"];
        if !inputs["tamper"].is_null() {
            continue; // tampered after signing: not something the primary produces
        }
        let phone_identity = identity(inputs, "phone");
        let companion = identity(inputs, "companion");
        let identity = device_identity(inputs);
        let details = identity.encode();
        assert_eq!(details, hex_of(phone, "device_identity_details"), "{name}");
        assert_eq!(DeviceIdentity::decode(&details).unwrap(), identity, "{name}");
        let message = account_signature_message(&details, companion.public(), identity.hosted);
        assert_eq!(message, hex_of(phone, "account_signature_message"), "{name}");
        let signature: [u8; 64] = hex_of(phone, "account_signature").try_into().unwrap();
        assert!(phone_identity.public().verify(&message, &signature), "{name}");
        let container = seal_device_identity(
            &details,
            phone_identity.public(),
            &signature,
            &hex32(inputs, "adv_secret"),
            identity.hosted,
        );
        assert_eq!(container, hex_of(phone, "device_identity_hmac_proto"), "{name}");
    }
}

#[test]
fn pair_success_stanza_matches_the_recorded_bytes() {
    for case in vectors("pairing.json")["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let hex = case["pair_success_hex"].as_str().unwrap();
        let bytes = hex::decode(hex).unwrap();
        let body = binary::unpack(&bytes).unwrap();
        let tree = decode_node(&body).unwrap();
        let parsed = PairSuccess::from_node(&tree.root());
        if name == "missing_device_node" {
            assert!(
                matches!(parsed, Err(Error::MalformedPairing(_))),
                "{name}: {parsed:?}"
            );
            continue;
        }
        let parsed = parsed.unwrap();
        let inputs = &case["inputs"];
        assert_eq!(parsed.jid.to_string(), inputs["jid"].as_str().unwrap());
        assert_eq!(
            parsed.lid.as_ref().unwrap().to_string(),
            inputs["lid"].as_str().unwrap()
        );
        assert_eq!(parsed.platform.as_deref(), inputs["platform"].as_str());
        assert_eq!(parsed.business_name.as_deref(), inputs["biz_name"].as_str());
        assert_eq!(parsed.timestamp, Some(1_700_000_005));
        // Our builder writes the same stanza back, except that `from` is the typed server JID
        // (`FA 00 03`, transport guide F.4) where the generator wrote the token string `s.whatsapp.net`.
        assert_eq!(
            binary::encode(&parsed.to_node()).unwrap(),
            with_typed_server_from(&bytes),
            "{name}"
        );
    }
}

#[test]
fn companion_side_accepts_and_rejects_as_recorded() {
    let mut rng = StdRng::seed_from_u64(7);
    for case in vectors("pairing.json")["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let inputs = &case["inputs"];
        let companion = identity(inputs, "companion");
        let adv_secret = hex32(inputs, "adv_secret");
        let node = node_of(case["pair_success_hex"].as_str().unwrap());
        let container = node
            .child("pair-success")
            .unwrap()
            .child("device-identity")
            .unwrap()
            .content_bytes()
            .unwrap();
        let verified = verify_device_identity(container, &adv_secret, companion.public());
        if case["should_reject"].as_bool().unwrap() {
            match name {
                "bad_hmac" => assert_eq!(verified, Err(Error::AdvHmacMismatch), "{name}"),
                "bad_account_signature" => {
                    assert_eq!(verified, Err(Error::AdvAccountSignatureInvalid), "{name}")
                }
                // The identity itself is fine; the stanza is what is refused (see the stanza test).
                "missing_device_node" => assert!(verified.is_ok(), "{name}"),
                other => panic!("unexpected reject case {other}"),
            }
            continue;
        }
        let verified = verified.unwrap();
        let result = &case["baileys_result"];
        let paired = verified.clone().countersign(&companion, &mut rng);
        // Our own signature (fresh randomness) verifies over the recorded message.
        let message = hex_of(result, "device_signature_message");
        assert!(
            companion.public().verify(&message, &paired.device_signature),
            "{name}"
        );
        // With Baileys' deterministic signature the answer is Baileys' byte for byte.
        let baileys = PairedIdentity {
            device_signature: hex_of(result, "device_signature").try_into().unwrap(),
            ..paired.clone()
        };
        assert!(
            companion.public().verify(&message, &baileys.device_signature),
            "{name}"
        );
        assert_eq!(
            baileys.reply_identity(),
            hex_of(result, "reply_device_identity"),
            "{name}"
        );
        let reply = PairDeviceSign {
            id: node.attr_str("id").unwrap().to_owned(),
            key_index: baileys.key_index(),
            device_identity: baileys.reply_identity(),
        };
        assert_eq!(
            hex::encode(binary::encode(&reply.to_node()).unwrap()),
            result["reply_hex"].as_str().unwrap(),
            "{name}"
        );
        // What the companion stores: the full identity, with the account key, round-trips.
        let stored = PairedIdentity::from_signed_identity(&paired.signed_identity()).unwrap();
        assert_eq!(stored, paired);
        let account = &result["creds_update"]["account"];
        assert_eq!(paired.details, hex_of(account, "details"));
        assert_eq!(
            paired.account_key.as_bytes().as_slice(),
            hex_of(account, "account_signature_key")
        );
    }
}

#[test]
fn primary_accepts_baileys_answer_and_refuses_forgeries() {
    for case in vectors("pairing.json")["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        if case["should_reject"].as_bool().unwrap() {
            continue;
        }
        let inputs = &case["inputs"];
        let phone = identity(inputs, "phone");
        let companion = identity(inputs, "companion");
        let identity = device_identity(inputs);
        let issued = IssuedIdentity {
            identity,
            details: identity.encode(),
            account_key: *phone.public(),
            companion_identity: *companion.public(),
            container: hex_of(&case["phone_side"], "device_identity_hmac_proto"),
        };
        let reply_bytes = hex::decode(case["baileys_result"]["reply_hex"].as_str().unwrap()).unwrap();
        let body = binary::unpack(&reply_bytes).unwrap();
        let tree = decode_node(&body).unwrap();
        let reply = PairDeviceSign::from_node(&tree.root()).unwrap();
        assert_eq!(reply.key_index, identity.key_index, "{name}");
        assert_eq!(
            verify_pair_device_sign(&issued, &reply.device_identity).unwrap(),
            identity
        );

        let mut forged = reply.device_identity.clone();
        let last = forged.len() - 1;
        forged[last] ^= 1;
        assert_eq!(
            verify_pair_device_sign(&issued, &forged),
            Err(Error::AdvDeviceSignatureInvalid),
            "{name}"
        );
        let other_companion = IssuedIdentity {
            companion_identity: PublicKey::from_bytes(hex32(inputs, "phone_identity_public")),
            ..issued.clone()
        };
        assert_eq!(
            verify_pair_device_sign(&other_companion, &reply.device_identity),
            Err(Error::AdvDeviceSignatureInvalid)
        );
        let other_details = IssuedIdentity {
            details: DeviceIdentity {
                key_index: 99,
                ..identity
            }
            .encode(),
            ..issued
        };
        assert!(matches!(
            verify_pair_device_sign(&other_details, &reply.device_identity),
            Err(Error::MalformedPairing(_))
        ));
    }
}

#[test]
fn both_sides_pair_with_fresh_keys() {
    let mut rng = StdRng::seed_from_u64(11);
    for hosted in [false, true] {
        let phone = IdentityKeyPair::generate(&mut rng);
        let companion = IdentityKeyPair::generate(&mut rng);
        let adv_secret = [42u8; 32];
        let identity = DeviceIdentity {
            raw_id: 1234,
            timestamp: 1_800_000_000,
            key_index: 5,
            hosted,
        };
        let issued = issue_device_identity(&phone, companion.public(), &adv_secret, identity, &mut rng);
        let paired = verify_device_identity(&issued.container, &adv_secret, companion.public())
            .unwrap()
            .countersign(&companion, &mut rng);
        assert_eq!(paired.identity, identity);
        assert_eq!(
            verify_pair_device_sign(&issued, &paired.reply_identity()).unwrap(),
            identity
        );
        // Another companion (other identity key) or another QR (other secret) refuses it.
        let stranger = IdentityKeyPair::generate(&mut rng);
        assert_eq!(
            verify_device_identity(&issued.container, &adv_secret, stranger.public()),
            Err(Error::AdvAccountSignatureInvalid)
        );
        assert_eq!(
            verify_device_identity(&issued.container, &[0u8; 32], companion.public()),
            Err(Error::AdvHmacMismatch)
        );
    }
}

#[test]
fn garbage_containers_are_refused_without_panicking() {
    let companion = IdentityKeyPair::generate(&mut StdRng::seed_from_u64(3));
    for bytes in [&b""[..], b"\x0a", b"\xff\xff\xff", b"\x0a\x02\x08\x01\x12\x00"] {
        assert!(verify_device_identity(bytes, &[0; 32], companion.public()).is_err());
        assert!(PairedIdentity::from_signed_identity(bytes).is_err());
    }
}

#[test]
fn qr_strings_match_baileys() {
    for case in vectors("pairing.json")["qr"].as_array().unwrap() {
        let qr = QrCode {
            reference: case["ref"].as_str().unwrap().to_owned(),
            noise_public: PublicKey::from_bytes(hex32(case, "noise_public")),
            identity_public: PublicKey::from_bytes(hex32(case, "identity_public")),
            adv_secret: hex32(case, "adv_secret"),
            client_type: Some(case["companion_platform_id"].as_str().unwrap().to_owned()),
        };
        let text = case["qr"].as_str().unwrap();
        assert_eq!(qr.to_string(), text);
        assert_eq!(QrCode::parse(text).unwrap(), qr);
        // The bare form of older clients: no URL, no client type.
        let bare = QrCode {
            client_type: None,
            ..qr.clone()
        };
        assert_eq!(QrCode::parse(&bare.to_bare_string()).unwrap(), bare);
        assert!(!format!("{qr:?}").contains(&base64_of(&qr.adv_secret)));
    }
    for bad in [
        "",
        "https://wa.me/settings/linked_devices#",
        "ref,AAAA,AAAA,AAAA",
        "ref,a,b,c,d,e",
        ",AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    ] {
        assert!(
            matches!(QrCode::parse(bad), Err(Error::InvalidQrCode(_))),
            "{bad:?}"
        );
    }
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn pair_device_stanza_matches_the_recorded_bytes() {
    let vectors = vectors("pairing.json");
    let bytes = hex::decode(vectors["pair_device_hex"].as_str().unwrap()).unwrap();
    let body = binary::unpack(&bytes).unwrap();
    let tree = decode_node(&body).unwrap();
    let refs = parse_pair_device(&tree.root()).unwrap();
    assert_eq!(refs.len(), 2);
    assert_eq!(refs[0], vectors["qr"][0]["ref"].as_str().unwrap());
    assert_eq!(
        binary::encode(&pair_device("pair-device-1", &refs)).unwrap(),
        with_typed_server_from(&bytes)
    );
}

/// The recorded stanza re-encoded with `from` as the typed server JID. The generator's encoder (Baileys)
/// wrote the text `s.whatsapp.net`, which whatsmeow ignores in `pair-device`/`pair-success` (F.4).
fn with_typed_server_from(recorded: &[u8]) -> Vec<u8> {
    let mut node = binary::decode_owned(recorded).unwrap();
    assert_eq!(node.attr_str("from"), Some("s.whatsapp.net"));
    node.set_attr("from", wasndr_core::jid::Jid::server());
    binary::encode(&node).unwrap()
}
