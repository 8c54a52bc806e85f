//! One conformance suite for every `GatewayStore` backend: SQLite always, PostgreSQL when
//! `WASNDR_TEST_POSTGRES_URL` is set (CI sets it; each test gets its own fresh schema).

// A panic here is a failed test; a skip is reported on stderr.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use wasndr_gateway::engine::SessionStatus;
use wasndr_gateway::ids::new_uuid;
use wasndr_gateway::store::*;
use wasndr_gateway::{PostgresStore, ScopeSet, SqliteStore};

struct Backend {
    store: Arc<dyn GatewayStore>,
    _dir: Option<tempfile::TempDir>,
    pg_cleanup: Option<(sqlx::PgPool, String)>,
}

impl Backend {
    async fn finish(self) {
        if let Some((pool, schema)) = self.pg_cleanup {
            let drop = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(drop)).execute(&pool).await;
        }
    }
}

async fn sqlite() -> Option<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("gateway.db")).await.unwrap();
    store.migrate().await.unwrap();
    Some(Backend {
        store: Arc::new(store),
        _dir: Some(dir),
        pg_cleanup: None,
    })
}

/// SQLite behind the gateway's read cache: every check must hold through it too (changes made through
/// the cache are seen at once).
async fn cached_sqlite() -> Option<Backend> {
    let mut backend = sqlite().await?;
    let ttl = std::time::Duration::from_secs(1);
    backend.store = Arc::new(CachingStore::with_ttls(backend.store, ttl, ttl));
    Some(backend)
}

static SCHEMA_SEQ: AtomicU32 = AtomicU32::new(0);

async fn postgres() -> Option<Backend> {
    let Ok(url) = std::env::var("WASNDR_TEST_POSTGRES_URL") else {
        eprintln!("skipping the PostgreSQL conformance run: WASNDR_TEST_POSTGRES_URL is not set");
        return None;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let schema = format!(
        "wasndr_gw_test_{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000_000,
        SCHEMA_SEQ.fetch_add(1, Ordering::Relaxed)
    );
    let store = PostgresStore::connect_in_schema(&url, Some(&schema))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    Some(Backend {
        store: Arc::new(store),
        _dir: None,
        pg_cleanup: Some((admin, schema)),
    })
}

fn account(name: &str) -> AccountRecord {
    AccountRecord {
        id: new_uuid(),
        name: name.into(),
        plan: "standard".into(),
        created_at: 1_000,
    }
}

fn location(account: &AccountRecord, name: &str, at: i64) -> LocationRecord {
    LocationRecord {
        id: new_uuid(),
        account_id: account.id.clone(),
        name: name.into(),
        created_at: at,
        archived_at: None,
    }
}

fn session(location: &LocationRecord, at: i64) -> SessionRecord {
    SessionRecord {
        id: new_uuid(),
        account_id: location.account_id.clone(),
        location_id: location.id.clone(),
        name: "device".into(),
        status: SessionStatus::Starting,
        phone: None,
        jid: None,
        created_at: at,
    }
}

const PAGE: Page = Page { limit: 50, offset: 0 };

async fn migrations_are_idempotent(store: Arc<dyn GatewayStore>) {
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.count_accounts().await.unwrap(), 0);
}

