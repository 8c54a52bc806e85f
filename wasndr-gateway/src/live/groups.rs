//! Group metadata and participant results in the engine's terms.

use wasndr_core::jid::{Jid, Server};
use wasndr_core::stanza::{self, GroupMetadata};
use wasndr_core::store;

use crate::engine::{GroupInfo, GroupParticipant, ParticipantAction, ParticipantResult, ParticipantRole};
use crate::error::GatewayError;

use super::errors::core_error;

/// A group call's error: WhatsApp's "no such group" (404, or 406 for a JID it cannot parse) is the
/// gateway's `NotFound { what: "group" }`; the rest as for any call.
pub(crate) fn group_error(error: wasndr_core::Error) -> GatewayError {
    match error {
        wasndr_core::Error::IqError { code: 404 | 406, .. } => GatewayError::NotFound { what: "group" },
        other => core_error(other),
    }
}

/// The gateway's view of a group.
pub(crate) fn group_info(metadata: &GroupMetadata) -> GroupInfo {
    let participants: Vec<GroupParticipant> = metadata.participants.iter().map(participant).collect();
    GroupInfo {
        jid: metadata.jid.to_string(),
        subject: metadata.subject.clone().unwrap_or_default(),
        description: metadata.description.as_ref().map(|d| d.text.clone()),
        owner: metadata
            .creator_pn
            .as_ref()
            .or(metadata.creator.as_ref())
            .map(|jid| jid.to_non_ad().to_string()),
        created_at: metadata.creation.and_then(|t| i64::try_from(t).ok()),
        size: metadata
            .size
            .unwrap_or_else(|| u32::try_from(participants.len()).unwrap_or(u32::MAX)),
        participants,
    }
}

fn participant(member: &store::GroupParticipant) -> GroupParticipant {
    let phone_jid = if member.jid.server_kind() == Server::Whatsapp {
        Some(&member.jid)
    } else {
        member.phone_number.as_ref()
    };
    GroupParticipant {
        jid: member.jid.to_non_ad().to_string(),
        phone: phone_jid.map(|jid| jid.user().to_owned()),
        role: match member.role {
            store::ParticipantRole::Admin => ParticipantRole::Admin,
            store::ParticipantRole::SuperAdmin => ParticipantRole::Superadmin,
            _ => ParticipantRole::Member,
        },
    }
}

/// The core action for a gateway one.
pub(crate) fn action(action: ParticipantAction) -> stanza::ParticipantAction {
    match action {
        ParticipantAction::Add => stanza::ParticipantAction::Add,
        ParticipantAction::Remove => stanza::ParticipantAction::Remove,
    }
}

/// One result per participant asked for, in the order asked (the server answers in its own order); a
/// participant the server did not mention is reported as not changed.
pub(crate) fn results(asked: &[Jid], answered: &[stanza::ParticipantResult]) -> Vec<ParticipantResult> {
    asked
        .iter()
        .map(|jid| {
            let found = answered.iter().find(|r| r.jid.to_non_ad() == jid.to_non_ad());
            match found {
                Some(result) => ParticipantResult {
                    jid: jid.to_string(),
                    status: result.error.unwrap_or(200).to_string(),
                    success: result.succeeded(),
                },
                None => ParticipantResult {
                    jid: jid.to_string(),
                    status: "404".to_owned(),
                    success: false,
                },
            }
        })
        .collect()
}
