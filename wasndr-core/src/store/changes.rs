//! Writes that must land together: a [`Changes`] batch and [`TransactionalStore::apply`].
//!
//! # The contract
//!
//! The protocol functions are pure: decrypting returns the advanced session record, the plaintext and
//! the one-time prekey it consumed, without writing anything. The Client collects what one step
//! changed into one `Changes` — for an incoming message: the ratchet, the message, the consumed prekey,
//! the sender's identity when first seen, contact and LID facts from the stanza — and calls
//! [`TransactionalStore::apply`]. Only after `apply` returns `Ok` does it ack to the server (or answer
//! an API caller). If `apply` fails, nothing of the batch is stored, the message is not acked, and the
//! server delivers it again, to be decrypted from the unchanged old ratchet. A crash anywhere leaves
//! either all of the step or none of it.
//!
//! Outgoing messages go the same way: the advanced sending ratchets and the `Pending` message (and its
//! recent plaintext) are applied before the stanza is written to the socket.

use async_trait::async_trait;

use super::{
    Contact, Device, DeviceList, GroupInfo, LidMapping, MessageSecret, PollVote, RecentMessage, StatusUpdate,
    StoreError, StoredMessage,
};
use crate::crypto::PublicKey;
use crate::jid::Jid;
use crate::signal::group::SenderKeyRecord;
use crate::signal::session::SessionRecord;
use crate::signal::{PreKeyRecord, ProtocolAddress, SenderKeyName, SignedPreKeyRecord};

/// A batch of writes applied all or nothing by [`TransactionalStore::apply`].
///
/// Each field means the same as the single-write store method it is named after. They are applied in
/// field order (deletions of a kind before its upserts), so a batch may insert a message and update its
/// status, or delete a session and store a new one for the same address. Within a field, later entries
/// win over earlier ones for the same key, except messages: as with `insert_message`, the first one
/// stored for a chat and id is kept.
#[derive(Clone, Debug, Default)]
pub struct Changes {
    /// [`super::DeviceStore::save_device`].
    pub device: Option<Device>,
    /// [`super::IdentityKeyStore::save_remote_identity`].
    pub identities: Vec<(ProtocolAddress, PublicKey)>,
    /// [`super::SessionStore::delete_session`].
    pub deleted_sessions: Vec<ProtocolAddress>,
    /// [`super::SessionStore::store_session`].
    pub sessions: Vec<(ProtocolAddress, SessionRecord)>,
    /// [`super::PreKeyStore::store_prekeys`] (one batch; the next prekey id follows its last entry).
    pub prekeys: Vec<PreKeyRecord>,
    /// [`super::PreKeyStore::remove_prekey`]: one-time prekeys consumed by prekey messages.
    pub removed_prekeys: Vec<u32>,
    /// [`super::SignedPreKeyStore::store_signed_prekey`].
    pub signed_prekeys: Vec<SignedPreKeyRecord>,
    /// [`super::SenderKeyStore::delete_sender_key`].
    pub deleted_sender_keys: Vec<SenderKeyName>,
    /// [`super::SenderKeyStore::store_sender_key`].
    pub sender_keys: Vec<(SenderKeyName, SenderKeyRecord)>,
    /// [`super::ContactStore::merge_contact`].
    pub contacts: Vec<Contact>,
    /// [`super::ContactStore::save_lid_mapping`].
    pub lid_mappings: Vec<LidMapping>,
    /// [`super::ContactStore::delete_device_list`].
    pub deleted_device_lists: Vec<Jid>,
    /// [`super::ContactStore::save_device_list`].
    pub device_lists: Vec<DeviceList>,
    /// [`super::GroupStore::save_group`].
    pub groups: Vec<GroupInfo>,
    /// [`super::MessageStore::insert_message`] (a message already stored is kept, not an error).
    pub messages: Vec<StoredMessage>,
    /// [`super::MessageStore::update_message_status`].
    pub status_updates: Vec<StatusUpdate>,
    /// [`super::MessageStore::save_message_secret`].
    pub message_secrets: Vec<MessageSecret>,
    /// [`super::MessageStore::save_recent_message`].
    pub recent_messages: Vec<RecentMessage>,
    /// [`super::MessageStore::save_poll_vote`].
    pub poll_votes: Vec<PollVote>,
    /// [`super::SettingsStore::save_setting`].
    pub settings: Vec<(String, Vec<u8>)>,
}