async fn accounts_and_keys(store: Arc<dyn GatewayStore>) {
    let a = account("a");
    store.create_account(&a).await.unwrap();
    assert_eq!(store.get_account(&a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(store.count_accounts().await.unwrap(), 1);
    let key = key_of(&a);
    store.create_key(&key, "hash-1").await.unwrap();
    assert_eq!(store.find_key_by_hash("hash-1").await.unwrap(), Some(key.clone()));
    assert_eq!(store.find_key_by_hash("hash-2").await.unwrap(), None);
    store.touch_key(&key.id, 10_000, 60_000).await.unwrap();
    store.touch_key(&key.id, 20_000, 60_000).await.unwrap(); // within the interval: not written
    assert_eq!(
        store
            .find_key_by_hash("hash-1")
            .await
            .unwrap()
            .unwrap()
            .last_used_at,
        Some(10_000)
    );
    store.touch_key(&key.id, 80_000, 60_000).await.unwrap();
    assert_eq!(
        store
            .find_key_by_hash("hash-1")
            .await
            .unwrap()
            .unwrap()
            .last_used_at,
        Some(80_000)
    );
    let other = account("b");
    store.create_account(&other).await.unwrap();
    assert!(
        !store.revoke_key(&other.id, &key.id, 3_000).await.unwrap(),
        "another account cannot revoke it"
    );
    assert_eq!(store.list_keys(&a.id).await.unwrap().len(), 1);
    assert!(store.list_keys(&other.id).await.unwrap().is_empty());
    assert!(store.revoke_key(&a.id, &key.id, 3_000).await.unwrap());
    assert!(!store.revoke_key(&a.id, &key.id, 3_000).await.unwrap());
    assert_eq!(store.find_key_by_hash("hash-1").await.unwrap(), None);
    assert!(store.list_keys(&a.id).await.unwrap().is_empty());
}

async fn locations_are_per_account_and_archive_frees_sessions(store: Arc<dyn GatewayStore>) {
    let a = account("a");
    let b = account("b");
    store.create_account(&a).await.unwrap();
    store.create_account(&b).await.unwrap();
    let l1 = location(&a, "one", 1);
    let l2 = location(&a, "two", 2);
    store.create_location(&l1).await.unwrap();
    store.create_location(&l2).await.unwrap();
    assert_eq!(store.get_location(&b.id, &l1.id).await.unwrap(), None);
    let (page, total) = store
        .list_locations(&a.id, false, Page { limit: 1, offset: 1 })
        .await
        .unwrap();
    assert_eq!((page.len(), total), (1, 2));
    assert_eq!(page[0].id, l2.id);
    assert_eq!(store.list_locations(&b.id, true, PAGE).await.unwrap().1, 0);

    let s1 = session(&l1, 10);
    let s2 = session(&l2, 11);
    assert_eq!(
        store.create_session_within_limit(&s1, 5).await.unwrap(),
        SessionInsert::Created
    );
    assert_eq!(
        store.create_session_within_limit(&s2, 5).await.unwrap(),
        SessionInsert::Created
    );
    assert_eq!(store.count_sessions(&a.id).await.unwrap(), 2);
    assert_eq!(store.get_session(&b.id, &s1.id).await.unwrap(), None);
    assert_eq!(
        store.list_sessions(&a.id, Some(&l1.id), PAGE).await.unwrap().0,
        vec![s1.clone()]
    );

    assert_eq!(
        store.archive_location(&b.id, &l1.id, 50).await.unwrap(),
        None,
        "not b's location"
    );
    let removed = store.archive_location(&a.id, &l1.id, 50).await.unwrap().unwrap();
    assert_eq!(removed, vec![s1.clone()]);
    assert_eq!(
        store.archive_location(&a.id, &l1.id, 60).await.unwrap(),
        None,
        "already archived"
    );
    assert_eq!(store.count_sessions(&a.id).await.unwrap(), 1);
    assert_eq!(store.get_session(&a.id, &s1.id).await.unwrap(), None);
    assert_eq!(store.list_locations(&a.id, false, PAGE).await.unwrap().1, 1);
    let (all, total) = store.list_locations(&a.id, true, PAGE).await.unwrap();
    assert_eq!(total, 2);
    assert_eq!(all[0].archived_at, Some(50));
    assert_eq!(store.list_all_sessions().await.unwrap(), vec![s2.clone()]);
    let s3 = session(&l1, 12);
    assert_eq!(
        store.create_session_within_limit(&s3, 5).await.unwrap(),
        SessionInsert::NoSuchLocation
    );
    let foreign = SessionRecord {
        account_id: b.id.clone(),
        ..session(&l2, 13)
    };
    assert_eq!(
        store.create_session_within_limit(&foreign, 5).await.unwrap(),
        SessionInsert::NoSuchLocation
    );

    store
        .update_session_state(
            &s2.id,
            SessionStatus::Connected,
            Some("14155551234"),
            Some("14155551234:3@s.whatsapp.net"),
        )
        .await
        .unwrap();
    store
        .update_session_state(&s2.id, SessionStatus::Reconnecting, None, None)
        .await
        .unwrap();
    let got = store.get_session(&a.id, &s2.id).await.unwrap().unwrap();
    assert_eq!(
        (got.status, got.phone.as_deref()),
        (SessionStatus::Reconnecting, Some("14155551234"))
    );
    assert!(!store.delete_session(&b.id, &s2.id).await.unwrap());
    assert!(store.delete_session(&a.id, &s2.id).await.unwrap());
    assert_eq!(store.count_sessions(&a.id).await.unwrap(), 0);
}

async fn session_limit_is_exact_under_concurrency(store: Arc<dyn GatewayStore>) {
    let a = account("a");
    store.create_account(&a).await.unwrap();
    let l = location(&a, "l", 1);
    store.create_location(&l).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..12 {
        let store = store.clone();
        let record = session(&l, i);
        tasks.push(tokio::spawn(async move {
            store.create_session_within_limit(&record, 3).await.unwrap()
        }));
    }
    let mut created = 0;
    for task in tasks {
        if task.await.unwrap() == SessionInsert::Created {
            created += 1;
        }
    }
    assert_eq!(created, 3);
    assert_eq!(store.count_sessions(&a.id).await.unwrap(), 3);
}

async fn quota_is_exact_under_concurrency(store: Arc<dyn GatewayStore>) {
    let a = account("a");
    store.create_account(&a).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let store = store.clone();
        let id = a.id.clone();
        tasks.push(tokio::spawn(async move {
            store.try_consume_quota(&id, "2026-11", 20).await.unwrap()
        }));
    }
    let mut granted: Vec<u64> = Vec::new();
    for task in tasks {
        if let Some(used) = task.await.unwrap() {
            granted.push(used);
        }
    }
    granted.sort_unstable();
    assert_eq!(
        granted,
        (1..=20).collect::<Vec<_>>(),
        "each unit granted exactly once"
    );
    assert_eq!(store.quota_used(&a.id, "2026-11").await.unwrap(), 20);
    assert_eq!(store.try_consume_quota(&a.id, "2026-11", 20).await.unwrap(), None);
    store.refund_quota(&a.id, "2026-11").await.unwrap();
    assert_eq!(store.quota_used(&a.id, "2026-11").await.unwrap(), 19);
    assert_eq!(
        store.try_consume_quota(&a.id, "2026-11", 20).await.unwrap(),
        Some(20)
    );
    assert_eq!(
        store.try_consume_quota(&a.id, "2026-12", 20).await.unwrap(),
        Some(1),
        "a new month starts at zero"
    );
    assert_eq!(store.try_consume_quota(&a.id, "2026-12", 0).await.unwrap(), None);
    assert_eq!(store.quota_used(&a.id, "2027-01").await.unwrap(), 0);
    store.refund_quota(&a.id, "2027-01").await.unwrap();
    assert_eq!(
        store.quota_used(&a.id, "2027-01").await.unwrap(),
        0,
        "a refund never goes below zero"
    );
}

/// A batch applies in arrival order, per counter, exactly as one call per change would have.
async fn quota_batches_apply_in_order(store: Arc<dyn GatewayStore>) {
    let a = account("a");
    let b = account("b");
    store.create_account(&a).await.unwrap();
    store.create_account(&b).await.unwrap();
    let consume = |who: &AccountRecord, period: &str, limit: u64| QuotaChange::Consume {
        account_id: who.id.clone(),
        period: period.into(),
        limit,
    };
    let refund = |who: &AccountRecord, period: &str| QuotaChange::Refund {
        account_id: who.id.clone(),
        period: period.into(),
    };
    let batch = vec![
        consume(&a, "2026-11", 3),
        consume(&b, "2026-11", 3),
        consume(&a, "2026-11", 3),
        consume(&a, "2026-11", 3),
        consume(&a, "2026-11", 3),
        refund(&a, "2026-11"),
        consume(&a, "2026-11", 3),
        refund(&b, "2026-12"),
        consume(&b, "2026-12", 0),
        refund(&b, "2026-11"),
        refund(&b, "2026-11"),
    ];
    assert_eq!(
        store.apply_quota_changes(&batch).await.unwrap(),
        vec![
            Some(1),
            Some(1),
            Some(2),
            Some(3),
            None,
            Some(2),
            Some(3),
            Some(0),
            None,
            Some(0),
            Some(0),
        ],
        "the fifth unit of a is refused, the refund frees one for the next consume, nothing goes below zero"
    );
    assert_eq!(store.quota_used(&a.id, "2026-11").await.unwrap(), 3);
    assert_eq!(store.quota_used(&b.id, "2026-11").await.unwrap(), 0);
    assert_eq!(store.quota_used(&b.id, "2026-12").await.unwrap(), 0);
    // A batch starts from what single calls left, and single calls see what a batch left.
    store.refund_quota(&a.id, "2026-11").await.unwrap();
    assert_eq!(
        store
            .apply_quota_changes(&[consume(&a, "2026-11", 3), consume(&a, "2026-11", 3)])
            .await
            .unwrap(),
        vec![Some(3), None]
    );
    assert_eq!(
        store.try_consume_quota(&a.id, "2026-11", 4).await.unwrap(),
        Some(4)
    );
    assert_eq!(
        store.apply_quota_changes(&[refund(&a, "2026-11")]).await.unwrap(),
        vec![Some(3)]
    );
    assert_eq!(store.apply_quota_changes(&[]).await.unwrap(), vec![]);
}

/// Many sends racing for the last units through the batcher (one writer, batched transactions) get
/// each unit exactly once, and refunds racing with them go through the same batches.
async fn quota_batcher_is_exact_under_concurrency(store: Arc<dyn GatewayStore>) {
    let a = account("a");
    store.create_account(&a).await.unwrap();
    let batcher = Arc::new(QuotaBatcher::new(store.clone()));
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let batcher = batcher.clone();
        let id = a.id.clone();
        tasks.push(tokio::spawn(async move {
            batcher.consume(&id, "2026-11", 20).await.unwrap()
        }));
    }
    let mut granted: Vec<u64> = Vec::new();
    for task in tasks {
        granted.extend(task.await.unwrap());
    }
    granted.sort_unstable();
    assert_eq!(
        granted,
        (1..=20).collect::<Vec<_>>(),
        "each unit granted exactly once"
    );
    assert_eq!(store.quota_used(&a.id, "2026-11").await.unwrap(), 20);

    // 5 refunds and 30 more consumes at once: at most the refunded units are granted again, each once.
    let mut refunds = Vec::new();
    let mut consumes = Vec::new();
    for i in 0..35 {
        let batcher = batcher.clone();
        let id = a.id.clone();
        if i % 7 == 3 {
            refunds.push(tokio::spawn(async move {
                batcher.refund(&id, "2026-11").await.unwrap()
            }));
        } else {
            consumes.push(tokio::spawn(async move {
                batcher.consume(&id, "2026-11", 20).await.unwrap()
            }));
        }
    }
    for task in refunds {
        task.await.unwrap();
    }
    let mut regranted: Vec<u64> = Vec::new();
    for task in consumes {
        regranted.extend(task.await.unwrap());
    }
    let used = store.quota_used(&a.id, "2026-11").await.unwrap();
    assert!(
        regranted.len() <= 5,
        "only refunded units come back: {regranted:?}"
    );
    assert_eq!(used, 15 + regranted.len() as u64, "every answer was committed");
    assert!(regranted.iter().all(|&u| (16..=20).contains(&u)), "{regranted:?}");

    // What is answered is committed: a fresh look at the store agrees with the batcher's last answer.
    let next = batcher.consume(&a.id, "2026-12", 20).await.unwrap();
    assert_eq!(next, Some(1));
    assert_eq!(store.quota_used(&a.id, "2026-12").await.unwrap(), 1);
}

