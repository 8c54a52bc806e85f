//! Message history with delivery status, media metadata for attachment lists, and the per-message
//! state the protocol needs later: poll/reaction secrets, poll votes and recent outgoing plaintexts.

use async_trait::async_trait;

use super::StoreError;
use crate::jid::Jid;

/// Where a message is in its delivery. Statuses only move forward, in the order of [`MessageStatus::rank`]:
/// receipts can arrive out of order (a read receipt before the delivery receipt), and a late one must
/// not move a message back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageStatus {
    /// Recorded, not yet acknowledged by the server (outgoing).
    Pending,
    /// Sending failed; a later successful resend can still move it on.
    Failed,
    /// The server acknowledged it (outgoing), or it was received (incoming).
    Sent,
    /// A recipient device received it.
    Delivered,
    /// The recipient read it.
    Read,
    /// The recipient played it (voice notes, view-once media).
    Played,
}

impl MessageStatus {
    /// Every status, in rank order.
    pub const ALL: [MessageStatus; 6] = [
        MessageStatus::Pending,
        MessageStatus::Failed,
        MessageStatus::Sent,
        MessageStatus::Delivered,
        MessageStatus::Read,
        MessageStatus::Played,
    ];

    /// The order statuses move in: an update applies only to a message whose current rank is lower.
    /// Stable: backends store this number.
    pub const fn rank(self) -> u8 {
        match self {
            MessageStatus::Pending => 0,
            MessageStatus::Failed => 1,
            MessageStatus::Sent => 2,
            MessageStatus::Delivered => 3,
            MessageStatus::Read => 4,
            MessageStatus::Played => 5,
        }
    }

    /// The status with this [`MessageStatus::rank`].
    pub const fn from_rank(rank: u8) -> Option<MessageStatus> {
        match rank {
            0 => Some(MessageStatus::Pending),
            1 => Some(MessageStatus::Failed),
            2 => Some(MessageStatus::Sent),
            3 => Some(MessageStatus::Delivered),
            4 => Some(MessageStatus::Read),
            5 => Some(MessageStatus::Played),
            _ => None,
        }
    }

    /// Lower-case name (`pending`, `failed`, `sent`, `delivered`, `read`, `played`).
    pub const fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Pending => "pending",
            MessageStatus::Failed => "failed",
            MessageStatus::Sent => "sent",
            MessageStatus::Delivered => "delivered",
            MessageStatus::Read => "read",
            MessageStatus::Played => "played",
        }
    }

    /// Whether a message at `self` may move to `next`.
    pub const fn can_become(self, next: MessageStatus) -> bool {
        next.rank() > self.rank()
    }
}

/// The metadata of a media attachment (messaging guide §C.3): enough to list attachments and to
/// download and decrypt the file later.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MediaInfo {
    /// `image`, `video`, `audio`, `document` or `sticker`.
    pub media_type: String,
    /// The MIME type.
    pub mimetype: Option<String>,
    /// The file name (documents).
    pub file_name: Option<String>,
    /// The plaintext size in bytes.
    pub file_length: Option<u64>,
    /// SHA-256 of the plaintext.
    pub file_sha256: Option<Vec<u8>>,
    /// SHA-256 of the encrypted file.
    pub file_enc_sha256: Option<Vec<u8>>,
    /// The 32-byte media key.
    pub media_key: Option<Vec<u8>>,
    /// The path on the media host.
    pub direct_path: Option<String>,
    /// The full download URL, when the message carried one.
    pub url: Option<String>,
}

/// One sent or received message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMessage {
    /// The chat: the other user for a 1:1 chat, the group for a group message.
    pub chat: Jid,
    /// The message id. Unique within its chat; inserting a second message with the same chat and id
    /// keeps the first (duplicates are dropped).
    pub id: String,
    /// Who sent it (our own JID when `from_me`).
    pub sender: Jid,
    /// Whether we sent it (from this or another of our devices).
    pub from_me: bool,
    /// The message time, in seconds since the Unix epoch.
    pub timestamp: u64,
    /// Its delivery status.
    pub status: MessageStatus,
    /// What kind of message it is (`text`, `image`, `poll`, `reaction`, `unknown`, …), as the caller
    /// classified it.
    pub message_type: String,
    /// The plain text (text, caption, poll question, …) as the caller flattened it; searched by
    /// [`HistoryQuery::search`].
    pub text: Option<String>,
    /// The `Message` protobuf, as received or sent (unknown types are kept raw, never dropped).
    pub raw: Vec<u8>,
    /// The attachment, for media messages.
    pub media: Option<MediaInfo>,
}

/// Which end of the history a page starts from. Ties on the timestamp are broken by insertion order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Order {
    /// Newest first (the default).
    #[default]
    NewestFirst,
    /// Oldest first.
    OldestFirst,
}

/// A history query. Filters combine with AND; `total` of the answer counts every message that passes
/// them, not just the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryQuery {
    /// Only this chat.
    pub chat: Option<Jid>,
    /// Only messages at or after this time (Unix seconds, inclusive).
    pub since: Option<u64>,
    /// Only messages at or before this time (Unix seconds, inclusive).
    pub until: Option<u64>,
    /// Only messages whose text contains this, ignoring case (Unicode-aware: see [`search_key`]).
    /// Empty matches everything.
    pub search: Option<String>,
    /// Page size.
    pub limit: u32,
    /// How many matching messages to skip.
    pub offset: u64,
    /// Sort order.
    pub order: Order,
}

