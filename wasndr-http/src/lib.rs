//! The wasndr REST API: the `/api/v1` surface over `wasndr-gateway`, built with axum.
//!
//! A thin shell: handlers parse the request, call one [`wasndr_gateway::Gateway`] method and wrap the
//! answer in the envelope. Authentication, scopes, tenancy, plan gates, quota and rate limits are the
//! gateway's.

mod envelope;
mod error;
mod extract;
mod metrics;
mod openapi;
mod png;
mod qr;
mod routes;
mod state;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, delete, get, post, put};
use wasndr_gateway::Gateway;

pub use error::{ApiError, status_of};
pub use metrics::Metrics;
pub use openapi::ApiDoc;
pub use qr::qr_data_url;
pub use state::AppState;

/// Options of the REST shell.
#[derive(Debug)]
pub struct HttpOptions {
    /// Largest JSON body on ordinary endpoints (default 1 MiB).
    pub max_body_bytes: usize,
    /// Largest JSON body on media sends, which may carry `mediaBase64` (default: fits the gateway's media
    /// cap once base64-encoded).
    pub max_media_body_bytes: usize,
    /// The `/api/v1/sandbox` routes when the server runs with `--sandbox` (built by the binary around the
    /// embedded simulator); `None` answers 404 there.
    pub sandbox: Option<Router>,
}

impl HttpOptions {
    /// Defaults sized for `gateway`'s media cap.
    pub fn for_gateway(gateway: &Gateway) -> HttpOptions {
        let media = gateway.config().max_media_bytes as usize;
        HttpOptions {
            max_body_bytes: 1024 * 1024,
            max_media_body_bytes: media / 3 * 4 + 64 * 1024,
            sandbox: None,
        }
    }
}

/// The whole HTTP application: `/api/v1/...`, `/healthz`, `/readyz`, `/metrics`.
pub fn router(gateway: Arc<Gateway>, options: HttpOptions) -> Router {
    use routes::{account, events, groups, messages, ops, sessions};

    let state = Arc::new(AppState {
        gateway,
        metrics: Metrics::default(),
    });
    let media_limit = DefaultBodyLimit::max(options.max_media_body_bytes);
    let api = Router::new()
        .route(
            "/locations",
            post(sessions::create_location).get(sessions::list_locations),
        )
        .route("/locations/{uuid}", delete(sessions::archive_location))
        .route(
            "/sessions",
            post(sessions::create_session).get(sessions::list_sessions),
        )
        .route("/sessions/{id}", delete(sessions::delete_session))
        .route("/sessions/{id}/qr", get(sessions::session_qr))
        .route("/sessions/{id}/status", get(sessions::session_status))
        .route("/messages/send", post(messages::send_text))
        .route(
            "/messages/send-media",
            post(messages::send_media).layer(media_limit),
        )
        .route("/messages/send-group", post(messages::send_group_text))
        .route(
            "/messages/send-group-media",
            post(messages::send_group_media).layer(media_limit),
        )
        .route("/messages/send-poll", post(messages::send_poll))
        .route("/messages/history", get(messages::history))
        .route("/check-number", post(messages::check_number))
        .route("/attachments", get(messages::attachments))
        .route("/attachments/{id}/download", get(messages::download_attachment))
        .route("/groups", get(groups::list))
        .route("/groups/create", post(groups::create))
        .route("/groups/{groupJid}", get(groups::info))
        .route("/groups/{groupJid}/participants", get(groups::participants))
        .route("/groups/{groupJid}/export-members", get(groups::export_members))
        .route("/groups/{groupJid}/invite-code", get(groups::invite_code))
        .route("/groups/{groupJid}/subject", put(groups::subject))
        .route("/groups/{groupJid}/description", put(groups::description))
        .route("/groups/{groupJid}/participants/add", post(groups::add))
        .route("/groups/{groupJid}/participants/remove", post(groups::remove))
        .route("/groups/{groupJid}/leave", post(groups::leave))
        .route("/usage", get(account::usage))
        .route("/account", get(account::account))
        .route("/mcp-config", get(account::mcp_config))
        .route("/keys", post(account::create_key).get(account::list_keys))
        .route("/keys/{uuid}", delete(account::revoke_key))
        .route(
            "/webhooks",
            post(account::create_webhook).get(account::list_webhooks),
        )
        .route("/webhooks/{uuid}", delete(account::delete_webhook))
        .route("/events", get(events::stream))
        .route("/openapi.json", get(ops::openapi));
    // The sandbox plugs in here: `wasndr serve --sandbox` passes the simulator's routes; otherwise 404.
    let api = match options.sandbox {
        Some(sandbox) => api.nest_service("/sandbox", sandbox),
        None => api
            .route("/sandbox", any(ops::sandbox_off))
            .route("/sandbox/{*rest}", any(ops::sandbox_off)),
    };
    Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .fallback(ops::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(DefaultBodyLimit::max(options.max_body_bytes))
        .with_state(state)
}
