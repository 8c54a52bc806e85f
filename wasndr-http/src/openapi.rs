//! The OpenAPI document, assembled by utoipa from the handlers' annotations and the wire types.

use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use wasndr_gateway::engine::*;

use crate::routes::{account, events, groups, messages, sessions};

/// Success envelope (documentation type): `{"success": true, "data": T}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Envelope<T> {
    /// Always true.
    pub(crate) success: bool,
    /// The answer.
    pub(crate) data: T,
}

/// List paging figures.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Meta {
    /// Page size.
    pub(crate) limit: u32,
    /// Rows skipped.
    pub(crate) offset: u64,
    /// Rows matching in all.
    pub(crate) total: u64,
}

/// List envelope (documentation type): `{"success": true, "data": [T], "meta": {...}}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ListEnvelope<T> {
    /// Always true.
    pub(crate) success: bool,
    /// The page.
    pub(crate) data: Vec<T>,
    /// Paging.
    pub(crate) meta: Meta,
}

/// An error's body.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    /// `invalid_request`, `unauthorized`, `missing_scope`, `plan_upgrade_required`, `session_limit_reached`,
    /// `not_found`, `session_not_connected`, `payload_too_large`, `rate_limited`, `quota_exceeded`,
    /// `whatsapp_error`, `session_reconnecting`, `internal_error`.
    pub(crate) code: String,
    /// What went wrong and what to do.
    pub(crate) message: String,
    /// The request field at fault (`invalid_request`).
    pub(crate) field: Option<String>,
}

/// Error envelope: `{"success": false, "error": {code, message}}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorEnvelope {
    /// Always false.
    pub(crate) success: bool,
    /// The error.
    pub(crate) error: ErrorBody,
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("wsndr_...")
                    .build(),
            ),
        );
    }
}

/// The document.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "wasndr REST API", description = "WhatsApp Web multi-device platform: accounts, locations, sessions, messages, groups, webhooks."),
    paths(
        sessions::create_location, sessions::list_locations, sessions::archive_location,
        sessions::create_session, sessions::list_sessions, sessions::session_qr, sessions::session_status, sessions::delete_session,
        messages::send_text, messages::send_media, messages::send_group_text, messages::send_group_media, messages::send_poll,
        messages::check_number, messages::history, messages::attachments, messages::download_attachment,
        groups::list, groups::info, groups::participants, groups::export_members, groups::invite_code, groups::create,
        groups::subject, groups::description, groups::add, groups::remove, groups::leave,
        account::usage, account::account, account::mcp_config, account::create_key, account::list_keys, account::revoke_key,
        account::create_webhook, account::list_webhooks, account::delete_webhook,
        events::stream,
    ),
    components(schemas(ErrorEnvelope, ErrorBody, Meta, SessionStatus, MediaType, DeliveryStatus, ParticipantRole)),
    modifiers(&BearerAuth),
    tags((name = "sessions"), (name = "messages"), (name = "groups"), (name = "account"), (name = "keys"), (name = "webhooks"), (name = "events")),
)]
pub struct ApiDoc;
