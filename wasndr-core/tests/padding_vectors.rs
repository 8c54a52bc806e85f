//! Message padding against Baileys' `writeRandomPadMax16` / `unpadRandomMax16` results in
//! `testdata/vectors/padding-and-message.json`.

// Helpers outside #[test] functions are test code too: a panic there is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use serde_json::Value;
use wasndr_core::Error;
use wasndr_core::message::{pad, pad_len, unpad};

fn vectors() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/vectors/padding-and-message.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn byte(v: &Value) -> u8 {
    let b = bytes(v);
    assert_eq!(b.len(), 1, "expected one byte, got {v}");
    b[0]
}

/// Every pad length 1..=16, plus random bytes whose high nibble must be ignored.
#[test]
fn padding_cases() {
    let vectors = vectors();
    let cases = vectors["padding"].as_array().unwrap();
    assert_eq!(cases.len(), 20);
    let mut lengths_seen = [false; 17];
    for case in cases {
        let input = bytes(&case["input_hex"]);
        let random = byte(&case["random_byte"]);
        let expected = bytes(&case["padded_hex"]);
        let length = case["pad_length"].as_u64().unwrap();

        assert_eq!(u64::from(pad_len(random)), length, "random byte {random:#04x}");
        lengths_seen[usize::from(pad_len(random))] = true;
        let padded = pad(&input, random);
        assert_eq!(
            hex::encode(&padded),
            hex::encode(&expected),
            "random byte {random:#04x}"
        );
        assert_eq!(unpad(&padded), Ok(input.as_slice()), "random byte {random:#04x}");
    }
    assert!(
        lengths_seen[1..].iter().all(|&seen| seen),
        "not every pad length was covered"
    );
}

/// Each message case's `padded_example`: the encoded `Message` padded with the recorded random byte.
#[test]
fn padded_message_examples() {
    let vectors = vectors();
    let cases = vectors["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 10);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let message = bytes(&case["proto_hex"]);
        let example = &case["padded_example"];
        let random = byte(&example["random_byte"]);
        let expected = bytes(&example["padded_hex"]);

        assert_eq!(
            u64::from(pad_len(random)),
            example["pad_length"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(
            hex::encode(pad(&message, random)),
            hex::encode(&expected),
            "{name}"
        );
        assert_eq!(unpad(&expected), Ok(message.as_slice()), "{name}");
    }
}

/// Inputs Baileys' `unpadRandomMax16` accepts and `unpad` refuses on purpose (see
/// `wasndr_core::message` padding docs): with the error reason expected instead of Baileys' output.
const STRICTER_THAN_BAILEYS: [(&str, &str); 2] = [
    ("pad_bytes_not_checked", "pad bytes differ from the pad length"),
    ("pad_zero_not_rejected", "pad length is zero"),
];

#[test]
fn unpad_cases() {
    let vectors = vectors();
    let cases = vectors["unpad"].as_array().unwrap();
    assert_eq!(cases.len(), 8);
    let mut stricter_seen = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let input = bytes(&case["input_hex"]);
        let result = unpad(&input);

        if let Some((_, reason)) = STRICTER_THAN_BAILEYS.iter().find(|(n, _)| *n == name) {
            // Baileys returned bytes here; we refuse.
            assert!(
                case["error"].is_null(),
                "{name}: Baileys was expected to accept this"
            );
            assert_eq!(result, Err(Error::InvalidMessagePadding(reason)), "{name}");
            stricter_seen += 1;
        } else if case["error"].is_null() {
            let expected = bytes(&case["output_hex"]);
            assert_eq!(result, Ok(expected.as_slice()), "{name}");
        } else {
            assert!(
                matches!(result, Err(Error::InvalidMessagePadding(_))),
                "{name}: Baileys rejected this ({}), got {result:?}",
                case["error"]
            );
        }
    }
    assert_eq!(stricter_seen, STRICTER_THAN_BAILEYS.len());
}
