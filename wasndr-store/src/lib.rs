//! Store backends for wasndr.
//!
//! The store traits live in `wasndr-core` (the protocol decides what must be persisted and when); this
//! crate implements them over an in-memory map, SQLite (the embedded default: one file, numbered
//! migrations, WAL, busy timeout; reads through sqlx's pool, writes on one writer thread per file that
//! commits the batches of every device queued meanwhile together) and PostgreSQL (pooled, for several
//! nodes sharing one database). Writes are planned as data before they run (`sql/writes.rs`), so a bad
//! value refuses its whole batch before anything reaches the database.
//! Every backend passes the same conformance suite (`tests/conformance.rs`).
//!
//! One database holds many devices: a [`StoreContainer`] ([`MemoryContainer`], `SqliteContainer`,
//! `PostgresContainer`) creates, lists and deletes devices and hands out one `Arc<dyn Store>` per
//! device. Every table is keyed by the device id, and nothing of one device is visible through
//! another's store.
//!
//! Features: `sqlite` (default) and `postgres`. With neither, only the memory backend is built and
//! sqlx is not compiled.

mod container;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use container::{DeviceId, DeviceInfo, StoreContainer};
pub use memory::MemoryContainer;
#[cfg(feature = "postgres")]
pub use postgres::{DEFAULT_MAX_CONNECTIONS, PostgresContainer, PostgresStore};
#[cfg(feature = "sqlite")]
pub use sqlite::{BUSY_TIMEOUT, SqliteContainer, SqliteStore, SqliteSync};
/// The in-memory store of one device (re-exported from `wasndr-core`).
pub use wasndr_core::store::MemoryStore;
/// The store traits and values, re-exported so backends' users need one import path.
pub use wasndr_core::store::{Store, StoreError};
