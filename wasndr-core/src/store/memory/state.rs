//! The maps behind [`super::MemoryStore`] and every write on them. Writes are infallible: values are
//! validated before they get here, which is what makes a [`Changes`] batch all or nothing.

use std::collections::{BTreeMap, HashMap};

use crate::crypto::PublicKey;
use crate::jid::Jid;
use crate::signal::group::SenderKeyRecord;
use crate::signal::session::SessionRecord;
use crate::signal::{
    IdentityKeyPair, PreKeyRecord, ProtocolAddress, SenderKeyName, SignedPreKeyRecord, next_prekey_id,
};
use crate::store::{
    Changes, Contact, Device, DeviceList, GroupInfo, LidMapping, MessageSecret, PollVote, RecentMessage,
    StatusUpdate, StoredMessage,
};

/// (chat, id): how messages and recent plaintexts are found.
pub(super) type MessageKey = (Jid, String);

#[derive(Debug, Default)]
pub(super) struct State {
    pub(super) device: Option<Device>,
    /// The identity a store made with [`super::MemoryStore::new`] answers with while no device is saved.
    pub(super) standalone_identity: Option<(IdentityKeyPair, u32)>,
    pub(super) identities: HashMap<ProtocolAddress, PublicKey>,
    pub(super) sessions: HashMap<ProtocolAddress, SessionRecord>,
    pub(super) prekeys: BTreeMap<u32, PreKeyRecord>,
    pub(super) next_prekey_id: Option<u32>,
    pub(super) signed_prekeys: BTreeMap<u32, SignedPreKeyRecord>,
    pub(super) sender_keys: HashMap<SenderKeyName, SenderKeyRecord>,
    pub(super) contacts: BTreeMap<String, Contact>,
    pub(super) lid_to_pn: HashMap<Jid, Jid>,
    pub(super) pn_to_lid: HashMap<Jid, Jid>,
    pub(super) device_lists: HashMap<Jid, DeviceList>,
    pub(super) groups: BTreeMap<String, GroupInfo>,
    /// In insertion order; the position breaks timestamp ties in history queries.
    pub(super) messages: Vec<StoredMessage>,
    pub(super) message_index: HashMap<MessageKey, usize>,
    pub(super) secrets: HashMap<(Jid, Jid, String), Vec<u8>>,
    pub(super) recent: HashMap<MessageKey, RecentMessage>,
    /// (chat, poll id) → voter text → vote.
    pub(super) poll_votes: HashMap<MessageKey, BTreeMap<String, PollVote>>,
    pub(super) settings: HashMap<String, Vec<u8>>,
}

impl State {
    pub(super) fn identity(&self) -> Option<(&IdentityKeyPair, u32)> {
        match (&self.device, &self.standalone_identity) {
            (Some(device), _) => Some((&device.identity, device.registration_id)),
            (None, Some((identity, registration_id))) => Some((identity, *registration_id)),
            (None, None) => None,
        }
    }

    pub(super) fn store_prekeys(&mut self, prekeys: &[PreKeyRecord]) {
        for prekey in prekeys {
            self.prekeys.insert(prekey.id, prekey.clone());
        }
        if let Some(last) = prekeys.last() {
            self.next_prekey_id = Some(next_prekey_id(last.id));
        }
    }

    pub(super) fn merge_contact(&mut self, update: &Contact) {
        let jid = update.jid.to_non_ad();
        self.contacts
            .entry(jid.to_string())
            .or_insert_with(|| Contact::new(jid))
            .merge(update);
    }

    pub(super) fn save_lid_mapping(&mut self, mapping: &LidMapping) {
        let (lid, pn) = (mapping.lid.to_non_ad(), mapping.pn.to_non_ad());
        if let Some(old_pn) = self.lid_to_pn.remove(&lid) {
            self.pn_to_lid.remove(&old_pn);
        }
        if let Some(old_lid) = self.pn_to_lid.remove(&pn) {
            self.lid_to_pn.remove(&old_lid);
        }
        self.lid_to_pn.insert(lid.clone(), pn.clone());
        self.pn_to_lid.insert(pn, lid);
    }

