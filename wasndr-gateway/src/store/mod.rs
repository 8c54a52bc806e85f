//! Persistence of the gateway's own data (accounts, keys, locations, session records, quota counters,
//! webhooks and their delivery queue) behind one object-safe trait, with SQLite and PostgreSQL backends.
//!
//! The WhatsApp side (Signal keys, messages, media) lives in the engine's `wasndr-store`, not here.
//! Every query that reads or changes a tenant's resource is filtered by the account id, so a wrong id from
//! another account simply finds nothing.

mod cache;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod migrations;
mod quota_batch;
mod records;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sqlite_native;

use std::fmt;

use async_trait::async_trait;

pub use cache::CachingStore;
pub use quota_batch::QuotaBatcher;
pub use records::*;

use crate::engine::SessionStatus;
use crate::error::Result;

#[cfg(feature = "postgres")]
pub use sql::PostgresStore;
#[cfg(feature = "sqlite")]
pub use sql::{SqliteStore, SqliteSync};

/// What the gateway persists. Implementations must make [`GatewayStore::try_consume_quota`] and
/// [`GatewayStore::create_session_within_limit`] atomic against concurrent callers on any node.
#[async_trait]
pub trait GatewayStore: Send + Sync + fmt::Debug {
    /// Applies pending numbered migrations (idempotent).
    async fn migrate(&self) -> Result<()>;

    /// Number of accounts (the first-start check).
    async fn count_accounts(&self) -> Result<u64>;
    /// Inserts an account.
    async fn create_account(&self, account: &AccountRecord) -> Result<()>;
    /// An account by id.
    async fn get_account(&self, account_id: &str) -> Result<Option<AccountRecord>>;
    /// All accounts, oldest first (operator CLI).
    async fn list_accounts(&self) -> Result<Vec<AccountRecord>>;

    /// Inserts a key with the hash of its secret.
    async fn create_key(&self, key: &KeyRecord, secret_hash: &str) -> Result<()>;
    /// The live (not revoked) key whose secret hashes to `secret_hash`.
    async fn find_key_by_hash(&self, secret_hash: &str) -> Result<Option<KeyRecord>>;
    /// Sets `lastUsedAt` to `now_ms` unless it was set less than `min_interval_ms` ago (fewer writes).
    async fn touch_key(&self, key_id: &str, now_ms: i64, min_interval_ms: i64) -> Result<()>;
    /// The account's live keys, oldest first.
    async fn list_keys(&self, account_id: &str) -> Result<Vec<KeyRecord>>;
    /// Revokes a live key of the account; false when there is none.
    async fn revoke_key(&self, account_id: &str, key_id: &str, now_ms: i64) -> Result<bool>;

    /// Inserts a location.
    async fn create_location(&self, location: &LocationRecord) -> Result<()>;
    /// A location of the account (archived or not).
    async fn get_location(&self, account_id: &str, location_id: &str) -> Result<Option<LocationRecord>>;
    /// The account's locations, oldest first, paged, with the total count.
    async fn list_locations(
        &self,
        account_id: &str,
        include_archived: bool,
        page: Page,
    ) -> Result<(Vec<LocationRecord>, u64)>;
    /// Archives a live location of the account and deletes its session records in one transaction,
    /// returning the removed sessions (for the caller to log out); `None` when no live location matched.
    async fn archive_location(
        &self,
        account_id: &str,
        location_id: &str,
        now_ms: i64,
    ) -> Result<Option<Vec<SessionRecord>>>;

    /// Inserts a session if the account has fewer than `limit` sessions in live locations and the location
    /// is live, atomically (two racing creations never both take the last slot).
    async fn create_session_within_limit(&self, session: &SessionRecord, limit: u32)
    -> Result<SessionInsert>;
    /// A session of the account.
    async fn get_session(&self, account_id: &str, session_id: &str) -> Result<Option<SessionRecord>>;
    /// The account's sessions in live locations, oldest first, optionally of one location, paged.
    async fn list_sessions(
        &self,
        account_id: &str,
        location_id: Option<&str>,
        page: Page,
    ) -> Result<(Vec<SessionRecord>, u64)>;
    /// Every session in a live location, of all accounts (restore at start-up).
    async fn list_all_sessions(&self) -> Result<Vec<SessionRecord>>;
    /// Sessions of the account in live locations (the session-limit count).
    async fn count_sessions(&self, account_id: &str) -> Result<u64>;
    /// Records the last known status, phone and JID of a session.
    async fn update_session_state(
        &self,
        session_id: &str,
        status: SessionStatus,
        phone: Option<&str>,
        jid: Option<&str>,
    ) -> Result<()>;
    /// Deletes a session of the account; false when there is none.
    async fn delete_session(&self, account_id: &str, session_id: &str) -> Result<bool>;

    /// Takes one unit of the account's quota for `period` if fewer than `limit` are used, atomically.
    /// Answers the new used count, or `None` when the quota is used up.
    async fn try_consume_quota(&self, account_id: &str, period: &str, limit: u64) -> Result<Option<u64>>;
    /// Gives one unit back (a send that failed before reaching WhatsApp).
    async fn refund_quota(&self, account_id: &str, period: &str) -> Result<()>;
    /// Applies quota changes in one transaction, in the given order, and answers one outcome per change:
    /// for a consume the new used count or `None` when the quota was used up (as
    /// [`GatewayStore::try_consume_quota`]), for a refund the used count after it. Nothing is applied when
    /// it fails. Atomic against concurrent callers on any node, like the single-unit calls; this is what
    /// lets the gateway commit many concurrent sends' units with one commit (see [`QuotaBatcher`]).
    async fn apply_quota_changes(&self, changes: &[QuotaChange]) -> Result<Vec<Option<u64>>>;
    /// Units used in `period`.
    async fn quota_used(&self, account_id: &str, period: &str) -> Result<u64>;

    /// Inserts a webhook.
    async fn create_webhook(&self, webhook: &WebhookRecord) -> Result<()>;
    /// The account's webhooks, oldest first.
    async fn list_webhooks(&self, account_id: &str) -> Result<Vec<WebhookRecord>>;
    /// A webhook by id (any account; used by the delivery worker).
    async fn get_webhook(&self, webhook_id: &str) -> Result<Option<WebhookRecord>>;
    /// Deletes a webhook of the account and its pending deliveries; false when there is none.
    async fn delete_webhook(&self, account_id: &str, webhook_id: &str) -> Result<bool>;
    /// Queues deliveries (one transaction).
    async fn enqueue_deliveries(&self, deliveries: &[DeliveryRecord]) -> Result<()>;
    /// Claims up to `limit` pending deliveries due at `now_ms` that no worker holds, holding them until
    /// `lease_until_ms` (so a crashed worker's claims come back).
    async fn claim_due_deliveries(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>>;
    /// Marks a delivery done.
    async fn mark_delivered(&self, delivery_id: &str, now_ms: i64) -> Result<()>;
    /// Records a failed attempt: reschedules at `next_attempt_ms`, or with `None` gives up (`failed`).
    async fn mark_attempt_failed(
        &self,
        delivery_id: &str,
        error: &str,
        next_attempt_ms: Option<i64>,
    ) -> Result<()>;
    /// A delivery of the account (status checks).
    async fn get_delivery(&self, account_id: &str, delivery_id: &str) -> Result<Option<DeliveryRecord>>;
    /// When the next pending delivery can be claimed: its `next_attempt_at`, or the end of its lease if
    /// a worker holds it (the worker's next wake-up).
    async fn next_delivery_due(&self) -> Result<Option<i64>>;
}