fn delivery(webhook: &WebhookRecord, n: i64) -> DeliveryRecord {
    DeliveryRecord {
        id: new_uuid(),
        webhook_id: webhook.id.clone(),
        account_id: webhook.account_id.clone(),
        event: "message.received".into(),
        payload: format!("{{\"n\":{n}}}"),
        attempts: 0,
        next_attempt_at: 100 + n,
        state: DeliveryState::Pending,
        last_error: None,
        created_at: 100,
    }
}

async fn webhooks_and_the_delivery_queue(store: Arc<dyn GatewayStore>) {
    let a = account("a");
    let b = account("b");
    store.create_account(&a).await.unwrap();
    store.create_account(&b).await.unwrap();
    let hook = WebhookRecord {
        id: new_uuid(),
        account_id: a.id.clone(),
        location_id: None,
        url: "http://127.0.0.1:9/hook".into(),
        secret: "whsec_x".into(),
        events: vec!["message.received".into(), "session.status".into()],
        created_at: 5,
    };
    store.create_webhook(&hook).await.unwrap();
    assert_eq!(store.list_webhooks(&a.id).await.unwrap(), vec![hook.clone()]);
    assert!(store.list_webhooks(&b.id).await.unwrap().is_empty());
    assert_eq!(store.get_webhook(&hook.id).await.unwrap(), Some(hook.clone()));

    let d1 = delivery(&hook, 1);
    let d2 = delivery(&hook, 2);
    let d3 = delivery(&hook, 50);
    store
        .enqueue_deliveries(&[d1.clone(), d2.clone(), d3.clone()])
        .await
        .unwrap();
    assert_eq!(store.next_delivery_due().await.unwrap(), Some(101));
    assert_eq!(store.get_delivery(&b.id, &d1.id).await.unwrap(), None);

    // At t=110, d1 and d2 are due; d3 is not.
    let claimed = store.claim_due_deliveries(110, 1_000, 10).await.unwrap();
    let mut ids: Vec<_> = claimed.iter().map(|d| d.id.clone()).collect();
    ids.sort();
    let mut want = vec![d1.id.clone(), d2.id.clone()];
    want.sort();
    assert_eq!(ids, want);
    assert!(
        store
            .claim_due_deliveries(120, 1_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "held by the lease"
    );
    assert_eq!(
        store.next_delivery_due().await.unwrap(),
        Some(150),
        "leased deliveries wait for their lease"
    );
    // The lease runs out: a crashed worker's claims come back.
    assert_eq!(
        store.claim_due_deliveries(1_001, 2_000, 1).await.unwrap().len(),
        1
    );

    store.mark_delivered(&d1.id, 1_500).await.unwrap();
    store
        .mark_attempt_failed(&d2.id, "HTTP 500", Some(5_000))
        .await
        .unwrap();
    let failed = store.get_delivery(&a.id, &d2.id).await.unwrap().unwrap();
    assert_eq!(
        (failed.attempts, failed.state, failed.next_attempt_at),
        (1, DeliveryState::Pending, 5_000)
    );
    assert_eq!(failed.last_error.as_deref(), Some("HTTP 500"));
    assert_eq!(failed.payload, d2.payload);
    let done = store.get_delivery(&a.id, &d1.id).await.unwrap().unwrap();
    assert_eq!((done.state, done.attempts), (DeliveryState::Delivered, 1));
    store.mark_attempt_failed(&d3.id, "gone", None).await.unwrap();
    assert_eq!(
        store.get_delivery(&a.id, &d3.id).await.unwrap().unwrap().state,
        DeliveryState::Failed
    );
    assert_eq!(store.next_delivery_due().await.unwrap(), Some(5_000));
    let again = store.claim_due_deliveries(5_000, 6_000, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 1);

    assert!(!store.delete_webhook(&b.id, &hook.id).await.unwrap());
    assert!(store.delete_webhook(&a.id, &hook.id).await.unwrap());
    assert_eq!(store.get_webhook(&hook.id).await.unwrap(), None);
    assert_eq!(
        store.next_delivery_due().await.unwrap(),
        None,
        "pending deliveries of a deleted webhook go"
    );
}

macro_rules! conformance {
    ($backend:ident: $($check:ident),* $(,)?) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let Some(backend) = super::$backend().await else { return };
                    super::$check(backend.store.clone()).await;
                    backend.finish().await;
                }
            )*
        }
    };
}

