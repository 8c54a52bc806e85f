//! Store backends for wasndr.
//!
//! The store traits live in `wasndr-core` (the protocol decides what must be persisted and when); this
//! crate implements them over an in-memory map, SQLite (the embedded default: one file, numbered
//! migrations, WAL) and PostgreSQL (pooled, for several nodes sharing one database). Every backend passes
//! the same conformance suite.
