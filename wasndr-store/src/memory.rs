//! The memory backend as a container: one [`MemoryStore`] per device.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use wasndr_core::store::{DeviceStore, MemoryStore, Store, StoreError};

use crate::container::{DeviceId, DeviceInfo, StoreContainer};

/// Devices in memory. Nothing survives a restart.
#[derive(Debug, Default)]
pub struct MemoryContainer {
    inner: Mutex<Devices>,
}

#[derive(Debug, Default)]
struct Devices {
    last_id: i64,
    stores: BTreeMap<DeviceId, Arc<MemoryStore>>,
}

impl MemoryContainer {
    /// An empty container.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Devices> {
        // Each write is one insert or remove: a poisoned lock still guards a consistent map.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl StoreContainer for MemoryContainer {
    async fn create_device(&self) -> Result<DeviceId, StoreError> {
        let mut devices = self.lock();
        devices.last_id += 1;
        let id = DeviceId(devices.last_id);
        devices.stores.insert(id, Arc::new(MemoryStore::empty()));
        Ok(id)
    }

    async fn devices(&self) -> Result<Vec<DeviceInfo>, StoreError> {
        let stores: Vec<(DeviceId, Arc<MemoryStore>)> = self
            .lock()
            .stores
            .iter()
            .map(|(id, s)| (*id, s.clone()))
            .collect();
        let mut infos = Vec::with_capacity(stores.len());
        for (id, store) in stores {
            let device = store.load_device().await?;
            infos.push(DeviceInfo {
                id,
                has_device: device.is_some(),
                jid: device.as_ref().and_then(|d| d.jid.clone()),
                lid: device.as_ref().and_then(|d| d.lid.clone()),
                push_name: device.and_then(|d| d.push_name),
            });
        }
        Ok(infos)
    }

    async fn open_device(&self, id: DeviceId) -> Result<Arc<dyn Store>, StoreError> {
        let store = self
            .lock()
            .stores
            .get(&id)
            .cloned()
            .ok_or(StoreError::Invalid("no such device"))?;
        Ok(store)
    }

    async fn delete_device(&self, id: DeviceId) -> Result<(), StoreError> {
        let removed = self.lock().stores.remove(&id);
        if let Some(store) = removed {
            // A handle opened earlier must not keep showing the deleted device's data.
            store.delete_device().await?;
        }
        Ok(())
    }
}
