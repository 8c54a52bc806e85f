//! The Signal operations over the store traits: load the record, run the pure function, check the
//! peer's identity, save. Each call writes its changes one after another; a caller that must commit
//! them atomically with other state (the Client, before acking) uses [`super::session`] and
//! [`super::group`] directly.
//!
//! Identity trust is trust-on-first-use: the first identity seen for an address is saved; a different
//! one later fails with [`Error::UntrustedIdentity`] before anything is written. To accept it, save it
//! with [`IdentityKeyStore::save_remote_identity`] and retry.

use rand_core::CryptoRng;

use super::group::{self, SenderKeyRecord};
use super::session::{self, CiphertextMessage, LocalIdentity, PreKeys};
use super::wire::{PreKeySignalMessage, SenderKeyDistributionMessage, SenderKeyMessage, SignalMessage};
use super::{
    PreKeyBundle, PreKeyRecord, ProtocolAddress, SenderKeyName, SignedPreKeyRecord, generate_prekeys,
};
use crate::crypto::PublicKey;
use crate::error::{Error, Result};
use crate::store::{IdentityKeyStore, PreKeyStore, SenderKeyStore, SessionStore, SignedPreKeyStore};

/// Whether `identity` may be used for `address`: `Ok(true)` if no identity was known yet (save it after
/// success), `Ok(false)` if it is the known one.
async fn check_trust<S>(store: &S, address: &ProtocolAddress, identity: &PublicKey) -> Result<bool>
where
    S: IdentityKeyStore + ?Sized,
{
    match store.remote_identity(address).await? {
        None => Ok(true),
        Some(known) if known.ct_eq(identity) => Ok(false),
        Some(_) => Err(Error::UntrustedIdentity {
            address: address.clone(),
            identity: *identity,
        }),
    }
}

/// Starts a session with `address` from its prekey bundle (after checking the signed-prekey signature
/// and the identity), replacing any current session, which is archived.
pub async fn process_prekey_bundle<S, R>(
    store: &S,
    address: &ProtocolAddress,
    bundle: &PreKeyBundle,
    rng: &mut R,
) -> Result<()>
where
    S: IdentityKeyStore + SessionStore + ?Sized,
    R: CryptoRng + ?Sized,
{
    let first_seen = check_trust(store, address, &bundle.identity_key).await?;
    let identity = store.identity_key_pair().await?;
    let local = LocalIdentity {
        identity: &identity,
        registration_id: store.local_registration_id().await?,
    };
    let record = store.load_session(address).await?;
    let record = session::initiate(record.as_ref(), local, bundle, rng)?;
    store.store_session(address, &record).await?;
    if first_seen {
        store.save_remote_identity(address, &bundle.identity_key).await?;
    }
    Ok(())
}

/// Encrypts `plaintext` for `address` with its current session.
pub async fn encrypt<S>(store: &S, address: &ProtocolAddress, plaintext: &[u8]) -> Result<CiphertextMessage>
where
    S: IdentityKeyStore + SessionStore + ?Sized,
{
    let mut record = store
        .load_session(address)
        .await?
        .ok_or(Error::NoSession("no session with this address"))?;
    let remote = *record
        .current()
        .ok_or(Error::NoSession("no current session"))?
        .remote_identity();
    let first_seen = check_trust(store, address, &remote).await?;
    let message = session::encrypt_in_place(&mut record, plaintext)?;
    store.store_session(address, &record).await?;
    if first_seen {
        store.save_remote_identity(address, &remote).await?;
    }
    Ok(message)
}

