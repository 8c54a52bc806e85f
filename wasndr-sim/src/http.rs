//! The HTTP side, one port: `/ws/chat` (clients), `/admin/...` (control surface, JSON) and the media
//! host (`/mms/...` upload, `/v/...` download).
//!
//! `POST /admin/phones/{phone}/send-media {"to", "kind": "image|video|audio|document", "mimetype",
//! "caption"?, "fileName"?, "dataBase64"}` makes the phone send a file (201 `{"id"}`); a missing or
//! wrong field is a 400 whose `error` names the field.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};
use wasndr_core::media::MediaType;

use crate::error::SimError;
use crate::phone::PhoneMedia;
use crate::shared::Shared;
use crate::simulator::{create_phone, number, phones, recipient};

type AppState = Arc<Shared>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/ws/chat", get(websocket))
        .route("/admin/info", get(info))
        .route("/admin/phones", get(list_phones).post(new_phone))
        .route("/admin/phones/{phone}/scan", post(scan))
        .route("/admin/phones/{phone}/link-code", post(link_code))
        .route("/admin/phones/{phone}/send", post(send))
        .route(
            "/admin/phones/{phone}/send-media",
            // The file comes base64-encoded: a third larger than the largest upload the host takes.
            post(send_media).layer(DefaultBodyLimit::max(
                crate::media::MAX_UPLOAD / 3 * 4 + 64 * 1024,
            )),
        )
        .route("/admin/phones/{phone}/messages", get(messages))
        .route("/admin/groups", post(new_group))
        .route(
            "/mms/{kind}/{token}",
            post(crate::media::upload).layer(DefaultBodyLimit::max(crate::media::MAX_UPLOAD)),
        )
        .route("/v/media/{file}", get(crate::media::download))
        .with_state(shared)
}

/// The media host alone, as the HTTPS listener serves it.
pub(crate) fn media_router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/mms/{kind}/{token}",
            post(crate::media::upload).layer(DefaultBodyLimit::max(crate::media::MAX_UPLOAD)),
        )
        .route("/v/media/{file}", get(crate::media::download))
        .with_state(shared)
}

async fn websocket(ws: WebSocketUpgrade, State(shared): State<AppState>) -> Response {
    let read_buffer = shared.config.ws_read_buffer;
    ws.read_buffer_size(read_buffer)
        .write_buffer_size(0)
        .max_message_size(16 << 20)
        .on_upgrade(move |socket| crate::conn::serve(shared, socket))
}

/// Admin API errors as `{"error": "..."}` with a fitting status.
impl IntoResponse for SimError {
    fn into_response(self) -> Response {
        let status = match &self {
            SimError::PhoneExists(_) => StatusCode::CONFLICT,
            SimError::UnknownPhone(_)
            | SimError::UnknownGroup(_)
            | SimError::UnknownQrRef
            | SimError::NoLinkCodeRequest => StatusCode::NOT_FOUND,
            SimError::InvalidPhone(_)
            | SimError::InvalidRecipient(_)
            | SimError::InvalidField { .. }
            | SimError::InvalidQr(_)
            | SimError::QrKeyMismatch => StatusCode::BAD_REQUEST,
            SimError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, Json(json!({ "error": self.to_string() }))).into_response()
    }
}

async fn info(State(shared): State<AppState>) -> Response {
    Json(shared.info.clone()).into_response()
}

async fn list_phones(State(shared): State<AppState>) -> Response {
    Json(phones(&shared)).into_response()
}

#[derive(Deserialize)]
struct NewPhone {
    phone: String,
}

async fn new_phone(State(shared): State<AppState>, Json(body): Json<NewPhone>) -> Result<Response, SimError> {
    let phone = create_phone(&shared, &body.phone).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "phone": phone.phone, "jid": phone.jid })),
    )
        .into_response())
}

#[derive(Deserialize)]
struct Scan {
    qr: String,
}

async fn scan(
    State(shared): State<AppState>,
    Path(phone): Path<String>,
    Json(body): Json<Scan>,
) -> Result<Response, SimError> {
    let done = crate::handlers::scan(&shared, &number(&phone)?, &body.qr)?;
    let device = wait(done).await?;
    Ok(Json(json!({ "deviceJid": device })).into_response())
}

#[derive(Deserialize)]
struct LinkCode {
    code: String,
}

async fn link_code(
    State(shared): State<AppState>,
    Path(phone): Path<String>,
    Json(body): Json<LinkCode>,
) -> Result<Response, SimError> {
    let done = crate::handlers::enter_link_code(&shared, &number(&phone)?, &body.code)?;
    let device = wait(done).await?;
    Ok(Json(json!({ "deviceJid": device })).into_response())
}

