//! Request bodies and query parameters, with the seed's field names. Unknown fields are refused (serde
//! names the field), so a typo never silently drops an option. Shared by the REST and MCP shells.

use serde::Deserialize;

macro_rules! wire {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        #[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
        pub struct $name { $($(#[$fmeta])* pub $field: $ty,)* }
    };
}

wire! {
    /// `POST /locations`.
    pub struct CreateLocation {
        /// Display name of the location (the seed's "API account"), e.g. the customer's company.
        pub name: String,
    }
}

wire! {
    /// `GET /locations` query.
    pub struct ListLocationsQuery {
        /// Include archived locations (default false).
        pub include_archived: Option<bool>,
        /// Page size (default 50, max 500).
        pub limit: Option<u32>,
        /// Rows to skip.
        pub offset: Option<u64>,
    }
}

wire! {
    /// `POST /sessions`.
    pub struct CreateSession {
        /// The location to create the session in (`locationUuid` from `POST /locations`).
        pub location_uuid: String,
        /// Display name, e.g. `Main Device`.
        pub name: String,
    }
}

wire! {
    /// `GET /sessions` query.
    pub struct ListSessionsQuery {
        /// Only sessions of this location.
        pub location_uuid: Option<String>,
        /// Page size (default 50, max 500).
        pub limit: Option<u32>,
        /// Rows to skip.
        pub offset: Option<u64>,
    }
}

wire! {
    /// `GET /keys`, `GET /webhooks` paging.
    pub struct PageQuery {
        /// Page size (default 50, max 500).
        pub limit: Option<u32>,
        /// Rows to skip.
        pub offset: Option<u64>,
    }
}

wire! {
    /// `POST /messages/send`.
    pub struct SendText {
        /// The sending session (`sessionId`).
        pub session_id: String,
        /// Recipient phone number with country code, digits only (e.g. `14155551234`).
        pub phone: String,
        /// The message text.
        pub text: String,
    }
}

wire! {
    /// `POST /messages/send-media`: one of `mediaUrl` or `mediaBase64`.
    pub struct SendMedia {
        /// The sending session.
        pub session_id: String,
        /// Recipient phone number with country code.
        pub phone: String,
        /// An http(s) URL to fetch the file from (public addresses only).
        pub media_url: Option<String>,
        /// The file itself, base64 (standard alphabet), instead of `mediaUrl`.
        pub media_base64: Option<String>,
        /// `image`, `video`, `audio` or `document`.
        pub media_type: String,
        /// Caption (image, video, document).
        pub caption: Option<String>,
        /// File name shown for documents.
        pub file_name: Option<String>,
        /// Mimetype; defaults to the fetched `Content-Type` or one fitting `mediaType`.
        pub mimetype: Option<String>,
    }
}

wire! {
    /// `POST /messages/send-group`.
    pub struct SendGroupText {
        /// The sending session.
        pub session_id: String,
        /// The group JID (`...@g.us`).
        pub group_jid: String,
        /// The message text.
        pub text: String,
    }
}

wire! {
    /// `POST /messages/send-group-media`: one of `mediaUrl` or `mediaBase64`.
    pub struct SendGroupMedia {
        /// The sending session.
        pub session_id: String,
        /// The group JID (`...@g.us`).
        pub group_jid: String,
        /// An http(s) URL to fetch the file from.
        pub media_url: Option<String>,
        /// The file itself, base64.
        pub media_base64: Option<String>,
        /// `image`, `video`, `audio` or `document`.
        pub media_type: String,
        /// Caption.
        pub caption: Option<String>,
        /// File name shown for documents.
        pub file_name: Option<String>,
        /// Mimetype.
        pub mimetype: Option<String>,
    }
}

wire! {
    /// `POST /messages/send-poll`: one of `phone` or `groupJid`.
    pub struct SendPoll {
        /// The sending session.
        pub session_id: String,
        /// Recipient phone number (or use `groupJid`).
        pub phone: Option<String>,
        /// Recipient group (or use `phone`).
        pub group_jid: Option<String>,
        /// The question.
        pub question: String,
        /// 2 to 12 distinct options.
        pub options: Vec<String>,
        /// How many options a voter may pick (default 1).
        pub selectable_count: Option<u32>,
    }
}

wire! {
    /// `POST /check-number`: `phone` or `phones`.
    pub struct CheckNumber {
        /// The session to ask through.
        pub session_id: String,
        /// One phone number.
        pub phone: Option<String>,
        /// Up to 50 phone numbers.
        pub phones: Option<Vec<String>>,
    }
}

wire! {
    /// `GET /messages/history` query.
    pub struct HistoryParams {
        /// The session whose history to read.
        pub session_id: String,
        /// Only this chat (`14155551234@s.whatsapp.net` or `...@g.us`).
        pub remote_jid: Option<String>,
        /// Only messages at or after this ISO 8601 time.
        pub start_date: Option<String>,
        /// Only messages at or before this ISO 8601 time.
        pub end_date: Option<String>,
        /// Case-insensitive substring of the message text (whole history searched).
        pub search: Option<String>,
        /// Page size (default 50, max 500).
        pub limit: Option<u32>,
        /// Matches to skip.
        pub offset: Option<u64>,
    }
}

wire! {
    /// `GET /attachments` query.
    pub struct AttachmentParams {
        /// The session whose received media to list.
        pub session_id: String,
        /// Only this chat.
        pub remote_jid: Option<String>,
        /// Only `image`, `video`, `audio` or `document`.
        pub media_type: Option<String>,
        /// Page size (default 50, max 500).
        pub limit: Option<u32>,
        /// Rows to skip.
        pub offset: Option<u64>,
    }
}

wire! {
    /// Query of `GET /attachments/{id}/download` and of the group reads.
    pub struct SessionQuery {
        /// The session to act through.
        pub session_id: String,
    }
}

wire! {
    /// `GET /groups/{groupJid}/export-members` query.
    pub struct ExportQuery {
        /// The session to act through.
        pub session_id: String,
        /// `json` (default) or `csv`.
        pub format: Option<String>,
    }
}

wire! {
    /// `POST /groups/create`.
    pub struct CreateGroup {
        /// The session to act through.
        pub session_id: String,
        /// The group name.
        pub subject: String,
        /// Phone numbers (or user JIDs) of the first members.
        pub participants: Vec<String>,
    }
}

wire! {
    /// `PUT /groups/{groupJid}/subject`.
    pub struct SetGroupSubject {
        /// The session to act through.
        pub session_id: String,
        /// The new name.
        pub subject: String,
    }
}

wire! {
    /// `PUT /groups/{groupJid}/description`.
    pub struct SetGroupDescription {
        /// The session to act through.
        pub session_id: String,
        /// The new description; empty or null clears it.
        pub description: Option<String>,
    }
}

wire! {
    /// `POST /groups/{groupJid}/participants/add|remove`.
    pub struct GroupParticipants {
        /// The session to act through.
        pub session_id: String,
        /// Phone numbers (or user JIDs).
        pub participants: Vec<String>,
    }
}

wire! {
    /// `POST /groups/{groupJid}/leave`.
    pub struct SessionBody {
        /// The session to act through.
        pub session_id: String,
    }
}

wire! {
    /// `POST /keys`.
    pub struct CreateKey {
        /// Display name of the key.
        pub name: String,
        /// Scopes (default: all six); must be a subset of the calling key's.
        pub scopes: Option<Vec<String>>,
    }
}

wire! {
    /// `POST /webhooks`.
    pub struct CreateWebhook {
        /// Where to POST events (http or https).
        pub url: String,
        /// Event names (default: all four).
        pub events: Option<Vec<String>>,
        /// Only events of this location's sessions (default: the whole account).
        pub location_uuid: Option<String>,
    }
}
