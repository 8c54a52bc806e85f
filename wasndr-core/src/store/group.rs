//! A cache of group metadata, so sending to a group does not query it every time.

use async_trait::async_trait;

use super::StoreError;
use crate::jid::Jid;

/// How a group addresses its members: by phone number or by LID (the `addressing_mode` attribute).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AddressingMode {
    /// Participants are `…@s.whatsapp.net`.
    #[default]
    Pn,
    /// Participants are `…@lid`.
    Lid,
}

impl AddressingMode {
    /// `pn` or `lid`, as on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            AddressingMode::Pn => "pn",
            AddressingMode::Lid => "lid",
        }
    }

    /// Parses the wire value.
    pub fn parse(text: &str) -> Option<AddressingMode> {
        match text {
            "pn" => Some(AddressingMode::Pn),
            "lid" => Some(AddressingMode::Lid),
            _ => None,
        }
    }
}

/// A member's role (the participant's `type` attribute).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ParticipantRole {
    /// An ordinary member.
    #[default]
    Member,
    /// An admin.
    Admin,
    /// The creator (`superadmin`).
    SuperAdmin,
}

impl ParticipantRole {
    /// `member`, `admin` or `superadmin`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ParticipantRole::Member => "member",
            ParticipantRole::Admin => "admin",
            ParticipantRole::SuperAdmin => "superadmin",
        }
    }

    /// Parses [`ParticipantRole::as_str`].
    pub fn parse(text: &str) -> Option<ParticipantRole> {
        match text {
            "member" => Some(ParticipantRole::Member),
            "admin" => Some(ParticipantRole::Admin),
            "superadmin" => Some(ParticipantRole::SuperAdmin),
            _ => None,
        }
    }

    /// Whether the member can administer the group.
    pub const fn is_admin(self) -> bool {
        !matches!(self, ParticipantRole::Member)
    }
}

/// One member of a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupParticipant {
    /// The member as the group addresses them.
    pub jid: Jid,
    /// Their phone-number JID, when the group is LID-addressed and the server told us.
    pub phone_number: Option<Jid>,
    /// Their LID, when the group is PN-addressed and the server told us.
    pub lid: Option<Jid>,
    /// Their role.
    pub role: ParticipantRole,
}

/// What we know of a group (messaging guide §G.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupInfo {
    /// The group JID (`…@g.us`).
    pub jid: Jid,
    /// The subject (name).
    pub subject: String,
    /// The description, if any.
    pub description: Option<String>,
    /// Who created the group.
    pub owner: Option<Jid>,
    /// When the group was created, in seconds since the Unix epoch.
    pub created_at: Option<u64>,
    /// How members are addressed.
    pub addressing_mode: AddressingMode,
    /// Only admins may send (`announcement`).
    pub announce: bool,
    /// Only admins may edit the group info (`locked`).
    pub locked: bool,
    /// The members, in the server's order.
    pub participants: Vec<GroupParticipant>,
    /// When this information was fetched, in seconds since the Unix epoch; the caller decides freshness.
    pub updated_at: u64,
}

/// The group metadata cache.
#[async_trait]
pub trait GroupStore: Send + Sync {
    /// The cached metadata of `jid`.
    async fn group(&self, jid: &Jid) -> Result<Option<GroupInfo>, StoreError>;

    /// Every cached group, ordered by JID text.
    async fn groups(&self) -> Result<Vec<GroupInfo>, StoreError>;

    /// Caches `group`, replacing what was stored for its JID (participants included).
    async fn save_group(&self, group: &GroupInfo) -> Result<(), StoreError>;

    /// Drops the cached metadata of `jid` (we left, or it is stale).
    async fn delete_group(&self, jid: &Jid) -> Result<(), StoreError>;
}
