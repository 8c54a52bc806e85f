//! An in-memory store: for tests, the simulator's virtual phones, and as the reference behaviour the
//! persistent backends must match.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use super::{IdentityKeyStore, PreKeyStore, SenderKeyStore, SessionStore, SignedPreKeyStore, StoreError};
use crate::crypto::PublicKey;
use crate::signal::group::SenderKeyRecord;
use crate::signal::session::SessionRecord;
use crate::signal::{
    IdentityKeyPair, PreKeyRecord, ProtocolAddress, SenderKeyName, SignedPreKeyRecord, next_prekey_id,
};

/// Every Signal store trait over maps behind one mutex. Nothing survives a restart.
#[derive(Debug)]
pub struct MemoryStore {
    identity: IdentityKeyPair,
    registration_id: u32,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    identities: HashMap<ProtocolAddress, PublicKey>,
    sessions: HashMap<ProtocolAddress, SessionRecord>,
    prekeys: BTreeMap<u32, PreKeyRecord>,
    next_prekey_id: Option<u32>,
    signed_prekeys: BTreeMap<u32, SignedPreKeyRecord>,
    sender_keys: HashMap<SenderKeyName, SenderKeyRecord>,
}

impl MemoryStore {
    /// An empty store for the device with `identity` and `registration_id`.
    pub fn new(identity: IdentityKeyPair, registration_id: u32) -> Self {
        Self {
            identity,
            registration_id,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a map half-written (every write is one insert or
        // remove), so a poisoned lock is still consistent.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl IdentityKeyStore for MemoryStore {
    async fn identity_key_pair(&self) -> Result<IdentityKeyPair, StoreError> {
        Ok(self.identity.clone())
    }

    async fn local_registration_id(&self) -> Result<u32, StoreError> {
        Ok(self.registration_id)
    }

    async fn remote_identity(&self, address: &ProtocolAddress) -> Result<Option<PublicKey>, StoreError> {
        Ok(self.lock().identities.get(address).copied())
    }

    async fn save_remote_identity(
        &self,
        address: &ProtocolAddress,
        identity: &PublicKey,
    ) -> Result<(), StoreError> {
        self.lock().identities.insert(address.clone(), *identity);
        Ok(())
    }

    async fn delete_remote_identities(&self, name: &str) -> Result<(), StoreError> {
        self.lock().identities.retain(|address, _| address.name != name);
        Ok(())
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn load_session(&self, address: &ProtocolAddress) -> Result<Option<SessionRecord>, StoreError> {
        Ok(self.lock().sessions.get(address).cloned())
    }

    async fn store_session(
        &self,
        address: &ProtocolAddress,
        record: &SessionRecord,
    ) -> Result<(), StoreError> {
        self.lock().sessions.insert(address.clone(), record.clone());
        Ok(())
    }

    async fn delete_session(&self, address: &ProtocolAddress) -> Result<(), StoreError> {
        self.lock().sessions.remove(address);
        Ok(())
    }

    async fn delete_all_sessions(&self, name: &str) -> Result<(), StoreError> {
        self.lock().sessions.retain(|address, _| address.name != name);
        Ok(())
    }
}

#[async_trait]
impl PreKeyStore for MemoryStore {
    async fn load_prekey(&self, id: u32) -> Result<Option<PreKeyRecord>, StoreError> {
        Ok(self.lock().prekeys.get(&id).cloned())
    }

    async fn store_prekeys(&self, prekeys: &[PreKeyRecord]) -> Result<(), StoreError> {
        let mut inner = self.lock();
        for prekey in prekeys {
            inner.prekeys.insert(prekey.id, prekey.clone());
        }
        if let Some(last) = prekeys.last() {
            inner.next_prekey_id = Some(next_prekey_id(last.id));
        }
        Ok(())
    }

    async fn remove_prekey(&self, id: u32) -> Result<(), StoreError> {
        self.lock().prekeys.remove(&id);
        Ok(())
    }

    async fn next_prekey_id(&self) -> Result<u32, StoreError> {
        Ok(self.lock().next_prekey_id.unwrap_or(1))
    }

    async fn prekey_count(&self) -> Result<usize, StoreError> {
        Ok(self.lock().prekeys.len())
    }
}

#[async_trait]
impl SignedPreKeyStore for MemoryStore {
    async fn load_signed_prekey(&self, id: u32) -> Result<Option<SignedPreKeyRecord>, StoreError> {
        Ok(self.lock().signed_prekeys.get(&id).cloned())
    }

    async fn store_signed_prekey(&self, record: &SignedPreKeyRecord) -> Result<(), StoreError> {
        self.lock().signed_prekeys.insert(record.id, record.clone());
        Ok(())
    }

    async fn remove_signed_prekey(&self, id: u32) -> Result<(), StoreError> {
        self.lock().signed_prekeys.remove(&id);
        Ok(())
    }

    async fn signed_prekeys(&self) -> Result<Vec<SignedPreKeyRecord>, StoreError> {
        let mut all: Vec<SignedPreKeyRecord> = self.lock().signed_prekeys.values().cloned().collect();
        all.sort_by_key(|k| k.timestamp);
        Ok(all)
    }
}

#[async_trait]
impl SenderKeyStore for MemoryStore {
    async fn load_sender_key(&self, name: &SenderKeyName) -> Result<Option<SenderKeyRecord>, StoreError> {
        Ok(self.lock().sender_keys.get(name).cloned())
    }

    async fn store_sender_key(
        &self,
        name: &SenderKeyName,
        record: &SenderKeyRecord,
    ) -> Result<(), StoreError> {
        self.lock().sender_keys.insert(name.clone(), record.clone());
        Ok(())
    }

    async fn delete_sender_key(&self, name: &SenderKeyName) -> Result<(), StoreError> {
        self.lock().sender_keys.remove(name);
        Ok(())
    }
}
