//! Opening the configured database: a `postgres://` URL or a SQLite file.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use wasndr_gateway::{GatewayStore, PostgresStore, SqliteStore};

use crate::config::SqliteSynchronous;

/// Where the data lives when nothing is configured.
pub(crate) const DEFAULT_SQLITE_PATH: &str = "wasndr.db";

/// Opens and migrates the store named by `database` (a SQLite file committing with `sync`).
pub(crate) async fn open(database: &str, sync: SqliteSynchronous) -> anyhow::Result<Arc<dyn GatewayStore>> {
    let store: Arc<dyn GatewayStore> =
        if database.starts_with("postgres://") || database.starts_with("postgresql://") {
            Arc::new(
                PostgresStore::connect(database)
                    .await
                    .context("connecting to PostgreSQL")?,
            )
        } else {
            let path = database.strip_prefix("sqlite://").unwrap_or(database);
            Arc::new(
                SqliteStore::open_synced(Path::new(path), sync.gateway())
                    .await
                    .with_context(|| format!("opening SQLite database {path}"))?,
            )
        };
    store.migrate().await.context("migrating the database")?;
    Ok(store)
}
