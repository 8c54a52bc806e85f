//! The PostgreSQL backend: pooled connections, for many devices and several nodes sharing one database.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::sql::{Migration, sql_store};

/// Schema migrations, oldest first (the SQLite ones adapted).
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    sql: include_str!("../migrations/postgres/0001_init.sql"),
}];

/// Pool size of [`PostgresContainer::connect`].
pub const DEFAULT_MAX_CONNECTIONS: u32 = 16;

sql_store! {
    store: PostgresStore,
    container: PostgresContainer,
    db: sqlx::Postgres,
    pool: sqlx::PgPool,
    writer: PgWriter,
    begin_write: "BEGIN",
    // Nodes starting together must not run the same migration twice.
    migration_lock: Some("SELECT pg_advisory_xact_lock(7253010101)"),
    contains: "strpos",
    migrations: MIGRATIONS,
    store_doc: "The store of one device in a PostgreSQL database (handed out by [`PostgresContainer`]).",
    container_doc: "A PostgreSQL database holding many devices, over a connection pool. Tables live in \
        the connection's `search_path` schema.",
}

/// PostgreSQL's [`BatchWriter`]: the planned statements through sqlx, in one transaction on a pooled
/// connection.
#[derive(Debug, Clone)]
struct PgWriter {
    pool: sqlx::PgPool,
}

#[async_trait]
impl BatchWriter for PgWriter {
    type Pool = sqlx::PgPool;

    async fn open(pool: &sqlx::PgPool) -> Result<Self, StoreError> {
        Ok(Self { pool: pool.clone() })
    }

    async fn run(&self, writes: Vec<Write>) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let mut last = 0;
        for mut write in writes {
            let params = std::mem::take(&mut write.params);
            let done = bind_all(sqlx::query(write.sql), params)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            // An error drops the transaction uncommitted, which rolls it back.
            last = write.check(done.rows_affected())?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(last)
    }
}

impl PostgresContainer {
    /// Connects to `url` (`postgres://user@host:port/db`, TLS through rustls when the URL asks for it)
    /// with a pool of [`DEFAULT_MAX_CONNECTIONS`], and migrates the database.
    pub async fn connect(url: &str) -> Result<Self, wasndr_core::store::StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(crate::sql::codec::backend)?;
        Self::connect_with(options, DEFAULT_MAX_CONNECTIONS).await
    }

    /// Connects with the caller's options (e.g. a `search_path` schema) and pool size, and migrates.
    pub async fn connect_with(
        options: PgConnectOptions,
        max_connections: u32,
    ) -> Result<Self, wasndr_core::store::StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .connect_with(options)
            .await
            .map_err(crate::sql::codec::backend)?;
        Self::from_pool(pool).await
    }
}
