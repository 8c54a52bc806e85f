//! Who a session or sender key belongs to.

use std::fmt;

/// A Signal protocol address: a JID user plus device number (guide §0).
///
/// `name` is the JID user, suffixed `_1` for a LID, `_128` for hosted and `_129` for hosted-LID; the
/// device is the JID's device number (0 for the phone). This never goes on the wire; it keys sessions
/// and identities in the store.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProtocolAddress {
    /// The JID user with its domain suffix.
    pub name: String,
    /// The device number.
    pub device_id: u32,
}

impl ProtocolAddress {
    /// An address for `name` and `device_id`.
    pub fn new(name: impl Into<String>, device_id: u32) -> Self {
        Self {
            name: name.into(),
            device_id,
        }
    }
}

/// `name.device`, the form libsignal-node and Baileys use as a storage key.
impl fmt::Display for ProtocolAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.name, self.device_id)
    }
}

/// The key of a sender-key record: a group and the member device that sends in it (guide §0).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SenderKeyName {
    /// The group JID as a string, e.g. `120363025246125888@g.us`.
    pub group_id: String,
    /// The sending device.
    pub sender: ProtocolAddress,
}

impl SenderKeyName {
    /// The sender key of `sender` in `group_id`.
    pub fn new(group_id: impl Into<String>, sender: ProtocolAddress) -> Self {
        Self {
            group_id: group_id.into(),
            sender,
        }
    }
}

/// `group::name::device`, the form Baileys keys its sender-key store with.
impl fmt::Display for SenderKeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}::{}::{}",
            self.group_id, self.sender.name, self.sender.device_id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_forms_match_the_js_libraries() {
        let address = ProtocolAddress::new("123456789012345_1", 2);
        assert_eq!(address.to_string(), "123456789012345_1.2");
        let name = SenderKeyName::new("120363025246125888@g.us", address);
        assert_eq!(name.to_string(), "120363025246125888@g.us::123456789012345_1::2");
    }
}
