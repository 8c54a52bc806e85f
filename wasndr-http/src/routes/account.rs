//! The account's own resources: usage, plan, keys, webhooks, MCP snippet.

use std::sync::Arc;

use axum::extract::{Path, State};
use serde_json::json;
use wasndr_gateway::api::*;

use crate::envelope::{Created, Data, List, whole};
use crate::error::ApiError;
use crate::extract::{Auth, Body};
use crate::openapi::{Envelope, ErrorEnvelope, ListEnvelope};
use crate::state::AppState;

type Result<T> = std::result::Result<T, ApiError>;

#[utoipa::path(get, path = "/api/v1/usage", tag = "account", responses((status = 200, body = Envelope<UsageView>)), security(("bearer" = [])))]
/// Messages used this month, sessions used, and the plan's limits. Any valid key.
pub(crate) async fn usage(State(s): State<Arc<AppState>>, Auth(c): Auth) -> Result<Data<UsageView>> {
    Ok(Data(s.gateway.usage(&c).await?))
}

#[utoipa::path(get, path = "/api/v1/account", tag = "account", responses((status = 200, body = Envelope<AccountView>)), security(("bearer" = [])))]
/// The account, its plan and limits. Any valid key.
pub(crate) async fn account(State(s): State<Arc<AppState>>, Auth(c): Auth) -> Result<Data<AccountView>> {
    Ok(Data(s.gateway.account(&c).await?))
}

#[utoipa::path(get, path = "/api/v1/mcp-config", tag = "account", responses((status = 200, body = Envelope<McpConfigView>)), security(("bearer" = [])))]
/// The `mcpServers` snippet for this server's MCP endpoint. Any valid key.
pub(crate) async fn mcp_config(State(s): State<Arc<AppState>>, Auth(c): Auth) -> Data<McpConfigView> {
    Data(s.gateway.mcp_config(&c))
}

#[utoipa::path(post, path = "/api/v1/keys", tag = "keys", request_body = CreateKey,
    responses((status = 201, body = Envelope<CreatedKeyView>, description = "the key is shown this once"), (status = 403, body = ErrorEnvelope)),
    security(("bearer" = [])))]
/// Create an API key (shown once). Needs a key with all six scopes; the new key's scopes must be a subset.
pub(crate) async fn create_key(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Body(b): Body<CreateKey>,
) -> Result<Created<CreatedKeyView>> {
    Ok(Created(s.gateway.create_key(&c, b).await?))
}

#[utoipa::path(get, path = "/api/v1/keys", tag = "keys", responses((status = 200, body = ListEnvelope<KeyView>)), security(("bearer" = [])))]
/// The account's live keys (never their secrets). Needs all six scopes.
pub(crate) async fn list_keys(State(s): State<Arc<AppState>>, Auth(c): Auth) -> Result<List<KeyView>> {
    Ok(whole(s.gateway.list_keys(&c).await?))
}

#[utoipa::path(delete, path = "/api/v1/keys/{uuid}", tag = "keys", params(("uuid" = String, Path)),
    responses((status = 200, description = "{success, data: {uuid, revoked: true}}"), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Revoke a key; effective on its next request. Needs all six scopes.
pub(crate) async fn revoke_key(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> Result<Data<serde_json::Value>> {
    s.gateway.revoke_key(&c, &id).await?;
    Ok(Data(json!({ "uuid": id, "revoked": true })))
}

#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = CreateWebhook,
    responses((status = 201, body = Envelope<WebhookView>)), security(("bearer" = [])))]
/// Register a webhook for the account or one location. Needs all six scopes.
///
/// Each event is POSTed as JSON `{id, event, timestamp, accountUuid, locationUuid, sessionId, data}` with
/// `X-Wasndr-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`, `X-Wasndr-Timestamp`,
/// `X-Wasndr-Event` and `X-Wasndr-Delivery` (the same on every retry: de-duplicate on it). Anything but
/// 2xx is retried with exponential backoff and jitter.
pub(crate) async fn create_webhook(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Body(b): Body<CreateWebhook>,
) -> Result<Created<WebhookView>> {
    Ok(Created(s.gateway.create_webhook(&c, b).await?))
}

#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", responses((status = 200, body = ListEnvelope<WebhookView>)), security(("bearer" = [])))]
/// The account's webhooks. Needs all six scopes.
pub(crate) async fn list_webhooks(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
) -> Result<List<WebhookView>> {
    Ok(whole(s.gateway.list_webhooks(&c).await?))
}

#[utoipa::path(delete, path = "/api/v1/webhooks/{uuid}", tag = "webhooks", params(("uuid" = String, Path)),
    responses((status = 200, description = "{success, data: {uuid, deleted: true}}"), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Delete a webhook; its pending deliveries are dropped. Needs all six scopes.
pub(crate) async fn delete_webhook(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> Result<Data<serde_json::Value>> {
    s.gateway.delete_webhook(&c, &id).await?;
    Ok(Data(json!({ "uuid": id, "deleted": true })))
}
