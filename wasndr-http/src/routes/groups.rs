//! Group endpoints (standard plan and up).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use wasndr_gateway::api::*;
use wasndr_gateway::engine::{GroupInfo, GroupParticipant, ParticipantAction, ParticipantResult};

use crate::envelope::{Data, List, whole};
use crate::error::ApiError;
use crate::extract::{Auth, Body, Params};
use crate::openapi::{Envelope, ErrorEnvelope, ListEnvelope};
use crate::state::AppState;

type Result<T> = std::result::Result<T, ApiError>;

#[utoipa::path(get, path = "/api/v1/groups", tag = "groups", params(SessionQuery),
    responses((status = 200, body = ListEnvelope<GroupInfo>), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Groups the session is in. Scope `groups:read`.
pub(crate) async fn list(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Params(q): Params<SessionQuery>,
) -> Result<List<GroupInfo>> {
    Ok(whole(s.gateway.list_groups(&c, &q.session_id).await?))
}

#[utoipa::path(get, path = "/api/v1/groups/{groupJid}", tag = "groups", params(("groupJid" = String, Path), SessionQuery),
    responses((status = 200, body = Envelope<GroupInfo>)), security(("bearer" = [])))]
/// One group's metadata. Scope `groups:read`.
pub(crate) async fn info(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Path(jid): Path<String>,
    Params(q): Params<SessionQuery>,
) -> Result<Data<GroupInfo>> {
    Ok(Data(s.gateway.group_info(&c, &q.session_id, &jid).await?))
}

#[utoipa::path(get, path = "/api/v1/groups/{groupJid}/participants", tag = "groups", params(("groupJid" = String, Path), SessionQuery),
    responses((status = 200, body = ListEnvelope<GroupParticipant>)), security(("bearer" = [])))]
/// A group's members. Scope `groups:read`.
pub(crate) async fn participants(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Path(jid): Path<String>,
    Params(q): Params<SessionQuery>,
) -> Result<List<GroupParticipant>> {
    Ok(whole(
        s.gateway.group_participants(&c, &q.session_id, &jid).await?,
    ))
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[utoipa::path(get, path = "/api/v1/groups/{groupJid}/export-members", tag = "groups", params(("groupJid" = String, Path), ExportQuery),
    responses((status = 200, body = ListEnvelope<MemberExportRow>, description = "JSON, or text/csv with format=csv")), security(("bearer" = [])))]
/// Export the member list as JSON or CSV. Scope `groups:read`.
pub(crate) async fn export_members(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Path(jid): Path<String>,
    Params(q): Params<ExportQuery>,
) -> Result<Response> {
    let csv = match q.format.as_deref().map(str::trim) {
        None | Some("") | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(wasndr_gateway::GatewayError::invalid("format", "must be json or csv").into()),
    };
    let rows = s.gateway.export_group_members(&c, &q.session_id, &jid).await?;
    if !csv {
        return Ok(whole(rows).into_response());
    }
    let mut out = String::from("jid,phone,role\n");
    for row in rows {
        out.push_str(&format!(
            "{},{},{}\n",
            csv_field(&row.jid),
            csv_field(row.phone.as_deref().unwrap_or("")),
            row.role
        ));
    }
    let file = format!(
        "attachment; filename=\"{}-members.csv\"",
        jid.split('@').next().unwrap_or("group")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, file),
        ],
        out,
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/v1/groups/{groupJid}/invite-code", tag = "groups", params(("groupJid" = String, Path), SessionQuery),
    responses((status = 200, body = Envelope<InviteView>)), security(("bearer" = [])))]
/// The group's invite code and link. Scope `groups:read`.
pub(crate) async fn invite_code(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Path(jid): Path<String>,
    Params(q): Params<SessionQuery>,
) -> Result<Data<InviteView>> {
    Ok(Data(s.gateway.group_invite_code(&c, &q.session_id, &jid).await?))
}

#[utoipa::path(post, path = "/api/v1/groups/create", tag = "groups", request_body = CreateGroup,
    responses((status = 201, body = Envelope<GroupInfo>)), security(("bearer" = [])))]
/// Create a group. Scope `groups:write`.
pub(crate) async fn create(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Body(b): Body<CreateGroup>,
) -> Result<crate::envelope::Created<GroupInfo>> {
    Ok(crate::envelope::Created(s.gateway.create_group(&c, b).await?))
}

#[utoipa::path(put, path = "/api/v1/groups/{groupJid}/subject", tag = "groups", params(("groupJid" = String, Path)), request_body = SetGroupSubject,
    responses((status = 200, description = "{success, data: {groupJid, subject}}")), security(("bearer" = [])))]
/// Rename a group. Scope `groups:write`.
pub(crate) async fn subject(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Path(jid): Path<String>,
    Body(b): Body<SetGroupSubject>,
) -> Result<Data<serde_json::Value>> {
    let subject = b.subject.trim().to_owned();
    s.gateway.set_group_subject(&c, &jid, b).await?;
    Ok(Data(json!({ "groupJid": jid, "subject": subject })))
}

#[utoipa::path(put, path = "/api/v1/groups/{groupJid}/description", tag = "groups", params(("groupJid" = String, Path)), request_body = SetGroupDescription,
    responses((status = 200, description = "{success, data: {groupJid, description}}")), security(("bearer" = [])))]
/// Set or clear a group's description. Scope `groups:write`.
pub(crate) async fn description(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Path(jid): Path<String>,
    Body(b): Body<SetGroupDescription>,
) -> Result<Data<serde_json::Value>> {
    let description = b.description.clone().filter(|d| !d.trim().is_empty());
    s.gateway.set_group_description(&c, &jid, b).await?;
    Ok(Data(json!({ "groupJid": jid, "description": description })))
}

#[utoipa::path(post, path = "/api/v1/groups/{groupJid}/participants/add", tag = "groups", params(("groupJid" = String, Path)), request_body = GroupParticipants,
    responses((status = 200, body = ListEnvelope<ParticipantResult>)), security(("bearer" = [])))]
/// Add members; one result per participant. Scope `groups:write`.
pub(crate) async fn add(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Path(jid): Path<String>,
    Body(b): Body<GroupParticipants>,
) -> Result<List<ParticipantResult>> {
    Ok(whole(
        s.gateway
            .update_group_participants(&c, &jid, ParticipantAction::Add, b)
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/groups/{groupJid}/participants/remove", tag = "groups", params(("groupJid" = String, Path)), request_body = GroupParticipants,
    responses((status = 200, body = ListEnvelope<ParticipantResult>)), security(("bearer" = [])))]
/// Remove members; one result per participant. Scope `groups:write`.
pub(crate) async fn remove(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Path(jid): Path<String>,
    Body(b): Body<GroupParticipants>,
) -> Result<List<ParticipantResult>> {
    Ok(whole(
        s.gateway
            .update_group_participants(&c, &jid, ParticipantAction::Remove, b)
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/groups/{groupJid}/leave", tag = "groups", params(("groupJid" = String, Path)), request_body = SessionBody,
    responses((status = 200, description = "{success, data: {groupJid, left: true}}")), security(("bearer" = [])))]
/// Leave a group. Scope `groups:write`.
pub(crate) async fn leave(
    State(s): State<Arc<AppState>>,
    Auth(c): Auth,
    Path(jid): Path<String>,
    Body(b): Body<SessionBody>,
) -> Result<Data<serde_json::Value>> {
    s.gateway.leave_group(&c, &jid, b).await?;
    Ok(Data(json!({ "groupJid": jid, "left": true })))
}