impl Changes {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the batch writes nothing.
    pub fn is_empty(&self) -> bool {
        let Changes {
            device,
            identities,
            deleted_sessions,
            sessions,
            prekeys,
            removed_prekeys,
            signed_prekeys,
            deleted_sender_keys,
            sender_keys,
            contacts,
            lid_mappings,
            deleted_device_lists,
            device_lists,
            groups,
            messages,
            status_updates,
            message_secrets,
            recent_messages,
            poll_votes,
            settings,
        } = self;
        device.is_none()
            && identities.is_empty()
            && deleted_sessions.is_empty()
            && sessions.is_empty()
            && prekeys.is_empty()
            && removed_prekeys.is_empty()
            && signed_prekeys.is_empty()
            && deleted_sender_keys.is_empty()
            && sender_keys.is_empty()
            && contacts.is_empty()
            && lid_mappings.is_empty()
            && deleted_device_lists.is_empty()
            && device_lists.is_empty()
            && groups.is_empty()
            && messages.is_empty()
            && status_updates.is_empty()
            && message_secrets.is_empty()
            && recent_messages.is_empty()
            && poll_votes.is_empty()
            && settings.is_empty()
    }

    /// Adds a session record for `address`.
    pub fn save_session(&mut self, address: ProtocolAddress, record: SessionRecord) -> &mut Self {
        self.sessions.push((address, record));
        self
    }

    /// Adds a remote identity for `address`.
    pub fn save_identity(&mut self, address: ProtocolAddress, identity: PublicKey) -> &mut Self {
        self.identities.push((address, identity));
        self
    }

    /// Adds the removal of a consumed one-time prekey.
    pub fn remove_prekey(&mut self, id: u32) -> &mut Self {
        self.removed_prekeys.push(id);
        self
    }

    /// Adds a sender-key record.
    pub fn save_sender_key(&mut self, name: SenderKeyName, record: SenderKeyRecord) -> &mut Self {
        self.sender_keys.push((name, record));
        self
    }

    /// Adds a message.
    pub fn insert_message(&mut self, message: StoredMessage) -> &mut Self {
        self.messages.push(message);
        self
    }

    /// Adds a status update.
    pub fn update_status(&mut self, update: StatusUpdate) -> &mut Self {
        self.status_updates.push(update);
        self
    }

    /// Adds a contact update (merged like [`Contact::merge`]).
    pub fn merge_contact(&mut self, contact: Contact) -> &mut Self {
        self.contacts.push(contact);
        self
    }

    /// Adds a LID↔PN mapping.
    pub fn save_lid_mapping(&mut self, mapping: LidMapping) -> &mut Self {
        self.lid_mappings.push(mapping);
        self
    }

    /// Adds a message secret.
    pub fn save_message_secret(&mut self, secret: MessageSecret) -> &mut Self {
        self.message_secrets.push(secret);
        self
    }

    /// Checks every entry against the rules the single-write methods enforce, so a backend that
    /// checks up front and one that checks while writing fail the same batches.
    pub fn validate(&self) -> Result<(), StoreError> {
        self.prekeys
            .iter()
            .try_for_each(|p| super::check_prekey_id(p.id))?;
        self.messages.iter().try_for_each(StoredMessage::validate)?;
        self.status_updates
            .iter()
            .try_for_each(|u| super::check_message_id(&u.id))?;
        self.message_secrets
            .iter()
            .try_for_each(|s| super::check_message_id(&s.id))?;
        self.recent_messages
            .iter()
            .try_for_each(|m| super::check_message_id(&m.id))?;
        self.poll_votes
            .iter()
            .try_for_each(|v| super::check_message_id(&v.poll_id))?;
        self.settings
            .iter()
            .try_for_each(|(key, _)| super::check_setting_key(key))
    }
}

/// Atomic application of a [`Changes`] batch.
#[async_trait]
pub trait TransactionalStore: Send + Sync {
    /// Writes everything in `changes`, or nothing: on `Err` the store is as it was before the call.
    /// See the [module docs](self) for the ack-after-persist contract this serves.
    async fn apply(&self, changes: &Changes) -> Result<(), StoreError>;

    /// Writes every batch of `batches`, in order, in one transaction: all of them or nothing. The
    /// stored result is the one of calling [`apply`](Self::apply) for each in turn, except that one
    /// invalid or failing batch leaves none of them stored. It lets a writer persist the steps of many
    /// concurrent callers with one commit (group commit) instead of one commit each.
    async fn apply_all(&self, batches: &[Changes]) -> Result<(), StoreError>;
}
