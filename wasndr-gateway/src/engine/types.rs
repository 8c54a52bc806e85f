//! The values that cross the engine seam. All are plain data with serde derives, so a multi-node
//! deployment can forward a call to the node that owns a session and ship the answer back unchanged.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::phone::ChatJid;

/// Who a session belongs to. Given to the engine when a session starts or is restored, and carried on every
/// event the engine emits for it, so the gateway routes events (webhooks, event streams) without a lookup.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRef {
    /// The session's id (`sessionId` on the wire).
    pub session_id: String,
    /// The owning account.
    pub account_id: String,
    /// The location (the seed's "API account") the session lives in.
    pub location_id: String,
}

/// Connection status of a session, exactly the seed's five values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Created or restored; the client is opening its connection.
    Starting,
    /// Waiting for a phone to scan the QR in [`SessionState::qr`].
    QrReady,
    /// Linked and online.
    Connected,
    /// Linked, connection lost, retrying on its own.
    Reconnecting,
    /// Not running: logged out, unlinked from the phone, or stopped. Needs a new session (or restart).
    Disconnected,
}

impl SessionStatus {
    /// The wire name (`qr_ready`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Starting => "starting",
            SessionStatus::QrReady => "qr_ready",
            SessionStatus::Connected => "connected",
            SessionStatus::Reconnecting => "reconnecting",
            SessionStatus::Disconnected => "disconnected",
        }
    }

    /// Parses the wire name; unknown text reads as `disconnected`.
    pub fn parse(text: &str) -> SessionStatus {
        match text {
            "starting" => SessionStatus::Starting,
            "qr_ready" => SessionStatus::QrReady,
            "connected" => SessionStatus::Connected,
            "reconnecting" => SessionStatus::Reconnecting,
            _ => SessionStatus::Disconnected,
        }
    }
}

/// A session's live state as its engine sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SessionState {
    /// Where the session is in its life.
    pub status: SessionStatus,
    /// The current QR string (the text to encode into a QR image: `ref,noisePub,identityPub,advSecret`),
    /// present only while `status` is `qr_ready`. The gateway never interprets it.
    pub qr: Option<String>,
    /// The linked phone's number (digits), once paired.
    pub phone: Option<String>,
    /// The linked device's own JID (e.g. `14155551234:3@s.whatsapp.net`), once paired.
    pub jid: Option<String>,
}

impl SessionState {
    /// A state with only a status.
    pub fn with_status(status: SessionStatus) -> SessionState {
        SessionState {
            status,
            qr: None,
            phone: None,
            jid: None,
        }
    }
}

/// Kind of a media message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MediaType {
    /// `imageMessage`.
    Image,
    /// `videoMessage`.
    Video,
    /// `audioMessage`.
    Audio,
    /// `documentMessage`.
    Document,
}

impl MediaType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Image => "image",
            MediaType::Video => "video",
            MediaType::Audio => "audio",
            MediaType::Document => "document",
        }
    }

    /// A mimetype to use when the caller gave none and the source had none.
    pub fn fallback_mimetype(self) -> &'static str {
        match self {
            MediaType::Image => "image/jpeg",
            MediaType::Video => "video/mp4",
            MediaType::Audio => "audio/ogg; codecs=opus",
            MediaType::Document => "application/octet-stream",
        }
    }
}

/// A media file to send. The gateway has already fetched (`mediaUrl`) or decoded (`mediaBase64`) it and
/// checked its size; the engine encrypts, uploads and sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutgoingMedia {
    /// Which kind of media message to build.
    pub media_type: MediaType,
    /// The plain file bytes.
    pub data: Bytes,
    /// Always set: the caller's, the source's `Content-Type`, or [`MediaType::fallback_mimetype`].
    pub mimetype: String,
    /// Caption (image, video, document).
    pub caption: Option<String>,
    /// File name (documents; shown by WhatsApp).
    pub file_name: Option<String>,
}