conformance!(sqlite:
    migrations_are_idempotent,
    accounts_and_keys,
    locations_are_per_account_and_archive_frees_sessions,
    session_limit_is_exact_under_concurrency,
    quota_is_exact_under_concurrency,
    quota_batches_apply_in_order,
    quota_batcher_is_exact_under_concurrency,
    webhooks_and_the_delivery_queue,
);

conformance!(cached_sqlite:
    migrations_are_idempotent,
    accounts_and_keys,
    locations_are_per_account_and_archive_frees_sessions,
    session_limit_is_exact_under_concurrency,
    quota_is_exact_under_concurrency,
    quota_batches_apply_in_order,
    quota_batcher_is_exact_under_concurrency,
    webhooks_and_the_delivery_queue,
);

conformance!(postgres:
    migrations_are_idempotent,
    accounts_and_keys,
    locations_are_per_account_and_archive_frees_sessions,
    session_limit_is_exact_under_concurrency,
    quota_is_exact_under_concurrency,
    quota_batches_apply_in_order,
    quota_batcher_is_exact_under_concurrency,
    webhooks_and_the_delivery_queue,
);

/// The durability setting reaches the pooled connections (SQLite reports FULL as 2, NORMAL as 1) and
/// FULL stays the default.
#[tokio::test]
async fn sqlite_sync_setting_is_the_connections_pragma() {
    let dir = tempfile::tempdir().unwrap();
    let full = SqliteStore::open(&dir.path().join("full.db")).await.unwrap();
    let normal = SqliteStore::open_synced(&dir.path().join("normal.db"), wasndr_gateway::SqliteSync::Normal)
        .await
        .unwrap();
    for (store, expected) in [(&full, 2_i64), (&normal, 1)] {
        store.migrate().await.unwrap();
        let level: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(level, expected);
    }
}

