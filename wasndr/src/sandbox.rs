//! `--sandbox`: a WhatsApp-compatible simulator for the engine to talk to, and the `/api/v1/sandbox`
//! routes that create virtual phones, scan a session's QR as one, and send and read their messages.
//!
//! The simulator is embedded (started in this process on a random loopback port) or, with
//! `--sandbox-url`, one already running elsewhere (a `wasndr-sim` process) driven through its admin API:
//! several wasndr processes, or one restarted, can then share the same virtual phones.
//!
//! Every route needs a valid API key. A scan acts only on the caller's own session (another account's
//! answers 404, as everywhere in the API); phones are shared by all tenants of the sandbox.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use wasndr_core::crypto::PublicKey;
use wasndr_core::noise::TrustRoot;
use wasndr_gateway::{Caller, Gateway, GatewayError};
use wasndr_http::ApiError;
use wasndr_sim::{SimConfig, SimError, SimHandle, Simulator};

mod remote;

use remote::RemoteSim;

/// The embedded simulator's certificate root, the same at every start: after a restart, devices linked
/// to the previous (now gone) network complete the handshake and are told they are unknown (401), so
/// their sessions end `disconnected` instead of retrying a handshake with a stranger forever. It guards
/// nothing: the embedded simulator listens on loopback and holds only virtual phones.
const EMBEDDED_ROOT_KEY: [u8; 32] = *b"wasndr sandbox: not a secret key";

/// The simulator the sandbox drives.
#[derive(Debug, Clone)]
pub(crate) enum Sandbox {
    /// Started in this process.
    Embedded(SimHandle),
    /// Another process's, through its admin API.
    Remote(RemoteSim),
}

/// Where the engine connects and which root it trusts.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub(crate) ws_url: String,
    pub(crate) trust_root: TrustRoot,
}

/// A failed sandbox request, in the API's error envelope.
#[derive(Debug)]
pub(crate) enum SandboxError {
    Api(ApiError),
    Sim {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
}

impl From<GatewayError> for SandboxError {
    fn from(error: GatewayError) -> Self {
        SandboxError::Api(error.into())
    }
}

impl From<JsonRejection> for SandboxError {
    fn from(rejection: JsonRejection) -> Self {
        SandboxError::Api(rejection.into())
    }
}

impl From<SimError> for SandboxError {
    fn from(error: SimError) -> Self {
        let (status, code) = match &error {
            SimError::PhoneExists(_) => (StatusCode::CONFLICT, "phone_exists"),
            SimError::UnknownPhone(_) | SimError::UnknownGroup(_) => (StatusCode::NOT_FOUND, "not_found"),
            SimError::UnknownQrRef => (StatusCode::CONFLICT, "qr_expired"),
            SimError::InvalidPhone(_) | SimError::InvalidRecipient(_) | SimError::InvalidQr(_) => {
                (StatusCode::BAD_REQUEST, "invalid_request")
            }
            SimError::Timeout(_) => (StatusCode::GATEWAY_TIMEOUT, "simulator_timeout"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "simulator_error"),
        };
        SandboxError::Sim {
            status,
            code,
            message: error.to_string(),
        }
    }
}

impl IntoResponse for SandboxError {
    fn into_response(self) -> Response {
        match self {
            SandboxError::Api(error) => error.into_response(),
            SandboxError::Sim {
                status,
                code,
                message,
            } => {
                if status.is_server_error() {
                    tracing::warn!(%status, code, %message, "sandbox request failed");
                }
                let body = json!({ "success": false, "error": { "code": code, "message": message } });
                (status, Json(body)).into_response()
            }
        }
    }
}

type Answer = Result<Response, SandboxError>;

fn data(status: StatusCode, data: Value) -> Response {
    (status, Json(json!({ "success": true, "data": data }))).into_response()
}

impl Sandbox {
    /// Starts an embedded simulator on a random loopback port.
    pub(crate) async fn embedded() -> anyhow::Result<Sandbox> {
        let config = SimConfig {
            root_private_key: Some(EMBEDDED_ROOT_KEY),
            ..SimConfig::default()
        };
        let sim = Simulator::start(config).await?;
        Ok(Sandbox::Embedded(sim))
    }

    /// Attaches to a simulator's admin API at `base` (`http://HOST:PORT`).
    pub(crate) async fn remote(base: &str) -> anyhow::Result<Sandbox> {
        Ok(Sandbox::Remote(RemoteSim::new(base).await?))
    }

    /// `{wsUrl, mediaUrl, adminUrl, rootPublicKey, rootSerial}`.
    async fn info(&self) -> Result<Value, SandboxError> {
        match self {
            Sandbox::Embedded(sim) => Ok(serde_json::to_value(sim.info()).unwrap_or_default()),
            Sandbox::Remote(remote) => remote.info().await,
        }
    }

    /// The engine's connection settings.
    pub(crate) async fn endpoint(&self) -> anyhow::Result<Endpoint> {
        let info = self
            .info()
            .await
            .map_err(|_| anyhow::anyhow!("the simulator's /admin/info could not be read"))?;
        let text = |key: &str| info[key].as_str().unwrap_or_default().to_owned();
        let key = hex::decode(text("rootPublicKey"))?;
        Ok(Endpoint {
            ws_url: text("wsUrl"),
            trust_root: TrustRoot {
                public_key: PublicKey::from_slice(&key)?,
                serial: u32::try_from(info["rootSerial"].as_u64().unwrap_or(0)).unwrap_or(0),
            },
        })
    }

