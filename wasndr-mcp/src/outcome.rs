//! Tool results. A success carries its data as structured content (and the same JSON as text, for clients
//! that only show text). A gateway refusal is a tool result with `isError: true` whose text tells the
//! agent what happened and what to do next, and whose structured content has the same `code` as REST.

use rmcp::model::{CallToolResult, ContentBlock};
use serde::Serialize;
use serde_json::json;
use wasndr_gateway::{GatewayError, Listed};

/// A successful result: `{"data": ...}`.
pub(crate) fn data<T: Serialize>(data: T) -> CallToolResult {
    match serde_json::to_value(data) {
        Ok(value) => CallToolResult::structured(json!({ "data": value })),
        Err(error) => failure(&GatewayError::Internal(format!(
            "serialising a tool result: {error}"
        ))),
    }
}

/// A page of a list: `{"data": [...], "meta": {"limit", "offset", "total"}}`.
pub(crate) fn listed<T: Serialize>(listed: Listed<T>) -> CallToolResult {
    match serde_json::to_value(&listed.items) {
        Ok(items) => CallToolResult::structured(json!({
            "data": items,
            "meta": { "limit": listed.limit, "offset": listed.offset, "total": listed.total },
        })),
        Err(error) => failure(&GatewayError::Internal(format!(
            "serialising a tool result: {error}"
        ))),
    }
}

/// A result or the refusal it came with.
pub(crate) fn from_result<T: Serialize>(result: Result<T, GatewayError>) -> CallToolResult {
    match result {
        Ok(value) => data(value),
        Err(error) => failure(&error),
    }
}

/// A list page or the refusal it came with.
pub(crate) fn from_listed<T: Serialize>(result: Result<Listed<T>, GatewayError>) -> CallToolResult {
    match result {
        Ok(value) => listed(value),
        Err(error) => failure(&error),
    }
}

/// A refusal as a tool result with `isError: true`. Storage and internal failures are logged here and
/// shown without details, as REST does.
pub(crate) fn failure(error: &GatewayError) -> CallToolResult {
    let message = if error.is_internal() {
        tracing::error!(%error, "MCP tool failed");
        "the server failed to complete the request".to_owned()
    } else {
        error.to_string()
    };
    let hint = hint(error);
    let mut detail = json!({ "code": error.code(), "message": message, "hint": hint });
    match error {
        GatewayError::InvalidRequest { field, .. } => detail["field"] = json!(field),
        GatewayError::RateLimited { retry_after_secs, .. }
        | GatewayError::ReadRateLimited { retry_after_secs, .. } => {
            detail["retryAfter"] = json!(retry_after_secs)
        }
        GatewayError::QuotaExceeded { limit, resets_at } => {
            detail["limit"] = json!(limit);
            detail["resetsAt"] = json!(resets_at);
        }
        _ => {}
    }
    let text = format!("{message} ({}). {hint}", error.code());
    let mut result = CallToolResult::error(vec![ContentBlock::text(text)]);
    result.structured_content = Some(json!({ "error": detail }));
    result
}

/// What an agent can do about `error`.
fn hint(error: &GatewayError) -> String {
    match error {
        GatewayError::InvalidRequest { field, .. } if field == "sessionId" => {
            "Call list_sessions and pass the sessionId of a connected session.".to_owned()
        }
        GatewayError::InvalidRequest { field, .. } => {
            format!("Correct the argument `{field}` and call the tool again.")
        }
        GatewayError::MediaFetch(_) => {
            "Give a public http(s) URL that serves the file, or send it inline as mediaBase64.".to_owned()
        }
        GatewayError::Unauthorized => {
            "The API key is missing, unknown or revoked: configure a valid key (it starts with wsndr_)."
                .to_owned()
        }
        GatewayError::MissingScope { scope } => format!(
            "This API key cannot do this. Ask the account owner for a key with the scope {scope} \
             (created over REST: POST /api/v1/keys); retrying with this key will not help."
        ),
        GatewayError::PlanUpgradeRequired { .. } => "Upgrade the account to the standard plan or higher \
             to use this tool; retrying will not help until then."
            .to_owned(),
        GatewayError::SessionLimitReached { .. } => {
            "Archive an API account (archive_api_account) to free session slots, or upgrade the plan."
                .to_owned()
        }
        GatewayError::NotFound { what } => match *what {
            "session" => "Call list_sessions for the sessionIds of this account.".to_owned(),
            "location" => "Call list_api_accounts for the locationUuids of this account.".to_owned(),
            "group" => "Call list_groups for the groupJids this session belongs to.".to_owned(),
            _ => format!("Check the {what} id and call the tool again."),
        },
        GatewayError::SessionNotConnected => "The session is not linked to a phone. A person must scan its \
             QR code (REST: GET /api/v1/sessions/{id}/qr); check progress with get_session_status."
            .to_owned(),
        GatewayError::SessionReconnecting | GatewayError::EngineUnavailable(_) => {
            "Wait a few seconds and call the tool again; get_session_status shows the connection.".to_owned()
        }
        GatewayError::PayloadTooLarge { .. } => "Send a smaller file.".to_owned(),
        GatewayError::RateLimited { retry_after_secs, .. }
        | GatewayError::ReadRateLimited { retry_after_secs, .. } => {
            format!("Wait {retry_after_secs} s before calling again.")
        }
        GatewayError::QuotaExceeded { resets_at, .. } => format!(
            "No more messages can be sent until {resets_at}; do not retry before then. get_usage shows \
             the usage; upgrading the plan raises the limit."
        ),
        GatewayError::WhatsApp { .. } => {
            "WhatsApp refused this; check the recipient and arguments before retrying.".to_owned()
        }
        _ => "Try again later; if it persists, contact the operator.".to_owned(),
    }
}

/// The `code` of a refusal.
#[cfg(test)]
fn error_code(result: &CallToolResult) -> Option<&str> {
    result
        .structured_content
        .as_ref()
        .and_then(|v| v.pointer("/error/code"))
        .and_then(serde_json::Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_tool_errors_with_the_rest_code_and_a_next_step() {
        let result = failure(&GatewayError::QuotaExceeded {
            limit: 50,
            resets_at: "2026-12-01T00:00:00Z".to_owned(),
        });
        assert_eq!(result.is_error, Some(true));
        assert_eq!(error_code(&result), Some("quota_exceeded"));
        let structured = result.structured_content.as_ref().unwrap();
        assert_eq!(structured["error"]["resetsAt"], "2026-12-01T00:00:00Z");
        let text = serde_json::to_value(&result.content[0]).unwrap();
        let text = text["text"].as_str().unwrap();
        assert!(text.contains("do not retry before then"), "{text}");
    }

    #[test]
    fn internal_details_stay_in_the_logs() {
        let result = failure(&GatewayError::Storage("disk /var/x full".to_owned()));
        let shown = serde_json::to_string(&result).unwrap();
        assert!(!shown.contains("/var/x"), "{shown}");
        assert_eq!(error_code(&result), Some("internal_error"));
    }

    #[test]
    fn lists_carry_meta() {
        let result = listed(Listed {
            items: vec![1, 2],
            limit: 2,
            offset: 0,
            total: 7,
        });
        assert_eq!(result.is_error, Some(false));
        assert_eq!(result.structured_content.unwrap()["meta"]["total"], 7);
    }
}
