//! Our registration and login `ClientPayload`s against the three Baileys 7.0.0-rc14 payloads in
//! `testdata/vectors/client-payload.json`: built from the same inputs (version, OS, browser, country,
//! full-sync flag, push name, keys), they must encode to the same bytes — and the server-side parser
//! must read Baileys' bytes back to the same request.

#![allow(clippy::unwrap_used)]

use serde_json::Value;
use wasndr_core::crypto::PublicKey;
use wasndr_core::jid::Jid;
use wasndr_core::login::{
    Browser, ClientRequest, CompanionPlatform, PayloadConfig, RegistrationKeys, WaVersion,
    parse_client_payload,
};
use wasndr_proto::Message as _;

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/vectors/client-payload.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn config_of(case: &Value) -> PayloadConfig {
    let config = &case["config"];
    let version: Vec<u32> = config["version"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u32)
        .collect();
    let browser = config["browser"].as_array().unwrap();
    PayloadConfig {
        version: WaVersion::new(version[0], version[1], version[2]),
        platform: CompanionPlatform::new(
            browser[0].as_str().unwrap(),
            Browser::from_name(browser[1].as_str().unwrap()).unwrap(),
        ),
        country: config["countryCode"].as_str().unwrap().to_owned(),
        language: "en".to_owned(),
        push_name: config["pushName"].as_str().map(str::to_owned),
        full_history_sync: config["syncFullHistory"].as_bool().unwrap(),
    }
}

fn field_bytes(case: &Value, field: &str) -> Vec<u8> {
    hex::decode(
        case["client_payload"]["devicePairingData"][field]
            .as_str()
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn every_baileys_payload_is_reproduced_byte_for_byte() {
    let vectors = vectors();
    let cases = vectors["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let expected = hex::decode(case["client_payload_hex"].as_str().unwrap()).unwrap();
        let config = config_of(case);
        let ours = if let Some(jid) = case["jid"].as_str() {
            config.login_payload(&Jid::parse(jid).unwrap()).unwrap()
        } else {
            let identity = PublicKey::from_slice(&field_bytes(case, "eIdent")).unwrap();
            let signed_prekey = PublicKey::from_slice(&field_bytes(case, "eSkeyVal")).unwrap();
            let signature: [u8; 64] = field_bytes(case, "eSkeySig").try_into().unwrap();
            config.registration_payload(&RegistrationKeys {
                registration_id: 0x1a2b,
                identity: &identity,
                signed_prekey_id: 1,
                signed_prekey: &signed_prekey,
                signed_prekey_signature: &signature,
            })
        };
        if let Some(props_hex) = case["device_props_hex"].as_str() {
            assert_eq!(
                hex::encode(config.device_props().encode_to_vec()),
                props_hex,
                "{name}: DeviceProps"
            );
        }
        assert_eq!(
            hex::encode(ours.encode_to_vec()),
            hex::encode(&expected),
            "{name}"
        );
    }
}

#[test]
fn the_server_side_parser_reads_baileys_payloads() {
    let vectors = vectors();
    for case in vectors["cases"].as_array().unwrap() {
        let bytes = hex::decode(case["client_payload_hex"].as_str().unwrap()).unwrap();
        let parsed = parse_client_payload(&bytes).unwrap();
        match (parsed.request, case["jid"].as_str()) {
            (ClientRequest::Login(login), Some(jid)) => {
                assert_eq!(login.device_jid().to_string(), jid);
                assert!(login.passive && login.pull);
            }
            (ClientRequest::Register(ref registration), None) => {
                assert_eq!(registration.registration_id, 0x1a2b);
                assert_eq!(registration.signed_prekey_id, 1);
                assert_eq!(
                    registration.identity.as_bytes()[..],
                    field_bytes(case, "eIdent")[..]
                );
                assert_eq!(
                    hex::encode(&registration.build_hash),
                    case["client_payload"]["devicePairingData"]["buildHash"]
                        .as_str()
                        .unwrap()
                );
                let props = registration.device_props.clone().unwrap();
                assert_eq!(props.os.as_deref(), Some("Mac OS"));
                // The vector's signature is filler bytes, not a real signature.
                assert!(!registration.signed_prekey_signature_is_valid());
            }
            (request, jid) => panic!("{request:?} for jid {jid:?}"),
        }
    }
}

#[test]
fn malformed_payloads_are_refused_with_a_reason() {
    let config = PayloadConfig::default();
    let login = config
        .login_payload(&Jid::pn("15551234567").with_device(2))
        .unwrap();
    let mut both = login.clone();
    both.device_pairing_data = Some(Default::default());
    let mut neither = login.clone();
    neither.username = None;
    let mut no_device = login;
    no_device.device = None;
    for payload in [both, neither, no_device] {
        assert!(matches!(
            parse_client_payload(&payload.encode_to_vec()),
            Err(wasndr_core::Error::MalformedClientPayload(_))
        ));
    }
    assert!(parse_client_payload(&[0xff, 0xff, 0xff]).is_err());
    // A registration with a 2-byte signed-prekey id is refused.
    let identity = PublicKey::from_bytes([9; 32]);
    let mut registration = config.registration_payload(&RegistrationKeys {
        registration_id: 7,
        identity: &identity,
        signed_prekey_id: 1,
        signed_prekey: &identity,
        signed_prekey_signature: &[0; 64],
    });
    registration.device_pairing_data.as_mut().unwrap().e_skey_id = Some(vec![0, 1]);
    assert!(parse_client_payload(&registration.encode_to_vec()).is_err());
    // A login JID whose user is not a number cannot be sent.
    assert!(config.login_payload(&Jid::lid("abc")).is_err());
}
