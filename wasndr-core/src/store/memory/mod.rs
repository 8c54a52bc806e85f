//! An in-memory store: for tests, the simulator's virtual phones, and as the reference behaviour the
//! persistent backends must match (the conformance suite in `wasndr-store` runs it beside them).

mod history;
mod other;
mod signal;
mod state;

use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use super::{Changes, Device, DeviceStore, StoreError, TransactionalStore};
use crate::signal::IdentityKeyPair;
use state::State;

/// Every store trait over maps behind one mutex. Nothing survives a restart.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    /// A store without a device: [`DeviceStore::load_device`] answers `None` and the identity store
    /// [`StoreError::Missing`] until a device is saved.
    pub fn empty() -> Self {
        Self::default()
    }

    /// A store holding `device`.
    pub fn with_device(device: Device) -> Self {
        let store = Self::default();
        store.lock().device = Some(device);
        store
    }

    /// A Signal-only store for a party that is not a companion device (a test peer, a virtual phone):
    /// the identity store answers with `identity` and `registration_id` while no device is saved.
    pub fn new(identity: IdentityKeyPair, registration_id: u32) -> Self {
        let store = Self::default();
        store.lock().standalone_identity = Some((identity, registration_id));
        store
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every write is validated before it starts and cannot fail halfway, so even a lock poisoned by
        // a panicking reader guards consistent maps.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl TransactionalStore for MemoryStore {
    async fn apply(&self, changes: &Changes) -> Result<(), StoreError> {
        changes.validate()?;
        self.lock().apply(changes);
        Ok(())
    }

    async fn apply_all(&self, batches: &[Changes]) -> Result<(), StoreError> {
        // Every batch is checked before the first is written: applying cannot fail halfway.
        batches.iter().try_for_each(Changes::validate)?;
        let mut state = self.lock();
        for changes in batches {
            state.apply(changes);
        }
        Ok(())
    }
}

#[async_trait]
impl DeviceStore for MemoryStore {
    async fn load_device(&self) -> Result<Option<Device>, StoreError> {
        Ok(self.lock().device.clone())
    }

    async fn save_device(&self, device: &Device) -> Result<(), StoreError> {
        self.lock().device = Some(device.clone());
        Ok(())
    }

    async fn delete_device(&self) -> Result<(), StoreError> {
        *self.lock() = State::default();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use pollster::block_on;

    use super::*;
    use crate::store::{Store, check_message_id};

    #[test]
    fn arc_dyn_store_applies_a_batch_or_nothing() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::empty());
        let mut changes = Changes::new();
        changes.settings.push(("a".into(), b"1".to_vec()));
        block_on(store.apply(&changes)).unwrap();
        assert_eq!(block_on(store.setting("a")).unwrap(), Some(b"1".to_vec()));

        changes.settings = vec![("b".into(), b"2".to_vec()), (String::new(), b"3".to_vec())];
        assert!(matches!(
            block_on(store.apply(&changes)),
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(block_on(store.setting("b")).unwrap(), None);
        assert!(check_message_id("").is_err());
        let page = block_on(store.messages(&Default::default())).unwrap();
        assert_eq!(page.total, 0);
    }
}
