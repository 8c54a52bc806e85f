//! What the send and receive paths read: our own device, and the Signal records the caller loaded.
//!
//! The paths are pure over these values. The caller loads the records a step needs (see
//! [`super::needed_records`] for receiving; the target devices' sessions and our sender key for sending),
//! runs the step, applies the [`crate::store::Changes`] it returns with
//! [`crate::store::TransactionalStore::apply`], and only then sends what the step produced.

use std::collections::HashMap;

use crate::crypto::PublicKey;
use crate::jid::Jid;
use crate::signal::group::SenderKeyRecord;
use crate::signal::session::{LocalIdentity, SessionRecord};
use crate::signal::{IdentityKeyPair, PreKeyRecord, ProtocolAddress, SenderKeyName, SignedPreKeyRecord};

/// Our own device, as sending and receiving need it.
#[derive(Clone, Copy, Debug)]
pub struct OwnDevice<'a> {
    /// Our Signal identity key pair.
    pub identity: &'a IdentityKeyPair,
    /// Our registration id.
    pub registration_id: u32,
    /// Our phone-number device JID (`user:N@s.whatsapp.net`).
    pub pn: &'a Jid,
    /// Our LID device JID (`lid:N@lid`), once known.
    pub lid: Option<&'a Jid>,
    /// Our serialized `ADVSignedDeviceIdentity` from pairing, sent as `<device-identity>` beside prekey
    /// messages and in retry receipts.
    pub device_identity: &'a [u8],
}

impl OwnDevice<'_> {
    /// Whether `jid` is our account (any of its devices, PN or LID form).
    pub fn is_own_account(&self, jid: &Jid) -> bool {
        let same = |own: &Jid| own.user() == jid.user() && own.server_kind() == jid.server_kind();
        same(self.pn) || self.lid.is_some_and(same)
    }

    /// Whether `jid` is this very device.
    pub fn is_this_device(&self, jid: &Jid) -> bool {
        let same = |own: &Jid| own.to_non_ad() == jid.to_non_ad() && own.device() == jid.device();
        same(self.pn) || self.lid.is_some_and(same)
    }

    pub(crate) fn local(&self) -> LocalIdentity<'_> {
        LocalIdentity {
            identity: self.identity,
            registration_id: self.registration_id,
        }
    }
}

/// The Signal protocol address of a device JID, as sessions and identities are keyed.
pub fn protocol_address(jid: &Jid) -> ProtocolAddress {
    let address = jid.signal_address();
    ProtocolAddress::new(address.name(), address.device_id())
}

/// The records a send or receive step may read, loaded by the caller. Missing entries mean "none
/// stored".
#[derive(Clone, Debug, Default)]
pub struct Records {
    /// Sessions by address.
    pub sessions: HashMap<ProtocolAddress, SessionRecord>,
    /// Trusted remote identities by address.
    pub identities: HashMap<ProtocolAddress, PublicKey>,
    /// Our one-time prekeys by id.
    pub prekeys: HashMap<u32, PreKeyRecord>,
    /// Our signed prekeys by id.
    pub signed_prekeys: HashMap<u32, SignedPreKeyRecord>,
    /// Sender keys by (group, sender).
    pub sender_keys: HashMap<SenderKeyName, SenderKeyRecord>,
}

/// Which records a step needs: load these into a [`Records`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordKeys {
    /// Session (and identity) addresses.
    pub sessions: Vec<ProtocolAddress>,
    /// One-time prekey ids.
    pub prekeys: Vec<u32>,
    /// Signed prekey ids.
    pub signed_prekeys: Vec<u32>,
    /// Sender key names.
    pub sender_keys: Vec<SenderKeyName>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_device_matching() {
        let identity = IdentityKeyPair::generate(&mut rand::rng());
        let pn = Jid::pn("15551234567").with_device(3);
        let lid = Jid::lid("777").with_device(3);
        let own = OwnDevice {
            identity: &identity,
            registration_id: 1,
            pn: &pn,
            lid: Some(&lid),
            device_identity: &[],
        };
        assert!(own.is_own_account(&Jid::pn("15551234567")));
        assert!(own.is_own_account(&Jid::lid("777").with_device(9)));
        assert!(!own.is_own_account(&Jid::pn("777")));
        assert!(own.is_this_device(&lid));
        assert!(!own.is_this_device(&Jid::pn("15551234567")));
        assert_eq!(protocol_address(&lid), ProtocolAddress::new("777_1", 3));
        assert_eq!(protocol_address(&Jid::pn("1")), ProtocolAddress::new("1", 0));
    }
}
