//! The API key lookup every request makes, answered in place: an indexed point read on a SQLite
//! connection the calling thread uses directly.
//!
//! Why not through sqlx: its SQLite connections live on worker threads of their own, so a query is a
//! round trip between threads (two wake-ups), which cost several times the read itself; at thousands of
//! requests a second that hand-off was a quarter of the REST path. The key cannot be cached instead:
//! product.md wants a revocation to hold on the next request, and the operator CLI revokes from another
//! process. A WAL reader never waits for the writer, and the row's pages are in the page cache, so the
//! read takes microseconds and blocking the async worker for it is cheaper than handing it off.
//!
//! PostgreSQL has no such reader ([`KeyReads`] for `()` answers nothing), and neither has a SQLite store
//! over an in-memory database (another connection cannot reach it): both query through sqlx.

use super::KeyRecord;
use crate::error::Result;

/// A backend's in-place key lookup.
pub(crate) trait KeyReads: Clone + std::fmt::Debug + Send + Sync {
    /// The key with this secret hash, unrevoked; `Ok(None)` when this reader cannot answer (the caller
    /// then asks the pool).
    fn find_key(&self, secret_hash: &str) -> Result<Option<Option<KeyRecord>>>;
}

impl KeyReads for () {
    fn find_key(&self, _secret_hash: &str) -> Result<Option<Option<KeyRecord>>> {
        Ok(None)
    }
}

#[cfg(feature = "sqlite")]
pub(crate) use sqlite::SqliteKeyReads;

#[cfg(feature = "sqlite")]
mod sqlite {
    use std::path::PathBuf;
    use std::sync::Mutex;

    use super::{KeyReads, KeyRecord};
    use crate::error::{GatewayError, Result};
    use crate::scope::ScopeSet;

    /// Connections kept for reuse: one per thread reading at once is plenty on a few cores.
    const KEPT_CONNECTIONS: usize = 4;

    /// See the [module docs](super).
    #[derive(Clone, Debug)]
    pub(crate) struct SqliteKeyReads {
        inner: Option<std::sync::Arc<Reader>>,
    }

    #[derive(Debug)]
    struct Reader {
        path: PathBuf,
        idle: Mutex<Vec<rusqlite::Connection>>,
    }

    fn storage(error: rusqlite::Error) -> GatewayError {
        GatewayError::Storage(error.to_string())
    }

    impl SqliteKeyReads {
        /// A reader for the database file behind `options`; none for an in-memory database.
        pub(crate) fn for_options(options: &sqlx::sqlite::SqliteConnectOptions) -> Self {
            let path = options.get_filename();
            let name = path.to_string_lossy();
            // sqlx names its in-memory databases `:memory:` or `file:sqlx-in-memory-N`.
            let in_memory = name == ":memory:" || name.starts_with("file:");
            Self {
                inner: (!in_memory).then(|| {
                    std::sync::Arc::new(Reader {
                        path: path.to_path_buf(),
                        idle: Mutex::new(Vec::new()),
                    })
                }),
            }
        }
    }

    impl Reader {
        fn connection(&self) -> Result<rusqlite::Connection> {
            if let Some(conn) = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop() {
                return Ok(conn);
            }
            let flags =
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let conn = rusqlite::Connection::open_with_flags(&self.path, flags).map_err(storage)?;
            // Only while the writer checkpoints or recovers the WAL does a reader wait.
            conn.busy_timeout(std::time::Duration::from_secs(5))
                .map_err(storage)?;
            Ok(conn)
        }

        fn keep(&self, conn: rusqlite::Connection) {
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < KEPT_CONNECTIONS {
                idle.push(conn);
            }
        }

        fn find(conn: &rusqlite::Connection, secret_hash: &str) -> rusqlite::Result<Option<KeyRecord>> {
            let mut statement = conn.prepare_cached(
                "SELECT id, account_id, name, prefix, scopes, created_at, last_used_at FROM api_keys \
                 WHERE key_hash = ?1 AND revoked_at IS NULL",
            )?;
            let mut rows = statement.query([secret_hash])?;
            let Some(row) = rows.next()? else {
                return Ok(None);
            };
            let scopes: String = row.get(4)?;
            Ok(Some(KeyRecord {
                id: row.get(0)?,
                account_id: row.get(1)?,
                name: row.get(2)?,
                prefix: row.get(3)?,
                scopes: ScopeSet::from_storage(&scopes),
                created_at: row.get(5)?,
                last_used_at: row.get(6)?,
            }))
        }
    }

    impl KeyReads for SqliteKeyReads {
        fn find_key(&self, secret_hash: &str) -> Result<Option<Option<KeyRecord>>> {
            let Some(reader) = &self.inner else {
                return Ok(None);
            };
            let conn = reader.connection()?;
            let found = Reader::find(&conn, secret_hash).map_err(storage)?;
            reader.keep(conn);
            Ok(Some(found))
        }
    }
}
