//! The one error type every store backend returns.

use std::fmt;
use std::sync::Arc;

/// A failure of a store backend. [`crate::Error`] wraps it as [`crate::Error::Store`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend itself failed (I/O, connection, constraint). Retrying may help.
    #[error("store backend failed: {0}")]
    Backend(BackendError),
    /// A stored value could not be decoded: the store holds bytes this version cannot read.
    #[error("corrupt {what} in the store: {reason}")]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// Why it could not be read.
        reason: String,
    },
    /// Something the protocol needs was never stored (e.g. our own identity before pairing).
    #[error("{0} is not in the store")]
    Missing(&'static str),
    /// The caller handed the store a value it refuses to keep (an empty message id, a prekey id
    /// outside 24 bits, an unknown device id). Nothing was written.
    #[error("invalid value for the store: {0}")]
    Invalid(&'static str),
}

impl StoreError {
    /// Wraps a backend's own error.
    pub fn backend(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Backend(BackendError(Arc::new(error)))
    }

    /// A record that could not be decoded.
    pub fn corrupt(what: &'static str, reason: impl Into<String>) -> Self {
        Self::Corrupt {
            what,
            reason: reason.into(),
        }
    }
}

/// A backend's error, shared so that [`StoreError`] (and so [`crate::Error`]) stays `Clone`. Two
/// values are equal only when they are the same error.
#[derive(Clone)]
pub struct BackendError(Arc<dyn std::error::Error + Send + Sync>);

impl BackendError {
    /// The backend's error.
    pub fn inner(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.0
    }
}

impl fmt::Debug for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl PartialEq for BackendError {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for BackendError {}
