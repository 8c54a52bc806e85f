//! Poll results from history: the poll's options and every voter's latest stored vote.

use wasndr_proto::Message as _;
use wasndr_proto::e2e::Message;

use super::Client;
use super::driver::unix_now;
use super::send::{SentMessage, unix_now_ms};
use crate::error::{Error, Result};
use crate::jid::Jid;
use crate::message::{
    OptionResult, PollTally, VoteContext, encrypt_vote, message_key, option_hash, poll_of, poll_vote,
};
use crate::store::{PollVote, StoreError};

impl Client {
    /// The current standing of poll `poll_id` in `chat`: every option in poll order with the accounts
    /// that select it. Votes are counted as they arrived and were stored (each voter's latest).
    ///
    /// Errors with [`StoreError::Missing`] if the poll is not in history.
    pub async fn poll_results(&self, chat: &Jid, poll_id: &str) -> Result<Vec<OptionResult>> {
        let chat = if chat.is_group() {
            chat.clone()
        } else {
            chat.to_non_ad()
        };
        let store = self.store();
        let stored = store
            .message(&chat, poll_id)
            .await?
            .ok_or(StoreError::Missing("no such poll in history"))?;
        let message = Message::decode(stored.raw.as_slice())
            .map_err(|_| Error::MalformedMessage("stored poll is not a Message"))?;
        let poll = poll_of(&message).ok_or(Error::InvalidArgument("that message is not a poll"))?;
        let mut tally = PollTally::new(poll);
        for vote in store.poll_votes(&chat, poll_id).await? {
            let selected = vote
                .selected
                .iter()
                .filter_map(|hash| <[u8; 32]>::try_from(hash.as_slice()).ok())
                .collect();
            let at = i64::try_from(vote.timestamp).unwrap_or(i64::MAX);
            tally.apply_vote(&vote.voter, selected, at);
        }
        Ok(tally.results())
    }

    /// Votes in poll `poll_id` of `chat`, created by `poll_creator` (an account; ourselves included), for
    /// the options named `selected` (empty withdraws the vote). Needs the poll's secret, which is stored
    /// when the poll is received or sent. Our vote is stored too, so [`Client::poll_results`] counts it.
    pub async fn send_poll_vote(
        &self,
        chat: &Jid,
        poll_id: &str,
        poll_creator: &Jid,
        selected: &[String],
    ) -> Result<SentMessage> {
        let chat = if chat.is_group() {
            chat.clone()
        } else {
            chat.to_non_ad()
        };
        let creator = poll_creator.to_non_ad();
        let voter = self.jid().ok_or(Error::NotConnected)?.to_non_ad();
        let secret = self
            .store()
            .message_secret(&chat, &creator, poll_id)
            .await?
            .ok_or(StoreError::Missing("the poll's secret is not stored"))?;
        let names: Vec<&str> = selected.iter().map(String::as_str).collect();
        let context = VoteContext {
            poll_id,
            poll_creator: &creator,
            voter: &voter,
        };
        let vote = encrypt_vote(&secret, context, &names, &mut rand::rng());
        let from_me = creator == voter;
        let key = message_key(&chat, poll_id, from_me, Some(&creator));
        let sent = self
            .send_message(&chat, poll_vote(key, vote, unix_now_ms()))
            .await?;
        let ours = PollVote {
            chat,
            poll_id: poll_id.to_owned(),
            voter,
            selected: names.iter().map(|name| option_hash(name).to_vec()).collect(),
            timestamp: unix_now(),
        };
        self.store().save_poll_vote(&ours).await?;
        Ok(sent)
    }
}