    pub(super) fn save_device_list(&mut self, list: &DeviceList) {
        let mut list = list.clone();
        list.user = list.user.to_non_ad();
        self.device_lists.insert(list.user.clone(), list);
    }

    pub(super) fn save_group(&mut self, group: &GroupInfo) {
        self.groups.insert(group.jid.to_string(), group.clone());
    }

    pub(super) fn insert_message(&mut self, message: &StoredMessage) -> bool {
        let key = (message.chat.clone(), message.id.clone());
        if self.message_index.contains_key(&key) {
            return false;
        }
        self.message_index.insert(key, self.messages.len());
        self.messages.push(message.clone());
        true
    }

    pub(super) fn update_message_status(&mut self, update: &StatusUpdate) -> bool {
        let key = (update.chat.clone(), update.id.clone());
        let Some(message) = self
            .message_index
            .get(&key)
            .and_then(|&i| self.messages.get_mut(i))
        else {
            return false;
        };
        if !message.status.can_become(update.status) {
            return false;
        }
        message.status = update.status;
        true
    }

    pub(super) fn save_message_secret(&mut self, secret: &MessageSecret) {
        let key = (secret.chat.clone(), secret.sender.clone(), secret.id.clone());
        self.secrets.insert(key, secret.secret.clone());
    }

    pub(super) fn save_recent_message(&mut self, message: &RecentMessage) {
        let key = (message.chat.clone(), message.id.clone());
        self.recent.insert(key, message.clone());
    }

    pub(super) fn save_poll_vote(&mut self, vote: &PollVote) {
        self.poll_votes
            .entry((vote.chat.clone(), vote.poll_id.clone()))
            .or_default()
            .insert(vote.voter.to_string(), vote.clone());
    }

    /// Applies a batch that [`Changes::validate`] accepted, in the documented order.
    pub(super) fn apply(&mut self, changes: &Changes) {
        if let Some(device) = &changes.device {
            self.device = Some(device.clone());
        }
        for (address, identity) in &changes.identities {
            self.identities.insert(address.clone(), *identity);
        }
        for address in &changes.deleted_sessions {
            self.sessions.remove(address);
        }
        for (address, record) in &changes.sessions {
            self.sessions.insert(address.clone(), record.clone());
        }
        self.store_prekeys(&changes.prekeys);
        for id in &changes.removed_prekeys {
            self.prekeys.remove(id);
        }
        for record in &changes.signed_prekeys {
            self.signed_prekeys.insert(record.id, record.clone());
        }
        for name in &changes.deleted_sender_keys {
            self.sender_keys.remove(name);
        }
        for (name, record) in &changes.sender_keys {
            self.sender_keys.insert(name.clone(), record.clone());
        }
        changes.contacts.iter().for_each(|c| self.merge_contact(c));
        changes.lid_mappings.iter().for_each(|m| self.save_lid_mapping(m));
        for user in &changes.deleted_device_lists {
            self.device_lists.remove(&user.to_non_ad());
        }
        changes.device_lists.iter().for_each(|l| self.save_device_list(l));
        changes.groups.iter().for_each(|g| self.save_group(g));
        for message in &changes.messages {
            self.insert_message(message);
        }
        for update in &changes.status_updates {
            self.update_message_status(update);
        }
        changes
            .message_secrets
            .iter()
            .for_each(|s| self.save_message_secret(s));
        changes
            .recent_messages
            .iter()
            .for_each(|m| self.save_recent_message(m));
        changes.poll_votes.iter().for_each(|v| self.save_poll_vote(v));
        for (key, value) in &changes.settings {
            self.settings.insert(key.clone(), value.clone());
        }
    }
}
