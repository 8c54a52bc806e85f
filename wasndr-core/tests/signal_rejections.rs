//! Malformed, forged, replayed and out-of-policy input: each is a clear error, and the stored state is
//! byte-for-byte what it was (serialised records compared before and after), so the next genuine
//! message still decrypts.

#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is a failed test

mod common;

use common::peer::Peer;
use pollster::block_on;
use rand::RngExt;
use wasndr_core::Error;
use wasndr_core::signal::{ProtocolAddress, SenderKeyName, cipher};
use wasndr_core::store::{IdentityKeyStore, PreKeyStore, SenderKeyStore};

/// Alice and Bob with an established session: a1 (pkmsg) to Bob, b1 back to Alice.
fn established() -> (Peer, Peer) {
    let mut alice = Peer::new("alice", 1);
    let mut bob = Peer::new("bob", 2);
    alice.start_session(&bob, Some(1));
    let a1 = alice.encrypt(&bob, b"a1");
    assert_eq!(a1.0, "pkmsg");
    assert_eq!(bob.decrypt(&alice, &a1).unwrap(), b"a1");
    let b1 = bob.encrypt(&alice, b"b1");
    assert_eq!(b1.0, "msg");
    assert_eq!(alice.decrypt(&bob, &b1).unwrap(), b"b1");
    (alice, bob)
}

/// Feeds `bad` to `receiver`, expects `check` to accept the error, and the record to be unchanged.
fn rejected(receiver: &mut Peer, sender: &Peer, bad: (String, Vec<u8>), check: impl Fn(&Error) -> bool) {
    let before = receiver.session_bytes(sender);
    let error = receiver.decrypt(sender, &bad).unwrap_err();
    assert!(check(&error), "unexpected error {error:?}");
    assert_eq!(
        receiver.session_bytes(sender),
        before,
        "state changed by a rejected message ({error})"
    );
}

#[test]
fn bad_mac_is_rejected_and_the_genuine_message_still_decrypts() {
    let (mut alice, mut bob) = established();
    let b2 = bob.encrypt(&alice, b"b2");
    for index in [b2.1.len() - 1, b2.1.len() - 8, b2.1.len() - 12, 40] {
        let mut bad = b2.clone();
        bad.1[index] ^= 0x01;
        rejected(&mut alice, &bob, bad, |e| {
            matches!(e, Error::BadMac | Error::InvalidSignalMessage(_))
        });
    }
    // A whole new chain (flipped ratchet key) fails the MAC too, and draws no key.
    let mut bad = b2.clone();
    bad.1[5] ^= 0x01;
    rejected(&mut alice, &bob, bad, |e| {
        matches!(e, Error::BadMac | Error::InvalidSignalMessage(_))
    });
    assert_eq!(alice.decrypt(&bob, &b2).unwrap(), b"b2");
}

#[test]
fn every_truncation_is_rejected() {
    let (mut alice, mut bob) = established();
    let b2 = bob.encrypt(&alice, b"b2");
    for len in 0..b2.1.len() {
        rejected(&mut alice, &bob, (b2.0.clone(), b2.1[..len].to_vec()), |_| true);
    }
    assert_eq!(alice.decrypt(&bob, &b2).unwrap(), b"b2");

    // Truncated prekey messages, to a peer with no session yet.
    let mut carol = Peer::new("carol", 3);
    carol.start_session(&bob, Some(2));
    let c1 = carol.encrypt(&bob, b"c1");
    for len in 0..c1.1.len() {
        rejected(&mut bob, &carol, (c1.0.clone(), c1.1[..len].to_vec()), |_| true);
    }
    assert!(
        block_on(bob.store.load_prekey(2)).unwrap().is_some(),
        "prekey kept"
    );
    assert_eq!(bob.decrypt(&carol, &c1).unwrap(), b"c1");
    assert!(
        block_on(bob.store.load_prekey(2)).unwrap().is_none(),
        "prekey used up"
    );
}

