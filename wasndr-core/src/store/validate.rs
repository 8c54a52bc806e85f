//! The few values a store refuses, checked the same way by every backend.

use super::{StoreError, StoredMessage};
use crate::signal::MAX_PREKEY_ID;

/// One-time and signed prekey ids are 24-bit and never 0 (they travel as 3-byte `<id>` nodes).
pub fn check_prekey_id(id: u32) -> Result<(), StoreError> {
    if id == 0 || id > MAX_PREKEY_ID {
        return Err(StoreError::Invalid("prekey ids are 1..=0xffffff"));
    }
    Ok(())
}

/// Messages are found by id; an empty one could never be found again.
pub fn check_message_id(id: &str) -> Result<(), StoreError> {
    if id.is_empty() {
        return Err(StoreError::Invalid("empty message id"));
    }
    Ok(())
}

/// Settings need a key.
pub fn check_setting_key(key: &str) -> Result<(), StoreError> {
    if key.is_empty() {
        return Err(StoreError::Invalid("empty setting key"));
    }
    Ok(())
}

impl StoredMessage {
    /// Whether a store accepts this message ([`StoreError::Invalid`] otherwise).
    pub fn validate(&self) -> Result<(), StoreError> {
        check_message_id(&self.id)
    }
}
