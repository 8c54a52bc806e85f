//! Groups as the `w:g2` namespace sees them.

/// A member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Member,
    Admin,
    SuperAdmin,
}

impl Role {
    /// The `type` attribute of `<participant>`, absent for members.
    pub(crate) fn as_attr(self) -> Option<&'static str> {
        match self {
            Role::Member => None,
            Role::Admin => Some("admin"),
            Role::SuperAdmin => Some("superadmin"),
        }
    }

    pub(crate) fn is_admin(self) -> bool {
        self != Role::Member
    }
}

/// A group.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    /// The id (user part of `ID@g.us`).
    pub(crate) id: String,
    pub(crate) subject: String,
    pub(crate) subject_owner: String,
    pub(crate) subject_time: u64,
    pub(crate) creator: String,
    pub(crate) creation: u64,
    /// Members (phone numbers) in join order, with their roles.
    pub(crate) participants: Vec<(String, Role)>,
    /// Current description: (id, text, time, author phone).
    pub(crate) description: Option<(String, String, u64, String)>,
    pub(crate) invite_code: String,
}

impl Group {
    pub(crate) fn role_of(&self, phone: &str) -> Option<Role> {
        self.participants
            .iter()
            .find(|(member, _)| member == phone)
            .map(|(_, role)| *role)
    }
}
