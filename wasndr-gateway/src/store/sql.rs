//! The SQL backends. SQLite and PostgreSQL share every query (both accept `$N` placeholders, `RETURNING`
//! and `ON CONFLICT ... DO UPDATE ... WHERE`), so one macro writes the [`GatewayStore`] impl for each and
//! only the connection set-up and migrations differ.
//!
//! Atomicity: the quota is one conditional upsert, or for a batch a transaction that locks its counters
//! first; session creation and location archiving first bump
//! `accounts.session_seq`, which takes the account's row lock on PostgreSQL and the write lock on SQLite,
//! so the count-then-insert that follows cannot interleave with another one for the same account.

use async_trait::async_trait;
use sqlx::Row;

use super::migrations::Migration;
use super::sqlite_native::NativePaths as _;
use super::{
    AccountRecord, DeliveryRecord, DeliveryState, GatewayStore, KeyRecord, LocationRecord, Page, QuotaChange,
    SessionInsert, SessionRecord, WebhookRecord,
};
use crate::engine::SessionStatus;
use crate::error::{GatewayError, Result};
use crate::scope::ScopeSet;

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// The unrevoked key with secret hash `$1` (the SQLite native path runs the same statement).
pub(crate) const FIND_KEY_SQL: &str = "SELECT id, account_id, name, prefix, scopes, created_at, last_used_at \
     FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL";

/// A quota batch's first statement per counter `($1, $2)`: creates it at 0 if missing and returns it,
/// taking the row lock (PostgreSQL) or the write lock (SQLite) so nobody else changes it until commit.
pub(crate) const LOCK_QUOTA_SQL: &str = "INSERT INTO quota_usage (account_id, period, used) VALUES ($1, $2, 0) \
     ON CONFLICT (account_id, period) DO UPDATE SET used = quota_usage.used RETURNING used";

/// A quota batch's write of counter `($2, $3)` to `$1`.
pub(crate) const SET_QUOTA_SQL: &str =
    "UPDATE quota_usage SET used = $1 WHERE account_id = $2 AND period = $3";

/// The quota counters a batch touches, `(account_id, period)` in key order, each with its value before
/// and after the batch.
pub(crate) type QuotaCounters<'a> = std::collections::BTreeMap<(&'a str, &'a str), (u64, u64)>;

/// Decides a batch's quota changes in arrival order against `counters` (read, and locked, before), exactly
/// as one statement each would have: a unit is taken only under the limit, a refund never goes below
/// zero. Updates the counters' "after" values; each change's outcome is the count it left (`None`: a
/// consume refused at the limit).
pub(crate) fn decide_quota<'a>(
    changes: &'a [QuotaChange],
    counters: &mut QuotaCounters<'a>,
) -> Result<Vec<Option<u64>>> {
    let mut outcomes = Vec::with_capacity(changes.len());
    for change in changes {
        let Some((_, used)) = counters.get_mut(&change.counter()) else {
            return Err(GatewayError::Internal("a quota counter went missing".to_owned()));
        };
        outcomes.push(match change {
            QuotaChange::Consume { limit, .. } if *used < *limit => {
                *used += 1;
                Some(*used)
            }
            QuotaChange::Consume { .. } => None,
            QuotaChange::Refund { .. } => {
                *used = used.saturating_sub(1);
                Some(*used)
            }
        });
    }
    Ok(outcomes)
}

