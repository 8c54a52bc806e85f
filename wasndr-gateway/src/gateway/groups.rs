//! Group endpoints (standard plan and up; `groups:read` / `groups:write`). Sending to a group is in
//! messaging and allowed on every plan.

use crate::api::{
    CreateGroup, GroupParticipants, InviteView, MemberExportRow, SessionBody, SetGroupDescription,
    SetGroupSubject,
};
use crate::engine::{GroupInfo, GroupParticipant, ParticipantAction, ParticipantResult, ParticipantRole};
use crate::error::{GatewayError, Result};
use crate::phone::{ChatJid, ChatKind, normalise_phone};
use crate::scope::Scope;
use crate::store::SessionRecord;

use super::{Caller, Gateway};

/// Parses members given as phone numbers or user JIDs.
fn participants(field: &str, given: &[String]) -> Result<Vec<ChatJid>> {
    if given.is_empty() || given.len() > 256 {
        return Err(GatewayError::invalid(field, "give 1 to 256 phone numbers"));
    }
    given
        .iter()
        .map(|p| {
            if p.contains('@') {
                let jid = ChatJid::parse_any(field, p)?;
                if jid.kind() == ChatKind::Group {
                    return Err(GatewayError::invalid(
                        field,
                        format!("{p:?} is a group, not a person"),
                    ));
                }
                Ok(jid)
            } else {
                Ok(ChatJid::user(&normalise_phone(field, p)?))
            }
        })
        .collect()
}

fn role_name(role: ParticipantRole) -> &'static str {
    match role {
        ParticipantRole::Member => "member",
        ParticipantRole::Admin => "admin",
        ParticipantRole::Superadmin => "superadmin",
    }
}

impl Gateway {
    async fn group_gate(&self, caller: &Caller, scope: Scope, session_id: &str) -> Result<SessionRecord> {
        caller.require(scope)?;
        caller.plan.require_premium("group management")?;
        self.own_session(caller, session_id).await
    }

    /// `GET /groups`.
    pub async fn list_groups(&self, caller: &Caller, session_id: &str) -> Result<Vec<GroupInfo>> {
        let record = self.group_gate(caller, Scope::GroupsRead, session_id).await?;
        self.engine.list_groups(&record.id).await
    }

    /// `GET /groups/{groupJid}`.
    pub async fn group_info(&self, caller: &Caller, session_id: &str, group_jid: &str) -> Result<GroupInfo> {
        let record = self.group_gate(caller, Scope::GroupsRead, session_id).await?;
        let group = ChatJid::parse_group("groupJid", group_jid)?;
        self.engine.group_info(&record.id, &group).await
    }

    /// `GET /groups/{groupJid}/participants`.
    pub async fn group_participants(
        &self,
        caller: &Caller,
        session_id: &str,
        group_jid: &str,
    ) -> Result<Vec<GroupParticipant>> {
        Ok(self.group_info(caller, session_id, group_jid).await?.participants)
    }

    /// `GET /groups/{groupJid}/export-members`: rows for JSON or CSV.
    pub async fn export_group_members(
        &self,
        caller: &Caller,
        session_id: &str,
        group_jid: &str,
    ) -> Result<Vec<MemberExportRow>> {
        let members = self.group_participants(caller, session_id, group_jid).await?;
        Ok(members
            .into_iter()
            .map(|m| MemberExportRow {
                jid: m.jid,
                phone: m.phone,
                role: role_name(m.role).to_owned(),
            })
            .collect())
    }

    /// `GET /groups/{groupJid}/invite-code`.
    pub async fn group_invite_code(
        &self,
        caller: &Caller,
        session_id: &str,
        group_jid: &str,
    ) -> Result<InviteView> {
        let record = self.group_gate(caller, Scope::GroupsRead, session_id).await?;
        let group = ChatJid::parse_group("groupJid", group_jid)?;
        let code = self.engine.group_invite_code(&record.id, &group).await?;
        Ok(InviteView {
            invite_link: format!("https://chat.whatsapp.com/{code}"),
            invite_code: code,
        })
    }

    /// `POST /groups/create`.
    pub async fn create_group(&self, caller: &Caller, request: CreateGroup) -> Result<GroupInfo> {
        caller.require(Scope::GroupsWrite)?;
        let subject = subject(&request.subject)?;
        let members = participants("participants", &request.participants)?;
        let record = self
            .group_gate(caller, Scope::GroupsWrite, &request.session_id)
            .await?;
        self.engine.create_group(&record.id, &subject, &members).await
    }

    /// `PUT /groups/{groupJid}/subject`.
    pub async fn set_group_subject(
        &self,
        caller: &Caller,
        group_jid: &str,
        request: SetGroupSubject,
    ) -> Result<()> {
        caller.require(Scope::GroupsWrite)?;
        let group = ChatJid::parse_group("groupJid", group_jid)?;
        let subject = subject(&request.subject)?;
        let record = self
            .group_gate(caller, Scope::GroupsWrite, &request.session_id)
            .await?;
        self.engine.set_group_subject(&record.id, &group, &subject).await
    }

    /// `PUT /groups/{groupJid}/description`.
    pub async fn set_group_description(
        &self,
        caller: &Caller,
        group_jid: &str,
        request: SetGroupDescription,
    ) -> Result<()> {
        caller.require(Scope::GroupsWrite)?;
        let group = ChatJid::parse_group("groupJid", group_jid)?;
        let description = request.description.filter(|d| !d.trim().is_empty());
        if description.as_ref().is_some_and(|d| d.chars().count() > 2048) {
            return Err(GatewayError::invalid(
                "description",
                "longer than 2048 characters",
            ));
        }
        let record = self
            .group_gate(caller, Scope::GroupsWrite, &request.session_id)
            .await?;
        self.engine
            .set_group_description(&record.id, &group, description.as_deref())
            .await
    }

    /// `POST /groups/{groupJid}/participants/add|remove`: one result per participant.
    pub async fn update_group_participants(
        &self,
        caller: &Caller,
        group_jid: &str,
        action: ParticipantAction,
        request: GroupParticipants,
    ) -> Result<Vec<ParticipantResult>> {
        caller.require(Scope::GroupsWrite)?;
        let group = ChatJid::parse_group("groupJid", group_jid)?;
        let members = participants("participants", &request.participants)?;
        let record = self
            .group_gate(caller, Scope::GroupsWrite, &request.session_id)
            .await?;
        self.engine
            .update_group_participants(&record.id, &group, action, &members)
            .await
    }

    /// `POST /groups/{groupJid}/leave`.
    pub async fn leave_group(&self, caller: &Caller, group_jid: &str, request: SessionBody) -> Result<()> {
        caller.require(Scope::GroupsWrite)?;
        let group = ChatJid::parse_group("groupJid", group_jid)?;
        let record = self
            .group_gate(caller, Scope::GroupsWrite, &request.session_id)
            .await?;
        self.engine.leave_group(&record.id, &group).await
    }
}

fn subject(text: &str) -> Result<String> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 100 {
        return Err(GatewayError::invalid("subject", "must be 1 to 100 characters"));
    }
    Ok(text.to_owned())
}
