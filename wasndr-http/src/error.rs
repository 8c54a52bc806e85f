//! The REST error type: every failure becomes `{"success": false, "error": {"code", "message"}}` with the
//! contract's status code. Internal details are logged here and never sent.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use wasndr_gateway::GatewayError;

/// A failed request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// A gateway refusal or failure.
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// The request could not be read: body, query or path (400, or 413 when too large).
    #[error("{message}")]
    BadRequest {
        /// HTTP status (400 or 413).
        status: StatusCode,
        /// The field at fault, when known.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// No such route (or sandbox mode is off).
    #[error("{0}")]
    NoRoute(String),
    /// The route exists with other methods.
    #[error("method not allowed")]
    MethodNotAllowed,
}

/// The status code of a gateway error, per the contract.
pub fn status_of(error: &GatewayError) -> StatusCode {
    match error {
        GatewayError::InvalidRequest { .. } | GatewayError::MediaFetch(_) => StatusCode::BAD_REQUEST,
        GatewayError::Unauthorized => StatusCode::UNAUTHORIZED,
        GatewayError::MissingScope { .. }
        | GatewayError::PlanUpgradeRequired { .. }
        | GatewayError::SessionLimitReached { .. } => StatusCode::FORBIDDEN,
        GatewayError::NotFound { .. } => StatusCode::NOT_FOUND,
        GatewayError::SessionNotConnected => StatusCode::CONFLICT,
        GatewayError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        GatewayError::RateLimited { .. }
        | GatewayError::ReadRateLimited { .. }
        | GatewayError::QuotaExceeded { .. } => StatusCode::TOO_MANY_REQUESTS,
        GatewayError::WhatsApp { .. } => StatusCode::BAD_GATEWAY,
        GatewayError::SessionReconnecting | GatewayError::EngineUnavailable(_) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn body(
    status: StatusCode,
    code: &str,
    message: String,
    field: Option<&str>,
    extra: Option<serde_json::Value>,
) -> Response {
    let mut error = json!({ "code": code, "message": message });
    if let Some(field) = field {
        error["field"] = json!(field);
    }
    if let (Some(serde_json::Value::Object(extra)), Some(map)) = (extra, error.as_object_mut()) {
        map.extend(extra);
    }
    (status, Json(json!({ "success": false, "error": error }))).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Gateway(error) => {
                let status = status_of(&error);
                if error.is_internal() {
                    tracing::error!(%error, "internal error");
                    return body(
                        status,
                        error.code(),
                        "internal error; it was logged".to_owned(),
                        None,
                        None,
                    );
                }
                let (field, extra, retry_after) = match &error {
                    GatewayError::InvalidRequest { field, .. } => (Some(field.clone()), None, None),
                    GatewayError::MediaFetch(_) => (Some("mediaUrl".to_owned()), None, None),
                    GatewayError::RateLimited { retry_after_secs, .. }
                    | GatewayError::ReadRateLimited { retry_after_secs, .. } => (
                        None,
                        Some(json!({ "retryAfter": retry_after_secs })),
                        Some(*retry_after_secs),
                    ),
                    GatewayError::QuotaExceeded { resets_at, limit } => {
                        (None, Some(json!({ "resetsAt": resets_at, "limit": limit })), None)
                    }
                    _ => (None, None, None),
                };
                let mut response = body(status, error.code(), error.to_string(), field.as_deref(), extra);
                if let Some(seconds) = retry_after
                    && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
                {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                response
            }
            ApiError::BadRequest {
                status,
                field,
                message,
            } => {
                let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
                    "payload_too_large"
                } else {
                    "invalid_request"
                };
                body(status, code, message, field.as_deref(), None)
            }
            ApiError::NoRoute(message) => body(StatusCode::NOT_FOUND, "not_found", message, None, None),
            ApiError::MethodNotAllowed => body(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this path does not accept that method".to_owned(),
                None,
                None,
            ),
        }
    }
}

/// Finds the field a serde message is about: "unknown field `x`", "missing field `x`", or a
/// `path.to[0].field: ...` prefix from serde_path_to_error.
fn field_of(message: &str) -> Option<String> {
    for marker in ["unknown field `", "missing field `"] {
        if let Some(rest) = message.split(marker).nth(1) {
            return rest.split('`').next().map(str::to_owned);
        }
    }
    let (path, _) = message.split_once(": ")?;
    let path = path.trim();
    (!path.is_empty() && !path.contains(' ') && path != ".").then(|| path.to_owned())
}

fn strip_prefix(text: &str) -> &str {
    for prefix in [
        "Failed to deserialize the JSON body into the target type: ",
        "Failed to parse the request body as JSON: ",
        "Failed to deserialize query string: ",
    ] {
        if let Some(rest) = text.strip_prefix(prefix) {
            return rest;
        }
    }
    text
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let status = rejection.status();
        let text = rejection.body_text();
        let detail = strip_prefix(&text);
        match rejection {
            JsonRejection::JsonDataError(_) => ApiError::BadRequest {
                status: StatusCode::BAD_REQUEST,
                field: field_of(detail),
                message: detail.to_owned(),
            },
            JsonRejection::JsonSyntaxError(_) => ApiError::BadRequest {
                status: StatusCode::BAD_REQUEST,
                field: None,
                message: format!("malformed JSON: {detail}"),
            },
            JsonRejection::MissingJsonContentType(_) => ApiError::BadRequest {
                status: StatusCode::BAD_REQUEST,
                field: None,
                message: "send the body as JSON with Content-Type: application/json".to_owned(),
            },
            _ if status == StatusCode::PAYLOAD_TOO_LARGE => ApiError::BadRequest {
                status,
                field: None,
                message: "the request body is larger than this endpoint accepts".to_owned(),
            },
            _ => ApiError::BadRequest {
                status: StatusCode::BAD_REQUEST,
                field: None,
                message: detail.to_owned(),
            },
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        let text = rejection.body_text();
        let detail = strip_prefix(&text);
        ApiError::BadRequest {
            status: StatusCode::BAD_REQUEST,
            field: field_of(detail),
            message: detail.to_owned(),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::BadRequest {
            status: StatusCode::BAD_REQUEST,
            field: None,
            message: rejection.body_text(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_field_in_serde_messages() {
        assert_eq!(
            field_of("unknown field `foo`, expected one of `a`, `b` at line 1").as_deref(),
            Some("foo")
        );
        assert_eq!(
            field_of("missing field `text` at line 1 column 2").as_deref(),
            Some("text")
        );
        assert_eq!(
            field_of("phone: invalid type: integer `1`, expected a string").as_deref(),
            Some("phone")
        );
        assert_eq!(field_of("expected value at line 1 column 1"), None);
    }
}