fn key_of(account: &AccountRecord) -> KeyRecord {
    KeyRecord {
        id: new_uuid(),
        account_id: account.id.clone(),
        name: "k".into(),
        prefix: "wsndr_abcdef".into(),
        scopes: ScopeSet::all(),
        created_at: 2_000,
        last_used_at: None,
    }
}

/// SQLite answers key lookups on a connection of its own (`src/store/sqlite_native.rs`); a revocation
/// committed by another process (here another store on the same file, as the operator CLI is) must
/// still hold on the very next lookup.
#[tokio::test]
async fn sqlite_key_lookup_sees_a_revocation_by_another_process_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gateway.db");
    let server = SqliteStore::open(&path).await.unwrap();
    server.migrate().await.unwrap();
    let cli = SqliteStore::open(&path).await.unwrap();
    let a = account("a");
    server.create_account(&a).await.unwrap();
    let key = key_of(&a);
    cli.create_key(&key, "hash-cli").await.unwrap();
    for _ in 0..3 {
        assert_eq!(
            server.find_key_by_hash("hash-cli").await.unwrap(),
            Some(key.clone())
        );
    }
    assert!(cli.revoke_key(&a.id, &key.id, 3_000).await.unwrap());
    assert_eq!(server.find_key_by_hash("hash-cli").await.unwrap(), None);
}

/// A store over an in-memory pool (which no other connection can reach) looks keys up through the
/// pool instead.
#[tokio::test]
async fn sqlite_in_memory_store_finds_keys_through_its_pool() {
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await
        .unwrap();
    let store = SqliteStore::from_pool(pool);
    store.migrate().await.unwrap();
    let a = account("a");
    store.create_account(&a).await.unwrap();
    let key = key_of(&a);
    store.create_key(&key, "hash-mem").await.unwrap();
    assert_eq!(
        store.find_key_by_hash("hash-mem").await.unwrap(),
        Some(key.clone())
    );
    assert!(store.revoke_key(&a.id, &key.id, 3_000).await.unwrap());
    assert_eq!(store.find_key_by_hash("hash-mem").await.unwrap(), None);
}
