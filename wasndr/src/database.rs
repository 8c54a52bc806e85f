//! Opening the configured database: a `postgres://` URL or a SQLite file.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use wasndr_gateway::{GatewayStore, PostgresStore, SqliteStore};

/// Where the data lives when nothing is configured.
pub(crate) const DEFAULT_SQLITE_PATH: &str = "wasndr.db";

/// Opens and migrates the store named by `database`.
pub(crate) async fn open(database: &str) -> anyhow::Result<Arc<dyn GatewayStore>> {
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
                SqliteStore::open(Path::new(path))
                    .await
                    .with_context(|| format!("opening SQLite database {path}"))?,
            )
        };
    store.migrate().await.context("migrating the database")?;
    Ok(store)
}
