//! Rows as the store reads and writes them. Times are Unix milliseconds.

use crate::engine::SessionStatus;
use crate::scope::ScopeSet;

/// An API customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    /// `accountUuid`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Plan name (see [`crate::PlanCatalog`]).
    pub plan: String,
    /// Creation time.
    pub created_at: i64,
}

/// An API key (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// `uuid`.
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// Display name.
    pub name: String,
    /// The first characters of the secret, for listings.
    pub prefix: String,
    /// Granted scopes.
    pub scopes: ScopeSet,
    /// Creation time.
    pub created_at: i64,
    /// Last authenticated use (updated at most once a minute).
    pub last_used_at: Option<i64>,
}

/// A location: the seed's "API account", a workspace holding sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationRecord {
    /// `locationUuid`.
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// Display name.
    pub name: String,
    /// Creation time.
    pub created_at: i64,
    /// When it was archived; archived locations hold no sessions.
    pub archived_at: Option<i64>,
}

/// A session record: who owns the device, and its last known state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// `sessionId`.
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// Location it lives in.
    pub location_id: String,
    /// Display name.
    pub name: String,
    /// Last status the engine reported.
    pub status: SessionStatus,
    /// Linked phone number, once paired.
    pub phone: Option<String>,
    /// Linked device JID, once paired.
    pub jid: Option<String>,
    /// Creation time.
    pub created_at: i64,
}

/// Outcome of [`crate::GatewayStore::create_session_within_limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionInsert {
    /// Inserted.
    Created,
    /// The account is at its session limit.
    LimitReached,
    /// The location does not exist for this account or is archived.
    NoSuchLocation,
}

/// A registered webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRecord {
    /// Webhook id.
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// Only events of this location's sessions; `None` for all of the account's.
    pub location_id: Option<String>,
    /// Target URL (http or https; fetched under the outbound address policy).
    pub url: String,
    /// HMAC secret (generated, shown at creation and in listings to the account's full-access keys).
    pub secret: String,
    /// Subscribed event names.
    pub events: Vec<String>,
    /// Creation time.
    pub created_at: i64,
}

/// State of a queued delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Waiting for its next attempt.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Gave up after the last attempt.
    Failed,
}

impl DeliveryState {
    /// Storage text.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }

    /// Parses storage text (unknown reads as failed, so it is never retried blindly).
    pub fn parse(text: &str) -> DeliveryState {
        match text {
            "pending" => DeliveryState::Pending,
            "delivered" => DeliveryState::Delivered,
            _ => DeliveryState::Failed,
        }
    }
}

/// One webhook delivery: a signed POST of `payload` to the webhook's URL, retried until 2xx.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// Delivery id, sent as `X-Wasndr-Delivery` (receivers de-duplicate on it).
    pub id: String,
    /// The webhook.
    pub webhook_id: String,
    /// Owning account.
    pub account_id: String,
    /// Event name, sent as `X-Wasndr-Event`.
    pub event: String,
    /// The JSON body, fixed at enqueue time so every retry sends the same bytes.
    pub payload: String,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the next attempt is due.
    pub next_attempt_at: i64,
    /// Pending, delivered or failed.
    pub state: DeliveryState,
    /// The last failure, if any.
    pub last_error: Option<String>,
    /// Enqueue time.
    pub created_at: i64,
}

/// Offset paging for list queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Rows to return.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u64,
}

/// One change of a monthly quota counter; a batch of them is applied by
/// [`crate::store::GatewayStore::apply_quota_changes`] in arrival order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuotaChange {
    /// Take one unit of `period` if fewer than `limit` are used.
    Consume {
        /// The account.
        account_id: String,
        /// The month, `YYYY-MM`.
        period: String,
        /// The plan's monthly limit.
        limit: u64,
    },
    /// Give one unit back (never below zero).
    Refund {
        /// The account.
        account_id: String,
        /// The month, `YYYY-MM`.
        period: String,
    },
}

impl QuotaChange {
    /// The counter this change applies to: `(account_id, period)`.
    pub fn counter(&self) -> (&str, &str) {
        match self {
            QuotaChange::Consume {
                account_id, period, ..
            }
            | QuotaChange::Refund { account_id, period } => (account_id, period),
        }
    }
}
