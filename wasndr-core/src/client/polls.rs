//! Poll results from history: the poll's options and every voter's latest stored vote.

use wasndr_proto::Message as _;
use wasndr_proto::e2e::Message;

use super::Client;
use crate::error::{Error, Result};
use crate::jid::Jid;
use crate::message::{OptionResult, PollTally, poll_of};
use crate::store::StoreError;

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
}
