//! The MCP server: the product's twenty tools, each one call into [`Gateway`], which decides
//! authentication, scopes, plan gates, quota and rate limits exactly as for REST.

use std::fmt;
use std::sync::{Arc, LazyLock};

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, Implementation, ServerCapabilities, ServerConfig};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler, tool, tool_handler, tool_router};
use wasndr_gateway::api::{CreateLocation, GroupParticipants, ListLocationsQuery, ListSessionsQuery};
use wasndr_gateway::engine::ParticipantAction;
use wasndr_gateway::{Caller, Gateway, GatewayError};

use crate::credentials::{ApiKey, Authenticated};
use crate::outcome::{failure, from_listed, from_result};
use crate::params::*;

/// What the server tells an agent about itself at connection time.
const INSTRUCTIONS: &str = "\
wasndr sends and reads WhatsApp messages and manages groups through WhatsApp sessions (linked devices) \
of your account. A sessionId is the UUID of one linked device: list_sessions lists them with their \
status; only `connected` sessions can send. sessionId may be omitted when the account has exactly one \
connected session. Phone numbers are digits with the country code and no `+` (e.g. 14155551234); groups \
are JIDs ending in @g.us (from list_groups). Linking a new phone (creating a session, scanning its QR \
code) is done by a person over the REST API, not by these tools. Every send uses one message of the \
monthly quota (get_usage). A failed call returns isError with what to do next.";

/// The MCP server over a gateway. One is made per HTTP request (it holds no caller state) or one per
/// stdio connection (holding the key from the environment).
#[derive(Clone)]
pub struct WasndrMcp {
    gateway: Arc<Gateway>,
    credentials: Credentials,
}

/// Where the caller of a tool call comes from.
#[derive(Clone)]
enum Credentials {
    /// Streamable HTTP: the HTTP layer resolved this request's `Authorization` header and put the
    /// [`Caller`] into the request's parts.
    PerRequest,
    /// stdio: one key from the environment, resolved again on every call (a revoked key stops working
    /// at once, and each call counts against the request limit).
    Key(ApiKey),
}

impl fmt::Debug for WasndrMcp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let credentials = match &self.credentials {
            Credentials::PerRequest => "per request",
            Credentials::Key(_) => "fixed key",
        };
        f.debug_struct("WasndrMcp")
            .field("credentials", &credentials)
            .finish_non_exhaustive()
    }
}

impl WasndrMcp {
    /// A server whose callers are authenticated by the HTTP layer ([`crate::http_service`]).
    pub(crate) fn per_request(gateway: Arc<Gateway>) -> WasndrMcp {
        WasndrMcp {
            gateway,
            credentials: Credentials::PerRequest,
        }
    }

    /// A server acting with one key (stdio).
    pub fn with_key(gateway: Arc<Gateway>, key: ApiKey) -> WasndrMcp {
        WasndrMcp {
            gateway,
            credentials: Credentials::Key(key),
        }
    }

    /// The names of the tools, in the order they are listed.
    pub fn tool_names() -> Vec<String> {
        router()
            .list_all()
            .into_iter()
            .map(|t| t.name.into_owned())
            .collect()
    }

    async fn caller(&self, ctx: &RequestContext<RoleServer>) -> Result<Caller, GatewayError> {
        match &self.credentials {
            Credentials::PerRequest => ctx
                .extensions
                .get::<axum::http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<Authenticated>())
                .map(|authenticated| authenticated.0.clone())
                .ok_or(GatewayError::Unauthorized),
            Credentials::Key(key) => self.gateway.authenticate(Some(key.expose())).await,
        }
    }

    /// The session to act through: the given one, or the account's only connected session. When that
    /// cannot be found, the operation still runs with an empty id so that its own checks (scope, plan,
    /// arguments) answer first, and [`explain_session`] then swaps the generic "sessionId required" for
    /// the reason.
    async fn session(&self, caller: &Caller, given: Option<String>) -> (String, Option<GatewayError>) {
        match given.filter(|s| !s.trim().is_empty()) {
            Some(id) => (id, None),
            None => match self.gateway.sole_connected_session(caller).await {
                Ok(id) => (id, None),
                Err(why) => (String::new(), Some(why)),
            },
        }
    }
}

fn explain_session<T>(result: Result<T, GatewayError>, why: Option<GatewayError>) -> Result<T, GatewayError> {
    match (result, why) {
        (Err(GatewayError::InvalidRequest { field, .. }), Some(why)) if field == "sessionId" => Err(why),
        (result, _) => result,
    }
}

/// Resolves the caller of this tool call or returns its refusal.
macro_rules! caller {
    ($self:ident, $ctx:ident) => {
        match $self.caller(&$ctx).await {
            Ok(caller) => caller,
            Err(error) => return failure(&error),
        }
    };
}

