//! SQLite's writer thread (`src/sqlite/writer.rs`): calls from many devices of one file share
//! commits, yet each call stands or falls alone; and a shared in-memory database is reached too.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use wasndr_core::store::Changes;
use wasndr_store::{SqliteContainer, Store, StoreContainer, StoreError};

fn setting(key: &str, value: &[u8]) -> Changes {
    let mut changes = Changes::new();
    changes.settings.push((key.to_owned(), value.to_vec()));
    changes
}

/// Device B is deleted behind its store, so every write of B breaks a foreign key inside the writer
/// (not in planning). Sent concurrently with A's writes from a multi-threaded runtime, they land in
/// the same commits as A's: A's must all be stored, B's all refused, and nothing of B stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_call_fails_alone_in_a_shared_commit() {
    let dir = tempfile::tempdir().unwrap();
    let container = SqliteContainer::open(dir.path().join("writer.db")).await.unwrap();
    let a = container
        .open_device(container.create_device().await.unwrap())
        .await
        .unwrap();
    let b_id = container.create_device().await.unwrap();
    let b = container.open_device(b_id).await.unwrap();
    container.delete_device(b_id).await.unwrap();

    let mut tasks = Vec::new();
    for n in 0..200 {
        let a: Arc<dyn Store> = a.clone();
        let b: Arc<dyn Store> = b.clone();
        tasks.push(tokio::spawn(async move {
            let key = format!("k{n}");
            let good = [setting(&key, b"a"), setting("last", key.as_bytes())];
            let bad = setting(&key, b"b");
            tokio::join!(a.apply_all(&good), b.apply(&bad))
        }));
    }
    for task in tasks {
        let (good, bad) = task.await.unwrap();
        good.unwrap();
        assert!(matches!(bad, Err(StoreError::Backend(_))), "{bad:?}");
    }
    for n in 0..200 {
        assert_eq!(a.setting(&format!("k{n}")).await.unwrap(), Some(b"a".to_vec()));
    }
    assert!(a.setting("last").await.unwrap().is_some());
    let b_rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM wa_settings WHERE device_id = $1")
        .bind(b_id.0)
        .fetch_one(container.pool())
        .await
        .unwrap();
    assert_eq!(b_rows, 0, "nothing of the failing calls is stored");
}

/// `sqlite::memory:` opens a shared-cache in-memory database; the writer joins the same one, so what
/// it writes is what the pool reads.
#[tokio::test]
async fn a_shared_in_memory_database_is_written_and_read() {
    let container = SqliteContainer::open_url("sqlite::memory:").await.unwrap();
    let store = container
        .open_device(container.create_device().await.unwrap())
        .await
        .unwrap();
    store.apply(&setting("k", b"v")).await.unwrap();
    assert_eq!(store.setting("k").await.unwrap(), Some(b"v".to_vec()));
    store.apply(&setting("k", b"w")).await.unwrap();
    assert_eq!(store.setting("k").await.unwrap(), Some(b"w".to_vec()));
}
