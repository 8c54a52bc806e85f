//! The multi-tenant wasndr service, without HTTP types.
//!
//! Accounts, locations, sessions, API keys with scopes, plans, monthly quotas, per-minute rate limits,
//! usage, history and attachments, webhooks and event streams, and safe outbound fetching. The REST
//! (`wasndr-http`) and MCP (`wasndr-mcp`) shells call [`Gateway`] and nothing else, so authentication,
//! scopes, plan gates, quota and rate limits are decided in one place.
//!
//! WhatsApp itself is behind the [`SessionEngine`] trait: the production engine wraps one `wasndr-core`
//! `Client` per session (`live::LiveEngine`, feature `live`); [`testing::RecordingEngine`] (feature `testing`) stands in for it in tests of the
//! gateway and the shells.
//!
//! Persistence is behind [`GatewayStore`], with [`SqliteStore`] (feature `sqlite`, default) and
//! [`PostgresStore`] (feature `postgres`).

pub mod api;
pub mod apikey;
pub mod clock;
pub mod engine;
mod error;
pub mod events;
pub mod fetch;
mod gateway;
pub mod ids;
#[cfg(feature = "live")]
pub mod live;
pub mod phone;
pub mod plan;
pub mod rate_limit;
pub mod scope;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod webhook;

pub use engine::{EngineEvent, EventSink, SessionEngine};
pub use error::{GatewayError, Result};
pub use gateway::{Caller, Gateway, GatewayConfig, Listed, Sent};
pub use plan::{Plan, PlanCatalog};
pub use scope::{Scope, ScopeSet};
pub use store::GatewayStore;
#[cfg(feature = "postgres")]
pub use store::PostgresStore;
#[cfg(feature = "sqlite")]
pub use store::{SqliteStore, SqliteSync};
