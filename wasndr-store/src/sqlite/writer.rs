//! SQLite's [`BatchWriter`]: one thread per database with its own connection, which runs whole calls'
//! planned writes and commits the calls that queued meanwhile, from every device of the file, together.
//!
//! Why a thread of its own: through sqlx every statement is a round trip between the calling task and
//! the connection's worker thread (two thread wake-ups), and a client's group commit is many
//! statements; under load those hand-offs, not SQLite, were the cost of a send. Here a call is one
//! hand-off each way. SQLite admits one writer per database anyway, so one thread loses no
//! parallelism, and calls that queue while a commit runs share the next one (one fsync under
//! `synchronous = FULL` for all of them).
//!
//! A call that fails is rolled back alone and answered with its error; the others commit (see
//! [`commit`]). Nobody is answered before the COMMIT returned; if it fails, every call in it fails and
//! nothing of them is stored.

use std::sync::mpsc;

use rusqlite::types::{ToSql, ToSqlOutput, Value, ValueRef};
use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;
use wasndr_core::store::StoreError;

use crate::sql::BatchWriter;
use crate::sql::codec::backend;
use crate::sql::writes::{Param, Write};

/// Most calls committed together: bounds how long the first of them waits for the rest to run.
const MAX_CALLS_PER_COMMIT: usize = 512;

/// Statements kept prepared: every distinct statement the plan uses, with room to spare.
const STATEMENT_CACHE: usize = 64;

struct Call {
    writes: Vec<Write>,
    done: oneshot::Sender<Result<u64, StoreError>>,
}

/// See the [module docs](self). Cloned into every store of the container; the thread ends when the
/// last clone is dropped.
#[derive(Clone)]
pub(crate) struct SqliteWriter {
    queue: mpsc::Sender<Call>,
}

impl std::fmt::Debug for SqliteWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteWriter").finish_non_exhaustive()
    }
}

impl ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Param::Int(Some(value)) => ToSqlOutput::Owned(Value::Integer(*value)),
            Param::Text(Some(value)) => ToSqlOutput::Borrowed(ValueRef::Text(value.as_bytes())),
            Param::Blob(Some(value)) => ToSqlOutput::Borrowed(ValueRef::Blob(value)),
            // As sqlx stores booleans in SQLite, so rows written either way read the same.
            Param::Bool(value) => ToSqlOutput::Owned(Value::Integer(i64::from(*value))),
            Param::Int(None) | Param::Text(None) | Param::Blob(None) => ToSqlOutput::Owned(Value::Null),
        })
    }
}

fn sqlite_error(error: rusqlite::Error) -> StoreError {
    StoreError::backend(error)
}

/// Where the pool's main database lives, and how its connections commit.
struct Target {
    /// The file path, or the shared in-memory database's URI name.
    name: String,
    in_memory: bool,
    synchronous: i64,
}

async fn target(pool: &sqlx::SqlitePool) -> Result<Target, StoreError> {
    // `database_list` names the file SQLite actually opened (after URI and relative-path handling);
    // an in-memory database has none, and is reached by the name sqlx opened it under.
    let rows: Vec<(i64, String, String)> = sqlx::query_as("PRAGMA database_list")
        .fetch_all(pool)
        .await
        .map_err(backend)?;
    let file = rows
        .into_iter()
        .find(|(_, schema, _)| schema == "main")
        .map(|(_, _, file)| file)
        .unwrap_or_default();
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(pool)
        .await
        .map_err(backend)?;
    let in_memory = file.is_empty();
    let name = if in_memory {
        pool.connect_options()
            .get_filename()
            .to_string_lossy()
            .into_owned()
    } else {
        file
    };
    Ok(Target {
        name,
        in_memory,
        synchronous,
    })
}

