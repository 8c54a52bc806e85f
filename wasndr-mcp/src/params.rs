//! Tool arguments: their JSON schemas are what an agent reads, so every field says what it is, where its
//! value comes from and what is accepted. They convert into the gateway's request types, which do the
//! validation (one code path with REST); the schema limits are hints, the gateway enforces them.

use schemars::JsonSchema;
use serde::Deserialize;
use wasndr_gateway::api;

/// Declares an argument struct. `session` structs get the optional `sessionId` every WhatsApp tool takes,
/// described once here.
macro_rules! args {
    (session $(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub(crate) struct $name {
            /// The WhatsApp session (linked device) to act through: a UUID from `list_sessions`
            /// (`sessionId`). May be omitted when the account has exactly one connected session.
            #[serde(default)]
            pub(crate) session_id: Option<String>,
            $($(#[$fmeta])* pub(crate) $field: $ty,)*
        }
    };
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub(crate) struct $name { $($(#[$fmeta])* pub(crate) $field: $ty,)* }
    };
}

args! { session
    /// `send_whatsapp_message`.
    pub struct SendMessageArgs {
        /// Recipient phone number: digits with the country code, no `+`, e.g. `14155551234`.
        pub phone: String,
        /// The message text (1 to 65,536 characters).
        #[schemars(length(min = 1, max = 65536))]
        pub text: String,
    }
}

args! { session
    /// `send_whatsapp_media`.
    pub struct SendMediaArgs {
        /// Recipient phone number: digits with the country code, no `+`, e.g. `14155551234`.
        pub phone: String,
        /// `image`, `video`, `audio` or `document`.
        pub media_type: MediaKind,
        /// A public http(s) URL the server downloads the file from. Give this or `mediaBase64`.
        #[serde(default)]
        pub media_url: Option<String>,
        /// The file itself, base64 (standard alphabet). Give this or `mediaUrl`.
        #[serde(default)]
        pub media_base64: Option<String>,
        /// Caption shown under an image, video or document (up to 4,096 characters).
        #[serde(default)]
        pub caption: Option<String>,
        /// File name shown for a document, e.g. `invoice.pdf`.
        #[serde(default)]
        pub file_name: Option<String>,
        /// Mimetype, e.g. `application/pdf`; defaults to the downloaded file's type or one fitting
        /// `mediaType`.
        #[serde(default)]
        pub mimetype: Option<String>,
    }
}

args! { session
    /// `send_group_message`.
    pub struct SendGroupMessageArgs {
        /// The group's JID, ending in `@g.us` (from `list_groups`).
        pub group_jid: String,
        /// The message text (1 to 65,536 characters).
        #[schemars(length(min = 1, max = 65536))]
        pub text: String,
    }
}

args! { session
    /// `send_group_media`.
    pub struct SendGroupMediaArgs {
        /// The group's JID, ending in `@g.us` (from `list_groups`).
        pub group_jid: String,
        /// `image`, `video`, `audio` or `document`.
        pub media_type: MediaKind,
        /// A public http(s) URL the server downloads the file from. Give this or `mediaBase64`.
        #[serde(default)]
        pub media_url: Option<String>,
        /// The file itself, base64 (standard alphabet). Give this or `mediaUrl`.
        #[serde(default)]
        pub media_base64: Option<String>,
        /// Caption shown under an image, video or document (up to 4,096 characters).
        #[serde(default)]
        pub caption: Option<String>,
        /// File name shown for a document.
        #[serde(default)]
        pub file_name: Option<String>,
        /// Mimetype, e.g. `image/jpeg`.
        #[serde(default)]
        pub mimetype: Option<String>,
    }
}

args! { session
    /// `send_poll`.
    pub struct SendPollArgs {
        /// Recipient phone number (digits with the country code, no `+`). Give this or `groupJid`.
        #[serde(default)]
        pub phone: Option<String>,
        /// Recipient group JID (`...@g.us`). Give this or `phone`.
        #[serde(default)]
        pub group_jid: Option<String>,
        /// The question (1 to 255 characters).
        #[schemars(length(min = 1, max = 255))]
        pub question: String,
        /// 2 to 12 distinct options, each 1 to 100 characters.
        #[schemars(length(min = 2, max = 12))]
        pub options: Vec<String>,
        /// How many options a voter may pick: 1 (default) up to the number of options; 0 means any
        /// number.
        #[serde(default)]
        pub selectable_count: Option<u32>,
    }
}

args! { session
    /// `check_whatsapp_number`.
    pub struct CheckNumberArgs {
        /// One phone number to check (digits with the country code, no `+`). Give this or `phones`.
        #[serde(default)]
        pub phone: Option<String>,
        /// Up to 50 phone numbers to check at once. Give this or `phone`.
        #[serde(default)]
        #[schemars(length(min = 1, max = 50))]
        pub phones: Option<Vec<String>>,
    }
}

args! { session
    /// `get_message_history`.
    pub struct HistoryArgs {
        /// Only this chat: `14155551234@s.whatsapp.net` for a person, `...@g.us` for a group.
        #[serde(default)]
        pub remote_jid: Option<String>,
        /// Only messages at or after this ISO 8601 time, e.g. `2026-04-01T00:00:00Z`.
        #[serde(default)]
        pub start_date: Option<String>,
        /// Only messages at or before this ISO 8601 time.
        #[serde(default)]
        pub end_date: Option<String>,
        /// Case-insensitive text to look for in messages (captions and replies included); the whole
        /// history is searched.
        #[serde(default)]
        pub search: Option<String>,
        /// Messages per page: 1 to 500 (default 50), newest first.
        #[serde(default)]
        #[schemars(range(min = 1, max = 500))]
        pub limit: Option<u32>,
        /// Matching messages to skip (paging).
        #[serde(default)]
        pub offset: Option<u64>,
    }
}

args! { session
    /// Tools that only need a session (`list_groups`).
    pub struct SessionArgs {
    }
}

args! { session
    /// Tools about one group.
    pub struct GroupArgs {
        /// The group's JID, ending in `@g.us` (from `list_groups`).
        pub group_jid: String,
    }
}

args! { session
    /// `create_group`.
    pub struct CreateGroupArgs {
        /// The group name (1 to 100 characters).
        #[schemars(length(min = 1, max = 100))]
        pub subject: String,
        /// First members: phone numbers (digits with the country code, no `+`) or user JIDs, 1 to 256.
        #[schemars(length(min = 1, max = 256))]
        pub participants: Vec<String>,
    }
}

args! { session
    /// `add_group_participants`, `remove_group_participants`.
    pub struct GroupParticipantsArgs {
        /// The group's JID, ending in `@g.us` (from `list_groups`).
        pub group_jid: String,
        /// Members: phone numbers (digits with the country code, no `+`) or user JIDs, 1 to 256.
        #[schemars(length(min = 1, max = 256))]
        pub participants: Vec<String>,
    }
}

args! {
    /// `create_api_account`.
    pub struct CreateAccountArgs {
        /// Display name of the new API account (workspace), e.g. the customer's company (1 to 200
        /// characters).
        #[schemars(length(min = 1, max = 200))]
        pub name: String,
    }
}

args! {
    /// `list_api_accounts`.
    pub struct ListAccountsArgs {
        /// Include archived API accounts (default false).
        #[serde(default)]
        pub include_archived: Option<bool>,
        /// Accounts per page: 1 to 500 (default 50).
        #[serde(default)]
        #[schemars(range(min = 1, max = 500))]
        pub limit: Option<u32>,
        /// Accounts to skip (paging).
        #[serde(default)]
        pub offset: Option<u64>,
    }
}

args! {
    /// `archive_api_account`.
    pub struct ArchiveAccountArgs {
        /// The API account's `locationUuid` (from `list_api_accounts` or `create_api_account`).
        pub location_uuid: String,
    }
}

args! {
    /// `list_sessions`.
    pub struct ListSessionsArgs {
        /// Only the sessions of this API account (`locationUuid`).
        #[serde(default)]
        pub location_uuid: Option<String>,
        /// Sessions per page: 1 to 500 (default 50).
        #[serde(default)]
        #[schemars(range(min = 1, max = 500))]
        pub limit: Option<u32>,
        /// Sessions to skip (paging).
        #[serde(default)]
        pub offset: Option<u64>,
    }
}

args! {
    /// `get_usage`: no arguments.
    pub struct NoArgs {
    }
}

/// The kind of media file sent.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum MediaKind {
    /// A picture (JPEG, PNG, WebP).
    #[default]
    Image,
    /// A video (MP4).
    Video,
    /// A sound file or voice note.
    Audio,
    /// Any other file, shown with its file name.
    Document,
}

impl MediaKind {
    fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Video => "video",
            MediaKind::Audio => "audio",
            MediaKind::Document => "document",
        }
    }
}

// Conversions into the gateway's request types. The session id is resolved by the caller of these
// (an omitted one becomes the account's only connected session).

impl SendMessageArgs {
    pub(crate) fn into_request(self, session_id: String) -> api::SendText {
        api::SendText {
            session_id,
            phone: self.phone,
            text: self.text,
        }
    }
}

impl SendMediaArgs {
    pub(crate) fn into_request(self, session_id: String) -> api::SendMedia {
        api::SendMedia {
            session_id,
            phone: self.phone,
            media_url: self.media_url,
            media_base64: self.media_base64,
            media_type: self.media_type.as_str().to_owned(),
            caption: self.caption,
            file_name: self.file_name,
            mimetype: self.mimetype,
        }
    }
}

impl SendGroupMessageArgs {
    pub(crate) fn into_request(self, session_id: String) -> api::SendGroupText {
        api::SendGroupText {
            session_id,
            group_jid: self.group_jid,
            text: self.text,
        }
    }
}

impl SendGroupMediaArgs {
    pub(crate) fn into_request(self, session_id: String) -> api::SendGroupMedia {
        api::SendGroupMedia {
            session_id,
            group_jid: self.group_jid,
            media_url: self.media_url,
            media_base64: self.media_base64,
            media_type: self.media_type.as_str().to_owned(),
            caption: self.caption,
            file_name: self.file_name,
            mimetype: self.mimetype,
        }
    }
}

impl SendPollArgs {
    pub(crate) fn into_request(self, session_id: String) -> api::SendPoll {
        api::SendPoll {
            session_id,
            phone: self.phone,
            group_jid: self.group_jid,
            question: self.question,
            options: self.options,
            selectable_count: self.selectable_count,
        }
    }
}

impl CheckNumberArgs {
    pub(crate) fn into_request(self, session_id: String) -> api::CheckNumber {
        api::CheckNumber {
            session_id,
            phone: self.phone,
            phones: self.phones,
        }
    }
}

impl HistoryArgs {
    pub(crate) fn into_request(self, session_id: String) -> api::HistoryParams {
        api::HistoryParams {
            session_id,
            remote_jid: self.remote_jid,
            start_date: self.start_date,
            end_date: self.end_date,
            search: self.search,
            limit: self.limit,
            offset: self.offset,
        }
    }
}

impl CreateGroupArgs {
    pub(crate) fn into_request(self, session_id: String) -> api::CreateGroup {
        api::CreateGroup {
            session_id,
            subject: self.subject,
            participants: self.participants,
        }
    }
}
