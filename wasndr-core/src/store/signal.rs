//! The Signal protocol's storage traits. Names follow libsignal's store traits; shapes (async, `&self`,
//! typed records) follow matrix-rust-sdk's crypto store.

use async_trait::async_trait;

use super::StoreError;
use crate::crypto::PublicKey;
use crate::signal::group::SenderKeyRecord;
use crate::signal::session::SessionRecord;
use crate::signal::{IdentityKeyPair, PreKeyRecord, ProtocolAddress, SenderKeyName, SignedPreKeyRecord};

/// Our own identity and the identities we have seen for peers.
///
/// Trust is trust-on-first-use, decided by [`crate::signal::cipher`]: an address with no stored
/// identity accepts the first one it sees (which is then saved); a different key later is refused with
/// [`crate::Error::UntrustedIdentity`] until the caller saves the new key here (after an identity-change
/// notification, or on the user's say-so).
#[async_trait]
pub trait IdentityKeyStore: Send + Sync {
    /// Our identity key pair (the [`super::Device`]'s). [`StoreError::Missing`] before a device was
    /// saved.
    async fn identity_key_pair(&self) -> Result<IdentityKeyPair, StoreError>;

    /// Our registration id (the [`super::Device`]'s). [`StoreError::Missing`] before a device was saved.
    async fn local_registration_id(&self) -> Result<u32, StoreError>;

    /// The identity key we trust for `address`, if any.
    async fn remote_identity(&self, address: &ProtocolAddress) -> Result<Option<PublicKey>, StoreError>;

    /// Trusts `identity` for `address` from now on, replacing any previous key.
    async fn save_remote_identity(
        &self,
        address: &ProtocolAddress,
        identity: &PublicKey,
    ) -> Result<(), StoreError>;

    /// Forgets the identity of every device of the user `name` (an `<identity>` change notification,
    /// guide §A.3).
    async fn delete_remote_identities(&self, name: &str) -> Result<(), StoreError>;
}

/// Session records, one per peer device.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// The record for `address`, if any.
    async fn load_session(&self, address: &ProtocolAddress) -> Result<Option<SessionRecord>, StoreError>;

    /// Stores `record` for `address`, replacing the previous one.
    async fn store_session(
        &self,
        address: &ProtocolAddress,
        record: &SessionRecord,
    ) -> Result<(), StoreError>;

    /// Deletes the record for `address`.
    async fn delete_session(&self, address: &ProtocolAddress) -> Result<(), StoreError>;

    /// Deletes the records of every device of the user `name`.
    async fn delete_all_sessions(&self, name: &str) -> Result<(), StoreError>;
}

/// Our one-time prekeys.
#[async_trait]
pub trait PreKeyStore: Send + Sync {
    /// The prekey with `id`, if we still have it.
    async fn load_prekey(&self, id: u32) -> Result<Option<PreKeyRecord>, StoreError>;

    /// Stores freshly generated prekeys and remembers where the next batch starts
    /// ([`crate::signal::next_prekey_id`] of the last one). [`StoreError::Invalid`] for an id outside
    /// `1..=0xffffff`; then nothing is stored.
    async fn store_prekeys(&self, prekeys: &[PreKeyRecord]) -> Result<(), StoreError>;

    /// Deletes a prekey after a message that used it decrypted.
    async fn remove_prekey(&self, id: u32) -> Result<(), StoreError>;

    /// The id the next generated prekey gets: 1 on a fresh store.
    async fn next_prekey_id(&self) -> Result<u32, StoreError>;

    /// How many prekeys are stored.
    async fn prekey_count(&self) -> Result<usize, StoreError>;
}

/// Our signed prekeys: the current one and recently replaced ones.
#[async_trait]
pub trait SignedPreKeyStore: Send + Sync {
    /// The signed prekey with `id`, if we still have it.
    async fn load_signed_prekey(&self, id: u32) -> Result<Option<SignedPreKeyRecord>, StoreError>;

    /// Stores a signed prekey (a new one after rotation becomes the newest).
    async fn store_signed_prekey(&self, record: &SignedPreKeyRecord) -> Result<(), StoreError>;

    /// Deletes a replaced signed prekey once in-flight prekey messages had time to arrive.
    async fn remove_signed_prekey(&self, id: u32) -> Result<(), StoreError>;

    /// Every stored signed prekey, oldest first (by timestamp).
    async fn signed_prekeys(&self) -> Result<Vec<SignedPreKeyRecord>, StoreError>;
}

/// Sender-key records, one per (group, sender device), ours included.
#[async_trait]
pub trait SenderKeyStore: Send + Sync {
    /// The record for `name`, if any.
    async fn load_sender_key(&self, name: &SenderKeyName) -> Result<Option<SenderKeyRecord>, StoreError>;

    /// Stores `record` for `name`, replacing the previous one.
    async fn store_sender_key(
        &self,
        name: &SenderKeyName,
        record: &SenderKeyRecord,
    ) -> Result<(), StoreError>;

    /// Deletes the record for `name` (ours, to force a new key on the next group send).
    async fn delete_sender_key(&self, name: &SenderKeyName) -> Result<(), StoreError>;
}

/// Everything the Signal protocol stores. Implemented for every type that implements the five parts;
/// [`super::Store`] has this as a supertrait.
pub trait SignalStore:
    IdentityKeyStore + SessionStore + PreKeyStore + SignedPreKeyStore + SenderKeyStore
{
}

impl<T> SignalStore for T where
    T: IdentityKeyStore + SessionStore + PreKeyStore + SignedPreKeyStore + SenderKeyStore + ?Sized
{
}
