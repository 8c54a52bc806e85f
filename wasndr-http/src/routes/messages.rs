//! Sends, number checks, history and attachments.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use wasndr_gateway::Sent;
use wasndr_gateway::api::*;
use wasndr_gateway::engine::{HistoryMessage, NumberCheck};

use crate::envelope::{Data, List, whole};
use crate::error::ApiError;
use crate::extract::{Auth, Body, Params};
use crate::openapi::{Envelope, ErrorEnvelope, ListEnvelope};
use crate::state::AppState;

type Result<T> = std::result::Result<T, ApiError>;

/// The answer of a send, with `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (Unix
/// seconds when the bucket is full again) whenever the limiter was consulted, refusals included.
fn send_response(sent: Sent) -> Response {
    let mut headers = HeaderMap::new();
    if let Some(rate) = sent.rate {
        let reset = wasndr_gateway::clock::now_ms() / 1000 + rate.reset_after_secs as i64;
        for (name, value) in [
            ("x-ratelimit-limit", rate.limit.to_string()),
            ("x-ratelimit-remaining", rate.remaining.to_string()),
            ("x-ratelimit-reset", reset.to_string()),
        ] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
    }
    let response = match sent.result {
        Ok(result) => Data(result).into_response(),
        Err(error) => ApiError::from(error).into_response(),
    };
    (headers, response).into_response()
}

#[utoipa::path(post, path = "/api/v1/messages/send", tag = "messages", request_body = SendText,
    responses((status = 200, body = Envelope<SendResult>), (status = 400, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope, description = "session_not_connected"),
        (status = 429, body = ErrorEnvelope, description = "rate_limited (Retry-After) or quota_exceeded")),
    security(("bearer" = [])))]
/// Send a text message to a phone number. Scope `messages:send`.
pub(crate) async fn send_text(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Body(b): Body<SendText>,
) -> Response {
    send_response(s.gateway.send_text(&c, b).await)
}

#[utoipa::path(post, path = "/api/v1/messages/send-media", tag = "messages", request_body = SendMedia,
    responses((status = 200, body = Envelope<SendResult>), (status = 400, body = ErrorEnvelope), (status = 413, body = ErrorEnvelope)),
    security(("bearer" = [])))]
/// Send an image, video, audio or document from `mediaUrl` or `mediaBase64`. Scope `messages:send`.
pub(crate) async fn send_media(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Body(b): Body<SendMedia>,
) -> Response {
    send_response(s.gateway.send_media(&c, b).await)
}

#[utoipa::path(post, path = "/api/v1/messages/send-group", tag = "messages", request_body = SendGroupText,
    responses((status = 200, body = Envelope<SendResult>), (status = 400, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Send a text message to a group (every plan). Scope `messages:send`.
pub(crate) async fn send_group_text(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Body(b): Body<SendGroupText>,
) -> Response {
    send_response(s.gateway.send_group_text(&c, b).await)
}

#[utoipa::path(post, path = "/api/v1/messages/send-group-media", tag = "messages", request_body = SendGroupMedia,
    responses((status = 200, body = Envelope<SendResult>), (status = 400, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Send media to a group (every plan). Scope `messages:send`.
pub(crate) async fn send_group_media(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Body(b): Body<SendGroupMedia>,
) -> Response {
    send_response(s.gateway.send_group_media(&c, b).await)
}

#[utoipa::path(post, path = "/api/v1/messages/send-poll", tag = "messages", request_body = SendPoll,
    responses((status = 200, body = Envelope<SendResult>), (status = 400, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Send a poll to a phone number or a group. Scope `messages:send`.
pub(crate) async fn send_poll(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Body(b): Body<SendPoll>,
) -> Response {
    send_response(s.gateway.send_poll(&c, b).await)
}

#[utoipa::path(post, path = "/api/v1/check-number", tag = "messages", request_body = CheckNumber,
    responses((status = 200, body = ListEnvelope<NumberCheck>), (status = 400, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Whether phone numbers are on WhatsApp. Scope `messages:send`.
pub(crate) async fn check_number(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Body(b): Body<CheckNumber>,
) -> Result<List<NumberCheck>> {
    Ok(whole(s.gateway.check_numbers(&c, b).await?))
}

#[utoipa::path(get, path = "/api/v1/messages/history", tag = "messages", params(HistoryParams),
    responses((status = 200, body = ListEnvelope<HistoryMessage>), (status = 403, body = ErrorEnvelope, description = "plan_upgrade_required below standard")),
    security(("bearer" = [])))]
/// Message history, filtered and searched over the whole history, newest first. Standard plan and up;
/// scope `messages:read`.
pub(crate) async fn history(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Params(q): Params<HistoryParams>,
) -> Result<List<HistoryMessage>> {
    Ok(List(s.gateway.history(&c, q).await?))
}

#[utoipa::path(get, path = "/api/v1/attachments", tag = "messages", params(AttachmentParams),
    responses((status = 200, body = ListEnvelope<AttachmentView>)), security(("bearer" = [])))]
/// Received media files. Standard plan and up; scope `messages:read`.
pub(crate) async fn attachments(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Params(q): Params<AttachmentParams>,
) -> Result<List<AttachmentView>> {
    Ok(List(s.gateway.attachments(&c, q).await?))
}

#[utoipa::path(get, path = "/api/v1/attachments/{id}/download", tag = "messages", params(("id" = String, Path, description = "attachment id"), SessionQuery),
    responses((status = 200, description = "the decrypted file", content_type = "application/octet-stream"), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
/// Download a received attachment, decrypted. Standard plan and up; scope `messages:read`.
pub(crate) async fn download_attachment(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Path(id): Path<String>,
    Params(q): Params<SessionQuery>,
) -> Result<Response> {
    let file = s.gateway.download_attachment(&c, &id, q).await?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&file.mimetype).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    let name: String = file
        .file_name
        .unwrap_or_else(|| id.clone())
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != '"')
        .collect();
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok((headers, file.data).into_response())
}