impl Default for HistoryQuery {
    fn default() -> Self {
        Self {
            chat: None,
            since: None,
            until: None,
            search: None,
            limit: 50,
            offset: 0,
            order: Order::NewestFirst,
        }
    }
}

/// An attachments query: messages that carry [`MediaInfo`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachmentQuery {
    /// Only this chat.
    pub chat: Option<Jid>,
    /// Only this media type (`image`, `document`, …).
    pub media_type: Option<String>,
    /// Page size.
    pub limit: u32,
    /// How many matching attachments to skip.
    pub offset: u64,
    /// Sort order.
    pub order: Order,
}

impl Default for AttachmentQuery {
    fn default() -> Self {
        Self {
            chat: None,
            media_type: None,
            limit: 50,
            offset: 0,
            order: Order::NewestFirst,
        }
    }
}

/// One page of a query and the size of the whole filtered set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// How many items match the filters in all.
    pub total: u64,
}

/// A status change for one message, as receipts and server acks report them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusUpdate {
    /// The chat of the message.
    pub chat: Jid,
    /// The message id.
    pub id: String,
    /// The new status; ignored unless it ranks above the stored one.
    pub status: MessageStatus,
}

/// The `messageSecret` of a message (polls, reactions, edits; messaging guide §C.5), needed to decrypt
/// later votes and encrypted reactions.
#[derive(Clone, PartialEq, Eq)]
pub struct MessageSecret {
    /// The chat of the message.
    pub chat: Jid,
    /// Who sent the message that carries the secret.
    pub sender: Jid,
    /// The message id.
    pub id: String,
    /// The secret (32 bytes).
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for MessageSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageSecret")
            .field("chat", &self.chat)
            .field("sender", &self.sender)
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// The plaintext of a message we sent, kept for a while to answer retry receipts by re-encrypting it
/// (messaging guide §E.6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecentMessage {
    /// The chat it was sent to.
    pub chat: Jid,
    /// The message id.
    pub id: String,
    /// The serialized `Message` (before padding).
    pub plaintext: Vec<u8>,
    /// When it was sent, in seconds since the Unix epoch (pruning goes by this).
    pub sent_at: u64,
}

/// One voter's current choice in a poll. A later vote by the same voter replaces the earlier one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PollVote {
    /// The chat of the poll.
    pub chat: Jid,
    /// The poll creation message's id.
    pub poll_id: String,
    /// Who voted (user JID).
    pub voter: Jid,
    /// The SHA-256 hashes of the chosen option names (empty: the vote was withdrawn).
    pub selected: Vec<Vec<u8>>,
    /// When the vote was cast, in seconds since the Unix epoch.
    pub timestamp: u64,
}

/// The normalised form of text that history search compares: Unicode lower case, so a search for
/// `ÉCOLE` finds `école`. Every backend searches `search_key(text)` for `search_key(needle)`.
pub fn search_key(text: &str) -> String {
    text.to_lowercase()
}

/// Message history and per-message protocol state.
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Records a message. Returns `false` (and keeps the stored one) if the chat already has a
    /// message with this id. [`StoreError::Invalid`] for an empty id.
    async fn insert_message(&self, message: &StoredMessage) -> Result<bool, StoreError>;

    /// The message `id` of `chat`, if stored.
    async fn message(&self, chat: &Jid, id: &str) -> Result<Option<StoredMessage>, StoreError>;

    /// Moves the message to `update.status` if that ranks above its current status
    /// ([`MessageStatus::can_become`]). Returns whether it changed; `false` also for an unknown message
    /// (receipts for messages sent before this device was linked are normal). [`StoreError::Invalid`]
    /// for an empty id.
    async fn update_message_status(&self, update: &StatusUpdate) -> Result<bool, StoreError>;

    /// A page of history matching `query`, and how many messages match in all.
    async fn messages(&self, query: &HistoryQuery) -> Result<Page<StoredMessage>, StoreError>;

    /// A page of messages with media matching `query`, and how many match in all.
    async fn attachments(&self, query: &AttachmentQuery) -> Result<Page<StoredMessage>, StoreError>;

    /// Keeps a message secret, replacing any stored for the same message.
    async fn save_message_secret(&self, secret: &MessageSecret) -> Result<(), StoreError>;

    /// The secret of message `id` sent by `sender` in `chat`.
    async fn message_secret(&self, chat: &Jid, sender: &Jid, id: &str)
    -> Result<Option<Vec<u8>>, StoreError>;

    /// Keeps the plaintext of a sent message for retries, replacing any stored for the same chat and id.
    async fn save_recent_message(&self, message: &RecentMessage) -> Result<(), StoreError>;

    /// The kept plaintext of message `id` sent to `chat`.
    async fn recent_message(&self, chat: &Jid, id: &str) -> Result<Option<RecentMessage>, StoreError>;

    /// Forgets kept plaintexts sent before `before` (Unix seconds); returns how many were removed.
    async fn prune_recent_messages(&self, before: u64) -> Result<u64, StoreError>;

    /// Records a poll vote, replacing the voter's previous vote in that poll.
    async fn save_poll_vote(&self, vote: &PollVote) -> Result<(), StoreError>;

    /// The current vote of every voter in poll `poll_id` of `chat`, ordered by voter JID text.
    async fn poll_votes(&self, chat: &Jid, poll_id: &str) -> Result<Vec<PollVote>, StoreError>;
}