#[test]
fn wrong_version_is_rejected() {
    let (mut alice, mut bob) = established();
    let b2 = bob.encrypt(&alice, b"b2");
    for version in [0x00, 0x22, 0x23, 0x32, 0x34, 0x43, 0x44, 0xff] {
        let mut bad = b2.clone();
        bad.1[0] = version;
        rejected(&mut alice, &bob, bad, |e| *e == Error::InvalidVersion(version));
    }
    let mut carol = Peer::new("carol", 3);
    carol.start_session(&bob, None);
    let mut c1 = carol.encrypt(&bob, b"c1");
    c1.1[0] = 0x23;
    rejected(&mut bob, &carol, c1, |e| *e == Error::InvalidVersion(0x23));
}

#[test]
fn garbage_is_rejected() {
    let (mut alice, bob) = established();
    let mut rng = rand::rng();
    for enc_type in ["msg", "pkmsg"] {
        for len in [0usize, 1, 9, 40, 100, 300] {
            for _ in 0..20 {
                let mut bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
                if rng.random() && !bytes.is_empty() {
                    bytes[0] = 0x33;
                }
                rejected(&mut alice, &bob, (enc_type.to_owned(), bytes), |e| {
                    !matches!(e, Error::Store(_))
                });
            }
        }
    }
}

#[test]
fn unknown_prekey_ids_are_rejected_without_a_trace() {
    let (alice, mut bob) = established();
    let mut carol = Peer::new("carol", 3);
    // Carol uses a bundle naming one-time prekey 4, which Bob then loses (used by someone else).
    carol.start_session(&bob, Some(4));
    block_on(bob.store.remove_prekey(4)).unwrap();
    let c1 = carol.encrypt(&bob, b"c1");
    rejected(&mut bob, &carol, c1, |e| *e == Error::UnknownPreKey(4));
    assert_eq!(block_on(bob.store.remote_identity(&carol.address)).unwrap(), None);

    // A signed prekey Bob never had.
    let mut dave = Peer::new("dave", 4);
    let mut bundle = bob.bundle(None);
    bundle.signed_prekey_id = 77;
    block_on(cipher::process_prekey_bundle(
        &dave.store,
        &bob.address,
        &bundle,
        &mut dave.rng,
    ))
    .unwrap();
    let d1 = dave.encrypt(&bob, b"d1");
    rejected(&mut bob, &dave, d1, |e| *e == Error::UnknownSignedPreKey(77));
    let _ = alice;
}

#[test]
fn replays_are_duplicates_and_change_nothing() {
    let (mut alice, mut bob) = established();
    let b2 = bob.encrypt(&alice, b"b2");
    let b3 = bob.encrypt(&alice, b"b3");
    assert_eq!(alice.decrypt(&bob, &b3).unwrap(), b"b3");
    rejected(&mut alice, &bob, b3.clone(), |e| {
        *e == Error::DuplicateMessage { counter: 2 }
    });
    assert_eq!(
        alice.decrypt(&bob, &b2).unwrap(),
        b"b2",
        "skipped key survives the replay"
    );
    rejected(&mut alice, &bob, b2, |e| {
        *e == Error::DuplicateMessage { counter: 1 }
    });

    // The first prekey message again, after its one-time prekey was deleted: the existing session
    // recognises its base key and calls it a duplicate.
    let mut carol = Peer::new("carol", 3);
    carol.start_session(&bob, Some(3));
    let c1 = carol.encrypt(&bob, b"c1");
    assert_eq!(bob.decrypt(&carol, &c1).unwrap(), b"c1");
    rejected(&mut bob, &carol, c1, |e| {
        *e == Error::DuplicateMessage { counter: 0 }
    });
}

