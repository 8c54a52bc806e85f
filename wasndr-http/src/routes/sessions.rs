//! Locations and sessions.

use std::sync::Arc;

use axum::extract::{Path, State};
use serde::Serialize;
use wasndr_gateway::api::*;
use wasndr_gateway::engine::SessionStatus;

use crate::envelope::{Created, Data, List};
use crate::error::ApiError;
use crate::extract::{Auth, Body, Params};
use crate::openapi::{Envelope, ErrorEnvelope, ListEnvelope};
use crate::qr::qr_data_url;
use crate::state::AppState;

type Result<T> = std::result::Result<T, ApiError>;

/// `GET /sessions/{id}/qr`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QrView {
    /// `starting`, `qr_ready`, `connected`, `reconnecting` or `disconnected`.
    pub(crate) status: SessionStatus,
    /// The QR as a `data:image/png;base64,...` image while `qr_ready`, else null.
    pub(crate) qr: Option<String>,
    /// The linked phone number once connected.
    pub(crate) phone: Option<String>,
    /// The session.
    pub(crate) session_id: String,
}

#[utoipa::path(post, path = "/api/v1/locations", tag = "sessions", request_body = CreateLocation,
    responses((status = 201, body = Envelope<LocationView>), (status = 400, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)),
    security(("bearer" = [])))]
/// Create a location (an "API account" that holds sessions). Scope `sessions:write`.
pub(crate) async fn create_location(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Body(b): Body<CreateLocation>,
) -> Result<Created<LocationView>> {
    Ok(Created(s.gateway.create_location(&c, b).await?))
}

#[utoipa::path(get, path = "/api/v1/locations", tag = "sessions", params(ListLocationsQuery),
    responses((status = 200, body = ListEnvelope<LocationView>)), security(("bearer" = [])))]
/// List locations. Scope `sessions:read`.
pub(crate) async fn list_locations(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Params(q): Params<ListLocationsQuery>,
) -> Result<List<LocationView>> {
    Ok(List(s.gateway.list_locations(&c, q).await?))
}

#[utoipa::path(delete, path = "/api/v1/locations/{uuid}", tag = "sessions", params(("uuid" = String, Path, description = "locationUuid")),
    responses((status = 200, body = Envelope<LocationView>), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Archive a location: logs out and stops its sessions and frees their slots. Scope `sessions:write`.
pub(crate) async fn archive_location(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> Result<Data<LocationView>> {
    Ok(Data(s.gateway.archive_location(&c, &id).await?))
}

#[utoipa::path(post, path = "/api/v1/sessions", tag = "sessions", request_body = CreateSession,
    responses((status = 201, body = Envelope<SessionView>), (status = 403, body = ErrorEnvelope, description = "missing_scope or session_limit_reached"), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
/// Create a session (a WhatsApp device) in a location; starts QR generation. Scope `sessions:write`.
pub(crate) async fn create_session(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Body(b): Body<CreateSession>,
) -> Result<Created<SessionView>> {
    Ok(Created(s.gateway.create_session(&c, b).await?))
}

#[utoipa::path(get, path = "/api/v1/sessions", tag = "sessions", params(ListSessionsQuery),
    responses((status = 200, body = ListEnvelope<SessionView>)), security(("bearer" = [])))]
/// List sessions with their last known status. Scope `sessions:read`.
pub(crate) async fn list_sessions(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Params(q): Params<ListSessionsQuery>,
) -> Result<List<SessionView>> {
    Ok(List(s.gateway.list_sessions(&c, q).await?))
}

#[utoipa::path(get, path = "/api/v1/sessions/{id}/qr", tag = "sessions", params(("id" = String, Path, description = "sessionId")),
    responses((status = 200, body = Envelope<QrView>), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// The current QR (a PNG data URL) and status; poll every 2–3 s until `connected`. Scope `sessions:read`.
pub(crate) async fn session_qr(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> Result<Data<QrView>> {
    let state = s.gateway.session_status(&c, &id).await?;
    Ok(Data(QrView {
        status: state.status,
        qr: state.qr_text.as_deref().and_then(qr_data_url),
        phone: state.phone,
        session_id: state.session_id,
    }))
}

#[utoipa::path(get, path = "/api/v1/sessions/{id}/status", tag = "sessions", params(("id" = String, Path, description = "sessionId")),
    responses((status = 200, body = Envelope<SessionStatusView>), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// The connection status without the image. Scope `sessions:read`.
pub(crate) async fn session_status(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> Result<Data<SessionStatusView>> {
    Ok(Data(s.gateway.session_status(&c, &id).await?))
}

#[utoipa::path(delete, path = "/api/v1/sessions/{id}", tag = "sessions", params(("id" = String, Path, description = "sessionId")),
    responses((status = 200, body = Envelope<SessionView>), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Unlink the device from WhatsApp, delete its keys and free its slot. Scope `sessions:write`.
pub(crate) async fn delete_session(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> Result<Data<SessionView>> {
    Ok(Data(s.gateway.delete_session(&c, &id).await?))
}
