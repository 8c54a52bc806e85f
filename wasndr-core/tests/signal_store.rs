//! The store traits behind `Arc<dyn SignalStore>`, prekey id allocation and signed-prekey rotation over
//! the in-memory store, and the versioned record formats.

#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is a failed test

mod common;

use std::sync::Arc;

use common::peer::Peer;
use pollster::block_on;
use rand::SeedableRng;
use rand::rngs::StdRng;
use wasndr_core::Error;
use wasndr_core::signal::group::SenderKeyRecord;
use wasndr_core::signal::session::SessionRecord;
use wasndr_core::signal::{IdentityKeyPair, MAX_PREKEY_ID, ProtocolAddress, SenderKeyName, cipher};
use wasndr_core::store::{
    MemoryStore, PreKeyStore, SenderKeyStore, SessionStore, SignalStore, SignedPreKeyStore, StoreError,
};

#[test]
fn the_whole_flow_runs_through_arc_dyn_signal_store() {
    let mut rng = StdRng::seed_from_u64(9);
    let alice: Arc<dyn SignalStore> = Arc::new(MemoryStore::new(IdentityKeyPair::generate(&mut rng), 11));
    let bob_peer = Peer::new("bob", 10);
    let bob: Arc<dyn SignalStore> = Arc::new(bob_peer.store);
    let bob_address = ProtocolAddress::new("bob", 0);
    let alice_address = ProtocolAddress::new("alice", 0);
    let bundle = {
        let spk = block_on(bob.load_signed_prekey(1)).unwrap().unwrap();
        let opk = block_on(bob.load_prekey(1)).unwrap().unwrap();
        wasndr_core::signal::PreKeyBundle {
            registration_id: bob_peer.registration_id,
            identity_key: *bob_peer.identity.public(),
            signed_prekey_id: 1,
            signed_prekey: spk.key_pair.public,
            signed_prekey_signature: spk.signature.to_vec(),
            prekey: Some((1, opk.key_pair.public)),
        }
    };
    block_on(cipher::process_prekey_bundle(
        &*alice,
        &bob_address,
        &bundle,
        &mut rng,
    ))
    .unwrap();
    let hello = block_on(cipher::encrypt(&*alice, &bob_address, b"hello")).unwrap();
    let plaintext = block_on(cipher::decrypt(
        &*bob,
        &alice_address,
        hello.enc_type(),
        hello.serialized(),
        &mut rng,
    ))
    .unwrap();
    assert_eq!(plaintext, b"hello");
    assert_eq!(block_on(bob.prekey_count()).unwrap(), 4, "used prekey deleted");

    let group = SenderKeyName::new("g@g.us", alice_address.clone());
    let skdm = block_on(cipher::create_sender_key_distribution(&*alice, &group, &mut rng)).unwrap();
    block_on(cipher::process_sender_key_distribution(&*bob, &group, &skdm)).unwrap();
    let message = block_on(cipher::group_encrypt(&*alice, &group, b"to all", &mut rng)).unwrap();
    assert_eq!(
        block_on(cipher::group_decrypt(&*bob, &group, message.serialized())).unwrap(),
        b"to all"
    );

    block_on(bob.delete_all_sessions("alice")).unwrap();
    assert!(block_on(bob.load_session(&alice_address)).unwrap().is_none());
    block_on(bob.delete_sender_key(&group)).unwrap();
    assert!(block_on(bob.load_sender_key(&group)).unwrap().is_none());
}

#[test]
fn prekey_ids_continue_across_batches_and_wrap() {
    let mut rng = StdRng::seed_from_u64(1);
    let store = MemoryStore::new(IdentityKeyPair::generate(&mut rng), 1);
    assert_eq!(block_on(store.next_prekey_id()).unwrap(), 1);
    let first = block_on(cipher::generate_and_store_prekeys(&store, 3, &mut rng)).unwrap();
    let second = block_on(cipher::generate_and_store_prekeys(&store, 2, &mut rng)).unwrap();
    let ids: Vec<u32> = first.iter().chain(&second).map(|k| k.id).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5]);
    assert_eq!(block_on(store.prekey_count()).unwrap(), 5);

    let near_end = wasndr_core::signal::generate_prekeys(MAX_PREKEY_ID, 1, &mut rng)
        .unwrap()
        .0;
    block_on(store.store_prekeys(&near_end)).unwrap();
    let wrapped = block_on(cipher::generate_and_store_prekeys(&store, 1, &mut rng)).unwrap();
    assert_eq!(wrapped[0].id, 1, "after 0xffffff comes 1, never 0");
}

