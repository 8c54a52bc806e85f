//! Numbered schema migrations, embedded per backend. Each runs once, in order, recorded in
//! `wasndr_gateway_migrations`; a database newer than this binary is refused rather than guessed at.

/// One migration: its number and SQL (several statements).
#[derive(Debug)]
pub(crate) struct Migration {
    pub(crate) version: i64,
    pub(crate) sql: &'static str,
}

/// SQLite migrations, oldest first.
#[cfg(feature = "sqlite")]
pub(crate) const SQLITE: &[Migration] = &[Migration {
    version: 1,
    sql: include_str!("../../migrations/sqlite/0001_init.sql"),
}];

/// PostgreSQL migrations, oldest first.
#[cfg(feature = "postgres")]
pub(crate) const POSTGRES: &[Migration] = &[Migration {
    version: 1,
    sql: include_str!("../../migrations/postgres/0001_init.sql"),
}];
