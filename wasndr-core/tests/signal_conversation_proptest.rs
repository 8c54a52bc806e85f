//! Random two-party conversations with random delivery order, duplicates and drops. Every first
//! delivery decrypts to what was sent unless its chain is older than the five receiving chains a session
//! keeps; every second delivery is a duplicate; no rejected message changes the receiver's record.

#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is a failed test

mod common;

use common::peer::Peer;
use proptest::prelude::*;
use wasndr_core::Error;
use wasndr_core::crypto::PublicKey;
use wasndr_core::signal::session::MAX_RECEIVING_CHAINS;
use wasndr_core::signal::wire::{PreKeySignalMessage, SignalMessage};

#[derive(Clone, Debug)]
enum Op {
    /// Alice (true) or Bob (false) sends a message.
    Send(bool),
    /// One in-flight message (chosen by the selector) arrives.
    Deliver(usize),
    /// One delivered message arrives again.
    Duplicate(usize),
    /// One in-flight message is lost.
    Drop(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => any::<bool>().prop_map(Op::Send),
        4 => any::<usize>().prop_map(Op::Deliver),
        1 => any::<usize>().prop_map(Op::Duplicate),
        1 => any::<usize>().prop_map(Op::Drop),
    ]
}

struct Sent {
    from_alice: bool,
    message: (String, Vec<u8>),
    plaintext: Vec<u8>,
    ratchet_key: PublicKey,
}

fn ratchet_key(message: &(String, Vec<u8>)) -> PublicKey {
    if message.0 == "pkmsg" {
        PreKeySignalMessage::parse(&message.1)
            .unwrap()
            .message
            .ratchet_key
    } else {
        SignalMessage::parse(&message.1).unwrap().ratchet_key
    }
}

/// Whether a receiver that has seen the peer's ratchet keys `seen` (in order) can still decrypt a
/// message on `key`: an unseen key is the peer's next chain; a seen one must be among the newest five.
fn decryptable(seen: &[PublicKey], key: &PublicKey) -> bool {
    !seen.contains(key) || seen.iter().rev().take(MAX_RECEIVING_CHAINS).any(|k| k == key)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn random_conversations(seed in any::<u64>(), ops in proptest::collection::vec(op(), 1..80)) {
        let mut alice = Peer::new("alice", seed);
        let mut bob = Peer::new("bob", seed ^ 0x5555);
        alice.start_session(&bob, Some(1));
        let mut bob_has_session = false;
        let mut in_flight: Vec<Sent> = Vec::new();
        let mut delivered: Vec<Sent> = Vec::new();
        // Ratchet keys each side has decrypted from, in order of first success.
        let mut seen_by_alice: Vec<PublicKey> = Vec::new();
        let mut seen_by_bob: Vec<PublicKey> = Vec::new();
        let mut counter = 0u32;

        for op in ops {
            match op {
                Op::Send(from_alice) => {
                    if !from_alice && !bob_has_session {
                        continue; // Bob cannot write before Alice's first message reached him
                    }
                    counter += 1;
                    let plaintext = format!("{} #{counter}", if from_alice { "alice" } else { "bob" }).into_bytes();
                    let message = if from_alice {
                        alice.encrypt(&bob, &plaintext)
                    } else {
                        bob.encrypt(&alice, &plaintext)
                    };
                    let ratchet_key = ratchet_key(&message);
                    in_flight.push(Sent { from_alice, message, plaintext, ratchet_key });
                }
                Op::Deliver(selector) if !in_flight.is_empty() => {
                    let sent = in_flight.remove(selector % in_flight.len());
                    let (receiver, sender, seen) = if sent.from_alice {
                        (&mut bob, &alice, &mut seen_by_bob)
                    } else {
                        (&mut alice, &bob, &mut seen_by_alice)
                    };
                    let before = receiver.session_bytes(sender);
                    let expected = decryptable(seen, &sent.ratchet_key);
                    match receiver.decrypt(sender, &sent.message) {
                        Ok(plaintext) => {
                            prop_assert!(expected, "decrypted a message from a dropped chain");
                            prop_assert_eq!(&plaintext, &sent.plaintext);
                            if !seen.contains(&sent.ratchet_key) {
                                seen.push(sent.ratchet_key);
                            }
                            if sent.from_alice {
                                bob_has_session = true;
                            }
                        }
                        Err(error) => {
                            prop_assert!(!expected, "first delivery failed: {}", error);
                            prop_assert_eq!(error, Error::BadMac);
                            prop_assert_eq!(receiver.session_bytes(sender), before);
                        }
                    }
                    delivered.push(sent);
                }
                Op::Duplicate(selector) if !delivered.is_empty() => {
                    let sent = &delivered[selector % delivered.len()];
                    let (receiver, sender) = if sent.from_alice { (&mut bob, &alice) } else { (&mut alice, &bob) };
                    let before = receiver.session_bytes(sender);
                    let error = receiver.decrypt(sender, &sent.message).unwrap_err();
                    prop_assert!(
                        matches!(error, Error::DuplicateMessage { .. } | Error::BadMac),
                        "duplicate gave {:?}", error
                    );
                    prop_assert_eq!(receiver.session_bytes(sender), before);
                }
                Op::Drop(selector) if !in_flight.is_empty() => {
                    in_flight.remove(selector % in_flight.len());
                }
                _ => {}
            }
        }
    }
}