#[test]
fn a_changed_identity_is_a_typed_error_the_caller_can_resolve() {
    let (mut alice, bob) = established();
    // Bob reinstalls: same address, new identity, and starts a new session with Alice.
    let mut new_bob = Peer::new("bob", 99);
    new_bob.start_session(&alice, Some(5));
    let hello = new_bob.encrypt(&alice, b"new bob");
    let before = alice.session_bytes(&bob);
    let error = alice.decrypt(&new_bob, &hello).unwrap_err();
    assert_eq!(
        error,
        Error::UntrustedIdentity {
            address: bob.address.clone(),
            identity: *new_bob.identity.public(),
        }
    );
    assert_eq!(alice.session_bytes(&bob), before);
    assert!(
        block_on(alice.store.load_prekey(5)).unwrap().is_some(),
        "prekey not consumed"
    );
    // Alice's app accepts the new key; the same message now decrypts.
    block_on(
        alice
            .store
            .save_remote_identity(&bob.address, new_bob.identity.public()),
    )
    .unwrap();
    assert_eq!(alice.decrypt(&new_bob, &hello).unwrap(), b"new bob");
    // Starting a session from a bundle with yet another identity is refused the same way.
    let other = Peer::new("bob", 100);
    let error = block_on(cipher::process_prekey_bundle(
        &alice.store,
        &bob.address,
        &other.bundle(None),
        &mut alice.rng,
    ))
    .unwrap_err();
    assert!(matches!(error, Error::UntrustedIdentity { .. }));
}

#[test]
fn a_forged_signed_prekey_is_refused() {
    let mut alice = Peer::new("alice", 1);
    let bob = Peer::new("bob", 2);
    let mut bundle = bob.bundle(Some(1));
    bundle.signed_prekey_signature[0] ^= 0x80;
    let error = block_on(cipher::process_prekey_bundle(
        &alice.store,
        &bob.address,
        &bundle,
        &mut alice.rng,
    ))
    .unwrap_err();
    assert!(matches!(error, Error::InvalidSignature(_)));
    assert!(alice.session_bytes(&bob).is_empty());
}

#[test]
fn messages_further_than_2000_ahead_are_refused() {
    let mut alice = Peer::new("alice", 1);
    let mut bob = Peer::new("bob", 2);
    alice.start_session(&bob, None);
    let messages: Vec<_> = (0..2002)
        .map(|i| alice.encrypt(&bob, &u32::to_be_bytes(i)))
        .collect();
    rejected(&mut bob, &alice, messages[2001].clone(), |e| {
        *e == Error::TooFarInFuture {
            counter: 2001,
            chain_index: 0,
        }
    });
    // Exactly 2000 ahead is allowed, and every skipped key is kept.
    assert_eq!(
        bob.decrypt(&alice, &messages[2000]).unwrap(),
        2000u32.to_be_bytes()
    );
    assert_eq!(bob.decrypt(&alice, &messages[0]).unwrap(), 0u32.to_be_bytes());
    assert_eq!(
        bob.decrypt(&alice, &messages[1999]).unwrap(),
        1999u32.to_be_bytes()
    );
    assert_eq!(
        bob.decrypt(&alice, &messages[2001]).unwrap(),
        2001u32.to_be_bytes()
    );
}

#[test]
fn archived_sessions_still_decrypt_in_flight_messages() {
    let (mut alice, mut bob) = established();
    // In flight on the old session, both ways.
    let old_from_bob = bob.encrypt(&alice, b"old from bob");
    let old_from_alice = alice.encrypt(&bob, b"old from alice");
    // Alice starts over from a fresh bundle (e.g. after a retry receipt): the old session is archived.
    alice.start_session(&bob, Some(2));
    let fresh = alice.encrypt(&bob, b"fresh");
    assert_eq!(fresh.0, "pkmsg");
    assert_eq!(bob.decrypt(&alice, &fresh).unwrap(), b"fresh");
    // Both old messages still decrypt, each with the archived state.
    assert_eq!(alice.decrypt(&bob, &old_from_bob).unwrap(), b"old from bob");
    assert_eq!(bob.decrypt(&alice, &old_from_alice).unwrap(), b"old from alice");
    // And the new session is the one in use.
    let reply = bob.encrypt(&alice, b"reply");
    assert_eq!(reply.0, "msg");
    assert_eq!(alice.decrypt(&bob, &reply).unwrap(), b"reply");
    assert_eq!(alice.encrypt(&bob, b"next").0, "msg");
}

