//! Contacts, messages, groups and settings over [`MemoryStore`].

use async_trait::async_trait;

use super::MemoryStore;
use crate::jid::Jid;
use crate::store::{
    AttachmentQuery, Contact, ContactStore, DeviceList, GroupInfo, GroupStore, HistoryQuery, LidMapping,
    MessageSecret, MessageStore, Page, PollVote, RecentMessage, SettingsStore, StatusUpdate, StoreError,
    StoredMessage, check_message_id, check_setting_key,
};

#[async_trait]
impl ContactStore for MemoryStore {
    async fn contact(&self, jid: &Jid) -> Result<Option<Contact>, StoreError> {
        Ok(self.lock().contacts.get(&jid.to_non_ad().to_string()).cloned())
    }

    async fn contacts(&self) -> Result<Vec<Contact>, StoreError> {
        Ok(self.lock().contacts.values().cloned().collect())
    }

    async fn merge_contact(&self, update: &Contact) -> Result<(), StoreError> {
        self.lock().merge_contact(update);
        Ok(())
    }

    async fn save_lid_mapping(&self, mapping: &LidMapping) -> Result<(), StoreError> {
        self.lock().save_lid_mapping(mapping);
        Ok(())
    }

    async fn lid_for_pn(&self, pn: &Jid) -> Result<Option<Jid>, StoreError> {
        Ok(self.lock().pn_to_lid.get(&pn.to_non_ad()).cloned())
    }

    async fn pn_for_lid(&self, lid: &Jid) -> Result<Option<Jid>, StoreError> {
        Ok(self.lock().lid_to_pn.get(&lid.to_non_ad()).cloned())
    }

    async fn device_list(&self, user: &Jid) -> Result<Option<DeviceList>, StoreError> {
        Ok(self.lock().device_lists.get(&user.to_non_ad()).cloned())
    }

    async fn save_device_list(&self, list: &DeviceList) -> Result<(), StoreError> {
        self.lock().save_device_list(list);
        Ok(())
    }

    async fn delete_device_list(&self, user: &Jid) -> Result<(), StoreError> {
        self.lock().device_lists.remove(&user.to_non_ad());
        Ok(())
    }
}

#[async_trait]
impl MessageStore for MemoryStore {
    async fn insert_message(&self, message: &StoredMessage) -> Result<bool, StoreError> {
        message.validate()?;
        Ok(self.lock().insert_message(message))
    }

    async fn message(&self, chat: &Jid, id: &str) -> Result<Option<StoredMessage>, StoreError> {
        let state = self.lock();
        let key = (chat.clone(), id.to_owned());
        Ok(state
            .message_index
            .get(&key)
            .and_then(|&i| state.messages.get(i))
            .cloned())
    }

    async fn update_message_status(&self, update: &StatusUpdate) -> Result<bool, StoreError> {
        check_message_id(&update.id)?;
        Ok(self.lock().update_message_status(update))
    }

    async fn messages(&self, query: &HistoryQuery) -> Result<Page<StoredMessage>, StoreError> {
        Ok(self.lock().history(query))
    }

    async fn attachments(&self, query: &AttachmentQuery) -> Result<Page<StoredMessage>, StoreError> {
        Ok(self.lock().attachments(query))
    }

    async fn save_message_secret(&self, secret: &MessageSecret) -> Result<(), StoreError> {
        check_message_id(&secret.id)?;
        self.lock().save_message_secret(secret);
        Ok(())
    }

    async fn message_secret(
        &self,
        chat: &Jid,
        sender: &Jid,
        id: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let key = (chat.clone(), sender.clone(), id.to_owned());
        Ok(self.lock().secrets.get(&key).cloned())
    }

    async fn save_recent_message(&self, message: &RecentMessage) -> Result<(), StoreError> {
        check_message_id(&message.id)?;
        self.lock().save_recent_message(message);
        Ok(())
    }

    async fn recent_message(&self, chat: &Jid, id: &str) -> Result<Option<RecentMessage>, StoreError> {
        Ok(self.lock().recent.get(&(chat.clone(), id.to_owned())).cloned())
    }

    async fn prune_recent_messages(&self, before: u64) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let count = state.recent.len();
        state.recent.retain(|_, m| m.sent_at >= before);
        Ok((count - state.recent.len()) as u64)
    }

    async fn save_poll_vote(&self, vote: &PollVote) -> Result<(), StoreError> {
        check_message_id(&vote.poll_id)?;
        self.lock().save_poll_vote(vote);
        Ok(())
    }

    async fn poll_votes(&self, chat: &Jid, poll_id: &str) -> Result<Vec<PollVote>, StoreError> {
        let state = self.lock();
        let votes = state.poll_votes.get(&(chat.clone(), poll_id.to_owned()));
        Ok(votes.map(|v| v.values().cloned().collect()).unwrap_or_default())
    }
}

#[async_trait]
impl GroupStore for MemoryStore {
    async fn group(&self, jid: &Jid) -> Result<Option<GroupInfo>, StoreError> {
        Ok(self.lock().groups.get(&jid.to_string()).cloned())
    }

    async fn groups(&self) -> Result<Vec<GroupInfo>, StoreError> {
        Ok(self.lock().groups.values().cloned().collect())
    }

    async fn save_group(&self, group: &GroupInfo) -> Result<(), StoreError> {
        self.lock().save_group(group);
        Ok(())
    }

    async fn delete_group(&self, jid: &Jid) -> Result<(), StoreError> {
        self.lock().groups.remove(&jid.to_string());
        Ok(())
    }
}

#[async_trait]
impl SettingsStore for MemoryStore {
    async fn setting(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock().settings.get(key).cloned())
    }

    async fn save_setting(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        check_setting_key(key)?;
        self.lock().settings.insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    async fn delete_setting(&self, key: &str) -> Result<(), StoreError> {
        self.lock().settings.remove(key);
        Ok(())
    }
}