macro_rules! sql_store {
    ($store:ident, $db:ty, $pool:ty, $migrations:expr, $doc:literal, $reads:ty, $make_reads:expr) => {
        #[doc = $doc]
        #[derive(Debug, Clone)]
        pub struct $store {
            pool: $pool,
            /// The backend's ways around sqlx, where it has them (`sqlite_native.rs`).
            native: $reads,
        }

        impl $store {
            /// Wraps an existing pool (the caller configured it).
            pub fn from_pool(pool: $pool) -> Self {
                let native: $reads = ($make_reads)(&pool);
                $store { pool, native }
            }

            /// The underlying pool.
            pub fn pool(&self) -> &$pool {
                &self.pool
            }

            fn account(row: &<$db as sqlx::Database>::Row) -> Result<AccountRecord> {
                Ok(AccountRecord {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    plan: row.try_get("plan")?,
                    created_at: row.try_get("created_at")?,
                })
            }

            fn key(row: &<$db as sqlx::Database>::Row) -> Result<KeyRecord> {
                let scopes: String = row.try_get("scopes")?;
                Ok(KeyRecord {
                    id: row.try_get("id")?,
                    account_id: row.try_get("account_id")?,
                    name: row.try_get("name")?,
                    prefix: row.try_get("prefix")?,
                    scopes: ScopeSet::from_storage(&scopes),
                    created_at: row.try_get("created_at")?,
                    last_used_at: row.try_get("last_used_at")?,
                })
            }

            fn location(row: &<$db as sqlx::Database>::Row) -> Result<LocationRecord> {
                Ok(LocationRecord {
                    id: row.try_get("id")?,
                    account_id: row.try_get("account_id")?,
                    name: row.try_get("name")?,
                    created_at: row.try_get("created_at")?,
                    archived_at: row.try_get("archived_at")?,
                })
            }

            fn session(row: &<$db as sqlx::Database>::Row) -> Result<SessionRecord> {
                let status: String = row.try_get("status")?;
                Ok(SessionRecord {
                    id: row.try_get("id")?,
                    account_id: row.try_get("account_id")?,
                    location_id: row.try_get("location_id")?,
                    name: row.try_get("name")?,
                    status: SessionStatus::parse(&status),
                    phone: row.try_get("phone")?,
                    jid: row.try_get("jid")?,
                    created_at: row.try_get("created_at")?,
                })
            }

            fn webhook(row: &<$db as sqlx::Database>::Row) -> Result<WebhookRecord> {
                let events: String = row.try_get("events")?;
                Ok(WebhookRecord {
                    id: row.try_get("id")?,
                    account_id: row.try_get("account_id")?,
                    location_id: row.try_get("location_id")?,
                    url: row.try_get("url")?,
                    secret: row.try_get("secret")?,
                    events: events.split_whitespace().map(str::to_owned).collect(),
                    created_at: row.try_get("created_at")?,
                })
            }

            fn delivery(row: &<$db as sqlx::Database>::Row) -> Result<DeliveryRecord> {
                let state: String = row.try_get("state")?;
                let attempts: i64 = row.try_get("attempts")?;
                Ok(DeliveryRecord {
                    id: row.try_get("id")?,
                    webhook_id: row.try_get("webhook_id")?,
                    account_id: row.try_get("account_id")?,
                    event: row.try_get("event")?,
                    payload: row.try_get("payload")?,
                    attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                    next_attempt_at: row.try_get("next_attempt_at")?,
                    state: DeliveryState::parse(&state),
                    last_error: row.try_get("last_error")?,
                    created_at: row.try_get("created_at")?,
                })
            }
        }

        #[async_trait]
        impl GatewayStore for $store {
            async fn migrate(&self) -> Result<()> {
                let migrations: &[Migration] = $migrations;
                sqlx::raw_sql(
                    "CREATE TABLE IF NOT EXISTS wasndr_gateway_migrations \
                     (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
                )
                .execute(&self.pool)
                .await?;
                let applied: Option<i64> =
                    sqlx::query_scalar("SELECT MAX(version) FROM wasndr_gateway_migrations")
                        .fetch_one(&self.pool)
                        .await?;
                let applied = applied.unwrap_or(0);
                let newest = migrations.last().map_or(0, |m| m.version);
                if applied > newest {
                    return Err(GatewayError::Storage(format!(
                        "database schema version {applied} is newer than this build knows ({newest})"
                    )));
                }
                for migration in migrations.iter().filter(|m| m.version > applied) {
                    let mut tx = self.pool.begin().await?;
                    sqlx::raw_sql(migration.sql).execute(&mut *tx).await?;
                    sqlx::query("INSERT INTO wasndr_gateway_migrations (version, applied_at) VALUES ($1, $2)")
                        .bind(migration.version)
                        .bind(crate::clock::now_ms())
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                }
                Ok(())
            }

            async fn count_accounts(&self) -> Result<u64> {
                let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(&self.pool).await?;
                Ok(to_u64(count))
            }

            async fn create_account(&self, account: &AccountRecord) -> Result<()> {
                sqlx::query("INSERT INTO accounts (id, name, plan, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(&account.id)
                    .bind(&account.name)
                    .bind(&account.plan)
                    .bind(account.created_at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn get_account(&self, account_id: &str) -> Result<Option<AccountRecord>> {
                let row = sqlx::query("SELECT id, name, plan, created_at FROM accounts WHERE id = $1")
                    .bind(account_id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(Self::account).transpose()
            }

            async fn list_accounts(&self) -> Result<Vec<AccountRecord>> {
                let rows = sqlx::query("SELECT id, name, plan, created_at FROM accounts ORDER BY created_at, id")
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(Self::account).collect()
            }

            async fn create_key(&self, key: &KeyRecord, secret_hash: &str) -> Result<()> {
                sqlx::query(
                    "INSERT INTO api_keys (id, account_id, name, prefix, key_hash, scopes, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&key.id)
                .bind(&key.account_id)
                .bind(&key.name)
                .bind(&key.prefix)
                .bind(secret_hash)
                .bind(key.scopes.to_storage())
                .bind(key.created_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn find_key_by_hash(&self, secret_hash: &str) -> Result<Option<KeyRecord>> {
                if let Some(found) = self.native.find_key(secret_hash)? {
                    return Ok(found);
                }
                let row = sqlx::query(FIND_KEY_SQL)
                .bind(secret_hash)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::key).transpose()
            }

            async fn touch_key(&self, key_id: &str, now_ms: i64, min_interval_ms: i64) -> Result<()> {
                sqlx::query(
                    "UPDATE api_keys SET last_used_at = $2 WHERE id = $1 \
                     AND (last_used_at IS NULL OR last_used_at <= $3)",
                )
                .bind(key_id)
                .bind(now_ms)
                .bind(now_ms - min_interval_ms)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn list_keys(&self, account_id: &str) -> Result<Vec<KeyRecord>> {
                let rows = sqlx::query(
                    "SELECT id, account_id, name, prefix, scopes, created_at, last_used_at FROM api_keys \
                     WHERE account_id = $1 AND revoked_at IS NULL ORDER BY created_at, id",
                )
                .bind(account_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::key).collect()
            }

            async fn revoke_key(&self, account_id: &str, key_id: &str, now_ms: i64) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE api_keys SET revoked_at = $3 WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL",
                )
                .bind(key_id)
                .bind(account_id)
                .bind(now_ms)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn create_location(&self, location: &LocationRecord) -> Result<()> {
                sqlx::query(
                    "INSERT INTO locations (id, account_id, name, created_at, archived_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&location.id)
                .bind(&location.account_id)
                .bind(&location.name)
                .bind(location.created_at)
                .bind(location.archived_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn get_location(&self, account_id: &str, location_id: &str) -> Result<Option<LocationRecord>> {
                let row = sqlx::query(
                    "SELECT id, account_id, name, created_at, archived_at FROM locations \
                     WHERE id = $1 AND account_id = $2",
                )
                .bind(location_id)
                .bind(account_id)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::location).transpose()
            }

            async fn list_locations(
                &self,
                account_id: &str,
                include_archived: bool,
                page: Page,
            ) -> Result<(Vec<LocationRecord>, u64)> {
                let all = i64::from(include_archived);
                let total: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM locations WHERE account_id = $1 AND ($2 = 1 OR archived_at IS NULL)",
                )
                .bind(account_id)
                .bind(all)
                .fetch_one(&self.pool)
                .await?;
                let rows = sqlx::query(
                    "SELECT id, account_id, name, created_at, archived_at FROM locations \
                     WHERE account_id = $1 AND ($2 = 1 OR archived_at IS NULL) \
                     ORDER BY created_at, id LIMIT $3 OFFSET $4",
                )
                .bind(account_id)
                .bind(all)
                .bind(i64::from(page.limit))
                .bind(to_i64(page.offset))
                .fetch_all(&self.pool)
                .await?;
                Ok((rows.iter().map(Self::location).collect::<Result<_>>()?, to_u64(total)))
            }

            async fn archive_location(
                &self,
                account_id: &str,
                location_id: &str,
                now_ms: i64,
            ) -> Result<Option<Vec<SessionRecord>>> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("UPDATE accounts SET session_seq = session_seq + 1 WHERE id = $1")
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await?;
                let archived = sqlx::query(
                    "UPDATE locations SET archived_at = $3 WHERE id = $1 AND account_id = $2 AND archived_at IS NULL",
                )
                .bind(location_id)
                .bind(account_id)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
                if archived.rows_affected() == 0 {
                    return Ok(None);
                }
                let rows = sqlx::query(
                    "SELECT id, account_id, location_id, name, status, phone, jid, created_at FROM sessions \
                     WHERE location_id = $1 AND account_id = $2 ORDER BY created_at, id",
                )
                .bind(location_id)
                .bind(account_id)
                .fetch_all(&mut *tx)
                .await?;
                let sessions = rows.iter().map(Self::session).collect::<Result<Vec<_>>>()?;
                sqlx::query("DELETE FROM sessions WHERE location_id = $1 AND account_id = $2")
                    .bind(location_id)
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(Some(sessions))
            }

            async fn create_session_within_limit(&self, session: &SessionRecord, limit: u32) -> Result<SessionInsert> {
                let mut tx = self.pool.begin().await?;
                let locked = sqlx::query("UPDATE accounts SET session_seq = session_seq + 1 WHERE id = $1")
                    .bind(&session.account_id)
                    .execute(&mut *tx)
                    .await?;
                if locked.rows_affected() == 0 {
                    return Ok(SessionInsert::NoSuchLocation);
                }
                let live: Option<i64> = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM locations WHERE id = $1 AND account_id = $2 AND archived_at IS NULL",
                )
                .bind(&session.location_id)
                .bind(&session.account_id)
                .fetch_optional(&mut *tx)
                .await?;
                if live.unwrap_or(0) == 0 {
                    return Ok(SessionInsert::NoSuchLocation);
                }
                let used: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM sessions s JOIN locations l ON l.id = s.location_id \
                     WHERE s.account_id = $1 AND l.archived_at IS NULL",
                )
                .bind(&session.account_id)
                .fetch_one(&mut *tx)
                .await?;
                if used >= i64::from(limit) {
                    return Ok(SessionInsert::LimitReached);
                }
                sqlx::query(
                    "INSERT INTO sessions (id, account_id, location_id, name, status, phone, jid, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&session.id)
                .bind(&session.account_id)
                .bind(&session.location_id)
                .bind(&session.name)
                .bind(session.status.as_str())
                .bind(&session.phone)
                .bind(&session.jid)
                .bind(session.created_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(SessionInsert::Created)
            }

            async fn get_session(&self, account_id: &str, session_id: &str) -> Result<Option<SessionRecord>> {
                let row = sqlx::query(
                    "SELECT id, account_id, location_id, name, status, phone, jid, created_at FROM sessions \
                     WHERE id = $1 AND account_id = $2",
                )
                .bind(session_id)
                .bind(account_id)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::session).transpose()
            }

            async fn list_sessions(
                &self,
                account_id: &str,
                location_id: Option<&str>,
                page: Page,
            ) -> Result<(Vec<SessionRecord>, u64)> {
                let total: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM sessions s JOIN locations l ON l.id = s.location_id \
                     WHERE s.account_id = $1 AND l.archived_at IS NULL AND ($2 IS NULL OR s.location_id = $2)",
                )
                .bind(account_id)
                .bind(location_id)
                .fetch_one(&self.pool)
                .await?;
                let rows = sqlx::query(
                    "SELECT s.id, s.account_id, s.location_id, s.name, s.status, s.phone, s.jid, s.created_at \
                     FROM sessions s JOIN locations l ON l.id = s.location_id \
                     WHERE s.account_id = $1 AND l.archived_at IS NULL AND ($2 IS NULL OR s.location_id = $2) \
                     ORDER BY s.created_at, s.id LIMIT $3 OFFSET $4",
                )
                .bind(account_id)
                .bind(location_id)
                .bind(i64::from(page.limit))
                .bind(to_i64(page.offset))
                .fetch_all(&self.pool)
                .await?;
                Ok((rows.iter().map(Self::session).collect::<Result<_>>()?, to_u64(total)))
            }

            async fn list_all_sessions(&self) -> Result<Vec<SessionRecord>> {
                let rows = sqlx::query(
                    "SELECT s.id, s.account_id, s.location_id, s.name, s.status, s.phone, s.jid, s.created_at \
                     FROM sessions s JOIN locations l ON l.id = s.location_id \
                     WHERE l.archived_at IS NULL ORDER BY s.created_at, s.id",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::session).collect()
            }

            async fn count_sessions(&self, account_id: &str) -> Result<u64> {
                let used: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM sessions s JOIN locations l ON l.id = s.location_id \
                     WHERE s.account_id = $1 AND l.archived_at IS NULL",
                )
                .bind(account_id)
                .fetch_one(&self.pool)
                .await?;
                Ok(to_u64(used))
            }

            async fn update_session_state(
                &self,
                session_id: &str,
                status: SessionStatus,
                phone: Option<&str>,
                jid: Option<&str>,
            ) -> Result<()> {
                // A status change without phone/JID (e.g. `reconnecting`) keeps the ones already known.
                sqlx::query(
                    "UPDATE sessions SET status = $2, phone = COALESCE($3, phone), jid = COALESCE($4, jid) \
                     WHERE id = $1",
                )
                .bind(session_id)
                .bind(status.as_str())
                .bind(phone)
                .bind(jid)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn delete_session(&self, account_id: &str, session_id: &str) -> Result<bool> {
                let done = sqlx::query("DELETE FROM sessions WHERE id = $1 AND account_id = $2")
                    .bind(session_id)
                    .bind(account_id)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn try_consume_quota(&self, account_id: &str, period: &str, limit: u64) -> Result<Option<u64>> {
                if limit == 0 {
                    return Ok(None);
                }
                // One statement: insert the period's first unit, or take one more only while under the limit.
                // The row lock (PostgreSQL) or write lock (SQLite) makes racing callers see each other's unit.
                let used: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO quota_usage (account_id, period, used) VALUES ($1, $2, 1) \
                     ON CONFLICT (account_id, period) DO UPDATE SET used = quota_usage.used + 1 \
                     WHERE quota_usage.used < $3 RETURNING used",
                )
                .bind(account_id)
                .bind(period)
                .bind(to_i64(limit))
                .fetch_optional(&self.pool)
                .await?;
                Ok(used.map(to_u64))
            }

            async fn refund_quota(&self, account_id: &str, period: &str) -> Result<()> {
                sqlx::query(
                    "UPDATE quota_usage SET used = used - 1 WHERE account_id = $1 AND period = $2 AND used > 0",
                )
                .bind(account_id)
                .bind(period)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn apply_quota_changes(&self, changes: &[QuotaChange]) -> Result<Vec<Option<u64>>> {
                if let Some(outcomes) = self.native.apply_quota(changes).await {
                    return outcomes;
                }
                // One change needs no transaction: its single statement is already atomic (and one
                // round trip instead of four keeps an unloaded send's latency down).
                match changes {
                    [] => return Ok(Vec::new()),
                    [QuotaChange::Consume { account_id, period, limit }] => {
                        return Ok(vec![self.try_consume_quota(account_id, period, *limit).await?]);
                    }
                    [QuotaChange::Refund { account_id, period }] => {
                        let used: Option<i64> = sqlx::query_scalar(
                            "UPDATE quota_usage SET used = used - 1 WHERE account_id = $1 AND period = $2 \
                             AND used > 0 RETURNING used",
                        )
                        .bind(account_id)
                        .bind(period)
                        .fetch_optional(&self.pool)
                        .await?;
                        return match used {
                            Some(used) => Ok(vec![Some(to_u64(used))]),
                            None => Ok(vec![Some(self.quota_used(account_id, period).await?)]),
                        };
                    }
                    _ => {}
                }
                // Lock and read every counter the batch touches, in key order so that two batches (on
                // two nodes) never wait for each other's rows crosswise; the no-op upsert takes the row
                // lock (PostgreSQL) or the write lock (SQLite) while it reads, so nobody else changes
                // these counters until the commit. Then the changes are decided in arrival order, exactly
                // as one statement each would have, and each changed counter is written once.
                let mut counters: QuotaCounters<'_> = changes.iter().map(|c| (c.counter(), (0, 0))).collect();
                let mut tx = self.pool.begin().await?;
                for ((account_id, period), (before, after)) in counters.iter_mut() {
                    let used: i64 = sqlx::query_scalar(LOCK_QUOTA_SQL)
                    .bind(*account_id)
                    .bind(*period)
                    .fetch_one(&mut *tx)
                    .await?;
                    *before = to_u64(used);
                    *after = *before;
                }
                let outcomes = decide_quota(changes, &mut counters)?;
                for ((account_id, period), (before, after)) in &counters {
                    if before != after {
                        sqlx::query(SET_QUOTA_SQL)
                            .bind(to_i64(*after))
                            .bind(*account_id)
                            .bind(*period)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                tx.commit().await?;
                Ok(outcomes)
            }

            async fn quota_used(&self, account_id: &str, period: &str) -> Result<u64> {
                let used: Option<i64> =
                    sqlx::query_scalar("SELECT used FROM quota_usage WHERE account_id = $1 AND period = $2")
                        .bind(account_id)
                        .bind(period)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(used.map_or(0, to_u64))
            }

            async fn create_webhook(&self, webhook: &WebhookRecord) -> Result<()> {
                sqlx::query(
                    "INSERT INTO webhooks (id, account_id, location_id, url, secret, events, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&webhook.id)
                .bind(&webhook.account_id)
                .bind(&webhook.location_id)
                .bind(&webhook.url)
                .bind(&webhook.secret)
                .bind(webhook.events.join(" "))
                .bind(webhook.created_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn list_webhooks(&self, account_id: &str) -> Result<Vec<WebhookRecord>> {
                let rows = sqlx::query(
                    "SELECT id, account_id, location_id, url, secret, events, created_at FROM webhooks \
                     WHERE account_id = $1 ORDER BY created_at, id",
                )
                .bind(account_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::webhook).collect()
            }

            async fn get_webhook(&self, webhook_id: &str) -> Result<Option<WebhookRecord>> {
                let row = sqlx::query(
                    "SELECT id, account_id, location_id, url, secret, events, created_at FROM webhooks WHERE id = $1",
                )
                .bind(webhook_id)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::webhook).transpose()
            }

            async fn delete_webhook(&self, account_id: &str, webhook_id: &str) -> Result<bool> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query("DELETE FROM webhooks WHERE id = $1 AND account_id = $2")
                    .bind(webhook_id)
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Ok(false);
                }
                sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1 AND state = 'pending'")
                    .bind(webhook_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn enqueue_deliveries(&self, deliveries: &[DeliveryRecord]) -> Result<()> {
                if deliveries.is_empty() {
                    return Ok(());
                }
                let mut tx = self.pool.begin().await?;
                for delivery in deliveries {
                    sqlx::query(
                        "INSERT INTO webhook_deliveries \
                         (id, webhook_id, account_id, event, payload, attempts, next_attempt_at, state, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(&delivery.id)
                    .bind(&delivery.webhook_id)
                    .bind(&delivery.account_id)
                    .bind(&delivery.event)
                    .bind(&delivery.payload)
                    .bind(i64::from(delivery.attempts))
                    .bind(delivery.next_attempt_at)
                    .bind(delivery.state.as_str())
                    .bind(delivery.created_at)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn claim_due_deliveries(
                &self,
                now_ms: i64,
                lease_until_ms: i64,
                limit: u32,
            ) -> Result<Vec<DeliveryRecord>> {
                // The outer WHERE repeats the conditions so that a racing claimer (another node) re-checks
                // them on the row it waited for and skips rows that were just claimed.
                let rows = sqlx::query(
                    "UPDATE webhook_deliveries SET locked_until = $2 WHERE id IN ( \
                       SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $1 \
                       AND (locked_until IS NULL OR locked_until < $1) ORDER BY next_attempt_at LIMIT $3) \
                     AND state = 'pending' AND (locked_until IS NULL OR locked_until < $1) \
                     RETURNING id, webhook_id, account_id, event, payload, attempts, next_attempt_at, state, \
                     last_error, created_at",
                )
                .bind(now_ms)
                .bind(lease_until_ms)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::delivery).collect()
            }

            async fn mark_delivered(&self, delivery_id: &str, now_ms: i64) -> Result<()> {
                sqlx::query(
                    "UPDATE webhook_deliveries SET state = 'delivered', attempts = attempts + 1, delivered_at = $2, \
                     locked_until = NULL, last_error = NULL WHERE id = $1",
                )
                .bind(delivery_id)
                .bind(now_ms)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn mark_attempt_failed(
                &self,
                delivery_id: &str,
                error: &str,
                next_attempt_ms: Option<i64>,
            ) -> Result<()> {
                let state = if next_attempt_ms.is_some() { "pending" } else { "failed" };
                sqlx::query(
                    "UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = $2, state = $3, \
                     next_attempt_at = COALESCE($4, next_attempt_at), locked_until = NULL WHERE id = $1",
                )
                .bind(delivery_id)
                .bind(error)
                .bind(state)
                .bind(next_attempt_ms)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn get_delivery(&self, account_id: &str, delivery_id: &str) -> Result<Option<DeliveryRecord>> {
                let row = sqlx::query(
                    "SELECT id, webhook_id, account_id, event, payload, attempts, next_attempt_at, state, \
                     last_error, created_at FROM webhook_deliveries WHERE id = $1 AND account_id = $2",
                )
                .bind(delivery_id)
                .bind(account_id)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::delivery).transpose()
            }

            async fn next_delivery_due(&self) -> Result<Option<i64>> {
                let due: Option<i64> = sqlx::query_scalar(
                    "SELECT MIN(CASE WHEN locked_until IS NOT NULL AND locked_until > next_attempt_at \
                     THEN locked_until ELSE next_attempt_at END) FROM webhook_deliveries WHERE state = 'pending'",
                )
                .fetch_one(&self.pool)
                .await?;
                Ok(due)
            }
        }
    };
}

#[cfg(feature = "sqlite")]
sql_store!(
    SqliteStore,
    sqlx::Sqlite,
    sqlx::SqlitePool,
    super::migrations::SQLITE,
    "The SQLite backend: one file, WAL journal, writes serialised by SQLite's lock.",
    super::sqlite_native::SqliteNative,
    super::sqlite_native::SqliteNative::for_pool
);

/// How hard a commit of the gateway's SQLite database waits for the disk (the `synchronous` pragma,
/// always with the WAL journal).
#[cfg(feature = "sqlite")]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SqliteSync {
    /// `synchronous = FULL`: every commit (a quota count, a key, a history row) is fsynced before it
    /// returns and survives a process crash, an OS crash and a power loss. The default.
    #[default]
    Full,
    /// `synchronous = NORMAL`: commits reach the WAL but are fsynced only at checkpoints. They survive a
    /// crash of the process; after an OS crash or a power loss the last commits may be missing (the
    /// database stays consistent, ending at an older commit): a few sends may go uncounted, a just
    /// issued key or a just recorded history row may be gone.
    Normal,
}

#[cfg(feature = "sqlite")]
impl SqliteStore {
    /// Opens (creating if missing) the database file at `path`, with WAL, `synchronous = FULL`, foreign
    /// keys and a busy timeout long enough for bursts of concurrent writers. Call
    /// [`GatewayStore::migrate`] next.
    pub async fn open(path: &std::path::Path) -> Result<SqliteStore> {
        Self::open_synced(path, SqliteSync::Full).await
    }

    /// As [`SqliteStore::open`], committing with `sync`.
    pub async fn open_synced(path: &std::path::Path, sync: SqliteSync) -> Result<SqliteStore> {
        use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
        let synchronous = match sync {
            SqliteSync::Full => SqliteSynchronous::Full,
            SqliteSync::Normal => SqliteSynchronous::Normal,
        };
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Ok(SqliteStore::from_pool(pool))
    }
}

#[cfg(feature = "postgres")]
sql_store!(
    PostgresStore,
    sqlx::Postgres,
    sqlx::PgPool,
    super::migrations::POSTGRES,
    "The PostgreSQL backend: several nodes may share one database.",
    (),
    |_: &sqlx::PgPool| ()
);

#[cfg(feature = "postgres")]
impl PostgresStore {
    /// Connects to `url` (`postgres://...`). Call [`GatewayStore::migrate`] next.
    pub async fn connect(url: &str) -> Result<PostgresStore> {
        Self::connect_in_schema(url, None).await
    }

    /// Connects to `url` with every pooled connection's `search_path` set to `schema`, creating the schema
    /// if needed (tests give each run its own schema; operators may keep wasndr apart from other tables).
    pub async fn connect_in_schema(url: &str, schema: Option<&str>) -> Result<PostgresStore> {
        use std::str::FromStr;

        use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
        let mut options = PgConnectOptions::from_str(url)?;
        if let Some(schema) = schema {
            if schema.is_empty() || !schema.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(GatewayError::invalid(
                    "schema",
                    "use letters, digits and underscores only",
                ));
            }
            let admin = PgPoolOptions::new()
                .max_connections(1)
                .connect_with(options.clone())
                .await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "CREATE SCHEMA IF NOT EXISTS {schema}"
            )))
            .execute(&admin)
            .await?;
            admin.close().await;
            options = options.options([("search_path", schema)]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(options)
            .await?;
        Ok(PostgresStore::from_pool(pool))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The statements SQLite runs through rusqlite too: SQLite numbers `$N` parameters by first
    /// appearance, so `$1`, `$2`, ... must first appear in that order for both drivers to bind alike.
    #[test]
    fn shared_statements_number_their_parameters_in_order() {
        for (sql, count) in [(FIND_KEY_SQL, 1), (LOCK_QUOTA_SQL, 2), (SET_QUOTA_SQL, 3)] {
            let firsts: Vec<usize> = (1..=count)
                .map(|n| sql.find(&format!("${n}")).unwrap_or(usize::MAX))
                .collect();
            assert!(firsts.windows(2).all(|w| w[0] < w[1]), "{sql}");
            assert!(firsts.iter().all(|&at| at != usize::MAX), "{sql}");
            assert!(!sql.contains(&format!("${}", count + 1)), "{sql}");
        }
    }

    #[test]
    fn quota_decisions_follow_arrival_order() {
        let change = |consume: bool| {
            if consume {
                QuotaChange::Consume {
                    account_id: "a".into(),
                    period: "2026-11".into(),
                    limit: 2,
                }
            } else {
                QuotaChange::Refund {
                    account_id: "a".into(),
                    period: "2026-11".into(),
                }
            }
        };
        let changes = [
            change(true),
            change(true),
            change(true),
            change(false),
            change(true),
        ];
        let mut counters: QuotaCounters<'_> = changes.iter().map(|c| (c.counter(), (1, 1))).collect();
        let outcomes = decide_quota(&changes, &mut counters).unwrap();
        assert_eq!(outcomes, [Some(2), None, None, Some(1), Some(2)]);
        assert_eq!(counters.get(&("a", "2026-11")), Some(&(1, 2)));
    }
}