/// What to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum OutgoingContent {
    /// A text message.
    Text {
        /// The text.
        text: String,
    },
    /// An image, video, audio or document.
    Media(OutgoingMedia),
    /// A poll (2–12 options, already validated).
    Poll {
        /// The question.
        question: String,
        /// The options, distinct.
        options: Vec<String>,
        /// How many options a voter may pick (1..=options.len()).
        selectable_count: u32,
    },
}

/// What the engine answers for a send: WhatsApp's message id and the time it was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentMessage {
    /// The message id (as WhatsApp sees it; the key for status updates and history).
    pub message_id: String,
    /// Unix seconds, as WhatsApp timestamps are.
    pub timestamp: i64,
}

/// Whether a number is on WhatsApp.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NumberCheck {
    /// The number as asked (normalised digits).
    pub phone: String,
    /// Whether it has a WhatsApp account.
    pub exists: bool,
    /// Its JID when it exists.
    pub jid: Option<String>,
}

/// A member's role in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ParticipantRole {
    /// Plain member.
    Member,
    /// Admin.
    Admin,
    /// The creator (super admin).
    Superadmin,
}

/// One group member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GroupParticipant {
    /// The member's JID.
    pub jid: String,
    /// The member's phone digits when the JID is a phone-number JID (not a LID).
    pub phone: Option<String>,
    /// Member, admin or creator.
    pub role: ParticipantRole,
}

/// A group's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GroupInfo {
    /// The group JID (`...@g.us`).
    pub jid: String,
    /// The group name.
    pub subject: String,
    /// The description, if set.
    pub description: Option<String>,
    /// The creator's JID, if known.
    pub owner: Option<String>,
    /// Creation time, Unix seconds, if known.
    pub created_at: Option<i64>,
    /// Members. May be empty in [`SessionEngine::list_groups`](crate::SessionEngine::list_groups) answers
    /// when the engine lists without members; `size` is then still right.
    pub participants: Vec<GroupParticipant>,
    /// Number of members.
    pub size: u32,
}

/// Add or remove, for [`SessionEngine::update_group_participants`](crate::SessionEngine::update_group_participants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantAction {
    /// Add the participants.
    Add,
    /// Remove the participants.
    Remove,
}

/// The outcome for one participant of an add/remove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ParticipantResult {
    /// The participant's JID.
    pub jid: String,
    /// WhatsApp's per-participant status code as text (`200` ok, `403` not allowed, `409` already in the
    /// group, `408` recently left, ...).
    pub status: String,
    /// Whether that participant was changed.
    pub success: bool,
}

/// Delivery status of a message, as receipts report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Accepted by the engine, not yet acknowledged by the server.
    Pending,
    /// Acknowledged by the WhatsApp server.
    Sent,
    /// Delivered to a recipient device.
    Delivered,
    /// Read by the recipient.
    Read,
    /// Played (voice notes, videos).
    Played,
    /// Failed.
    Failed,
}

/// A stored message, as history returns it and events carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct HistoryMessage {
    /// The message id.
    pub message_id: String,
    /// The chat: a user JID or a group JID.
    pub remote_jid: String,
    /// In groups, who sent it (for messages not from us).
    pub sender_jid: Option<String>,
    /// Whether this device's account sent it.
    pub from_me: bool,
    /// Unix seconds.
    pub timestamp: i64,
    /// The message type, e.g. `conversation`, `extendedTextMessage`, `imageMessage`, `pollCreationMessage`.
    #[serde(rename = "type")]
    pub message_type: String,
    /// Flattened text: conversation, extended text, media captions, button and list replies, poll question,
    /// looked up inside ephemeral and view-once wrappers. `None` when the message has no text at all.
    pub text: Option<String>,
    /// Latest delivery status (messages we sent; `None` for received ones).
    pub status: Option<DeliveryStatus>,
    /// The raw message (WhatsApp's `Message` protobuf as JSON, camelCase field names as Baileys shows).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub raw: serde_json::Value,
}

