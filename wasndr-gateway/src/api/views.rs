//! Response bodies (the `data` of the envelope), with the seed's field names. Times are RFC 3339 strings
//! except message timestamps, which are Unix seconds as WhatsApp gives them.

use serde::Serialize;

use crate::engine::{MediaType, SessionStatus};

/// A location.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LocationView {
    /// Its id.
    pub location_uuid: String,
    /// Display name.
    pub name: String,
    /// Creation time.
    pub created_at: String,
    /// Archive time, if archived.
    pub archived_at: Option<String>,
}

/// A session.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    /// Its id (`sessionId` in message calls).
    pub session_id: String,
    /// Its location.
    pub location_uuid: String,
    /// Display name.
    pub name: String,
    /// Connection status.
    pub status: SessionStatus,
    /// Linked phone number, once connected.
    pub phone: Option<String>,
    /// Linked device JID, once connected.
    pub jid: Option<String>,
    /// Creation time.
    pub created_at: String,
}

/// A session's live state: what `GET /sessions/{id}/status` answers, and with the QR string, what the
/// QR endpoint renders.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SessionStatusView {
    /// The session.
    pub session_id: String,
    /// Connection status.
    pub status: SessionStatus,
    /// Linked phone number, once connected.
    pub phone: Option<String>,
    /// Linked device JID, once connected.
    pub jid: Option<String>,
    /// The raw QR string while `qr_ready` (the QR endpoint renders it; never serialised here).
    #[serde(skip)]
    pub qr_text: Option<String>,
}

/// The answer to every send.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SendResult {
    /// WhatsApp's message id.
    pub message_id: String,
    /// The recipient JID.
    pub to: String,
    /// `sent` (accepted by WhatsApp); later changes arrive as `message.status` events.
    pub status: String,
    /// Unix seconds.
    pub timestamp: i64,
}

/// A received media file.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AttachmentView {
    /// Attachment id.
    pub id: String,
    /// The message that carried it.
    pub message_id: String,
    /// The chat.
    pub remote_jid: String,
    /// Kind of media.
    pub media_type: MediaType,
    /// Declared mimetype.
    pub mimetype: Option<String>,
    /// Declared file name.
    pub file_name: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// Hex SHA-256 of the file.
    pub sha256: String,
    /// Download URL (needs the same key).
    pub url: String,
    /// Unix seconds of the message.
    pub timestamp: i64,
}

/// A group's invite code.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct InviteView {
    /// The code.
    pub invite_code: String,
    /// `https://chat.whatsapp.com/<code>`.
    pub invite_link: String,
}

/// One member in an export.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MemberExportRow {
    /// Member JID.
    pub jid: String,
    /// Phone digits, when known.
    pub phone: Option<String>,
    /// `member`, `admin` or `superadmin`.
    pub role: String,
}

/// A plan's limits as shown to the account.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PlanLimitsView {
    /// Messages per UTC calendar month.
    pub messages_per_month: u64,
    /// Sessions in live locations.
    pub sessions: u32,
    /// Sends per minute.
    pub sends_per_minute: u32,
    /// Whether `/messages/history` is included.
    pub history: bool,
    /// Whether `/groups/...` is included.
    pub groups: bool,
    /// Whether `/attachments` is included.
    pub attachments: bool,
}

/// `GET /account`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    /// Account id.
    pub account_uuid: String,
    /// Display name.
    pub name: String,
    /// Plan name.
    pub plan: String,
    /// The plan's limits.
    pub limits: PlanLimitsView,
    /// Creation time.
    pub created_at: String,
    /// The calling key's scopes.
    pub scopes: Vec<String>,
}

/// `GET /usage`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UsageView {
    /// Plan name.
    pub plan: String,
    /// The quota period (`YYYY-MM`, UTC).
    pub period: String,
    /// Messages sent this period.
    pub messages_used: u64,
    /// The plan's monthly messages.
    pub messages_limit: u64,
    /// Messages left this period.
    pub messages_remaining: u64,
    /// When the period ends (RFC 3339).
    pub resets_at: String,
    /// Sessions in live locations.
    pub sessions_used: u64,
    /// The plan's session limit.
    pub sessions_limit: u32,
    /// Sends per minute.
    pub rate_limit_per_minute: u32,
}

/// An API key as listed (never its secret).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct KeyView {
    /// Key id (for `DELETE /keys/{uuid}`).
    pub uuid: String,
    /// Display name.
    pub name: String,
    /// The first characters of the key.
    pub prefix: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Creation time.
    pub created_at: String,
    /// Last use (updated at most once a minute).
    pub last_used_at: Option<String>,
}

/// `POST /keys`: the key, shown this once.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreatedKeyView {
    /// The secret key: store it now, it is never shown again.
    pub key: String,
    /// Key id.
    pub uuid: String,
    /// Display name.
    pub name: String,
    /// The first characters of the key.
    pub prefix: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Creation time.
    pub created_at: String,
}

/// A webhook.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookView {
    /// Webhook id (for `DELETE /webhooks/{id}`).
    pub uuid: String,
    /// Target URL.
    pub url: String,
    /// Subscribed events.
    pub events: Vec<String>,
    /// Only this location's events, or null for the whole account.
    pub location_uuid: Option<String>,
    /// The HMAC secret for `X-Wasndr-Signature`.
    pub secret: String,
    /// Creation time.
    pub created_at: String,
}

/// `GET /mcp-config`: paste into an MCP client's configuration.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct McpConfigView {
    /// `{"wasndr-whatsapp": {"url": ".../mcp", "headers": {"Authorization": "Bearer ..."}}}`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub mcp_servers: serde_json::Value,
}
