//! A read cache in front of any [`GatewayStore`] for what every request looks up: an account, the session
//! a send names, the account's webhooks (every event queues its deliveries from them), plus when this
//! process last recorded a key's use, and optionally the key behind a bearer secret.
//!
//! Coherence: every change made through this store drops the entries it affects before it returns, so in
//! this process a deleted session or a new webhook takes effect on the very next request. A reader that
//! raced with such a change does not put its (older) answer back: each invalidation bumps a generation,
//! and an answer read under an older generation is not kept. Changes made by other processes (another
//! node on the same PostgreSQL) are seen once the entry expires: at most [`CachingStore::DEFAULT_TTL`]
//! (one second) later.
//!
//! Keys are not cached by [`CachingStore::new`]: the operator CLI revokes keys from another process and
//! the revocation must hold on the server's very next request, so the key is looked up every time (one
//! indexed read). [`CachingStore::with_ttls`] can cache them too, for a deployment that accepts a
//! revocation taking up to that long to reach every process.
//!
//! Only positive answers are cached (an unknown key or session costs a query each time, so random
//! guesses cannot fill memory), and each map is cleared when it reaches its size bound.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{
    AccountRecord, DeliveryRecord, GatewayStore, KeyRecord, LocationRecord, Page, QuotaChange, SessionInsert,
    SessionRecord, WebhookRecord,
};
use crate::engine::SessionStatus;
use crate::error::Result;

/// Entries per map before it is cleared.
const MAX_ENTRIES: usize = 16_384;

/// Answers with the time they were read, and the invalidation generation.
type Table<K, V> = (HashMap<K, (V, Instant)>, u64);

/// One map of fresh answers with its invalidation generation.
#[derive(Debug)]
struct Entries<K, V> {
    inner: Mutex<Table<K, V>>,
    ttl: Duration,
}

impl<K: Eq + Hash, V: Clone> Entries<K, V> {
    fn new(ttl: Duration) -> Self {
        Entries {
            inner: Mutex::new((HashMap::new(), 0)),
            ttl,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table<K, V>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A fresh answer, or the generation to hand to [`Entries::put`] after reading the store.
    fn get(&self, key: &K) -> std::result::Result<V, u64> {
        let guard = self.lock();
        match guard.0.get(key) {
            Some((value, at)) if at.elapsed() < self.ttl => Ok(value.clone()),
            _ => Err(guard.1),
        }
    }

    /// Keeps `value` unless something was invalidated since `generation` was taken.
    fn put(&self, key: K, value: V, generation: u64) {
        let mut guard = self.lock();
        if guard.1 != generation || self.ttl.is_zero() {
            return;
        }
        if guard.0.len() >= MAX_ENTRIES {
            guard.0.clear();
        }
        guard.0.insert(key, (value, Instant::now()));
    }

    /// Drops the entries `stale` picks.
    fn invalidate(&self, mut stale: impl FnMut(&K, &V) -> bool) {
        let mut guard = self.lock();
        guard.1 += 1;
        guard.0.retain(|k, (v, _)| !stale(k, v));
    }
}

/// The caching decorator; see the module documentation.
#[derive(Debug)]
pub struct CachingStore {
    inner: Arc<dyn GatewayStore>,
    keys: Entries<String, KeyRecord>,
    accounts: Entries<String, AccountRecord>,
    sessions: Entries<(String, String), SessionRecord>,
    webhooks: Entries<String, Vec<WebhookRecord>>,
    /// Key id → the last `lastUsedAt` this process wrote (the stored value is at least this).
    touched: Mutex<HashMap<String, i64>>,
}

impl CachingStore {
    /// How long another process's change may go unseen here.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(1);

    /// Caches `inner`'s accounts, sessions and webhooks for [`CachingStore::DEFAULT_TTL`]; keys not.
    pub fn new(inner: Arc<dyn GatewayStore>) -> CachingStore {
        Self::with_ttls(inner, Self::DEFAULT_TTL, Duration::ZERO)
    }

    /// Caches accounts, sessions and webhooks for `ttl` and keys for `key_ttl` (zero: not cached).
    pub fn with_ttls(inner: Arc<dyn GatewayStore>, ttl: Duration, key_ttl: Duration) -> CachingStore {
        CachingStore {
            inner,
            keys: Entries::new(key_ttl),
            accounts: Entries::new(ttl),
            sessions: Entries::new(ttl),
            webhooks: Entries::new(ttl),
            touched: Mutex::new(HashMap::new()),
        }
    }

    /// The store behind the cache.
    pub fn inner(&self) -> &Arc<dyn GatewayStore> {
        &self.inner
    }

    fn last_touch(&self, key_id: &str) -> Option<i64> {
        self.touched
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key_id)
            .copied()
    }

    fn drop_session(&self, session_id: &str) {
        self.sessions.invalidate(|(_, id), _| id == session_id);
    }
}

#[async_trait]
impl GatewayStore for CachingStore {
    async fn migrate(&self) -> Result<()> {
        self.inner.migrate().await
    }

