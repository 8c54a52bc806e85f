//! Small per-device settings the client keeps between runs (app-state versions, flags, …).

use async_trait::async_trait;

use super::StoreError;

/// Key → bytes settings. Keys are the caller's; values are small.
#[async_trait]
pub trait SettingsStore: Send + Sync {
    /// The value of `key`, if set.
    async fn setting(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Sets `key` to `value`. [`StoreError::Invalid`] for an empty key.
    async fn save_setting(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;

    /// Removes `key`.
    async fn delete_setting(&self, key: &str) -> Result<(), StoreError>;
}
