//! What we know about other users: names, LID↔phone-number mappings and their device lists.

use async_trait::async_trait;

use super::StoreError;
use crate::jid::Jid;

/// Names known for one user. Keyed by the user JID (no device).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contact {
    /// The user, without device (`15551234567@s.whatsapp.net` or `…@lid`).
    pub jid: Jid,
    /// The name the user chose (the `notify` attribute of their messages).
    pub push_name: Option<String>,
    /// The name in our address book (app-state contact action).
    pub full_name: Option<String>,
    /// The first name in our address book.
    pub first_name: Option<String>,
    /// The verified business name, for business accounts.
    pub business_name: Option<String>,
}

impl Contact {
    /// A contact with no names yet.
    pub fn new(jid: Jid) -> Self {
        Self {
            jid: jid.to_non_ad(),
            push_name: None,
            full_name: None,
            first_name: None,
            business_name: None,
        }
    }

    /// Sets every name `update` carries, keeping ours where it has `None`.
    pub fn merge(&mut self, update: &Contact) {
        let fields = [
            (&mut self.push_name, &update.push_name),
            (&mut self.full_name, &update.full_name),
            (&mut self.first_name, &update.first_name),
            (&mut self.business_name, &update.business_name),
        ];
        for (ours, theirs) in fields {
            if theirs.is_some() {
                ours.clone_from(theirs);
            }
        }
    }
}

/// One user's LID and phone-number JID (messaging guide §0: "keep a PN↔LID map"). Stores keep both
/// without device, and each side maps to exactly one other: a new mapping for either side replaces the
/// old one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LidMapping {
    /// `…@lid`.
    pub lid: Jid,
    /// `…@s.whatsapp.net`.
    pub pn: Jid,
}

impl LidMapping {
    /// The mapping between `lid` and `pn`, both reduced to the user.
    pub fn new(lid: &Jid, pn: &Jid) -> Self {
        Self {
            lid: lid.to_non_ad(),
            pn: pn.to_non_ad(),
        }
    }
}

/// One device of a user, as a usync device query lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ListedDevice {
    /// The device number (0 = the primary phone).
    pub device: u16,
    /// The device's key index from the signed key-index list; `None` for the primary.
    pub key_index: Option<u32>,
}

/// The cached device list of one user: while fresh, sending skips the usync query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceList {
    /// The user, without device.
    pub user: Jid,
    /// Their devices, in the order the server listed them.
    pub devices: Vec<ListedDevice>,
    /// When the list was fetched, in seconds since the Unix epoch; the caller decides freshness.
    pub fetched_at: u64,
}

/// Contacts, LID↔PN mappings and device lists.
#[async_trait]
pub trait ContactStore: Send + Sync {
    /// The contact for `jid` (any device of the user), if any name is known.
    async fn contact(&self, jid: &Jid) -> Result<Option<Contact>, StoreError>;

    /// Every stored contact, ordered by JID text.
    async fn contacts(&self) -> Result<Vec<Contact>, StoreError>;

    /// Stores the names `update` carries for `update.jid`, keeping stored names where it has `None`
    /// ([`Contact::merge`]); creates the contact if needed.
    async fn merge_contact(&self, update: &Contact) -> Result<(), StoreError>;

    /// Records that `mapping.lid` and `mapping.pn` are the same user, replacing any mapping of either.
    async fn save_lid_mapping(&self, mapping: &LidMapping) -> Result<(), StoreError>;

    /// The LID of the user behind `pn` (any device), if known. Returned without device.
    async fn lid_for_pn(&self, pn: &Jid) -> Result<Option<Jid>, StoreError>;

    /// The phone-number JID of the user behind `lid` (any device), if known. Returned without device.
    async fn pn_for_lid(&self, lid: &Jid) -> Result<Option<Jid>, StoreError>;

    /// The cached device list of `user` (any device of them), if any.
    async fn device_list(&self, user: &Jid) -> Result<Option<DeviceList>, StoreError>;

    /// Caches `list`, replacing the previous list of that user.
    async fn save_device_list(&self, list: &DeviceList) -> Result<(), StoreError>;

    /// Drops the cached list of `user` (a device-list notification said it changed).
    async fn delete_device_list(&self, user: &Jid) -> Result<(), StoreError>;
}
