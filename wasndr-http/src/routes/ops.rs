//! Operations: liveness, readiness, metrics, the OpenAPI document, and the JSON 404/405.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use utoipa::OpenApi;

use crate::error::ApiError;
use crate::openapi::ApiDoc;
use crate::state::AppState;

/// `GET /healthz`: the process serves requests.
pub(crate) async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers.
pub(crate) async fn readyz(State(s): State<Arc<AppState>>) -> Response {
    match s.gateway.store().count_accounts().await {
        Ok(_) => Json(json!({ "status": "ready" })).into_response(),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable" })),
            )
                .into_response()
        }
    }
}

/// `GET /metrics`: Prometheus text format.
pub(crate) async fn metrics(State(s): State<Arc<AppState>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(),
    )
        .into_response()
}

/// `GET /api/v1/openapi.json`: generated from the handlers and wire types.
pub(crate) async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Unknown paths.
pub(crate) async fn not_found() -> ApiError {
    ApiError::NoRoute("no such endpoint; see /api/v1/openapi.json".to_owned())
}

/// `/api/v1/sandbox/...` when the server was not started with `--sandbox`.
pub(crate) async fn sandbox_off() -> ApiError {
    ApiError::NoRoute("sandbox mode is off: start the server with `wasndr serve --sandbox`".to_owned())
}

/// Known paths with another method.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