/// A history query. The engine filters and searches the whole stored history of the session, then pages
/// it: `total` counts every match, not just this page.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryQuery {
    /// Only this chat (canonical JID text).
    pub remote_jid: Option<String>,
    /// Only messages at or after this time (Unix ms, inclusive).
    pub start_ms: Option<i64>,
    /// Only messages at or before this time (Unix ms, inclusive).
    pub end_ms: Option<i64>,
    /// Case-insensitive substring of the flattened text.
    pub search: Option<String>,
    /// Page size (the gateway caps it at 500).
    pub limit: u32,
    /// Matches to skip (newest first).
    pub offset: u64,
}

/// One page of history, newest first.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPage {
    /// The page.
    pub messages: Vec<HistoryMessage>,
    /// How many messages match the filter in all.
    pub total: u64,
}

/// A received media file, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AttachmentInfo {
    /// Engine-assigned id, unique within the session.
    pub id: String,
    /// The message that carried it.
    pub message_id: String,
    /// The chat it came from.
    pub remote_jid: String,
    /// Image, video, audio, document.
    pub media_type: MediaType,
    /// As the sender declared it.
    pub mimetype: Option<String>,
    /// As the sender declared it (documents).
    pub file_name: Option<String>,
    /// Plain size in bytes.
    pub size: u64,
    /// Hex SHA-256 of the plain file.
    pub sha256: String,
    /// Unix seconds of the message.
    pub timestamp: i64,
}

/// An attachment query, paged like history (newest first).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentQuery {
    /// Only this chat.
    pub remote_jid: Option<String>,
    /// Only this media type.
    pub media_type: Option<MediaType>,
    /// Page size.
    pub limit: u32,
    /// Matches to skip.
    pub offset: u64,
}

/// One page of attachments.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentPage {
    /// The page.
    pub attachments: Vec<AttachmentInfo>,
    /// How many attachments match in all.
    pub total: u64,
}

/// A decrypted attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentFile {
    /// Mimetype to serve it with.
    pub mimetype: String,
    /// A file name to suggest, if known.
    pub file_name: Option<String>,
    /// The plain bytes.
    pub data: Bytes,
}

/// Something that happened in a session, pushed by the engine. Events reach webhooks and the event stream.
///
/// Engines emit `MessageSent` for every message this account sends (through the gateway or from the
/// phone), `MessageReceived` for each incoming message once it is persisted, `MessageStatus` for receipts,
/// and `SessionStatus` on each status change (with the new state: a fresh QR is a `qr_ready` change).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type")]
#[non_exhaustive]
pub enum EngineEvent {
    /// An incoming message (persisted before this is emitted).
    MessageReceived {
        /// The session.
        session: SessionRef,
        /// The message as history shows it.
        message: HistoryMessage,
    },
    /// A message this account sent.
    MessageSent {
        /// The session.
        session: SessionRef,
        /// The message as history shows it.
        message: HistoryMessage,
    },
    /// A receipt changed a sent message's status.
    MessageStatus {
        /// The session.
        session: SessionRef,
        /// The message id.
        message_id: String,
        /// Its chat.
        remote_jid: String,
        /// The new status.
        status: DeliveryStatus,
        /// Unix seconds of the receipt.
        timestamp: i64,
    },
    /// The session's state changed.
    SessionStatus {
        /// The session.
        session: SessionRef,
        /// The new state.
        state: SessionState,
    },
}

impl EngineEvent {
    /// The session the event belongs to.
    pub fn session(&self) -> &SessionRef {
        match self {
            EngineEvent::MessageReceived { session, .. }
            | EngineEvent::MessageSent { session, .. }
            | EngineEvent::MessageStatus { session, .. }
            | EngineEvent::SessionStatus { session, .. } => session,
        }
    }

    /// The public event name: `message.received`, `message.sent`, `message.status`, `session.status`.
    pub fn name(&self) -> &'static str {
        match self {
            EngineEvent::MessageReceived { .. } => "message.received",
            EngineEvent::MessageSent { .. } => "message.sent",
            EngineEvent::MessageStatus { .. } => "message.status",
            EngineEvent::SessionStatus { .. } => "session.status",
        }
    }
}

/// A recipient for sends: a user or group JID, checked by the gateway.
pub type Recipient = ChatJid;