#[test]
fn signed_prekeys_rotate_and_old_ones_expire() {
    let mut rng = StdRng::seed_from_u64(2);
    let store = MemoryStore::new(IdentityKeyPair::generate(&mut rng), 1);
    let week = 7 * 24 * 3600;
    let day = 24 * 3600;
    let first = block_on(cipher::rotate_signed_prekey(&store, 1_000, week, day, &mut rng)).unwrap();
    assert_eq!(first.id, 1);
    let same = block_on(cipher::rotate_signed_prekey(
        &store,
        1_000 + week - 1,
        week,
        day,
        &mut rng,
    ))
    .unwrap();
    assert_eq!(same.id, 1, "not due yet");
    let second = block_on(cipher::rotate_signed_prekey(
        &store,
        1_000 + week,
        week,
        day,
        &mut rng,
    ))
    .unwrap();
    assert_eq!(second.id, 2);
    assert!(
        block_on(store.load_signed_prekey(1)).unwrap().is_some(),
        "kept for in-flight messages"
    );
    block_on(cipher::rotate_signed_prekey(
        &store,
        1_000 + week + day,
        week,
        day,
        &mut rng,
    ))
    .unwrap();
    assert!(
        block_on(store.load_signed_prekey(1)).unwrap().is_none(),
        "expired after `keep`"
    );
    assert!(block_on(store.load_signed_prekey(2)).unwrap().is_some());
}

#[test]
fn records_survive_serialisation_mid_conversation() {
    let mut alice = Peer::new("alice", 1);
    let mut bob = Peer::new("bob", 2);
    alice.start_session(&bob, Some(1));
    let a1 = alice.encrypt(&bob, b"a1");
    let a2 = alice.encrypt(&bob, b"a2");
    let a3 = alice.encrypt(&bob, b"a3");
    assert_eq!(bob.decrypt(&alice, &a3).unwrap(), b"a3"); // skipped keys for a1, a2 stored

    // Round-trip both records through bytes (what a database backend does) and carry on.
    for (peer, other) in [(&alice, &bob), (&bob, &alice)] {
        let record = block_on(peer.store.load_session(&other.address))
            .unwrap()
            .unwrap();
        let bytes = record.to_bytes();
        let back = SessionRecord::from_bytes(&bytes).unwrap();
        assert_eq!(back.to_bytes(), bytes);
        block_on(peer.store.store_session(&other.address, &back)).unwrap();
    }
    assert_eq!(bob.decrypt(&alice, &a1).unwrap(), b"a1");
    let b1 = bob.encrypt(&alice, b"b1");
    assert_eq!(alice.decrypt(&bob, &b1).unwrap(), b"b1");
    assert_eq!(bob.decrypt(&alice, &a2).unwrap(), b"a2");

    let name = SenderKeyName::new("g@g.us", alice.address.clone());
    block_on(cipher::create_sender_key_distribution(
        &alice.store,
        &name,
        &mut alice.rng,
    ))
    .unwrap();
    let record = block_on(alice.store.load_sender_key(&name)).unwrap().unwrap();
    let back = SenderKeyRecord::from_bytes(&record.to_bytes()).unwrap();
    assert_eq!(back.to_bytes(), record.to_bytes());
    assert!(back.newest().unwrap().is_own());
}

#[test]
fn unknown_record_versions_and_garbage_are_corruption() {
    let mut alice = Peer::new("alice", 1);
    let bob = Peer::new("bob", 2);
    alice.start_session(&bob, None);
    let bytes = block_on(alice.store.load_session(&bob.address))
        .unwrap()
        .unwrap()
        .to_bytes();
    // Field 1 (version) is the first byte pair: 08 01. Version 2 is from the future.
    assert_eq!(&bytes[..2], &[0x08, 0x01]);
    let mut future = bytes.clone();
    future[1] = 0x02;
    assert!(matches!(
        SessionRecord::from_bytes(&future),
        Err(Error::Store(StoreError::Corrupt { .. }))
    ));
    for len in 0..bytes.len() {
        // Never a panic; truncations that still parse are fine, the rest are corruption errors.
        if let Err(error) = SessionRecord::from_bytes(&bytes[..len]) {
            assert!(
                matches!(error, Error::Store(StoreError::Corrupt { .. })),
                "{error}"
            );
        }
    }
    assert!(SenderKeyRecord::from_bytes(&[0xff; 7]).is_err());
}
