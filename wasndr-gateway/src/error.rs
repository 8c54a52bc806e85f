//! The one error type of the gateway. Each variant maps to one code of the product contract; the shells
//! (REST, MCP) translate it and never invent their own meanings.

/// Everything that can go wrong in the gateway, including what a [`crate::SessionEngine`] reports.
///
/// Variants marked *engine* are the ones an engine implementation returns; the rest come from the gateway
/// itself. `Storage` and `Internal` are never shown to a caller in detail: shells log them and answer with
/// a generic message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// Bad input, naming the field (`field`) so the caller can fix it.
    #[error("{field}: {message}")]
    InvalidRequest {
        /// The request field at fault (as spelled on the wire, e.g. `phone`).
        field: String,
        /// What is wrong and what would be accepted.
        message: String,
    },
    /// No key, an unknown key, or a revoked key.
    #[error("missing, unknown or revoked API key")]
    Unauthorized,
    /// The key lacks the scope this operation needs.
    #[error("this API key lacks the scope {scope}")]
    MissingScope {
        /// The scope (or scopes) that would grant the operation.
        scope: String,
    },
    /// The account's plan does not include this feature.
    #[error("{feature} needs the standard plan or higher (current plan: {plan})")]
    PlanUpgradeRequired {
        /// What was refused, e.g. `message history`.
        feature: String,
        /// The account's current plan.
        plan: String,
    },
    /// Creating one more session would exceed the plan's session limit.
    #[error("the plan allows {limit} sessions; archive a location or delete a session to free a slot")]
    SessionLimitReached {
        /// The plan's session limit.
        limit: u32,
    },
    /// The resource does not exist, or belongs to another account (existence is never leaked).
    #[error("{what} not found")]
    NotFound {
        /// The kind of resource, e.g. `session`.
        what: &'static str,
    },
    /// *engine*: the session is not connected to WhatsApp (not paired yet, logged out or stopped).
    #[error("the session is not connected; scan its QR code first (GET /api/v1/sessions/{{id}}/qr)")]
    SessionNotConnected,
    /// *engine*: the session is reconnecting; the call may be retried shortly.
    #[error("the session is reconnecting to WhatsApp; retry in a few seconds")]
    SessionReconnecting,
    /// The request body is over the configured size (or a fetched media file over its cap).
    #[error("{what} is larger than the limit of {limit} bytes")]
    PayloadTooLarge {
        /// What was too large.
        what: &'static str,
        /// The limit in bytes.
        limit: u64,
    },
    /// The per-minute send rate limit is used up.
    #[error("send rate limit of {limit} per minute reached; retry in {retry_after_secs} s")]
    RateLimited {
        /// The limit per minute.
        limit: u32,
        /// Seconds until one more send is allowed.
        retry_after_secs: u64,
    },
    /// The generous read limit is used up (protects the server, never hit by normal polling).
    #[error("read rate limit of {limit} per minute reached; retry in {retry_after_secs} s")]
    ReadRateLimited {
        /// The limit per minute.
        limit: u32,
        /// Seconds until one more read is allowed.
        retry_after_secs: u64,
    },
    /// The monthly message quota is used up.
    #[error("monthly quota of {limit} messages used up; it resets at {resets_at}")]
    QuotaExceeded {
        /// The plan's monthly message count.
        limit: u64,
        /// When the quota resets (RFC 3339, start of next UTC month).
        resets_at: String,
    },
    /// A `mediaUrl` was refused or could not be fetched (the reason is safe to show).
    #[error("mediaUrl: {0}")]
    MediaFetch(String),
    /// *engine*: WhatsApp refused the operation; `code` is WhatsApp's own code.
    #[error("WhatsApp refused the request (code {code}): {message}")]
    WhatsApp {
        /// WhatsApp's error code (e.g. `403`, `not-authorized`).
        code: String,
        /// WhatsApp's text, or a summary of it.
        message: String,
    },
    /// *engine*: the node that owns the session could not be reached (multi-node deployments), or the
    /// engine is shutting down. Retryable.
    #[error("the session's engine is unavailable: {0}")]
    EngineUnavailable(String),
    /// Database failure (details logged, never shown).
    #[error("storage error: {0}")]
    Storage(String),
    /// Any other failure the caller cannot fix (details logged, never shown).
    #[error("internal error: {0}")]
    Internal(String),
}

impl GatewayError {
    /// A bad-input error naming `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        GatewayError::InvalidRequest {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The contract's snake_case error code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            GatewayError::InvalidRequest { .. } => "invalid_request",
            GatewayError::Unauthorized => "unauthorized",
            GatewayError::MissingScope { .. } => "missing_scope",
            GatewayError::PlanUpgradeRequired { .. } => "plan_upgrade_required",
            GatewayError::SessionLimitReached { .. } => "session_limit_reached",
            GatewayError::NotFound { .. } => "not_found",
            GatewayError::SessionNotConnected => "session_not_connected",
            GatewayError::SessionReconnecting => "session_reconnecting",
            GatewayError::PayloadTooLarge { .. } => "payload_too_large",
            GatewayError::RateLimited { .. } | GatewayError::ReadRateLimited { .. } => "rate_limited",
            GatewayError::QuotaExceeded { .. } => "quota_exceeded",
            GatewayError::MediaFetch(_) => "invalid_request",
            GatewayError::WhatsApp { .. } => "whatsapp_error",
            GatewayError::EngineUnavailable(_) => "session_reconnecting",
            GatewayError::Storage(_) | GatewayError::Internal(_) => "internal_error",
        }
    }

    /// Whether the details must stay in the logs (the caller gets a generic message).
    pub fn is_internal(&self) -> bool {
        matches!(self, GatewayError::Storage(_) | GatewayError::Internal(_))
    }

    /// Whether a failed send may have reached WhatsApp. Sends that fail before (not connected, bad input,
    /// engine down) give their quota unit back; the rest keep it, since the message may have gone out.
    pub fn may_have_reached_whatsapp(&self) -> bool {
        matches!(self, GatewayError::WhatsApp { .. } | GatewayError::Internal(_))
    }
}

impl From<sqlx::Error> for GatewayError {
    fn from(error: sqlx::Error) -> Self {
        GatewayError::Storage(error.to_string())
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = GatewayError> = std::result::Result<T, E>;
