//! Storage, as traits split by concern (architecture principle 3).
//!
//! This module holds the Signal part: [`IdentityKeyStore`], [`SessionStore`], [`PreKeyStore`],
//! [`SignedPreKeyStore`] and [`SenderKeyStore`], combined as [`SignalStore`], with [`MemoryStore`]
//! implementing all of them. Every trait is async, takes `&self`, is `Send + Sync` and object-safe, so
//! `Arc<dyn SignalStore>` works; every method fails only with [`StoreError`].
//!
//! # How these become the full store
//!
//! The client issue adds the other concerns (device, contacts, messages, app state, …) as further
//! traits of the same shape and a `Store` supertrait over all of them, `SignalStore` included, with a
//! blanket impl like the one below. Backends (memory, SQLite, PostgreSQL in `wasndr-store`) implement
//! each trait; records cross the trait boundary as typed values, and a backend persists them with their
//! `to_bytes`/`from_bytes` (a versioned layout, `wa.signal.record`).
//!
//! Atomicity: these traits write one thing per call. The Client must persist "ratchet advanced,
//! message saved, prekey deleted" together before it acks; it will do that through a transaction (or
//! `save_changes` batch) method on `Store`, fed by the pure functions of [`crate::signal::session`] and
//! [`crate::signal::group`], which return the new records without writing them.

mod error;
mod memory;
mod signal;

pub use error::{BackendError, StoreError};
pub use memory::MemoryStore;
pub use signal::{
    IdentityKeyStore, PreKeyStore, SenderKeyStore, SessionStore, SignalStore, SignedPreKeyStore,
};
