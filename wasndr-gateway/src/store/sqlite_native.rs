//! The two store calls every send makes, run on SQLite without sqlx: the API key lookup (every request)
//! and the quota group commit (every batch of sends).
//!
//! Why: sqlx keeps each SQLite connection on a worker thread of its own, so every statement is a round
//! trip between threads (two wake-ups), which costs several times the statement itself; at thousands of
//! requests a second those hand-offs were a quarter of the REST path's CPU and added latency to every
//! send. Instead:
//! - the key lookup is an indexed read on a connection the request's own thread uses directly. It cannot
//!   be cached: product.md wants a revocation to hold on the next request, and the operator CLI revokes
//!   from another process. A WAL reader never waits for the writer and the row's pages are in the page
//!   cache, so the read takes microseconds: cheaper in place than handed off;
//! - a quota batch (a transaction that waits for its fsync, so not in place) runs whole on a quota
//!   thread of its own: one hand-off each way instead of four statements' worth.
//!
//! PostgreSQL has neither ([`NativePaths`] for `()` answers nothing), and neither has a SQLite store over
//! an in-memory database (another connection cannot reach it): both go through sqlx.

use async_trait::async_trait;

use super::{KeyRecord, QuotaChange};
use crate::error::Result;

/// A backend's ways around its sqlx pool; `None` means "not here, ask the pool".
#[async_trait]
pub(crate) trait NativePaths: Clone + std::fmt::Debug + Send + Sync {
    /// The unrevoked key with this secret hash.
    fn find_key(&self, secret_hash: &str) -> Result<Option<Option<KeyRecord>>>;

    /// [`GatewayStore::apply_quota_changes`](super::GatewayStore::apply_quota_changes).
    async fn apply_quota(&self, changes: &[QuotaChange]) -> Option<Result<Vec<Option<u64>>>>;
}

#[async_trait]
impl NativePaths for () {
    fn find_key(&self, _secret_hash: &str) -> Result<Option<Option<KeyRecord>>> {
        Ok(None)
    }

    async fn apply_quota(&self, _changes: &[QuotaChange]) -> Option<Result<Vec<Option<u64>>>> {
        None
    }
}

#[cfg(feature = "sqlite")]
pub(crate) use sqlite::SqliteNative;

#[cfg(feature = "sqlite")]
mod sqlite {
    use std::path::PathBuf;
    use std::sync::{Arc, Mutex, mpsc};

    use async_trait::async_trait;
    use tokio::sync::{OnceCell, oneshot};

    use super::super::sql::{FIND_KEY_SQL, LOCK_QUOTA_SQL, QuotaCounters, SET_QUOTA_SQL, decide_quota};
    use super::{KeyRecord, NativePaths, QuotaChange};
    use crate::error::{GatewayError, Result};
    use crate::scope::ScopeSet;

    /// Idle read connections kept for reuse: one per thread reading at once is plenty on a few cores.
    const KEPT_READERS: usize = 4;

    /// How long a connection waits for another's write lock (as the pool's connections do).
    const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

    /// See the [module docs](super).
    #[derive(Clone, Debug)]
    pub(crate) struct SqliteNative {
        inner: Option<Arc<Native>>,
    }

    #[derive(Debug)]
    struct Native {
        path: PathBuf,
        pool: sqlx::SqlitePool,
        readers: Mutex<Vec<rusqlite::Connection>>,
        /// Started on the first quota batch, with the pool's `synchronous` level.
        quota: OnceCell<mpsc::Sender<QuotaJob>>,
    }

    struct QuotaJob {
        changes: Vec<QuotaChange>,
        done: oneshot::Sender<Result<Vec<Option<u64>>>>,
    }