/// Decrypts an `<enc>` payload from `address` by its `type` attribute: `"msg"` or `"pkmsg"`.
pub async fn decrypt<S, R>(
    store: &S,
    address: &ProtocolAddress,
    enc_type: &str,
    ciphertext: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>>
where
    S: IdentityKeyStore + SessionStore + PreKeyStore + SignedPreKeyStore + ?Sized,
    R: CryptoRng + ?Sized,
{
    match enc_type {
        "msg" => decrypt_message(store, address, ciphertext, rng).await,
        "pkmsg" => decrypt_prekey_message(store, address, ciphertext, rng).await,
        _ => Err(Error::InvalidSignalMessage("enc type is neither msg nor pkmsg")),
    }
}

/// Decrypts a SignalMessage (`msg`) from `address`.
pub async fn decrypt_message<S, R>(
    store: &S,
    address: &ProtocolAddress,
    ciphertext: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>>
where
    S: IdentityKeyStore + SessionStore + ?Sized,
    R: CryptoRng + ?Sized,
{
    let message = SignalMessage::parse(ciphertext)?;
    let mut record = store
        .load_session(address)
        .await?
        .ok_or(Error::NoSession("no session with this address"))?;
    let opened = session::decrypt_message_in_place(&mut record, &message, rng)?;
    let first_seen = check_trust(store, address, &opened.sender_identity).await?;
    store.store_session(address, &record).await?;
    if first_seen {
        store
            .save_remote_identity(address, &opened.sender_identity)
            .await?;
    }
    Ok(opened.plaintext)
}

/// Decrypts a PreKeySignalMessage (`pkmsg`) from `address`, building a session if it is new and
/// deleting the one-time prekey it used.
pub async fn decrypt_prekey_message<S, R>(
    store: &S,
    address: &ProtocolAddress,
    ciphertext: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>>
where
    S: IdentityKeyStore + SessionStore + PreKeyStore + SignedPreKeyStore + ?Sized,
    R: CryptoRng + ?Sized,
{
    let message = PreKeySignalMessage::parse(ciphertext)?;
    let first_seen = check_trust(store, address, &message.identity_key).await?;
    let identity = store.identity_key_pair().await?;
    let local = LocalIdentity {
        identity: &identity,
        registration_id: store.local_registration_id().await?,
    };
    let record = store.load_session(address).await?;
    let signed = store.load_signed_prekey(message.signed_prekey_id).await?;
    let one_time = match message.prekey_id {
        Some(id) => store.load_prekey(id).await?,
        None => None,
    };
    let prekeys = PreKeys {
        signed: signed.as_ref(),
        one_time: one_time.as_ref(),
    };
    let decrypted = session::decrypt_prekey_message(record.as_ref(), local, &message, prekeys, rng)?;
    store.store_session(address, &decrypted.record).await?;
    if first_seen {
        store.save_remote_identity(address, &message.identity_key).await?;
    }
    if let Some(id) = decrypted.consumed_prekey {
        store.remove_prekey(id).await?;
    }
    Ok(decrypted.plaintext)
}

/// Generates `count` one-time prekeys continuing the store's id sequence, stores them, and returns
/// them for upload.
pub async fn generate_and_store_prekeys<S, R>(store: &S, count: u32, rng: &mut R) -> Result<Vec<PreKeyRecord>>
where
    S: PreKeyStore + ?Sized,
    R: CryptoRng + ?Sized,
{
    let first = store.next_prekey_id().await?;
    let (prekeys, _) = generate_prekeys(first, count, rng)?;
    store.store_prekeys(&prekeys).await?;
    Ok(prekeys)
}

/// Replaces the newest signed prekey if it is `max_age` seconds old at `now` (or creates the first
/// one, id 1), and deletes replaced ones older than `keep` seconds, so prekey messages already in
/// flight for a replaced key still decrypt for a while. Returns the signed prekey to publish.
pub async fn rotate_signed_prekey<S, R>(
    store: &S,
    now: u64,
    max_age: u64,
    keep: u64,
    rng: &mut R,
) -> Result<SignedPreKeyRecord>
where
    S: IdentityKeyStore + SignedPreKeyStore + ?Sized,
    R: CryptoRng + ?Sized,
{
    let identity = store.identity_key_pair().await?;
    let existing = store.signed_prekeys().await?;
    let current = match existing.last() {
        Some(newest) if !newest.is_due_for_rotation(now, max_age) => newest.clone(),
        Some(newest) => {
            let next = newest.rotate(&identity, now, rng)?;
            store.store_signed_prekey(&next).await?;
            next
        }
        None => {
            let first = SignedPreKeyRecord::generate(&identity, 1, now, rng)?;
            store.store_signed_prekey(&first).await?;
            first
        }
    };
    for old in existing {
        if old.id != current.id && now.saturating_sub(old.timestamp) >= keep.saturating_add(max_age) {
            store.remove_signed_prekey(old.id).await?;
        }
    }
    Ok(current)
}

/// Our distribution message for a group (creating our sender key on first use).
pub async fn create_sender_key_distribution<S, R>(
    store: &S,
    name: &SenderKeyName,
    rng: &mut R,
) -> Result<SenderKeyDistributionMessage>
where
    S: SenderKeyStore + ?Sized,
    R: CryptoRng + ?Sized,
{
    let record = store.load_sender_key(name).await?;
    let distribution = group::create_distribution_message(record.as_ref(), rng)?;
    store.store_sender_key(name, &distribution.record).await?;
    Ok(distribution.message)
}

/// Stores the sender key a member distributed (`name` = the group and that member's address).
pub async fn process_sender_key_distribution<S>(
    store: &S,
    name: &SenderKeyName,
    message: &SenderKeyDistributionMessage,
) -> Result<()>
where
    S: SenderKeyStore + ?Sized,
{
    let record = store.load_sender_key(name).await?;
    let record = group::process_distribution_message(record.as_ref(), message);
    store.store_sender_key(name, &record).await?;
    Ok(())
}

/// Encrypts a group message with our sender key (`name` = the group and our own address).
pub async fn group_encrypt<S, R>(
    store: &S,
    name: &SenderKeyName,
    plaintext: &[u8],
    rng: &mut R,
) -> Result<SenderKeyMessage>
where
    S: SenderKeyStore + ?Sized,
    R: CryptoRng + ?Sized,
{
    let record: SenderKeyRecord = store.load_sender_key(name).await?.ok_or(Error::NoSession(
        "no own sender key; create a distribution message first",
    ))?;
    let encrypted = group::encrypt(&record, plaintext, rng)?;
    store.store_sender_key(name, &encrypted.record).await?;
    Ok(encrypted.message)
}

/// Decrypts a group message (`skmsg`) from the sender in `name`.
pub async fn group_decrypt<S>(store: &S, name: &SenderKeyName, ciphertext: &[u8]) -> Result<Vec<u8>>
where
    S: SenderKeyStore + ?Sized,
{
    let message = SenderKeyMessage::parse(ciphertext)?;
    let record = store.load_sender_key(name).await?.ok_or(Error::NoSenderKey {
        key_id: message.key_id,
    })?;
    let decrypted = group::decrypt(&record, &message)?;
    store.store_sender_key(name, &decrypted.record).await?;
    Ok(decrypted.plaintext)
}
