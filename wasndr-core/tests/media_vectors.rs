//! Every case of `testdata/vectors/media-crypto.json` (Baileys 7 `encryptedStream`/`getMediaKeys`):
//! key expansion, encryption byte for byte, hashes, and decryption back, one-shot and chunked.

// Helpers outside #[test] functions: a panic here is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use common::{hex_of, vectors};
use serde_json::Value;
use wasndr_core::crypto::sha256_parts;
use wasndr_core::media::{self, MediaDecryptor, MediaEncryptor, MediaKeys, MediaType};

/// The vectors' `detBytes(label, n)`: the first n bytes of SHA-256(label ‖ u32be(0)) ‖
/// SHA-256(label ‖ u32be(1)) ‖ …
fn det_bytes(label: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut counter = 0u32;
    while out.len() < len {
        out.extend_from_slice(&sha256_parts(&[label.as_bytes(), &counter.to_be_bytes()]));
        counter += 1;
    }
    out.truncate(len);
    out
}

fn plaintext_of(case: &Value) -> Vec<u8> {
    match case.get("plaintext_det_bytes_label") {
        Some(label) => det_bytes(
            label.as_str().unwrap(),
            case["plaintext_len"].as_u64().unwrap() as usize,
        ),
        None => hex_of(case, "plaintext"),
    }
}

#[test]
fn every_case() {
    let vectors = vectors("media-crypto.json");
    let mapping = vectors["media_hkdf_key_mapping"].as_object().unwrap();
    let cases = vectors["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 77);
    let mut large = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let media_type = MediaType::from_name(case["media_type"].as_str().unwrap())
            .unwrap_or_else(|| panic!("{name}: unknown media type"));
        // The label table of the vectors is the one MediaType implements.
        let label = mapping[media_type.name()].as_str().unwrap();
        assert_eq!(media_type.hkdf_info(), format!("WhatsApp {label} Keys"), "{name}");
        assert_eq!(
            media_type.hkdf_info(),
            case["hkdf_info"].as_str().unwrap(),
            "{name}"
        );

        let media_key = hex_of(case, "media_key");
        let keys = MediaKeys::expand(&media_key, media_type);
        let expanded = hex_of(case, "expanded_media_key");
        assert_eq!(keys.iv[..], expanded[..16], "{name}");
        assert_eq!(keys.iv.to_vec(), hex_of(case, "iv"), "{name}");
        assert_eq!(keys.cipher_key.to_vec(), hex_of(case, "cipher_key"), "{name}");
        assert_eq!(keys.mac_key.to_vec(), hex_of(case, "mac_key"), "{name}");
        assert_eq!(keys.ref_key.to_vec(), hex_of(case, "ref_key"), "{name}");

        let plaintext = plaintext_of(case);
        assert_eq!(plaintext.len() as u64, case["plaintext_len"].as_u64().unwrap());
        let encrypted = media::encrypt(&media_key, media_type, &plaintext);
        let body = &encrypted.body;
        match case.get("enc") {
            Some(_) => assert_eq!(*body, hex_of(case, "enc"), "{name}"),
            None => {
                large += 1;
                assert_eq!(body.len() as u64, case["enc_len"].as_u64().unwrap(), "{name}");
                assert_eq!(body[..64].to_vec(), hex_of(case, "enc_first_64"), "{name}");
                assert_eq!(
                    body[body.len() - 64..].to_vec(),
                    hex_of(case, "enc_last_64"),
                    "{name}"
                );
                assert_eq!(
                    wasndr_core::crypto::sha256(body).to_vec(),
                    hex_of(case, "enc_sha256"),
                    "{name}"
                );
                assert_eq!(
                    wasndr_core::crypto::sha256(&plaintext).to_vec(),
                    hex_of(case, "plaintext_sha256"),
                    "{name}"
                );
            }
        }
        assert_eq!(body[body.len() - 10..].to_vec(), hex_of(case, "mac"), "{name}");
        let hashes = encrypted.hashes;
        assert_eq!(hashes.file_sha256.to_vec(), hex_of(case, "file_sha256"), "{name}");
        assert_eq!(
            hashes.file_enc_sha256.to_vec(),
            hex_of(case, "file_enc_sha256"),
            "{name}"
        );
        assert_eq!(
            hashes.file_length,
            case["file_length"].as_u64().unwrap(),
            "{name}"
        );

        let decrypted = media::decrypt(
            &media_key,
            media_type,
            body,
            &hashes.file_enc_sha256,
            &hashes.file_sha256,
        )
        .unwrap();
        assert_eq!(decrypted, plaintext, "{name}");

        // Streaming both ways, in awkward chunk sizes.
        let mut encryptor = MediaEncryptor::new(&media_key, media_type);
        let mut streamed = Vec::new();
        for piece in plaintext.chunks(4093) {
            encryptor.update(piece, &mut streamed);
        }
        assert_eq!(encryptor.finish(&mut streamed), hashes, "{name}");
        assert_eq!(streamed, *body, "{name}");
        let mut decryptor = MediaDecryptor::new(
            &media_key,
            media_type,
            &hashes.file_enc_sha256,
            &hashes.file_sha256,
        );
        let mut out = Vec::new();
        for piece in body.chunks(1021) {
            decryptor.update(piece, &mut out);
        }
        decryptor.finish(&mut out).unwrap();
        assert_eq!(out, plaintext, "{name}");
    }
    assert_eq!(large, 1);
}
