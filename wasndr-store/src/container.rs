//! Many devices in one database.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use wasndr_core::jid::Jid;
use wasndr_core::store::{Store, StoreError};

/// The id a container gives a device: the key of every row of that device. Ids are never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceId(pub i64);

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A device as [`StoreContainer::devices`] lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Its id.
    pub id: DeviceId,
    /// Whether a [`wasndr_core::store::Device`] is saved (false for a fresh slot and after logout).
    pub has_device: bool,
    /// Our device JID, once paired.
    pub jid: Option<Jid>,
    /// Our LID device JID, once paired.
    pub lid: Option<Jid>,
    /// The push name.
    pub push_name: Option<String>,
}

/// A database holding the stores of many devices.
#[async_trait]
pub trait StoreContainer: Send + Sync {
    /// Allocates a new, empty device (no [`wasndr_core::store::Device`] saved yet) and returns its id.
    async fn create_device(&self) -> Result<DeviceId, StoreError>;

    /// Every device, by id.
    async fn devices(&self) -> Result<Vec<DeviceInfo>, StoreError>;

    /// The store of device `id`. [`StoreError::Invalid`] if there is no such device.
    async fn open_device(&self, id: DeviceId) -> Result<Arc<dyn Store>, StoreError>;

    /// Deletes device `id` and all its data; its id is not reused. Deleting an unknown id does nothing.
    async fn delete_device(&self, id: DeviceId) -> Result<(), StoreError>;
}
