//! Signal state: identities, sessions, prekeys, signed prekeys, sender keys.

use wasndr_core::crypto::{KeyPair, PublicKey};
use wasndr_core::signal::group::{self, SenderKeyRecord};
use wasndr_core::signal::session::{self, LocalIdentity, SessionRecord};
use wasndr_core::signal::{
    IdentityKeyPair, PreKeyBundle, ProtocolAddress, SenderKeyName, SignedPreKeyRecord, generate_prekeys,
};
use wasndr_core::store::StoreError;
use wasndr_store::StoreContainer;

use super::{new_device, rng};

/// A real session record: we initiated a session with a generated peer and encrypted twice.
pub(crate) fn session_record(seed: u64) -> SessionRecord {
    let mut rng = rng(seed);
    let ours = IdentityKeyPair::generate(&mut rng);
    let theirs = IdentityKeyPair::generate(&mut rng);
    let spk = SignedPreKeyRecord::generate(&theirs, 1, 1_700_000_000, &mut rng).unwrap();
    let opk = KeyPair::generate(&mut rng);
    let bundle = PreKeyBundle {
        registration_id: 77,
        identity_key: *theirs.public(),
        signed_prekey_id: spk.id,
        signed_prekey: spk.key_pair.public,
        signed_prekey_signature: spk.signature.to_vec(),
        prekey: Some((9, opk.public)),
    };
    let local = LocalIdentity {
        identity: &ours,
        registration_id: 12,
    };
    let record = session::initiate(None, local, &bundle, &mut rng).unwrap();
    let record = session::encrypt(&record, b"one").unwrap().record;
    session::encrypt(&record, b"two").unwrap().record
}

pub(crate) fn sender_key_record(seed: u64) -> SenderKeyRecord {
    let distribution = group::create_distribution_message(None, &mut rng(seed)).unwrap();
    distribution.record
}

pub(crate) async fn identities_are_trusted_per_address(container: &dyn StoreContainer) {
    let (_, store, _) = new_device(container, 1).await;
    let alice0 = ProtocolAddress::new("15550001111", 0);
    let alice3 = ProtocolAddress::new("15550001111", 3);
    let alice_lid = ProtocolAddress::new("15550001111_1", 3);
    let bob = ProtocolAddress::new("15550002222", 0);
    let key = |b: u8| PublicKey::from_bytes([b; 32]);
    assert_eq!(store.remote_identity(&alice0).await.unwrap(), None);
    store.save_remote_identity(&alice0, &key(1)).await.unwrap();
    store.save_remote_identity(&alice3, &key(2)).await.unwrap();
    store.save_remote_identity(&alice_lid, &key(4)).await.unwrap();
    store.save_remote_identity(&bob, &key(3)).await.unwrap();
    assert_eq!(store.remote_identity(&alice0).await.unwrap(), Some(key(1)));
    assert_eq!(store.remote_identity(&alice3).await.unwrap(), Some(key(2)));
    store.save_remote_identity(&alice0, &key(5)).await.unwrap();
    assert_eq!(store.remote_identity(&alice0).await.unwrap(), Some(key(5)));

    store.delete_remote_identities("15550001111").await.unwrap();
    assert_eq!(store.remote_identity(&alice0).await.unwrap(), None);
    assert_eq!(store.remote_identity(&alice3).await.unwrap(), None);
    assert_eq!(store.remote_identity(&alice_lid).await.unwrap(), Some(key(4)));
    assert_eq!(store.remote_identity(&bob).await.unwrap(), Some(key(3)));
}

pub(crate) async fn session_records_round_trip(container: &dyn StoreContainer) {
    let (_, store, _) = new_device(container, 1).await;
    let a0 = ProtocolAddress::new("15550001111", 0);
    let a2 = ProtocolAddress::new("15550001111", 2);
    let b0 = ProtocolAddress::new("15550002222", 0);
    assert!(store.load_session(&a0).await.unwrap().is_none());

    let (r1, r2, r3) = (session_record(1), session_record(2), session_record(3));
    store.store_session(&a0, &r1).await.unwrap();
    store.store_session(&a2, &r2).await.unwrap();
    store.store_session(&b0, &r3).await.unwrap();
    assert_eq!(
        store.load_session(&a0).await.unwrap().unwrap().to_bytes(),
        r1.to_bytes()
    );
    assert_eq!(
        store.load_session(&a2).await.unwrap().unwrap().to_bytes(),
        r2.to_bytes()
    );

    // A stored record still encrypts, exactly as the original does.
    let loaded = store.load_session(&b0).await.unwrap().unwrap();
    assert_eq!(
        session::encrypt(&loaded, b"three").unwrap().message,
        session::encrypt(&r3, b"three").unwrap().message
    );

    store.store_session(&a0, &r3).await.unwrap();
    assert_eq!(
        store.load_session(&a0).await.unwrap().unwrap().to_bytes(),
        r3.to_bytes()
    );
    store.delete_session(&a0).await.unwrap();
    assert!(store.load_session(&a0).await.unwrap().is_none());
    assert!(store.load_session(&a2).await.unwrap().is_some());
    store.store_session(&a0, &r1).await.unwrap();
    store.delete_all_sessions("15550001111").await.unwrap();
    assert!(store.load_session(&a0).await.unwrap().is_none());
    assert!(store.load_session(&a2).await.unwrap().is_none());
    assert!(store.load_session(&b0).await.unwrap().is_some());
}

