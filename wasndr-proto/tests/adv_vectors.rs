//! The ADV schema against the pair-success payloads in `testdata/vectors/pairing.json` (built by the
//! vector generator with Baileys' WAProto, and the reply Baileys re-serialized).

// Helpers outside #[test] functions are test code too: a panic there is a failed test.
#![allow(clippy::unwrap_used)]

mod support;

use prost::Message as _;
use support::{Fields, load_vectors, unhex};
use wasndr_proto::adv::{
    AdvDeviceIdentity, AdvEncryptionType, AdvSignedDeviceIdentity, AdvSignedDeviceIdentityHmac,
};

fn hex_field(v: &serde_json::Value, path: &[&str]) -> Vec<u8> {
    let mut v = v;
    for key in path {
        v = &v[*key];
    }
    unhex(v.as_str().unwrap_or_else(|| panic!("{path:?} is not a string")))
}

fn device_identity(f: &Fields<'_>) -> AdvDeviceIdentity {
    let encryption_type = |n: &str| AdvEncryptionType::from_str_name(n).map(i32::from);
    AdvDeviceIdentity {
        raw_id: f.u32("rawId"),
        timestamp: f.u64("timestamp"),
        key_index: f.u32("keyIndex"),
        account_type: f.enumeration("accountType", encryption_type),
        device_type: f.enumeration("deviceType", encryption_type),
    }
}

#[test]
fn pair_success_payloads_round_trip() {
    let vectors = load_vectors("pairing.json");
    let cases = vectors["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 6);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let inputs = &case["inputs"];
        let details = hex_field(case, &["phone_side", "device_identity_details"]);
        let signed = hex_field(case, &["phone_side", "signed_device_identity"]);
        let container = hex_field(case, &["phone_side", "device_identity_hmac_proto"]);

        // ADVDeviceIdentity: built from the inputs, byte-identical to what the phone side signed.
        let identity = device_identity(&Fields::new(
            format!("{name}.device_identity"),
            &inputs["device_identity"],
        ));
        assert_eq!(
            hex::encode(identity.encode_to_vec()),
            hex::encode(&details),
            "{name}"
        );
        assert_eq!(
            AdvDeviceIdentity::decode(details.as_slice()).unwrap(),
            identity,
            "{name}"
        );

        // ADVSignedDeviceIdentity as the phone sends it (with accountSignatureKey).
        let signed_msg = AdvSignedDeviceIdentity::decode(signed.as_slice()).unwrap();
        assert_eq!(signed_msg.details.as_deref(), Some(details.as_slice()), "{name}");
        assert_eq!(
            signed_msg.account_signature_key,
            Some(hex_field(inputs, &["phone_identity_public"])),
            "{name}"
        );
        assert_eq!(
            signed_msg.account_signature,
            Some(hex_field(case, &["phone_side", "account_signature"])),
            "{name}"
        );
        assert_eq!(signed_msg.device_signature, None, "{name}");
        assert_eq!(signed_msg.encode_to_vec(), signed, "{name}");

        // The HMAC container of <device-identity>; accountType appears only for hosted accounts.
        let outer = AdvSignedDeviceIdentityHmac::decode(container.as_slice()).unwrap();
        assert_eq!(outer.details.as_deref(), Some(signed.as_slice()), "{name}");
        assert_eq!(
            outer.hmac,
            Some(hex_field(case, &["phone_side", "hmac"])),
            "{name}"
        );
        let hosted = inputs["device_identity"]["accountType"] == "HOSTED";
        assert_eq!(
            outer.account_type,
            hosted.then_some(AdvEncryptionType::Hosted as i32),
            "{name}"
        );
        assert_eq!(outer.encode_to_vec(), container, "{name}");

        // The companion's reply: details, accountSignature and deviceSignature, without the key.
        if let Some(reply) = case["baileys_result"]["reply_device_identity"].as_str() {
            let reply_msg = AdvSignedDeviceIdentity {
                details: Some(details.clone()),
                account_signature_key: None,
                account_signature: signed_msg.account_signature.clone(),
                device_signature: Some(hex_field(case, &["baileys_result", "device_signature"])),
            };
            assert_eq!(hex::encode(reply_msg.encode_to_vec()), reply, "{name}");
        }
    }
}