fn connect(target: &Target) -> rusqlite::Result<Connection> {
    let mut flags =
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if target.in_memory {
        flags |= OpenFlags::SQLITE_OPEN_MEMORY | OpenFlags::SQLITE_OPEN_SHARED_CACHE;
    }
    let conn = Connection::open_with_flags(&target.name, flags)?;
    conn.busy_timeout(super::BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "synchronous", target.synchronous)?;
    // Statement journals (a failing batch's savepoints) stay in memory, never in temporary files.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // The schema is the pool's (migrated before the writer opens): seeing it proves this connection
    // reached the same database, not a private one of its own.
    conn.query_row("SELECT COUNT(*) FROM wasndr_store_migrations", [], |_| Ok(()))?;
    Ok(conn)
}

#[async_trait::async_trait]
impl BatchWriter for SqliteWriter {
    type Pool = sqlx::SqlitePool;

    async fn open(pool: &sqlx::SqlitePool) -> Result<Self, StoreError> {
        let target = target(pool).await?;
        let (opened, ready) = oneshot::channel();
        let (queue, calls) = mpsc::channel();
        std::thread::Builder::new()
            .name("wasndr-sqlite-writer".into())
            .spawn(move || match connect(&target) {
                Ok(conn) => {
                    let _ = opened.send(Ok(()));
                    serve(&conn, &calls);
                }
                Err(error) => drop(opened.send(Err(sqlite_error(error)))),
            })
            .map_err(StoreError::backend)?;
        ready
            .await
            .map_err(|_| StoreError::Missing("the SQLite writer thread"))??;
        Ok(Self { queue })
    }

    async fn run(&self, writes: Vec<Write>) -> Result<u64, StoreError> {
        let (done, answer) = oneshot::channel();
        self.queue
            .send(Call { writes, done })
            .map_err(|_| StoreError::Missing("the SQLite writer thread"))?;
        answer
            .await
            .map_err(|_| StoreError::Missing("the SQLite writer thread"))?
    }
}

/// The writer thread: takes every queued call, runs them in one transaction, answers after COMMIT.
fn serve(conn: &Connection, calls: &mpsc::Receiver<Call>) {
    let mut batch = Vec::new();
    while let Ok(first) = calls.recv() {
        batch.push(first);
        while batch.len() < MAX_CALLS_PER_COMMIT {
            match calls.try_recv() {
                Ok(call) => batch.push(call),
                Err(_) => break,
            }
        }
        commit(conn, &mut batch);
    }
}

