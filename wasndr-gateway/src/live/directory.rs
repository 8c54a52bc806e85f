//! Which device of the device database belongs to which session.
//!
//! The mapping lives in the device database itself (table `wasndr_engine_sessions`), beside the
//! devices it points to, so a device and the row that names its session are in one place: a restart
//! finds every session's device, and a deleted database takes both with it.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use wasndr_store::DeviceId;

use crate::error::{GatewayError, Result};

/// Session id → device id, persisted.
#[async_trait]
pub trait SessionDirectory: Send + Sync + std::fmt::Debug {
    /// The device of `session_id`, if one was assigned.
    async fn device_of(&self, session_id: &str) -> Result<Option<DeviceId>>;

    /// Records that `session_id` uses `device` (replacing an earlier assignment).
    async fn assign(&self, session_id: &str, device: DeviceId) -> Result<()>;

    /// Forgets `session_id`'s device. Forgetting an unknown session does nothing.
    async fn forget(&self, session_id: &str) -> Result<()>;
}

fn storage(error: sqlx::Error) -> GatewayError {
    GatewayError::Storage(format!("engine session directory: {error}"))
}

/// In memory: for tests and for an engine over a memory device store.
#[derive(Debug, Default)]
pub struct MemoryDirectory {
    map: Mutex<HashMap<String, DeviceId>>,
}

impl MemoryDirectory {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, DeviceId>> {
        // Each critical section is one map operation: a poisoned map is still whole.
        self.map.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl SessionDirectory for MemoryDirectory {
    async fn device_of(&self, session_id: &str) -> Result<Option<DeviceId>> {
        Ok(self.map().get(session_id).copied())
    }

    async fn assign(&self, session_id: &str, device: DeviceId) -> Result<()> {
        self.map().insert(session_id.to_owned(), device);
        Ok(())
    }

    async fn forget(&self, session_id: &str) -> Result<()> {
        self.map().remove(session_id);
        Ok(())
    }
}

/// The same statements serve SQLite and PostgreSQL (`$n` placeholders, an upsert both understand).
const CREATE: &str = "CREATE TABLE IF NOT EXISTS wasndr_engine_sessions (\
    session_id TEXT PRIMARY KEY NOT NULL, device_id BIGINT NOT NULL)";
const SELECT: &str = "SELECT device_id FROM wasndr_engine_sessions WHERE session_id = $1";
const UPSERT: &str = "INSERT INTO wasndr_engine_sessions (session_id, device_id) VALUES ($1, $2) \
    ON CONFLICT (session_id) DO UPDATE SET device_id = excluded.device_id";
const DELETE: &str = "DELETE FROM wasndr_engine_sessions WHERE session_id = $1";

macro_rules! sql_directory {
    ($name:ident, $pool:ty, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone)]
        pub struct $name {
            pool: $pool,
        }

        impl $name {
            /// Creates the table if needed.
            pub async fn new(pool: $pool) -> Result<Self> {
                sqlx::query(CREATE).execute(&pool).await.map_err(storage)?;
                Ok(Self { pool })
            }
        }

        #[async_trait]
        impl SessionDirectory for $name {
            async fn device_of(&self, session_id: &str) -> Result<Option<DeviceId>> {
                let id: Option<i64> = sqlx::query_scalar(SELECT)
                    .bind(session_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(storage)?;
                Ok(id.map(DeviceId))
            }

            async fn assign(&self, session_id: &str, device: DeviceId) -> Result<()> {
                sqlx::query(UPSERT)
                    .bind(session_id)
                    .bind(device.0)
                    .execute(&self.pool)
                    .await
                    .map_err(storage)?;
                Ok(())
            }

            async fn forget(&self, session_id: &str) -> Result<()> {
                sqlx::query(DELETE)
                    .bind(session_id)
                    .execute(&self.pool)
                    .await
                    .map_err(storage)?;
                Ok(())
            }
        }
    };
}

#[cfg(feature = "sqlite")]
sql_directory!(
    SqliteDirectory,
    sqlx::SqlitePool,
    "The mapping in a SQLite device database."
);

#[cfg(feature = "postgres")]
sql_directory!(
    PostgresDirectory,
    sqlx::PgPool,
    "The mapping in a PostgreSQL device database."
);
