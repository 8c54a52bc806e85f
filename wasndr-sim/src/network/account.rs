//! Accounts (a phone number with its primary and companion devices) and the keys devices publish.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use wasndr_core::binary::Node;
use wasndr_core::crypto::PublicKey;

use crate::phone::Phone;

/// A signed prekey as published (id, public key, signature over `05 ‖ key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SignedPreKeyPublic {
    pub(crate) id: u32,
    pub(crate) public: PublicKey,
    pub(crate) signature: [u8; 64],
}

/// The keys a device publishes for others to start Signal sessions with it.
#[derive(Debug, Clone)]
pub(crate) struct DeviceKeys {
    pub(crate) registration_id: u32,
    pub(crate) identity: PublicKey,
    pub(crate) signed_prekey: SignedPreKeyPublic,
    /// One-time prekeys not yet handed out, oldest first.
    pub(crate) prekeys: VecDeque<(u32, PublicKey)>,
}

/// One device of an account.
#[derive(Debug)]
pub(crate) struct Device {
    /// The Noise static key a companion logs in with (`None` for the virtual primary, which never
    /// connects over the wire).
    pub(crate) noise_key: Option<PublicKey>,
    pub(crate) keys: DeviceKeys,
    /// The key index the primary assigned (0 for the primary).
    pub(crate) key_index: u32,
    /// Stanzas waiting for the device to connect, oldest first.
    pub(crate) offline: VecDeque<Node>,
    /// The push name the device announced.
    pub(crate) push_name: Option<String>,
}

/// A phone number's account.
#[derive(Debug)]
pub(crate) struct Account {
    /// The LID user (digits) assigned to the account.
    pub(crate) lid: String,
    /// Devices by number; 0 is the virtual primary phone.
    pub(crate) devices: BTreeMap<u16, Device>,
    /// The next companion device number to assign.
    pub(crate) next_device: u16,
    /// The next key index to assign.
    pub(crate) next_key_index: u32,
    /// When the device list last changed (unix seconds), for `key-index-list ts`.
    pub(crate) devices_changed: u64,
    /// The virtual primary phone.
    pub(crate) phone: Arc<Phone>,
}
