//! Signal hot paths on an established session: 1:1 encrypt and decrypt of a 100-byte message, and
//! sender-key (group) encrypt and decrypt. Compare with `benches/node/signal-libsignal.mjs`, which times
//! the same operations in libsignal-node 6.0.0 / Baileys 7.
//!
//! The 1:1 figures advance one record in place (as libsignal-node advances its session object); the
//! "copying record" variants use the pure form that returns a new record each time.
//!
//! Figures on the 2-core AMD EPYC box, 2026-11-26, this bench and `node benches/node/signal-libsignal.mjs
//! 20000` run back to back on a quiet machine (Node: median of ten rounds, two runs):
//!
//! ```text
//! operation            wasndr     libsignal-node (two runs)  ratio
//! 1:1 encrypt 100 B    1.369 µs   35.7 / 36.4 µs             26×   (copying record: 1.494 µs, 24×)
//! 1:1 decrypt 100 B    1.470 µs   46.0 / 47.5 µs             31×   (copying record: 1.692 µs, 27×)
//! group encrypt 100 B  36.8 µs    11,066 / 11,853 µs         300×
//! group decrypt 100 B  49.2 µs    11,246 / 10,658 µs         217×
//! ```
//!
//! A 1:1 message costs 23 SHA-256 compressions (chain step 6, message-key HKDF 10, MAC 7) and 7 AES
//! blocks; with SHA-NI and AES-NI those are ~75 % of the time, the rest is encoding and allocation.
//! Instructions per operation under callgrind (`examples/signal_ops.rs`; valgrind hides SHA-NI, so
//! SHA-256 runs RustCrypto's portable code there at ~3,000 instructions per block, ~70 K of the 1:1
//! figures): 1:1 encrypt 81.4 K (in place) / 82.4 K (copying), decrypt 84.5 K / 85.7 K, group
//! encrypt 495 K and decrypt 514 K (both dominated by the XEdDSA signature and its check).
//!
//! Run: `cargo bench -p wasndr-core --bench signal`

#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use rand::rngs::StdRng;
use wasndr_core::signal::group::{self, SenderKeyRecord};
use wasndr_core::signal::session::{self, CiphertextMessage, LocalIdentity, PreKeys, SessionRecord};
use wasndr_core::signal::wire::{SenderKeyDistributionMessage, SenderKeyMessage, SignalMessage};
use wasndr_core::signal::{IdentityKeyPair, PreKeyBundle, PreKeyRecord, SignedPreKeyRecord};

const PLAINTEXT: [u8; 100] = [0x42; 100];

/// Alice's and Bob's records after a1 (pkmsg) and b1: both sides past the prekey phase.
fn established(rng: &mut StdRng) -> (SessionRecord, SessionRecord) {
    let alice = IdentityKeyPair::generate(rng);
    let bob = IdentityKeyPair::generate(rng);
    let spk = SignedPreKeyRecord::generate(&bob, 1, 0, rng).unwrap();
    let opk = PreKeyRecord {
        id: 1,
        key_pair: wasndr_core::crypto::KeyPair::generate(rng),
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
    let alice_record = session::initiate(None, alice_local, &bundle, rng).unwrap();
    let a1 = session::encrypt(&alice_record, b"a1").unwrap();
    let CiphertextMessage::PreKey(a1_message) = &a1.message else {
        panic!("first message is a prekey message")
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
        panic!("reply is a whisper message")
    };
    let alice_record = session::decrypt_message(&a1.record, b1_message, rng)
        .unwrap()
        .record;
    (alice_record, b1.record)
}

fn one_to_one(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(1);
    let (alice, bob) = established(&mut rng);

    let mut sender = alice.clone();
    c.bench_function("signal/1:1 encrypt 100 B", |b| {
        b.iter(|| session::encrypt_in_place(&mut sender, black_box(&PLAINTEXT)).unwrap())
    });

    // The same through the copying form, which returns a new record and leaves the old one intact.
    let mut sender = alice.clone();
    c.bench_function("signal/1:1 encrypt 100 B (copying record)", |b| {
        b.iter(|| {
            let out = session::encrypt(&sender, black_box(&PLAINTEXT)).unwrap();
            sender = out.record;
            out.message
        })
    });

    // Messages are produced in order in the untimed setup and decrypted in the same order, so each
    // decrypt is the common case: the next message on a known chain.
    // Each decrypt bench has its own sender, so its receiver always gets the next message in order.
    let messages_from = |mut sender: SessionRecord| {
        move || match session::encrypt_in_place(&mut sender, &PLAINTEXT).unwrap() {
            CiphertextMessage::Signal(m) => m.into_serialized(),
            CiphertextMessage::PreKey(_) => unreachable!(),
        }
    };
    let mut next_message = messages_from(alice.clone());
    let mut receiver = bob.clone();
    c.bench_function("signal/1:1 decrypt 100 B", |b| {
        b.iter_batched(
            &mut next_message,
            |bytes| {
                let message = SignalMessage::parse(black_box(&bytes)).unwrap();
                session::decrypt_message_in_place(&mut receiver, &message, &mut rng)
                    .unwrap()
                    .plaintext
            },
            BatchSize::SmallInput,
        )
    });

    let mut next_message = messages_from(alice);
    let mut receiver = bob;
    let mut rng = StdRng::seed_from_u64(4);
    c.bench_function("signal/1:1 decrypt 100 B (copying record)", |b| {
        b.iter_batched(
            &mut next_message,
            |bytes| {
                let message = SignalMessage::parse(black_box(&bytes)).unwrap();
                let out = session::decrypt_message(&receiver, &message, &mut rng).unwrap();
                receiver = out.record;
                out.plaintext
            },
            BatchSize::SmallInput,
        )
    });
}

fn sender_keys(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(2);
    let own = group::create_distribution_message(None, &mut rng).unwrap();
    let skdm = SenderKeyDistributionMessage::parse(own.message.serialized()).unwrap();
    let mut receiver: SenderKeyRecord = group::process_distribution_message(None, &skdm);

    let mut sender = own.record.clone();
    c.bench_function("signal/group encrypt 100 B", |b| {
        b.iter(|| {
            let out = group::encrypt(&sender, black_box(&PLAINTEXT), &mut rng).unwrap();
            sender = out.record;
            out.message
        })
    });

    let mut sender = own.record;
    let mut setup_rng = StdRng::seed_from_u64(3);
    c.bench_function("signal/group decrypt 100 B", |b| {
        b.iter_batched(
            || {
                let out = group::encrypt(&sender, &PLAINTEXT, &mut setup_rng).unwrap();
                sender = out.record;
                out.message.into_serialized()
            },
            |bytes| {
                let message = SenderKeyMessage::parse(black_box(&bytes)).unwrap();
                let out = group::decrypt(&receiver, &message).unwrap();
                receiver = out.record;
                out.plaintext
            },
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, one_to_one, sender_keys);
criterion_main!(benches);