async fn wait(done: crate::handlers::PairingDone) -> Result<String, SimError> {
    match tokio::time::timeout(std::time::Duration::from_secs(30), done).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(_)) => Err(SimError::PairingFailed("the companion went away".into())),
        Err(_) => Err(SimError::Timeout("pair-device-sign")),
    }
}

#[derive(Deserialize)]
struct Send {
    to: String,
    text: String,
}

async fn send(
    State(shared): State<AppState>,
    Path(phone): Path<String>,
    Json(body): Json<Send>,
) -> Result<Response, SimError> {
    let phone = number(&phone)?;
    let sender = shared.net().phone(&phone).ok_or(SimError::UnknownPhone(phone))?;
    let to = if body.to.contains('@') {
        wasndr_core::jid::Jid::parse(&body.to).map_err(|_| SimError::InvalidRecipient(body.to.clone()))?
    } else {
        wasndr_core::jid::Jid::pn(&number(&body.to)?)
    };
    let id = sender.send_text(&shared, &to, &body.text).await?;
    Ok(Json(json!({ "id": id })).into_response())
}

async fn send_media(
    State(shared): State<AppState>,
    Path(phone): Path<String>,
    body: Bytes,
) -> Result<Response, SimError> {
    let phone = number(&phone)?;
    let sender = shared.net().phone(&phone).ok_or(SimError::UnknownPhone(phone))?;
    let body: Value = serde_json::from_slice(&body).map_err(|error| invalid("body", error.to_string()))?;
    let to = recipient(required(&body, "to")?).map_err(|_| invalid("to", "not a phone number or JID"))?;
    let kind = match required(&body, "kind")? {
        "image" => MediaType::Image,
        "video" => MediaType::Video,
        "audio" => MediaType::Audio,
        "document" => MediaType::Document,
        _ => return Err(invalid("kind", "one of image, video, audio, document")),
    };
    let mimetype = required(&body, "mimetype")?.to_owned();
    let caption = optional(&body, "caption")?;
    let file_name = optional(&body, "fileName")?;
    let data = base64::engine::general_purpose::STANDARD
        .decode(required(&body, "dataBase64")?)
        .map_err(|error| invalid("dataBase64", format!("not base64: {error}")))?;
    if data.is_empty() {
        return Err(invalid("dataBase64", "the file is empty"));
    }
    let media = PhoneMedia {
        kind,
        data,
        mimetype,
        caption,
        file_name,
    };
    let id = sender.send_media(&shared, &to, media).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

fn invalid(field: &'static str, problem: impl Into<String>) -> SimError {
    SimError::InvalidField {
        field,
        problem: problem.into(),
    }
}

/// A string field that must be present and not empty.
fn required<'a>(body: &'a Value, field: &'static str) -> Result<&'a str, SimError> {
    match body.get(field) {
        None | Some(Value::Null) => Err(invalid(field, "missing")),
        Some(Value::String(text)) if text.is_empty() => Err(invalid(field, "empty")),
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(invalid(field, "not a string")),
    }
}

/// A string field that may be absent or null.
fn optional(body: &Value, field: &'static str) -> Result<Option<String>, SimError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(invalid(field, "not a string")),
    }
}

async fn messages(State(shared): State<AppState>, Path(phone): Path<String>) -> Result<Response, SimError> {
    let phone = number(&phone)?;
    let sender = shared.net().phone(&phone).ok_or(SimError::UnknownPhone(phone))?;
    Ok(Json(sender.messages()).into_response())
}

#[derive(Deserialize)]
struct NewGroup {
    creator: String,
    subject: String,
    participants: Vec<String>,
}

async fn new_group(State(shared): State<AppState>, Json(body): Json<NewGroup>) -> Result<Response, SimError> {
    let creator = number(&body.creator)?;
    let participants = body
        .participants
        .iter()
        .map(|phone| number(phone))
        .collect::<Result<Vec<_>, _>>()?;
    let mut net = shared.net();
    for phone in std::iter::once(&creator).chain(&participants) {
        if !net.accounts.contains_key(phone) {
            return Err(SimError::UnknownPhone(phone.clone()));
        }
    }
    let id = crate::handlers::create_group(&mut net, &creator, &body.subject, &participants, None)
        .map_err(|(_, text)| SimError::PairingFailed(text.to_owned()))?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "jid": wasndr_core::jid::Jid::group(&id).to_string() })),
    )
        .into_response())
}