    /// Creates a phone; an existing one is answered as it is (so flows can be re-run).
    async fn create_phone(&self, phone: &str) -> Answer {
        let created = match self {
            Sandbox::Embedded(sim) => match sim.create_phone(phone).await {
                Ok(info) => Some(serde_json::to_value(info).unwrap_or_default()),
                Err(SimError::PhoneExists(_)) => None,
                Err(error) => return Err(error.into()),
            },
            Sandbox::Remote(remote) => remote.create_phone(phone).await?,
        };
        if let Some(info) = created {
            return Ok(data(StatusCode::CREATED, info));
        }
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        let listed = match self {
            Sandbox::Embedded(sim) => serde_json::to_value(sim.phones()).unwrap_or_default(),
            Sandbox::Remote(remote) => remote.phones().await?,
        };
        let existing = listed
            .as_array()
            .and_then(|phones| phones.iter().find(|p| p["phone"] == digits.as_str()))
            .cloned()
            .unwrap_or_else(|| json!({ "phone": digits }));
        Ok(data(StatusCode::OK, existing))
    }

    async fn scan(&self, phone: &str, qr: &str) -> Result<String, SandboxError> {
        match self {
            Sandbox::Embedded(sim) => Ok(sim.scan(phone, qr).await?),
            Sandbox::Remote(remote) => remote.scan(phone, qr).await,
        }
    }

    async fn send(&self, phone: &str, to: &str, text: &str) -> Result<String, SandboxError> {
        match self {
            Sandbox::Embedded(sim) => Ok(sim.send_text(phone, to, text).await?),
            Sandbox::Remote(remote) => remote.send(phone, to, text).await,
        }
    }

    async fn messages(&self, phone: &str) -> Result<Value, SandboxError> {
        match self {
            Sandbox::Embedded(sim) => Ok(serde_json::to_value(sim.messages(phone)?).unwrap_or_default()),
            Sandbox::Remote(remote) => remote.messages(phone).await,
        }
    }
}

#[derive(Clone)]
struct SandboxState {
    gateway: Arc<Gateway>,
    sandbox: Sandbox,
}

/// The `/api/v1/sandbox` routes (nested there by `wasndr_http::router`).
pub(crate) fn router(gateway: Arc<Gateway>, sandbox: Sandbox) -> Router {
    Router::new()
        .route("/info", get(info))
        .route("/phones", post(create_phone))
        .route("/sessions/{session_id}/scan", post(scan))
        .route("/phones/{phone}/send", post(send))
        .route("/phones/{phone}/messages", get(messages))
        .with_state(SandboxState { gateway, sandbox })
}

async fn caller(state: &SandboxState, headers: &HeaderMap) -> Result<Caller, SandboxError> {
    let key = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
    match key {
        Some(key) => Ok(state.gateway.authenticate(Some(key)).await?),
        None => Err(GatewayError::Unauthorized.into()),
    }
}

async fn info(State(state): State<SandboxState>, headers: HeaderMap) -> Answer {
    caller(&state, &headers).await?;
    let info = state.sandbox.info().await?;
    Ok(data(
        StatusCode::OK,
        json!({
            "wsUrl": info["wsUrl"],
            "mediaUrl": info["mediaUrl"],
            "adminUrl": info["adminUrl"],
            "rootPublicKey": info["rootPublicKey"],
        }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PhoneBody {
    phone: String,
}

async fn create_phone(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    body: Result<Json<PhoneBody>, JsonRejection>,
) -> Answer {
    caller(&state, &headers).await?;
    let Json(body) = body?;
    state.sandbox.create_phone(&body.phone).await
}

async fn scan(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    Path(session_id): Path<String>,
    body: Result<Json<PhoneBody>, JsonRejection>,
) -> Answer {
    let caller = caller(&state, &headers).await?;
    let Json(body) = body?;
    // The gateway checks the session is the caller's (404 otherwise) and reads its live QR.
    let status = state.gateway.session_status(&caller, &session_id).await?;
    let Some(qr) = status.qr_text else {
        return Err(SandboxError::Sim {
            status: StatusCode::CONFLICT,
            code: "no_qr",
            message: format!(
                "session {session_id} shows no QR (status {}); scan while GET /sessions/{session_id}/qr \
                 says qr_ready",
                status.status.as_str()
            ),
        });
    };
    let device = state.sandbox.scan(&body.phone, &qr).await?;
    Ok(data(
        StatusCode::OK,
        json!({ "sessionId": session_id, "phone": body.phone, "deviceJid": device }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendBody {
    to: String,
    text: String,
}

async fn send(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    Path(phone): Path<String>,
    body: Result<Json<SendBody>, JsonRejection>,
) -> Answer {
    caller(&state, &headers).await?;
    let Json(body) = body?;
    let id = state.sandbox.send(&phone, &body.to, &body.text).await?;
    Ok(data(
        StatusCode::OK,
        json!({ "messageId": id, "from": phone, "to": body.to }),
    ))
}

async fn messages(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    Path(phone): Path<String>,
) -> Answer {
    caller(&state, &headers).await?;
    Ok(data(StatusCode::OK, state.sandbox.messages(&phone).await?))
}