static ROUTER: LazyLock<ToolRouter<WasndrMcp>> = LazyLock::new(WasndrMcp::tool_router);

fn router() -> &'static ToolRouter<WasndrMcp> {
    &ROUTER
}

#[tool_router]
impl WasndrMcp {
    #[tool(
        description = "Send a WhatsApp text message to a phone number. Returns {messageId, to, status: \"sent\", \
                       timestamp}. Uses one message of the monthly quota and counts against the plan's sends \
                       per minute. Needs the scope messages:send and a connected session."
    )]
    async fn send_whatsapp_message(
        &self,
        ctx: RequestContext<RoleServer>,
        Parameters(args): Parameters<SendMessageArgs>,
    ) -> CallToolResult {
        let caller = caller!(self, ctx);
        let (session, why) = self.session(&caller, args.session_id.clone()).await;
        let sent = self.gateway.send_text(&caller, args.into_request(session)).await;
        from_result(explain_session(sent.result, why))
    }

    #[tool(
        description = "Send an image, video, audio file or document to a phone number, from a public URL \
                       (mediaUrl) or inline base64 (mediaBase64), with an optional caption. Returns {messageId, \
                       to, status, timestamp}. Uses one message of the monthly quota. Needs messages:send."
    )]
    async fn send_whatsapp_media(
        &self,
        ctx: RequestContext<RoleServer>,
        Parameters(args): Parameters<SendMediaArgs>,
    ) -> CallToolResult {
        let caller = caller!(self, ctx);
        let (session, why) = self.session(&caller, args.session_id.clone()).await;
        let sent = self.gateway.send_media(&caller, args.into_request(session)).await;
        from_result(explain_session(sent.result, why))
    }

    #[tool(
        description = "Send a WhatsApp text message to a group (groupJid from list_groups). Returns {messageId, \
                       to, status, timestamp}. Uses one message of the monthly quota. Needs messages:send; \
                       allowed on every plan."
    )]
    async fn send_group_message(
        &self,
        ctx: RequestContext<RoleServer>,
        Parameters(args): Parameters<SendGroupMessageArgs>,
    ) -> CallToolResult {
        let caller = caller!(self, ctx);
        let (session, why) = self.session(&caller, args.session_id.clone()).await;
        let sent = self
            .gateway
            .send_group_text(&caller, args.into_request(session))
            .await;
        from_result(explain_session(sent.result, why))
    }

    #[tool(
        description = "Send an image, video, audio file or document to a group, from mediaUrl or mediaBase64. \
                       Returns {messageId, to, status, timestamp}. Uses one message of the monthly quota. \
                       Needs messages:send."
    )]
    async fn send_group_media(
        &self,
        ctx: RequestContext<RoleServer>,
        Parameters(args): Parameters<SendGroupMediaArgs>,
    ) -> CallToolResult {
        let caller = caller!(self, ctx);
        let (session, why) = self.session(&caller, args.session_id.clone()).await;
        let sent = self
            .gateway
            .send_group_media(&caller, args.into_request(session))
            .await;
        from_result(explain_session(sent.result, why))
    }

    #[tool(
        description = "Send a poll to a phone number or a group: a question with 2 to 12 distinct options. \
                       Returns {messageId, to, status, timestamp}; votes arrive as messages (see \
                       get_message_history). Uses one message of the monthly quota. Needs messages:send."
    )]
    async fn send_poll(
        &self,
        ctx: RequestContext<RoleServer>,
        Parameters(args): Parameters<SendPollArgs>,
    ) -> CallToolResult {
        let caller = caller!(self, ctx);
        let (session, why) = self.session(&caller, args.session_id.clone()).await;
        let sent = self.gateway.send_poll(&caller, args.into_request(session)).await;
        from_result(explain_session(sent.result, why))
    }

    #[tool(
        description = "Check whether phone numbers are on WhatsApp (one with phone, or up to 50 with phones). \
                       Returns [{phone, exists, jid}]; jid is the address to message when exists is true. Not \
                       a send: uses no quota. Needs messages:send.",
        annotations(read_only_hint = true)
    )]
    async fn check_whatsapp_number(
        &self,
        ctx: RequestContext<RoleServer>,
        Parameters(args): Parameters<CheckNumberArgs>,
    ) -> CallToolResult {
        let caller = caller!(self, ctx);
        let (session, why) = self.session(&caller, args.session_id.clone()).await;
        let checked = self
            .gateway
            .check_numbers(&caller, args.into_request(session))
            .await;
        from_result(explain_session(checked, why))
    }

    #[tool(
        description = "Read a session's message history, newest first, optionally only one chat (remoteJid), a \
                       time range (startDate, endDate) or messages containing a text (search). Each message has \
                       messageId, remoteJid, senderJid, fromMe, timestamp (Unix seconds), type, text, status. \
                       Paged: limit 1 to 500 (default 50), offset; meta.total counts all matches. Needs \
                       messages:read and the standard plan or higher.",
        annotations(read_only_hint = true)
    )]
    async fn get_message_history(
        &self,
        ctx: RequestContext<RoleServer>,
        Parameters(args): Parameters<HistoryArgs>,
    ) -> CallToolResult {
        let caller = caller!(self, ctx);
        let (session, why) = self.session(&caller, args.session_id.clone()).await;
        let found = self.gateway.history(&caller, args.into_request(session)).await;
        from_listed(explain_session(found, why))
    }

    #[tool(
        description = "List the WhatsApp groups a session belongs to: [{jid, subject, description, owner, \
                       participants, ...}]. Use a group's jid as groupJid in the other group tools. Needs \
                       groups:read and the standard plan or higher.",
        annotations(read_only_hint = true)
    )]
    async fn list_groups(
        &self,
        ctx: RequestContext<RoleServer>,
        Parameters(args): Parameters<SessionArgs>,
    ) -> CallToolResult {
        let caller = caller!(self, ctx);
        let (session, why) = self.session(&caller, args.session_id).await;
        from_result(explain_session(
            self.gateway.list_groups(&caller, &session).await,
            why,
        ))
    }

    #[tool(
        description = "Get one group's metadata: subject, description, owner, creation time and participants \
                       with their roles. Needs groups:read and the standard plan or higher.",
        annotations(read_only_hint = true)
    )]
    async fn get_group_info(
        &self,
        ctx: RequestContext<RoleServer>,
        Parameters(args): Parameters<GroupArgs>,
    ) -> CallToolResult {
        let caller = caller!(self, ctx);
        let (session, why) = self.session(&caller, args.session_id).await;
        from_result(explain_session(
            self.gateway.group_info(&caller, &session, &args.group_jid).await,
            why,
        ))
    }

    #[tool(
        description = "List a group's members: [{jid, phone, role}] with role member, admin or superadmin. Needs \
                       groups:read and the standard plan or higher.",
        annotations(read_only_hint = true)
    )]
    async fn get_group_participants(
        &self,
        ctx: RequestContext<RoleServer>,
        Parameters(args): Parameters<GroupArgs>,
    ) -> CallToolResult {
        let caller = caller!(self, ctx);
        let (session, why) = self.session(&caller, args.session_id).await;
        from_result(explain_session(
            self.gateway
                .group_participants(&caller, &session, &args.group_jid)
                .await,
            why,
        ))
    }

    #[tool(
        description = "Export a group's full member list as rows {jid, phone, role}, e.g. to build a contact \
                       list or a spreadsheet. Needs groups:read and the standard plan or higher.",
        annotations(read_only_hint = true)
    )]
    async fn export_group_members(
        &self,
        ctx: RequestContext<RoleServer>,
        Parameters(args): Parameters<GroupArgs>,
    ) -> CallToolResult {
        let caller = caller!(self, ctx);
        let (session, why) = self.session(&caller, args.session_id).await;
        from_result(explain_session(
            self.gateway
                .export_group_members(&caller, &session, &args.group_jid)
                .await,
            why,
        ))
    }

    #[tool(
        description = "Create a WhatsApp group with a name (subject) and first members (phone numbers). Returns \
                       the new group with its jid. Needs groups:write and the standard plan or higher."
    )]
    async fn create_group(
        &self,
        ctx: RequestContext<RoleServer>,
        Parameters(args): Parameters<CreateGroupArgs>,
    ) -> CallToolResult {
        let caller = caller!(self, ctx);
        let (session, why) = self.session(&caller, args.session_id.clone()).await;
        let created = self
            .gateway
            .create_group(&caller, args.into_request(session))
            .await;
        from_result(explain_session(created, why))
    }

    #[tool(
        description = "Add members (phone numbers) to a group the session administers. Returns one result per \
                       member: [{jid, status, success}] with WhatsApp's status code (200 added, 403 not allowed, 409 \
                       already a member, ...). Needs groups:write and the standard plan or higher."
    )]
    async fn add_group_participants(
        &self,
        ctx: RequestContext<RoleServer>,
        Parameters(args): Parameters<GroupParticipantsArgs>,
    ) -> CallToolResult {
        self.update_participants(ctx, args, ParticipantAction::Add).await
    }

    #[tool(
        description = "Remove members (phone numbers) from a group the session administers. Returns one result \
                       per member: [{jid, status, success}]. Needs groups:write and the standard plan or higher.",
        annotations(destructive_hint = true)
    )]
    async fn remove_group_participants(
        &self,
        ctx: RequestContext<RoleServer>,
        Parameters(args): Parameters<GroupParticipantsArgs>,
    ) -> CallToolResult {
        self.update_participants(ctx, args, ParticipantAction::Remove)
            .await
    }

    #[tool(
        description = "Create an API account (a workspace, e.g. for one customer or tenant) to hold WhatsApp \
                       sessions. Returns {locationUuid, name, createdAt}. A person then links a phone to it \
                       over REST (POST /api/v1/sessions, then scan the QR). Needs sessions:write."
    )]
    async fn create_api_account(
        &self,
        ctx: RequestContext<RoleServer>,
        Parameters(args): Parameters<CreateAccountArgs>,
    ) -> CallToolResult {
        let caller = caller!(self, ctx);
        from_result(
            self.gateway
                .create_location(&caller, CreateLocation { name: args.name })
                .await,
        )
    }

    #[tool(
        description = "List your API accounts (workspaces): [{locationUuid, name, createdAt, archivedAt}], oldest \
                       first. Paged: limit 1 to 500 (default 50), offset. Needs sessions:read.",
        annotations(read_only_hint = true)
    )]
    async fn list_api_accounts(
        &self,
        ctx: RequestContext<RoleServer>,
        Parameters(args): Parameters<ListAccountsArgs>,
    ) -> CallToolResult {
        let caller = caller!(self, ctx);
        let query = ListLocationsQuery {
            include_archived: args.include_archived,
            limit: args.limit,
            offset: args.offset,
        };
        from_listed(self.gateway.list_locations(&caller, query).await)
    }

    #[tool(
        description = "Archive an API account: logs out and stops all its sessions and frees their session \
                       slots. Cannot be undone. Returns the archived account. Needs sessions:write.",
        annotations(destructive_hint = true)
    )]
    async fn archive_api_account(
        &self,
        ctx: RequestContext<RoleServer>,
        Parameters(args): Parameters<ArchiveAccountArgs>,
    ) -> CallToolResult {
        let caller = caller!(self, ctx);
        from_result(
            self.gateway
                .archive_location(&caller, args.location_uuid.trim())
                .await,
        )
    }

    #[tool(
        description = "List the account's WhatsApp sessions (linked devices) with their connection status: \
                       [{sessionId, locationUuid, name, status, phone, jid, createdAt}]. status is starting, \
                       qr_ready, reconnecting, connected or disconnected; only connected sessions can send. \
                       Use sessionId in the other tools. Needs sessions:read.",
        annotations(read_only_hint = true)
    )]
    async fn list_sessions(
        &self,
        ctx: RequestContext<RoleServer>,
        Parameters(args): Parameters<ListSessionsArgs>,
    ) -> CallToolResult {
        let caller = caller!(self, ctx);
        let query = ListSessionsQuery {
            location_uuid: args.location_uuid,
            limit: args.limit,
            offset: args.offset,
        };
        from_listed(self.gateway.list_sessions(&caller, query).await)
    }

    #[tool(
        description = "Check one session's live connection status: {sessionId, status, phone, jid}. status is \
                       starting, qr_ready (waiting for a person to scan the QR over REST), reconnecting, \
                       connected or disconnected. Needs sessions:read.",
        annotations(read_only_hint = true)
    )]
    async fn get_session_status(
        &self,
        ctx: RequestContext<RoleServer>,
        Parameters(args): Parameters<SessionArgs>,
    ) -> CallToolResult {
        let caller = caller!(self, ctx);
        let (session, why) = self.session(&caller, args.session_id).await;
        from_result(explain_session(
            self.gateway.session_status(&caller, &session).await,
            why,
        ))
    }

    #[tool(
        description = "Current usage of the billing period (UTC calendar month): {plan, period, messagesUsed, \
                       messagesLimit, messagesRemaining, resetsAt, sessionsUsed, sessionsLimit, \
                       rateLimitPerMinute}. Any key may call it.",
        annotations(read_only_hint = true)
    )]
    async fn get_usage(
        &self,
        ctx: RequestContext<RoleServer>,
        Parameters(NoArgs {}): Parameters<NoArgs>,
    ) -> CallToolResult {
        let caller = caller!(self, ctx);
        from_result(self.gateway.usage(&caller).await)
    }
}

impl WasndrMcp {
    async fn update_participants(
        &self,
        ctx: RequestContext<RoleServer>,
        args: GroupParticipantsArgs,
        action: ParticipantAction,
    ) -> CallToolResult {
        let caller = caller!(self, ctx);
        let (session_id, why) = self.session(&caller, args.session_id).await;
        let request = GroupParticipants {
            session_id,
            participants: args.participants,
        };
        let updated = self
            .gateway
            .update_group_participants(&caller, &args.group_jid, action, request)
            .await;
        from_result(explain_session(updated, why))
    }
}

#[tool_handler(router = router())]
impl ServerHandler for WasndrMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("wasndr", env!("CARGO_PKG_VERSION")).with_title("wasndr WhatsApp"),
            )
            .with_instructions(INSTRUCTIONS)
    }
}
