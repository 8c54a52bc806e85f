//! Runs N Signal operations on an established session, for counting instructions per operation with
//! callgrind (a timing-free figure, comparable across machines):
//!
//! ```text
//! cargo build --release -p wasndr-core --example signal_ops
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/signal_ops encrypt 0
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/signal_ops encrypt 1000
//! ```
//!
//! Instructions per operation = (Ir at N − Ir at the baseline) / N. The baseline of `encrypt` and
//! `group-encrypt` is the same mode with N = 0; the baseline of `decrypt` and `group-decrypt` is
//! `decrypt-setup` / `group-decrypt-setup` with the same N, which produces the same messages without
//! decrypting them. Modes: encrypt, decrypt, decrypt-setup, encrypt-in-place, decrypt-in-place,
//! group-encrypt, group-decrypt, group-decrypt-setup (the `-in-place` modes advance one record instead
//! of returning a copy each time; their baselines are `encrypt 0` and `decrypt-setup`). Plaintexts are 100 bytes.

#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::hint::black_box;

use rand::SeedableRng;
use rand::rngs::StdRng;
use wasndr_core::crypto::KeyPair;
use wasndr_core::signal::group;
use wasndr_core::signal::session::{self, CiphertextMessage, LocalIdentity, PreKeys, SessionRecord};
use wasndr_core::signal::wire::{SenderKeyDistributionMessage, SenderKeyMessage, SignalMessage};
use wasndr_core::signal::{IdentityKeyPair, PreKeyBundle, PreKeyRecord, SignedPreKeyRecord};

const PLAINTEXT: [u8; 100] = [0x42; 100];

fn established(rng: &mut StdRng) -> (SessionRecord, SessionRecord) {
    let alice = IdentityKeyPair::generate(rng);
    let bob = IdentityKeyPair::generate(rng);
    let spk = SignedPreKeyRecord::generate(&bob, 1, 0, rng).unwrap();
    let opk = PreKeyRecord {
        id: 1,
        key_pair: KeyPair::generate(rng),
    };
    let bundle = PreKeyBundle {
        registration_id: 2,
        identity_key: *bob.public(),
        signed_prekey_id: 1,
        signed_prekey: spk.key_pair.public,
        signed_prekey_signature: spk.signature.to_vec(),
        prekey: Some((1, opk.key_pair.public)),
    };
    let alice_local = LocalIdentity {
        identity: &alice,
        registration_id: 1,
    };
    let bob_local = LocalIdentity {
        identity: &bob,
        registration_id: 2,
    };
    let record = session::initiate(None, alice_local, &bundle, rng).unwrap();
    let a1 = session::encrypt(&record, b"a1").unwrap();
    let CiphertextMessage::PreKey(a1_message) = &a1.message else {
        unreachable!()
    };
    let prekeys = PreKeys {
        signed: Some(&spk),
        one_time: Some(&opk),
    };
    let bob_record = session::decrypt_prekey_message(None, bob_local, a1_message, prekeys, rng)
        .unwrap()
        .record;
    let b1 = session::encrypt(&bob_record, b"b1").unwrap();
    let CiphertextMessage::Signal(b1_message) = &b1.message else {
        unreachable!()
    };
    let alice_record = session::decrypt_message(&a1.record, b1_message, rng)
        .unwrap()
        .record;
    (alice_record, b1.record)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(n)) = (args.get(1), args.get(2).and_then(|n| n.parse::<usize>().ok())) else {
        eprintln!("usage: signal_ops <mode> <n>");
        std::process::exit(2);
    };
    let mut rng = StdRng::seed_from_u64(7);
    match mode.as_str() {
        "encrypt" | "decrypt" | "decrypt-setup" | "encrypt-in-place" | "decrypt-in-place" => {
            let (mut alice, mut bob) = established(&mut rng);
            if mode == "encrypt-in-place" {
                for _ in 0..n {
                    black_box(session::encrypt_in_place(&mut alice, black_box(&PLAINTEXT)).unwrap());
                }
                return;
            }
            if mode == "encrypt" {
                for _ in 0..n {
                    let out = session::encrypt(&alice, black_box(&PLAINTEXT)).unwrap();
                    alice = out.record;
                    black_box(out.message);
                }
                return;
            }
            let messages: Vec<Vec<u8>> = (0..n)
                .map(|_| {
                    let out = session::encrypt(&alice, &PLAINTEXT).unwrap();
                    alice = out.record;
                    out.message.into_serialized()
                })
                .collect();
            if mode == "decrypt" {
                for bytes in &messages {
                    let message = SignalMessage::parse(black_box(bytes)).unwrap();
                    let out = session::decrypt_message(&bob, &message, &mut rng).unwrap();
                    bob = out.record;
                    black_box(out.plaintext);
                }
            }
            if mode == "decrypt-in-place" {
                for bytes in &messages {
                    let message = SignalMessage::parse(black_box(bytes)).unwrap();
                    let out = session::decrypt_message_in_place(&mut bob, &message, &mut rng).unwrap();
                    black_box(out.plaintext);
                }
            }
            black_box(messages);
        }
        "group-encrypt" | "group-decrypt" | "group-decrypt-setup" => {
            let own = group::create_distribution_message(None, &mut rng).unwrap();
            let skdm = SenderKeyDistributionMessage::parse(own.message.serialized()).unwrap();
            let mut receiver = group::process_distribution_message(None, &skdm);
            let mut sender = own.record;
            if mode == "group-encrypt" {
                for _ in 0..n {
                    let out = group::encrypt(&sender, black_box(&PLAINTEXT), &mut rng).unwrap();
                    sender = out.record;
                    black_box(out.message);
                }
                return;
            }
            let messages: Vec<Vec<u8>> = (0..n)
                .map(|_| {
                    let out = group::encrypt(&sender, &PLAINTEXT, &mut rng).unwrap();
                    sender = out.record;
                    out.message.into_serialized()
                })
                .collect();
            if mode == "group-decrypt" {
                for bytes in &messages {
                    let message = SenderKeyMessage::parse(black_box(bytes)).unwrap();
                    let out = group::decrypt(&receiver, &message).unwrap();
                    receiver = out.record;
                    black_box(out.plaintext);
                }
            }
            black_box(messages);
        }
        _ => {
            eprintln!("unknown mode {mode}");
            std::process::exit(2);
        }
    }
}
