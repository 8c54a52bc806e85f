//! The Signal protocol address of a device JID.

use super::JidRef;

/// A Signal protocol address: (name, device id). The name is the JID user with the AD domain appended as
/// `_1` (LID), `_128` (hosted) or `_129` (hosted LID); phone-number users get no suffix. Sessions and
/// sender keys are stored under it; it never goes on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SignalAddress {
    name: String,
    device_id: u32,
}

impl SignalAddress {
    /// An address from its parts.
    pub fn new(name: impl Into<String>, device_id: u32) -> SignalAddress {
        SignalAddress {
            name: name.into(),
            device_id,
        }
    }

    pub(super) fn for_jid(jid: JidRef<'_>) -> SignalAddress {
        let domain = jid.domain();
        let name = if domain == 0 {
            jid.user.to_owned()
        } else {
            format!("{}_{}", jid.user, domain)
        };
        SignalAddress {
            name,
            device_id: u32::from(jid.device),
        }
    }

    /// The name: user plus domain suffix.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The device id (the JID's device number; 0 for the phone).
    pub fn device_id(&self) -> u32 {
        self.device_id
    }
}

/// `name.device_id`, the form libsignal and Baileys use as a storage key.
impl std::fmt::Display for SignalAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.name, self.device_id)
    }
}