#[test]
fn simultaneous_initiation_converges() {
    let mut alice = Peer::new("alice", 1);
    let mut bob = Peer::new("bob", 2);
    alice.start_session(&bob, Some(1));
    bob.start_session(&alice, Some(1));
    let a1 = alice.encrypt(&bob, b"a1");
    let b1 = bob.encrypt(&alice, b"b1");
    assert_eq!(bob.decrypt(&alice, &a1).unwrap(), b"a1");
    assert_eq!(alice.decrypt(&bob, &b1).unwrap(), b"b1");
    for round in 0..3u8 {
        let a = alice.encrypt(&bob, &[round]);
        let b = bob.encrypt(&alice, &[round]);
        assert_eq!(bob.decrypt(&alice, &a).unwrap(), [round]);
        assert_eq!(alice.decrypt(&bob, &b).unwrap(), [round]);
    }
}

#[test]
fn group_messages_reject_garbage_forgery_unknown_keys_and_replays() {
    let mut alice = Peer::new("alice", 1);
    let bob = Peer::new("bob", 2);
    let group = "120363000000000000@g.us";
    let alice_name = SenderKeyName::new(group, alice.address.clone());
    let skdm = block_on(cipher::create_sender_key_distribution(
        &alice.store,
        &alice_name,
        &mut alice.rng,
    ))
    .unwrap();
    block_on(cipher::process_sender_key_distribution(
        &bob.store,
        &alice_name,
        &skdm,
    ))
    .unwrap();
    let m1 = block_on(cipher::group_encrypt(
        &alice.store,
        &alice_name,
        b"m1",
        &mut alice.rng,
    ))
    .unwrap();
    let m1 = m1.serialized().to_vec();
    let state = || {
        block_on(bob.store.load_sender_key(&alice_name))
            .unwrap()
            .unwrap()
            .to_bytes()
    };
    let before = state();
    let decrypt = |bytes: &[u8]| block_on(cipher::group_decrypt(&bob.store, &alice_name, bytes));

    for len in 0..m1.len() {
        assert!(decrypt(&m1[..len]).is_err(), "truncated to {len}");
    }
    for bit in [0usize, 8 * 5, 8 * 20, 8 * (m1.len() - 1)] {
        let mut bad = m1.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        assert!(decrypt(&bad).is_err(), "bit {bit}");
    }
    let mut bad = m1.clone();
    bad[0] = 0x23;
    assert_eq!(decrypt(&bad), Err(Error::InvalidVersion(0x23)));
    let mut bad = m1.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x01;
    assert!(matches!(decrypt(&bad), Err(Error::InvalidSignature(_))));
    let mut rng = rand::rng();
    for _ in 0..100 {
        let len = rng.random_range(0..200);
        let garbage: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        assert!(decrypt(&garbage).is_err());
    }
    assert_eq!(state(), before, "nothing changed");

    // A key id Bob was never given.
    let carol_name = SenderKeyName::new(group, ProtocolAddress::new("carol", 0));
    let error = block_on(cipher::group_decrypt(&bob.store, &carol_name, &m1)).unwrap_err();
    assert!(matches!(error, Error::NoSenderKey { .. }));

    assert_eq!(decrypt(&m1).unwrap(), b"m1");
    let after = state();
    assert_eq!(decrypt(&m1), Err(Error::DuplicateMessage { counter: 0 }));
    assert_eq!(state(), after);
    // A re-sent distribution message does not rewind the chain, so the replay stays rejected.
    block_on(cipher::process_sender_key_distribution(
        &bob.store,
        &alice_name,
        &skdm,
    ))
    .unwrap();
    assert_eq!(decrypt(&m1), Err(Error::DuplicateMessage { counter: 0 }));
}
