//! The Signal store traits over [`MemoryStore`].

use async_trait::async_trait;

use super::MemoryStore;
use crate::crypto::PublicKey;
use crate::signal::group::SenderKeyRecord;
use crate::signal::session::SessionRecord;
use crate::signal::{IdentityKeyPair, PreKeyRecord, ProtocolAddress, SenderKeyName, SignedPreKeyRecord};
use crate::store::{
    IdentityKeyStore, PreKeyStore, SenderKeyStore, SessionStore, SignedPreKeyStore, StoreError,
    check_prekey_id,
};

#[async_trait]
impl IdentityKeyStore for MemoryStore {
    async fn identity_key_pair(&self) -> Result<IdentityKeyPair, StoreError> {
        let state = self.lock();
        let (identity, _) = state.identity().ok_or(StoreError::Missing("identity key pair"))?;
        Ok(identity.clone())
    }

    async fn local_registration_id(&self) -> Result<u32, StoreError> {
        let state = self.lock();
        let (_, registration_id) = state.identity().ok_or(StoreError::Missing("registration id"))?;
        Ok(registration_id)
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
        prekeys.iter().try_for_each(|p| check_prekey_id(p.id))?;
        self.lock().store_prekeys(prekeys);
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
        all.sort_by_key(|k| (k.timestamp, k.id));
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
