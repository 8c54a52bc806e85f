//! The service: every operation of the REST API and MCP tools, with authentication, scopes, tenancy,
//! plan gates, quota and rate limits decided here once. Shells parse their transport and call these.

mod account;
mod caller;
mod groups;
mod messaging;
mod reads;
mod tenancy;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, Notify, watch};
use tokio::task::JoinHandle;

pub use caller::Caller;
pub use messaging::Sent;

use crate::engine::{SessionEngine, SessionRef};
use crate::error::{GatewayError, Result};
use crate::events::{EventHub, GatewaySink};
use crate::fetch::{FetchPolicy, OutboundClient};
use crate::plan::PlanCatalog;
use crate::rate_limit::{RateLimiter, TokenBuckets};
use crate::store::{CachingStore, GatewayStore, Page, QuotaBatcher, SessionRecord};
use crate::webhook::{WebhookDispatcher, WebhookSettings};

/// Operator settings of the gateway.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Plans and the default plan.
    pub plans: PlanCatalog,
    /// The server's public base URL (no trailing slash), e.g. `https://wa.example.com`; used in
    /// `/mcp-config` and attachment download URLs.
    pub public_url: String,
    /// Requests per minute per account for everything (reads included); sends also take from the plan's
    /// send limit. Generous: QR polling every 2 s is 30 a minute.
    pub requests_per_minute: u32,
    /// Largest media file sent (from `mediaUrl` or `mediaBase64`), bytes.
    pub max_media_bytes: u64,
    /// Outbound fetch policy (media URLs and webhooks): allowlist, caps, timeouts.
    pub fetch: FetchPolicy,
    /// Webhook retry schedule.
    pub webhooks: WebhookSettings,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            plans: PlanCatalog::seed_defaults(),
            public_url: "http://127.0.0.1:8080".to_owned(),
            requests_per_minute: 1200,
            max_media_bytes: 64 * 1024 * 1024,
            fetch: FetchPolicy::default(),
            webhooks: WebhookSettings::default(),
        }
    }
}

/// The multi-tenant service. Cheap to share: hold it in an `Arc`.
#[derive(Debug)]
pub struct Gateway {
    /// The store behind a [`CachingStore`]: lookups every request makes are answered from memory.
    store: Arc<dyn GatewayStore>,
    /// Sends' quota units, committed in batches.
    quota: QuotaBatcher,
    engine: Arc<dyn SessionEngine>,
    config: GatewayConfig,
    send_limiter: Arc<dyn RateLimiter>,
    request_limiter: Arc<dyn RateLimiter>,
    client: OutboundClient,
    hub: EventHub,
    wake_dispatcher: Arc<Notify>,
    shutdown: watch::Sender<bool>,
    dispatcher: Mutex<Option<JoinHandle<()>>>,
}

impl Gateway {
    /// Builds the gateway over a migrated store and an engine, and gives the engine its event sink.
    /// Call [`Gateway::start`] to restore sessions and start webhook delivery.
    ///
    /// The store is wrapped in a [`CachingStore`] (accounts, sessions, webhooks; not keys): changes made
    /// through this gateway (or its [`Gateway::store`]) take effect at once; changes made by another node
    /// sharing the database take up to [`CachingStore::DEFAULT_TTL`] to be seen here.
    pub fn new(
        store: Arc<dyn GatewayStore>,
        engine: Arc<dyn SessionEngine>,
        config: GatewayConfig,
    ) -> Result<Gateway> {
        let store: Arc<dyn GatewayStore> = Arc::new(CachingStore::new(store));
        let client = OutboundClient::new(config.fetch.clone())?;
        let hub = EventHub::new(1024);
        let wake_dispatcher = Arc::new(Notify::new());
        engine.set_event_sink(Arc::new(GatewaySink {
            store: store.clone(),
            hub: hub.clone(),
            wake_dispatcher: wake_dispatcher.clone(),
        }));
        Ok(Gateway {
            quota: QuotaBatcher::new(store.clone()),
            store,
            engine,
            config,
            send_limiter: Arc::new(TokenBuckets::new()),
            request_limiter: Arc::new(TokenBuckets::new()),
            client,
            hub,
            wake_dispatcher,
            shutdown: watch::channel(false).0,
            dispatcher: Mutex::new(None),
        })
    }

