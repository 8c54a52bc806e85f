//! The gateway's read cache (`CachingStore`): changes made through it are seen at once; changes made
//! behind its back (another node) within its TTL; it never serves what it was told is gone; and as the
//! gateway builds it, a key revoked behind its back fails at once.

// A panic here is a failed test.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use wasndr_gateway::engine::SessionStatus;
use wasndr_gateway::ids::new_uuid;
use wasndr_gateway::store::*;
use wasndr_gateway::{ScopeSet, SqliteStore};

struct Fixture {
    inner: Arc<dyn GatewayStore>,
    account: AccountRecord,
    key: KeyRecord,
    location: LocationRecord,
    session: SessionRecord,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("gateway.db")).await.unwrap();
    store.migrate().await.unwrap();
    let inner: Arc<dyn GatewayStore> = Arc::new(store);
    let account = AccountRecord {
        id: new_uuid(),
        name: "a".into(),
        plan: "standard".into(),
        created_at: 1,
    };
    inner.create_account(&account).await.unwrap();
    let key = KeyRecord {
        id: new_uuid(),
        account_id: account.id.clone(),
        name: "k".into(),
        prefix: "wsndr_abcdef".into(),
        scopes: ScopeSet::all(),
        created_at: 2,
        last_used_at: None,
    };
    inner.create_key(&key, "hash").await.unwrap();
    let location = LocationRecord {
        id: new_uuid(),
        account_id: account.id.clone(),
        name: "l".into(),
        created_at: 3,
        archived_at: None,
    };
    inner.create_location(&location).await.unwrap();
    let session = SessionRecord {
        id: new_uuid(),
        account_id: account.id.clone(),
        location_id: location.id.clone(),
        name: "s".into(),
        status: SessionStatus::Starting,
        phone: None,
        jid: None,
        created_at: 4,
    };
    inner.create_session_within_limit(&session, 5).await.unwrap();
    Fixture {
        inner,
        account,
        key,
        location,
        session,
        _dir: dir,
    }
}

fn webhook(account: &AccountRecord) -> WebhookRecord {
    WebhookRecord {
        id: new_uuid(),
        account_id: account.id.clone(),
        location_id: None,
        url: "https://example.com/hook".into(),
        secret: "s".into(),
        events: vec!["message.sent".into()],
        created_at: 5,
    }
}

#[tokio::test]
async fn changes_through_the_cache_are_seen_at_once() {
    let f = fixture().await;
    // A long TTL: only invalidation can make these pass.
    let cache = CachingStore::with_ttls(
        f.inner.clone(),
        Duration::from_secs(3600),
        Duration::from_secs(3600),
    );
    let (a, s) = (&f.account.id, &f.session.id);

    assert_eq!(cache.find_key_by_hash("hash").await.unwrap(), Some(f.key.clone()));
    assert!(cache.revoke_key(a, &f.key.id, 10).await.unwrap());
    assert_eq!(cache.find_key_by_hash("hash").await.unwrap(), None, "revoked");

    assert_eq!(cache.get_session(a, s).await.unwrap(), Some(f.session.clone()));
    cache
        .update_session_state(s, SessionStatus::Connected, Some("15550001111"), None)
        .await
        .unwrap();
    let seen = cache.get_session(a, s).await.unwrap().unwrap();
    assert_eq!(
        (seen.status, seen.phone.as_deref()),
        (SessionStatus::Connected, Some("15550001111"))
    );
    assert!(cache.delete_session(a, s).await.unwrap());
    assert_eq!(cache.get_session(a, s).await.unwrap(), None, "deleted");

    let other = SessionRecord {
        id: new_uuid(),
        ..f.session.clone()
    };
    cache.create_session_within_limit(&other, 5).await.unwrap();
    assert!(cache.get_session(a, &other.id).await.unwrap().is_some());
    cache.archive_location(a, &f.location.id, 20).await.unwrap();
    assert_eq!(
        cache.get_session(a, &other.id).await.unwrap(),
        None,
        "archived with its location"
    );

    assert!(cache.list_webhooks(a).await.unwrap().is_empty());
    let hook = webhook(&f.account);
    cache.create_webhook(&hook).await.unwrap();
    assert_eq!(cache.list_webhooks(a).await.unwrap(), vec![hook.clone()]);
    assert!(cache.delete_webhook(a, &hook.id).await.unwrap());
    assert!(cache.list_webhooks(a).await.unwrap().is_empty(), "deleted");
}

#[tokio::test]
async fn changes_behind_the_cache_are_seen_within_its_ttl() {
    let f = fixture().await;
    let ttl = Duration::from_millis(200);
    let cache = CachingStore::with_ttls(f.inner.clone(), ttl, ttl);
    let (a, s) = (&f.account.id, &f.session.id);
    assert!(cache.find_key_by_hash("hash").await.unwrap().is_some());
    assert!(cache.get_session(a, s).await.unwrap().is_some());
    assert!(cache.list_webhooks(a).await.unwrap().is_empty());

    // Another process changes the database.
    assert!(f.inner.revoke_key(a, &f.key.id, 10).await.unwrap());
    assert!(f.inner.delete_session(a, s).await.unwrap());
    let hook = webhook(&f.account);
    f.inner.create_webhook(&hook).await.unwrap();

    tokio::time::sleep(ttl + Duration::from_millis(50)).await;
    assert_eq!(cache.find_key_by_hash("hash").await.unwrap(), None);
    assert_eq!(cache.get_session(a, s).await.unwrap(), None);
    assert_eq!(cache.list_webhooks(a).await.unwrap(), vec![hook]);
}

#[tokio::test]
async fn key_use_is_written_at_most_once_per_interval() {
    let f = fixture().await;
    let cache = CachingStore::new(f.inner.clone());
    cache.touch_key(&f.key.id, 100_000, 60_000).await.unwrap();
    cache.touch_key(&f.key.id, 130_000, 60_000).await.unwrap();
    let account = f.account.id.clone();
    let stored = || {
        let (inner, account) = (f.inner.clone(), account.clone());
        async move { inner.list_keys(&account).await.unwrap()[0].last_used_at }
    };
    assert_eq!(stored().await, Some(100_000));
    assert_eq!(
        cache
            .find_key_by_hash("hash")
            .await
            .unwrap()
            .unwrap()
            .last_used_at,
        Some(100_000)
    );
    cache.touch_key(&f.key.id, 170_000, 60_000).await.unwrap();
    assert_eq!(stored().await, Some(170_000));
    assert_eq!(
        cache
            .find_key_by_hash("hash")
            .await
            .unwrap()
            .unwrap()
            .last_used_at,
        Some(170_000),
        "a cached key shows the use recorded after it was read"
    );
}

#[tokio::test]
async fn keys_are_not_cached_by_default() {
    let f = fixture().await;
    let cache = CachingStore::new(f.inner.clone());
    assert!(cache.find_key_by_hash("hash").await.unwrap().is_some());
    // The operator CLI, another process, revokes the key.
    assert!(f.inner.revoke_key(&f.account.id, &f.key.id, 10).await.unwrap());
    assert_eq!(cache.find_key_by_hash("hash").await.unwrap(), None);
}