pub(crate) async fn prekeys_round_trip_with_ids_and_count(container: &dyn StoreContainer) {
    let (_, store, _) = new_device(container, 1).await;
    assert_eq!(store.next_prekey_id().await.unwrap(), 1);
    assert_eq!(store.prekey_count().await.unwrap(), 0);

    let (batch, next) = generate_prekeys(store.next_prekey_id().await.unwrap(), 30, &mut rng(5)).unwrap();
    store.store_prekeys(&batch).await.unwrap();
    assert_eq!(store.next_prekey_id().await.unwrap(), next);
    assert_eq!(next, 31);
    assert_eq!(store.prekey_count().await.unwrap(), 30);
    let loaded = store.load_prekey(7).await.unwrap().unwrap();
    assert_eq!(loaded.to_bytes(), batch[6].to_bytes());
    assert!(store.load_prekey(31).await.unwrap().is_none());

    store.remove_prekey(7).await.unwrap();
    assert!(store.load_prekey(7).await.unwrap().is_none());
    assert_eq!(store.prekey_count().await.unwrap(), 29);

    // The 24-bit id space wraps to 1, and the next id follows the batch's last entry.
    let (wrapping, next) = generate_prekeys(0xff_fffe, 3, &mut rng(6)).unwrap();
    assert_eq!(
        wrapping.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![0xff_fffe, 0xff_ffff, 1]
    );
    store.store_prekeys(&wrapping).await.unwrap();
    assert_eq!(store.next_prekey_id().await.unwrap(), next);
    assert_eq!(next, 2);

    // An id outside 24 bits is refused and nothing of its batch is kept.
    let mut bad = generate_prekeys(100, 2, &mut rng(7)).unwrap().0;
    bad[1].id = 0x100_0000;
    assert!(matches!(
        store.store_prekeys(&bad).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(store.load_prekey(100).await.unwrap().is_none());
    assert_eq!(store.next_prekey_id().await.unwrap(), 2);
}

pub(crate) async fn signed_prekeys_round_trip_oldest_first(container: &dyn StoreContainer) {
    let (_, store, device) = new_device(container, 1).await;
    let first = store
        .load_signed_prekey(device.signed_prekey_id)
        .await
        .unwrap()
        .unwrap();
    let second = first
        .rotate(&device.identity, first.timestamp + 100, &mut rng(2))
        .unwrap();
    let third = second
        .rotate(&device.identity, first.timestamp + 50, &mut rng(3))
        .unwrap();
    store.store_signed_prekey(&second).await.unwrap();
    store.store_signed_prekey(&third).await.unwrap();
    let all = store.signed_prekeys().await.unwrap();
    assert_eq!(
        all.iter().map(|k| k.id).collect::<Vec<_>>(),
        vec![first.id, third.id, second.id]
    );
    assert_eq!(all[2].to_bytes(), second.to_bytes());
    assert!(
        device
            .identity
            .public()
            .verify(&all[2].key_pair.public.serialize(), &all[2].signature)
    );
    store.remove_signed_prekey(first.id).await.unwrap();
    assert!(store.load_signed_prekey(first.id).await.unwrap().is_none());
    assert_eq!(store.signed_prekeys().await.unwrap().len(), 2);
}

pub(crate) async fn sender_keys_round_trip(container: &dyn StoreContainer) {
    let (_, store, _) = new_device(container, 1).await;
    let group = "120363025246125888@g.us";
    let ours = SenderKeyName::new(group, ProtocolAddress::new("15550001111", 0));
    let theirs = SenderKeyName::new(group, ProtocolAddress::new("15550001111", 5));
    let other_group = SenderKeyName::new("120363000000000001@g.us", ProtocolAddress::new("15550001111", 0));
    assert!(store.load_sender_key(&ours).await.unwrap().is_none());
    let (r1, r2) = (sender_key_record(1), sender_key_record(2));
    store.store_sender_key(&ours, &r1).await.unwrap();
    store.store_sender_key(&theirs, &r2).await.unwrap();
    let loaded = store.load_sender_key(&ours).await.unwrap().unwrap();
    assert_eq!(loaded.to_bytes(), r1.to_bytes());
    assert!(loaded.newest().unwrap().is_own());
    assert!(store.load_sender_key(&other_group).await.unwrap().is_none());
    store.store_sender_key(&ours, &r2).await.unwrap();
    assert_eq!(
        store.load_sender_key(&ours).await.unwrap().unwrap().to_bytes(),
        r2.to_bytes()
    );
    store.delete_sender_key(&ours).await.unwrap();
    assert!(store.load_sender_key(&ours).await.unwrap().is_none());
    assert!(store.load_sender_key(&theirs).await.unwrap().is_some());
}
