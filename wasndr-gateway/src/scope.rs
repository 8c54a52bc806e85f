//! The six key scopes of the contract and the sets a key holds.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::GatewayError;

/// One permission an API key may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// Every send endpoint and tool, and check-number.
    #[serde(rename = "messages:send")]
    MessagesSend,
    /// History and attachments.
    #[serde(rename = "messages:read")]
    MessagesRead,
    /// Group list, info, participants, export, invite code.
    #[serde(rename = "groups:read")]
    GroupsRead,
    /// Group create, subject, description, participants add/remove, leave.
    #[serde(rename = "groups:write")]
    GroupsWrite,
    /// List locations and sessions, QR, status.
    #[serde(rename = "sessions:read")]
    SessionsRead,
    /// Create and delete locations and sessions.
    #[serde(rename = "sessions:write")]
    SessionsWrite,
}

impl Scope {
    /// All six scopes, in the contract's order.
    pub const ALL: [Scope; 6] = [
        Scope::MessagesSend,
        Scope::MessagesRead,
        Scope::GroupsRead,
        Scope::GroupsWrite,
        Scope::SessionsRead,
        Scope::SessionsWrite,
    ];

    /// The wire name, e.g. `messages:send`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::MessagesSend => "messages:send",
            Scope::MessagesRead => "messages:read",
            Scope::GroupsRead => "groups:read",
            Scope::GroupsWrite => "groups:write",
            Scope::SessionsRead => "sessions:read",
            Scope::SessionsWrite => "sessions:write",
        }
    }

    /// Parses a wire name; `None` for anything else.
    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == text)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of scopes (a bit set; order-free).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScopeSet(u8);

impl ScopeSet {
    /// All six scopes: what a new key gets unless it asks for fewer.
    pub fn all() -> ScopeSet {
        Scope::ALL.into_iter().collect()
    }

    /// Whether `scope` is in the set.
    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// Whether every scope of `other` is in this set.
    pub fn is_superset_of(self, other: ScopeSet) -> bool {
        other.0 & !self.0 == 0
    }

    /// Whether all six scopes are present (what `/keys` requires).
    pub fn is_full(self) -> bool {
        self == ScopeSet::all()
    }

    /// The scopes in the contract's order.
    pub fn to_vec(self) -> Vec<Scope> {
        Scope::ALL
            .into_iter()
            .filter(|scope| self.contains(*scope))
            .collect()
    }

    /// Space-separated wire names (the storage form).
    pub fn to_storage(self) -> String {
        self.to_vec()
            .iter()
            .map(|scope| scope.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Reads the storage form; unknown names are dropped (a scope removed from the product grants nothing).
    pub fn from_storage(text: &str) -> ScopeSet {
        text.split_whitespace().filter_map(Scope::parse).collect()
    }

    /// Parses names from a request; an unknown name is a 400 naming `field`.
    pub fn parse_request(field: &str, names: &[String]) -> Result<ScopeSet, GatewayError> {
        names
            .iter()
            .map(|name| {
                Scope::parse(name).ok_or_else(|| {
                    let known = Scope::ALL.map(Scope::as_str).join(", ");
                    GatewayError::invalid(field, format!("unknown scope {name:?}; known scopes: {known}"))
                })
            })
            .collect()
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        ScopeSet(iter.into_iter().fold(0, |bits, scope| bits | scope.bit()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_round_trip_and_subsets() {
        let all = ScopeSet::all();
        assert!(all.is_full());
        assert_eq!(ScopeSet::from_storage(&all.to_storage()), all);
        let read: ScopeSet = [Scope::MessagesRead, Scope::SessionsRead].into_iter().collect();
        assert!(all.is_superset_of(read));
        assert!(!read.is_superset_of(all));
        assert!(!read.is_full());
        assert_eq!(read.to_storage(), "messages:read sessions:read");
    }

    #[test]
    fn unknown_scope_names_the_field() {
        let err = ScopeSet::parse_request("scopes", &["messages:delete".into()]).unwrap_err();
        assert!(err.to_string().starts_with("scopes: unknown scope"), "{err}");
    }
}