    /// Restores every session of live locations in the engine (linked ones reconnect without a QR) and
    /// starts the webhook worker. Failures to restore one session are logged, not fatal.
    pub async fn start(&self) -> Result<()> {
        for record in self.store.list_all_sessions().await? {
            if let Err(error) = self.engine.restore_session(&session_ref(&record)).await {
                tracing::warn!(session = %record.id, %error, "restoring a session failed");
            }
        }
        let dispatcher = WebhookDispatcher::new(
            self.store.clone(),
            self.client.clone(),
            self.config.webhooks.clone(),
            self.wake_dispatcher.clone(),
        );
        let handle = tokio::spawn(dispatcher.run(self.shutdown.subscribe()));
        *self.dispatcher.lock().await = Some(handle);
        Ok(())
    }

    /// Tells long-lived work (event streams, the webhook worker) to finish; requests still in flight
    /// complete normally. Idempotent.
    pub fn begin_shutdown(&self) {
        let _ = self.shutdown.send(true);
    }

    /// Turns true when shutdown begins (event streams end on it).
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Stops webhook delivery (deliveries in flight finish, queued ones stay queued for the next start)
    /// and stops every session in the engine, keeping their credentials.
    pub async fn shutdown(&self) {
        self.begin_shutdown();
        if let Some(handle) = self.dispatcher.lock().await.take() {
            let _ = tokio::time::timeout(Duration::from_secs(30), handle).await;
        }
        if let Ok(sessions) = self.store.list_all_sessions().await {
            for record in sessions {
                if let Err(error) = self.engine.stop_session(&record.id).await {
                    tracing::warn!(session = %record.id, %error, "stopping a session failed");
                }
            }
        }
    }

    /// The store (operator tooling).
    pub fn store(&self) -> &Arc<dyn GatewayStore> {
        &self.store
    }

    /// The engine.
    pub fn engine(&self) -> &Arc<dyn SessionEngine> {
        &self.engine
    }

    /// The configuration.
    pub fn config(&self) -> &GatewayConfig {
        &self.config
    }

    /// Live events of all accounts (shells filter with [`Caller::sees_event`]).
    pub fn events(&self) -> &EventHub {
        &self.hub
    }

    /// A session record of the caller's account, or 404.
    async fn own_session(&self, caller: &Caller, session_id: &str) -> Result<SessionRecord> {
        let session_id = session_id.trim();
        if session_id.is_empty() {
            return Err(GatewayError::invalid(
                "sessionId",
                "required: the id from GET /api/v1/sessions",
            ));
        }
        if !crate::ids::is_uuid(session_id) {
            return Err(GatewayError::NotFound { what: "session" });
        }
        self.store
            .get_session(&caller.account.id, session_id)
            .await?
            .ok_or(GatewayError::NotFound { what: "session" })
    }
}

/// The engine's view of a session record.
fn session_ref(record: &SessionRecord) -> SessionRef {
    SessionRef {
        session_id: record.id.clone(),
        account_id: record.account_id.clone(),
        location_id: record.location_id.clone(),
    }
}

/// Default and maximum page sizes of list endpoints.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 500;

/// A page from optional `limit`/`offset`, refusing a limit over the maximum.
fn page(limit: Option<u32>, offset: Option<u64>) -> Result<Page> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(GatewayError::invalid(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    Ok(Page {
        limit,
        offset: offset.unwrap_or(0),
    })
}

/// A page of a list and its `meta`.
#[derive(Debug, Clone)]
pub struct Listed<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Page size asked.
    pub limit: u32,
    /// Rows skipped.
    pub offset: u64,
    /// Rows matching in all.
    pub total: u64,
}

impl<T> Listed<T> {
    fn new(items: Vec<T>, page: Page, total: u64) -> Listed<T> {
        Listed {
            items,
            limit: page.limit,
            offset: page.offset,
            total,
        }
    }
}

/// Checks a display name: trimmed, 1–200 characters.
fn display_name(field: &str, name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(GatewayError::invalid(field, "must be 1 to 200 characters"));
    }
    Ok(name.to_owned())
}