    async fn count_accounts(&self) -> Result<u64> {
        self.inner.count_accounts().await
    }

    async fn create_account(&self, account: &AccountRecord) -> Result<()> {
        self.inner.create_account(account).await
    }

    async fn get_account(&self, account_id: &str) -> Result<Option<AccountRecord>> {
        let key = account_id.to_owned();
        let generation = match self.accounts.get(&key) {
            Ok(account) => return Ok(Some(account)),
            Err(generation) => generation,
        };
        let found = self.inner.get_account(account_id).await?;
        if let Some(account) = &found {
            self.accounts.put(key, account.clone(), generation);
        }
        Ok(found)
    }

    async fn list_accounts(&self) -> Result<Vec<AccountRecord>> {
        self.inner.list_accounts().await
    }

    async fn create_key(&self, key: &KeyRecord, secret_hash: &str) -> Result<()> {
        self.inner.create_key(key, secret_hash).await
    }

    async fn find_key_by_hash(&self, secret_hash: &str) -> Result<Option<KeyRecord>> {
        let hash = secret_hash.to_owned();
        let found = match self.keys.get(&hash) {
            Ok(key) => Some(key),
            Err(generation) => {
                let found = self.inner.find_key_by_hash(secret_hash).await?;
                if let Some(key) = &found {
                    self.keys.put(hash, key.clone(), generation);
                }
                found
            }
        };
        // A use recorded since the entry was read shows, as it would from the store.
        Ok(found.map(|mut key| {
            if let Some(touched) = self.last_touch(&key.id) {
                key.last_used_at = Some(key.last_used_at.map_or(touched, |at| at.max(touched)));
            }
            key
        }))
    }

    async fn touch_key(&self, key_id: &str, now_ms: i64, min_interval_ms: i64) -> Result<()> {
        // The stored time is at least our last write, so within the interval the store would not write
        // either: skip the round trip.
        if self
            .last_touch(key_id)
            .is_some_and(|at| at > now_ms - min_interval_ms)
        {
            return Ok(());
        }
        self.inner.touch_key(key_id, now_ms, min_interval_ms).await?;
        let mut touched = self.touched.lock().unwrap_or_else(|p| p.into_inner());
        if touched.len() >= MAX_ENTRIES {
            touched.clear();
        }
        let at = touched.entry(key_id.to_owned()).or_insert(now_ms);
        *at = (*at).max(now_ms);
        Ok(())
    }

    async fn list_keys(&self, account_id: &str) -> Result<Vec<KeyRecord>> {
        self.inner.list_keys(account_id).await
    }

    async fn revoke_key(&self, account_id: &str, key_id: &str, now_ms: i64) -> Result<bool> {
        let revoked = self.inner.revoke_key(account_id, key_id, now_ms).await;
        // Dropped whatever the answer: a failed revoke may still have committed.
        self.keys.invalidate(|_, key| key.id == key_id);
        revoked
    }

    async fn create_location(&self, location: &LocationRecord) -> Result<()> {
        self.inner.create_location(location).await
    }

    async fn get_location(&self, account_id: &str, location_id: &str) -> Result<Option<LocationRecord>> {
        self.inner.get_location(account_id, location_id).await
    }

    async fn list_locations(
        &self,
        account_id: &str,
        include_archived: bool,
        page: Page,
    ) -> Result<(Vec<LocationRecord>, u64)> {
        self.inner
            .list_locations(account_id, include_archived, page)
            .await
    }

    async fn archive_location(
        &self,
        account_id: &str,
        location_id: &str,
        now_ms: i64,
    ) -> Result<Option<Vec<SessionRecord>>> {
        let archived = self.inner.archive_location(account_id, location_id, now_ms).await;
        self.sessions
            .invalidate(|(account, _), session| account == account_id && session.location_id == location_id);
        archived
    }

    async fn create_session_within_limit(
        &self,
        session: &SessionRecord,
        limit: u32,
    ) -> Result<SessionInsert> {
        self.inner.create_session_within_limit(session, limit).await
    }