    impl std::fmt::Debug for QuotaJob {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("QuotaJob").finish_non_exhaustive()
        }
    }

    fn storage(error: rusqlite::Error) -> GatewayError {
        GatewayError::Storage(error.to_string())
    }

    fn gone() -> GatewayError {
        GatewayError::Storage("the SQLite quota thread is gone".to_owned())
    }

    impl SqliteNative {
        /// The native paths for the database file behind `pool`; none for an in-memory database.
        pub(crate) fn for_pool(pool: &sqlx::SqlitePool) -> Self {
            let options = pool.connect_options();
            let path = options.get_filename();
            let name = path.to_string_lossy();
            // sqlx names its in-memory databases `:memory:` or `file:sqlx-in-memory-N`.
            let in_memory = name == ":memory:" || name.starts_with("file:");
            Self {
                inner: (!in_memory).then(|| {
                    Arc::new(Native {
                        path: path.to_path_buf(),
                        pool: pool.clone(),
                        readers: Mutex::new(Vec::new()),
                        quota: OnceCell::new(),
                    })
                }),
            }
        }
    }

    impl Native {
        fn open(&self, flags: rusqlite::OpenFlags) -> rusqlite::Result<rusqlite::Connection> {
            let conn = rusqlite::Connection::open_with_flags(
                &self.path,
                flags | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            conn.busy_timeout(BUSY_TIMEOUT)?;
            Ok(conn)
        }

        fn reader(&self) -> Result<rusqlite::Connection> {
            if let Some(conn) = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop() {
                return Ok(conn);
            }
            self.open(rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .map_err(storage)
        }

        fn keep_reader(&self, conn: rusqlite::Connection) {
            let mut idle = self.readers.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < KEPT_READERS {
                idle.push(conn);
            }
        }

        /// The quota thread's queue, starting the thread on first use.
        async fn quota(&self) -> Result<&mpsc::Sender<QuotaJob>> {
            self.quota
                .get_or_try_init(|| async {
                    // Commit as durably as the pool's connections do (FULL or NORMAL).
                    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
                        .fetch_one(&self.pool)
                        .await?;
                    let conn = self
                        .open(rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)
                        .and_then(|conn| {
                            conn.pragma_update(None, "synchronous", synchronous)?;
                            Ok(conn)
                        })
                        .map_err(storage)?;
                    let (queue, jobs) = mpsc::channel();
                    std::thread::Builder::new()
                        .name("wasndr-quota".into())
                        .spawn(move || serve_quota(&conn, &jobs))
                        .map_err(|error| GatewayError::Storage(error.to_string()))?;
                    Ok(queue)
                })
                .await
        }
    }

    fn find_key(conn: &rusqlite::Connection, secret_hash: &str) -> rusqlite::Result<Option<KeyRecord>> {
        let mut statement = conn.prepare_cached(FIND_KEY_SQL)?;
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

    /// The quota thread: one transaction per batch, answered after its COMMIT.
    fn serve_quota(conn: &rusqlite::Connection, jobs: &mpsc::Receiver<QuotaJob>) {
        while let Ok(job) = jobs.recv() {
            let outcome = apply_quota(conn, &job.changes);
            if outcome.is_err() {
                // Fails harmlessly when there is no transaction left to roll back.
                let _ = conn.execute_batch("ROLLBACK");
            }
            let _ = job.done.send(outcome);
        }
    }

    /// The sqlx backends' batch (`sql.rs`), with the same statements: lock and read each counter in key
    /// order, decide in arrival order, write each changed counter once. (SQLite numbers `$N` parameters
    /// in order of first appearance, so these statements use `$1`, `$2`, ... in that order.)
    fn apply_quota(conn: &rusqlite::Connection, changes: &[QuotaChange]) -> Result<Vec<Option<u64>>> {
        let mut counters: QuotaCounters<'_> = changes.iter().map(|c| (c.counter(), (0, 0))).collect();
        conn.execute_batch("BEGIN IMMEDIATE").map_err(storage)?;
        {
            let mut read = conn.prepare_cached(LOCK_QUOTA_SQL).map_err(storage)?;
            for ((account_id, period), (before, after)) in counters.iter_mut() {
                let used: i64 = read
                    .query_row([*account_id, *period], |row| row.get(0))
                    .map_err(storage)?;
                *before = u64::try_from(used).unwrap_or(0);
                *after = *before;
            }
        }
        let outcomes = decide_quota(changes, &mut counters)?;
        let mut write = conn.prepare_cached(SET_QUOTA_SQL).map_err(storage)?;
        for ((account_id, period), (before, after)) in &counters {
            if before != after {
                let used = i64::try_from(*after).unwrap_or(i64::MAX);
                write
                    .execute(rusqlite::params![used, account_id, period])
                    .map_err(storage)?;
            }
        }
        conn.execute_batch("COMMIT").map_err(storage)?;
        Ok(outcomes)
    }

    #[async_trait]
    impl NativePaths for SqliteNative {
        fn find_key(&self, secret_hash: &str) -> Result<Option<Option<KeyRecord>>> {
            let Some(native) = &self.inner else {
                return Ok(None);
            };
            let conn = native.reader()?;
            let found = find_key(&conn, secret_hash).map_err(storage)?;
            native.keep_reader(conn);
            Ok(Some(found))
        }

        async fn apply_quota(&self, changes: &[QuotaChange]) -> Option<Result<Vec<Option<u64>>>> {
            let native = self.inner.as_ref()?;
            if changes.is_empty() {
                return Some(Ok(Vec::new()));
            }
            Some(
                async {
                    let (done, answer) = oneshot::channel();
                    native
                        .quota()
                        .await?
                        .send(QuotaJob {
                            changes: changes.to_vec(),
                            done,
                        })
                        .map_err(|_| gone())?;
                    answer.await.map_err(|_| gone())?
                }
                .await,
            )
        }
    }
}
