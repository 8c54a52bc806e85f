//! The engine seam: everything the gateway needs from linked WhatsApp devices, in gateway terms.
//!
//! The gateway owns tenancy (which account may touch which session), scopes, plans, quota and rate limits;
//! a [`SessionEngine`] owns the devices. The production implementation wraps one `wasndr-core` `Client`
//! per session (a supervisor task per session that connects, pairs, reconnects with backoff, and persists
//! through a `wasndr-store` `Store`). A multi-node deployment implements it as a router: calls for a
//! session go to the node holding that session's lease, over whatever RPC it likes — every argument and
//! answer is plain serde data for that reason.
//!
//! Contract for implementers:
//! - Calls name sessions by id. The gateway has already checked the caller may use that session; the
//!   engine never sees accounts' keys or scopes.
//! - A call for a session the engine does not run answers [`GatewayError::SessionNotConnected`](crate::GatewayError::SessionNotConnected)
//!   (never `NotFound`: the session exists, the gateway checked).
//! - Failures use the *engine* variants of [`GatewayError`](crate::GatewayError): `SessionNotConnected`,
//!   `SessionReconnecting`, `WhatsApp { code, message }` (the server refused; its code), `InvalidRequest`
//!   (e.g. a group JID WhatsApp does not know), `NotFound { what: "group" | "attachment" }`,
//!   `EngineUnavailable` (the owning node is unreachable or shutting down), `Internal`.
//!   A send that fails *before* anything was written to WhatsApp must not return `WhatsApp` or `Internal`:
//!   the gateway refunds the quota unit for every other error.
//! - Events go to the [`EventSink`] given in [`SessionEngine::set_event_sink`]; the engine awaits
//!   [`EventSink::deliver`] before it acknowledges an incoming message to WhatsApp, so a crash never loses
//!   a webhook for a message WhatsApp considers delivered.

mod types;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

pub use types::*;

use crate::error::Result;
use crate::phone::ChatJid;

/// Everything the gateway needs from linked WhatsApp devices. Object-safe: the gateway holds an
/// `Arc<dyn SessionEngine>`.
#[async_trait]
pub trait SessionEngine: Send + Sync + fmt::Debug {
    /// Receives the sink for all future events; called once, before any session is started.
    fn set_event_sink(&self, sink: Arc<dyn EventSink>);

    /// Starts a new, unpaired session: creates its device identity and begins QR pairing. Returns once the
    /// session runs (status `starting`), not when it is paired; status changes arrive as events.
    async fn start_session(&self, session: &SessionRef) -> Result<SessionState>;

    /// Brings back a session that was linked before (server start, lease takeover): reconnects with the
    /// stored credentials, no QR. A session whose credentials are gone or were unlinked from the phone
    /// ends `disconnected`.
    async fn restore_session(&self, session: &SessionRef) -> Result<SessionState>;

    /// The session's current state; `disconnected` (with no QR) for a session this engine does not run.
    async fn session_state(&self, session_id: &str) -> Result<SessionState>;

    /// Unlinks the device from WhatsApp (the phone's "linked devices" loses it), deletes its keys and stored
    /// data, and stops it. Succeeds for a session that is not running (deleting what is stored).
    async fn logout_session(&self, session_id: &str) -> Result<()>;

    /// Stops the session's connection, keeping its credentials (server shutdown, lease hand-over).
    async fn stop_session(&self, session_id: &str) -> Result<()>;

    /// Sends a message to a user or group JID. Resolves once the server accepted it (or with an error).
    async fn send_message(
        &self,
        session_id: &str,
        to: &ChatJid,
        content: OutgoingContent,
    ) -> Result<SentMessage>;

    /// Whether each phone number (normalised digits) is on WhatsApp, in the order given.
    async fn check_numbers(&self, session_id: &str, phones: &[String]) -> Result<Vec<NumberCheck>>;

    /// The groups the session's account is in.
    async fn list_groups(&self, session_id: &str) -> Result<Vec<GroupInfo>>;

    /// One group's metadata with its participants.
    async fn group_info(&self, session_id: &str, group: &ChatJid) -> Result<GroupInfo>;

    /// The group's invite code (the part after `https://chat.whatsapp.com/`).
    async fn group_invite_code(&self, session_id: &str, group: &ChatJid) -> Result<String>;

    /// Creates a group with the given subject and members (user JIDs); answers its metadata.
    async fn create_group(
        &self,
        session_id: &str,
        subject: &str,
        participants: &[ChatJid],
    ) -> Result<GroupInfo>;

    /// Renames a group.
    async fn set_group_subject(&self, session_id: &str, group: &ChatJid, subject: &str) -> Result<()>;

    /// Sets (or with `None` clears) a group's description.
    async fn set_group_description(
        &self,
        session_id: &str,
        group: &ChatJid,
        description: Option<&str>,
    ) -> Result<()>;

    /// Adds or removes members; one result per participant, in the order given.
    async fn update_group_participants(
        &self,
        session_id: &str,
        group: &ChatJid,
        action: ParticipantAction,
        participants: &[ChatJid],
    ) -> Result<Vec<ParticipantResult>>;

    /// Leaves a group.
    async fn leave_group(&self, session_id: &str, group: &ChatJid) -> Result<()>;

    /// Filters and searches the session's whole stored history, newest first, then pages it.
    async fn history(&self, session_id: &str, query: &HistoryQuery) -> Result<HistoryPage>;

    /// Lists received media, newest first, paged.
    async fn attachments(&self, session_id: &str, query: &AttachmentQuery) -> Result<AttachmentPage>;

    /// Downloads and decrypts one received attachment (`NotFound { what: "attachment" }` if unknown).
    async fn download_attachment(&self, session_id: &str, attachment_id: &str) -> Result<AttachmentFile>;
}

/// Where an engine pushes its events. Implemented by the gateway.
#[async_trait]
pub trait EventSink: Send + Sync + fmt::Debug {
    /// Takes one event. Returns once the event's durable effects (webhook deliveries queued, session
    /// record updated) are persisted, so the engine may then acknowledge the message to WhatsApp. Never
    /// fails from the engine's point of view: the gateway logs its own failures.
    async fn deliver(&self, event: EngineEvent);

    /// Whether an event `name` (e.g. `message.sent`) of `session` would reach anyone now (a webhook or a
    /// live stream). An engine may skip the work of building an event nobody receives; `true` (the
    /// default) always builds it.
    async fn wants(&self, session: &SessionRef, name: &str) -> bool {
        let _ = (session, name);
        true
    }
}