    async fn get_session(&self, account_id: &str, session_id: &str) -> Result<Option<SessionRecord>> {
        let key = (account_id.to_owned(), session_id.to_owned());
        let generation = match self.sessions.get(&key) {
            Ok(session) => return Ok(Some(session)),
            Err(generation) => generation,
        };
        let found = self.inner.get_session(account_id, session_id).await?;
        if let Some(session) = &found {
            self.sessions.put(key, session.clone(), generation);
        }
        Ok(found)
    }

    async fn list_sessions(
        &self,
        account_id: &str,
        location_id: Option<&str>,
        page: Page,
    ) -> Result<(Vec<SessionRecord>, u64)> {
        self.inner.list_sessions(account_id, location_id, page).await
    }

    async fn list_all_sessions(&self) -> Result<Vec<SessionRecord>> {
        self.inner.list_all_sessions().await
    }

    async fn count_sessions(&self, account_id: &str) -> Result<u64> {
        self.inner.count_sessions(account_id).await
    }

    async fn update_session_state(
        &self,
        session_id: &str,
        status: SessionStatus,
        phone: Option<&str>,
        jid: Option<&str>,
    ) -> Result<()> {
        let updated = self
            .inner
            .update_session_state(session_id, status, phone, jid)
            .await;
        self.drop_session(session_id);
        updated
    }

    async fn delete_session(&self, account_id: &str, session_id: &str) -> Result<bool> {
        let deleted = self.inner.delete_session(account_id, session_id).await;
        self.drop_session(session_id);
        deleted
    }

    async fn try_consume_quota(&self, account_id: &str, period: &str, limit: u64) -> Result<Option<u64>> {
        self.inner.try_consume_quota(account_id, period, limit).await
    }

    async fn refund_quota(&self, account_id: &str, period: &str) -> Result<()> {
        self.inner.refund_quota(account_id, period).await
    }

    async fn apply_quota_changes(&self, changes: &[QuotaChange]) -> Result<Vec<Option<u64>>> {
        self.inner.apply_quota_changes(changes).await
    }

    async fn quota_used(&self, account_id: &str, period: &str) -> Result<u64> {
        self.inner.quota_used(account_id, period).await
    }

    async fn create_webhook(&self, webhook: &WebhookRecord) -> Result<()> {
        let created = self.inner.create_webhook(webhook).await;
        self.webhooks
            .invalidate(|account, _| *account == webhook.account_id);
        created
    }

    async fn list_webhooks(&self, account_id: &str) -> Result<Vec<WebhookRecord>> {
        let key = account_id.to_owned();
        let generation = match self.webhooks.get(&key) {
            Ok(webhooks) => return Ok(webhooks),
            Err(generation) => generation,
        };
        let webhooks = self.inner.list_webhooks(account_id).await?;
        self.webhooks.put(key, webhooks.clone(), generation);
        Ok(webhooks)
    }

    async fn get_webhook(&self, webhook_id: &str) -> Result<Option<WebhookRecord>> {
        self.inner.get_webhook(webhook_id).await
    }

    async fn delete_webhook(&self, account_id: &str, webhook_id: &str) -> Result<bool> {
        let deleted = self.inner.delete_webhook(account_id, webhook_id).await;
        self.webhooks.invalidate(|account, _| account == account_id);
        deleted
    }

    async fn enqueue_deliveries(&self, deliveries: &[DeliveryRecord]) -> Result<()> {
        self.inner.enqueue_deliveries(deliveries).await
    }

    async fn claim_due_deliveries(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>> {
        self.inner
            .claim_due_deliveries(now_ms, lease_until_ms, limit)
            .await
    }

    async fn mark_delivered(&self, delivery_id: &str, now_ms: i64) -> Result<()> {
        self.inner.mark_delivered(delivery_id, now_ms).await
    }

    async fn mark_attempt_failed(
        &self,
        delivery_id: &str,
        error: &str,
        next_attempt_ms: Option<i64>,
    ) -> Result<()> {
        self.inner
            .mark_attempt_failed(delivery_id, error, next_attempt_ms)
            .await
    }

    async fn get_delivery(&self, account_id: &str, delivery_id: &str) -> Result<Option<DeliveryRecord>> {
        self.inner.get_delivery(account_id, delivery_id).await
    }

    async fn next_delivery_due(&self) -> Result<Option<i64>> {
        self.inner.next_delivery_due().await
    }
}
