//! The SQLite backend: the embedded default. One file holds every device.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::sql::{Migration, sql_store};

mod writer;

use writer::SqliteWriter;

/// Schema migrations, oldest first.
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    sql: include_str!("../../migrations/sqlite/0001_init.sql"),
}];

/// How long a connection waits for another connection's write lock before failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

sql_store! {
    store: SqliteStore,
    container: SqliteContainer,
    db: sqlx::Sqlite,
    pool: sqlx::SqlitePool,
    writer: SqliteWriter,
    // IMMEDIATE takes the write lock at BEGIN: a deferred transaction that reads first and then writes
    // can fail with SQLITE_BUSY mid-way, which the busy timeout does not cover.
    begin_write: "BEGIN IMMEDIATE",
    migration_lock: None,
    contains: "instr",
    migrations: MIGRATIONS,
    store_doc: "The store of one device in a SQLite database (handed out by [`SqliteContainer`]).",
    container_doc: "A SQLite database file holding many devices: WAL journal, `synchronous = FULL` by \
        default (a committed batch survives power loss, as acking after persisting requires; see \
        [`SqliteSync`] for the faster `NORMAL`), foreign keys on, a busy timeout of [`BUSY_TIMEOUT`].",
}

/// How hard a commit waits for the disk (SQLite's `synchronous` pragma, always with the WAL journal).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SqliteSync {
    /// `synchronous = FULL`: every commit is fsynced before it returns, so a committed batch survives a
    /// process crash, an OS crash and a power loss. The default.
    #[default]
    Full,
    /// `synchronous = NORMAL`: commits are written to the WAL but fsynced only at checkpoints. A
    /// committed batch survives a crash of the process; after an OS crash or a power loss the last
    /// commits may be missing (the database stays consistent, it just ends at an older commit), so a
    /// message acknowledged to WhatsApp may be lost or a Signal ratchet step forgotten (the peer's next
    /// message then asks for a retry). No fsync per commit.
    Normal,
}

impl SqliteSync {
    fn pragma(self) -> SqliteSynchronous {
        match self {
            SqliteSync::Full => SqliteSynchronous::Full,
            SqliteSync::Normal => SqliteSynchronous::Normal,
        }
    }
}

impl SqliteContainer {
    /// Opens (creating if needed) the database file at `path` and migrates it.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, wasndr_core::store::StoreError> {
        Self::open_synced(path, SqliteSync::Full).await
    }

    /// As [`SqliteContainer::open`], committing with `sync`.
    pub async fn open_synced(
        path: impl AsRef<Path>,
        sync: SqliteSync,
    ) -> Result<Self, wasndr_core::store::StoreError> {
        let options = SqliteConnectOptions::new().filename(path).create_if_missing(true);
        Self::open_with_sync(options, sync).await
    }

    /// Opens the database at a `sqlite://` URL and migrates it.
    pub async fn open_url(url: &str) -> Result<Self, wasndr_core::store::StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(crate::sql::codec::backend)?
            .create_if_missing(true);
        Self::open_with(options).await
    }

    /// Opens a database with the caller's options, with WAL, full sync, foreign keys and the busy
    /// timeout set over them (the backend relies on all four).
    pub async fn open_with(options: SqliteConnectOptions) -> Result<Self, wasndr_core::store::StoreError> {
        Self::open_with_sync(options, SqliteSync::Full).await
    }

    /// As [`SqliteContainer::open_with`], committing with `sync` instead of FULL.
    pub async fn open_with_sync(
        options: SqliteConnectOptions,
        sync: SqliteSync,
    ) -> Result<Self, wasndr_core::store::StoreError> {
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(sync.pragma())
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .connect_with(options)
            .await
            .map_err(crate::sql::codec::backend)?;
        Self::from_pool(pool).await
    }
}