/// Runs and answers `batch` (left empty).
///
/// First all calls run in one plain transaction: savepoints make SQLite copy every page a call
/// touches into a statement journal, which costs a busy writer more than the statements. Only when a
/// call fails is that transaction rolled back and the batch run again with a savepoint per call, so
/// the failing call is undone alone.
fn commit(conn: &Connection, batch: &mut Vec<Call>) {
    let outcomes = match run_batch(conn, batch, Isolation::Shared) {
        Ok(outcomes) => Ok(outcomes),
        Err(Failure::Call) => run_batch(conn, batch, Isolation::PerCall),
        Err(failure) => Err(failure),
    };
    let outcomes = outcomes.unwrap_or_else(|failure| {
        let error = match failure {
            Failure::Transaction(error) => sqlite_error(error),
            // Not reached: with a savepoint per call a call's error is its own.
            Failure::Call => StoreError::Missing("an isolated run of the batch"),
        };
        batch.iter().map(|_| Err(error.clone())).collect()
    });
    for (call, outcome) in batch.drain(..).zip(outcomes) {
        // A caller that went away no longer needs the answer.
        let _ = call.done.send(outcome);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Isolation {
    /// One transaction, no savepoints: any failing call fails the run.
    Shared,
    /// A savepoint per call: a failing call is rolled back alone.
    PerCall,
}

enum Failure {
    /// A call failed in a [`Isolation::Shared`] run; the transaction was rolled back.
    Call,
    /// The transaction itself failed (BEGIN, COMMIT, a savepoint, or SQLite rolled it back); it was
    /// rolled back, and every call fails with this.
    Transaction(rusqlite::Error),
}

/// Runs every call of `batch` in one transaction: each call's outcome once committed.
fn run_batch(
    conn: &Connection,
    batch: &[Call],
    isolation: Isolation,
) -> Result<Vec<Result<u64, StoreError>>, Failure> {
    let outcomes = run_in_transaction(conn, batch, isolation);
    if outcomes.is_err() {
        // Fails harmlessly when SQLite already rolled the transaction back on its own.
        let _ = conn.execute_batch("ROLLBACK");
    }
    outcomes
}

fn run_in_transaction(
    conn: &Connection,
    batch: &[Call],
    isolation: Isolation,
) -> Result<Vec<Result<u64, StoreError>>, Failure> {
    let per_call = isolation == Isolation::PerCall;
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(Failure::Transaction)?;
    let mut outcomes = Vec::with_capacity(batch.len());
    for call in batch {
        if per_call {
            conn.execute_batch("SAVEPOINT call")
                .map_err(Failure::Transaction)?;
        }
        let outcome = run_writes(conn, &call.writes);
        if conn.is_autocommit() {
            // Some errors (a full disk, an I/O error) make SQLite roll the whole transaction back
            // itself; the calls before this one are gone with it.
            let reason = outcome
                .err()
                .map_or_else(String::new, |error| format!(": {error}"));
            return Err(Failure::Transaction(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
                Some(format!("SQLite rolled the transaction back{reason}")),
            )));
        }
        match (&outcome, per_call) {
            (Err(_), false) => return Err(Failure::Call),
            (Err(_), true) => conn
                .execute_batch("ROLLBACK TO call; RELEASE call")
                .map_err(Failure::Transaction)?,
            (Ok(_), true) => conn.execute_batch("RELEASE call").map_err(Failure::Transaction)?,
            (Ok(_), false) => {}
        }
        outcomes.push(outcome);
    }
    conn.execute_batch("COMMIT").map_err(Failure::Transaction)?;
    Ok(outcomes)
}

/// Runs one call's writes in order: the rows the last one touched.
fn run_writes(conn: &Connection, writes: &[Write]) -> Result<u64, StoreError> {
    let mut last = 0;
    for write in writes {
        let mut statement = conn.prepare_cached(write.sql).map_err(sqlite_error)?;
        let rows = statement
            .execute(rusqlite::params_from_iter(write.params.iter()))
            .map_err(sqlite_error)?;
        last = write.check(u64::try_from(rows).unwrap_or(u64::MAX))?;
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::{SqliteContainer, SqliteSync};

    /// The writer commits as the pool does: FULL stays FULL, NORMAL stays NORMAL.
    #[tokio::test]
    async fn the_writer_connection_takes_the_pools_settings() {
        let dir = tempfile::tempdir().unwrap();
        for (sync, file, expected) in [
            (SqliteSync::Full, "full.db", 2_i64),
            (SqliteSync::Normal, "normal.db", 1),
        ] {
            let path = dir.path().join(file);
            let container = SqliteContainer::open_synced(&path, sync).await.unwrap();
            let target = target(container.pool()).await.unwrap();
            assert!(!target.in_memory);
            assert_eq!(
                std::fs::canonicalize(&target.name).unwrap(),
                std::fs::canonicalize(&path).unwrap()
            );
            let conn = connect(&target).unwrap();
            let level: i64 = conn
                .pragma_query_value(None, "synchronous", |row| row.get(0))
                .unwrap();
            assert_eq!(level, expected, "{sync:?}");
            let keys: i64 = conn
                .pragma_query_value(None, "foreign_keys", |row| row.get(0))
                .unwrap();
            assert_eq!(keys, 1);
            let journal: String = conn
                .pragma_query_value(None, "journal_mode", |row| row.get(0))
                .unwrap();
            assert_eq!(journal, "wal");
        }
    }

    /// A connection that reaches a database without the store's schema is refused, not written to.
    #[test]
    fn a_database_without_the_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = Target {
            name: dir.path().join("empty.db").to_string_lossy().into_owned(),
            in_memory: false,
            synchronous: 2,
        };
        std::fs::write(&target.name, b"").unwrap();
        assert!(connect(&target).is_err());
    }
}
