//! Receiving a `<message>` (messaging guide E): decrypt with [`crate::message::receive`], store the
//! ratchets, history rows, secrets and poll votes in one batch, pass the application's message gate
//! (see [`super::gate`]), and only then answer the server and tell the application.

use rand::rngs::StdRng;
use wasndr_proto::Message as _;
use wasndr_proto::e2e::Message;

use super::Shared;
use super::device::current_signed_prekey;
use super::event::{Event, MessageEvent, MessageInfo};
use super::gate::GateDelivery;
use super::history::stored_message;
use super::messaging::{load_records, own_device, own_view};
use crate::binary::Node;
use crate::error::Result;
use crate::jid::Jid;
use crate::message::{
    DecryptedMessage, ReceiveContext, ReceiveOutcome, VoteContext, decrypt_vote, needed_records, option_hash,
    poll_of, receive, unwrap_content,
};
use crate::stanza::{Ack, IncomingMessage};
use crate::store::{Changes, Contact, PollVote};

/// What handling one stanza produced: the stanzas to write (receipts, acks), then the events to emit.
#[derive(Debug, Default)]
pub(super) struct Handled {
    pub(super) replies: Vec<Node>,
    pub(super) events: Vec<Event>,
}

/// Handles an incoming `<message>`. On a store failure nothing is answered: the server delivers the
/// message again and it is decrypted from the unchanged records.
pub(super) async fn handle_message(shared: &Shared, node: &Node) -> Result<Handled> {
    let incoming = match IncomingMessage::parse(node) {
        Ok(incoming) => incoming,
        Err(error) => {
            // Not a message we can read, but the server still wants it acknowledged.
            tracing::warn!(%error, "malformed message stanza acknowledged and dropped");
            let replies = Ack::for_stanza(node)
                .map(|ack| vec![ack.to_node()])
                .unwrap_or_default();
            return Ok(Handled {
                replies,
                events: Vec::new(),
            });
        }
    };
    let device = own_device(shared).await?;
    let own = own_view(&device)?;
    let store = &*shared.store;
    let signed_prekey = current_signed_prekey(store, &device).await?;

    let crypto = shared.messaging.crypto.lock().await;
    let read_at = shared.committer.cache().generation();
    let records = load_records(shared, &needed_records(&incoming, false)).await?;
    let context = ReceiveContext {
        own,
        signed_prekey: &signed_prekey,
        next_prekey_id: store.next_prekey_id().await?,
        previous_retries: shared.messaging.retries_sent(&incoming.id),
        active: true,
        prefer_lid: false,
    };
    let mut received = {
        let mut rng: StdRng = rand::make_rng();
        receive(&incoming, &context, &records, &mut rng)
    };
    for address in &received.identity_changes {
        tracing::info!(%address, "a contact's identity key changed");
    }
    let info = MessageInfo {
        id: incoming.id.clone(),
        chat: received.chat.clone(),
        sender: received.sender.clone(),
        from_me: received.from_me,
        timestamp: incoming.timestamp,
        push_name: incoming.push_name.clone(),
        is_group: incoming.is_group_or_broadcast(),
        offline: incoming.offline,
    };
    let mut events = Vec::new();
    let mut changes = std::mem::take(&mut received.changes);
    for decrypted in &received.messages {
        changes.messages.push(stored_message(
            &info.chat,
            &info.id,
            &info.sender,
            info.from_me,
            info.timestamp,
            &decrypted.message,
            decrypted.raw.clone(),
        ));
        if let Some(vote) = poll_vote(shared, &info, decrypted, &mut changes).await? {
            events.push(vote);
        }
    }
    if let Some(name) = &incoming.push_name
        && !received.from_me
    {
        let mut contact = Contact::new(info.sender.clone());
        contact.push_name = Some(name.clone());
        changes.contacts.push(contact);
    }
    // Committed (with whatever sends queued before it) before the ack; the lock is held until then, so
    // the prekey it consumed is gone from the store before another message can ask for it.
    shared
        .committer
        .enqueue(changes, Some(read_at))?
        .committed()
        .await?;
    drop(crypto);

    match &received.outcome {
        ReceiveOutcome::Decrypted => {
            shared.messaging.forget_retries(&info.id);
            let mut messages: Vec<Event> = received
                .messages
                .into_iter()
                .map(|decrypted| {
                    Event::Message(Box::new(MessageEvent {
                        info: info.clone(),
                        message: Some(decrypted.message),
                        raw: decrypted.raw.into(),
                    }))
                })
                .collect();
            if let Some(gate) = &shared.gate {
                let gated = messages
                    .iter()
                    .filter_map(|event| match event {
                        Event::Message(message) => Some((**message).clone()),
                        _ => None,
                    })
                    .collect();
                gate.pass(gated, GateDelivery::First).await;
            }
            messages.append(&mut events);
            events = messages;
        }
        ReceiveOutcome::Failed { error, retry_count } => {
            if let Some(count) = retry_count {
                shared.messaging.note_retry(&info.id, *count);
            }
            tracing::info!(id = %info.id, %error, ?retry_count, "message could not be decrypted");
            events.push(Event::UndecryptableMessage {
                info,
                error: error.to_string(),
                retry_count: *retry_count,
            });
        }
        ReceiveOutcome::Duplicate => {
            tracing::debug!(id = %info.id, "duplicate message: not reported again");
            redelivered(shared, &info).await?;
        }
        other => tracing::debug!(id = %info.id, outcome = ?other, "message without content for us"),
    }
    Ok(Handled {
        replies: received.replies,
        events,
    })
}

/// A message the server delivered again because it never got our receipt: the ratchet already moved
/// past it, so it is read back from the store and passed through the gate again (the gate may not have
/// run before the connection or process died). Without a gate, or if the stored row is not found (a
/// copy filed under another chat), there is nothing to do.
async fn redelivered(shared: &Shared, info: &MessageInfo) -> Result<()> {
    let Some(gate) = &shared.gate else {
        return Ok(());
    };
    let Some(stored) = shared.store.message(&info.chat, &info.id).await? else {
        tracing::debug!(id = %info.id, "redelivered message not in the store; gate not called");
        return Ok(());
    };
    let event = MessageEvent {
        info: info.clone(),
        message: Message::decode(stored.raw.as_slice()).ok(),
        raw: stored.raw.into(),
    };
    gate.pass(vec![event], GateDelivery::Redelivered).await;
    Ok(())
}

/// Decrypts a poll vote riding in `decrypted` (if it is one and we hold the poll's secret), adds it to
/// `changes`, and returns its event.
async fn poll_vote(
    shared: &Shared,
    info: &MessageInfo,
    decrypted: &DecryptedMessage,
    changes: &mut Changes,
) -> Result<Option<Event>> {
    let Some(update) = unwrap_content(&decrypted.message).poll_update_message.as_ref() else {
        return Ok(None);
    };
    let (Some(key), Some(vote)) = (&update.poll_creation_message_key, &update.vote) else {
        return Ok(None);
    };
    let Some(poll_id) = key.id.as_deref() else {
        return Ok(None);
    };
    let voter = info.sender.to_non_ad();
    // The key is written from the voter's side: `from_me` means the voter created the poll; otherwise
    // the creator is the group participant named, or the other end of the voter's 1:1 chat.
    let creator = if key.from_me == Some(true) {
        voter.clone()
    } else {
        match key
            .participant
            .as_deref()
            .or(key.remote_jid.as_deref())
            .map(Jid::parse)
        {
            Some(Ok(creator)) => creator.to_non_ad(),
            _ => return Ok(None),
        }
    };
    let store = &*shared.store;
    let Some(secret) = store.message_secret(&info.chat, &creator, poll_id).await? else {
        tracing::debug!(poll_id, "vote for a poll whose secret we do not hold");
        return Ok(None);
    };
    let context = VoteContext {
        poll_id,
        poll_creator: &creator,
        voter: &voter,
    };
    let selected = match decrypt_vote(&secret, context, vote) {
        Ok(selected) => selected,
        Err(error) => {
            tracing::info!(poll_id, %error, "undecryptable poll vote");
            return Ok(None);
        }
    };
    let names = match store.message(&info.chat, poll_id).await? {
        Some(poll) => Message::decode(poll.raw.as_slice())
            .ok()
            .as_ref()
            .and_then(poll_of)
            .map(|poll| {
                poll.options
                    .iter()
                    .filter_map(|option| option.option_name.clone())
                    .filter(|name| selected.contains(&option_hash(name)))
                    .collect()
            })
            .unwrap_or_default(),
        None => Vec::new(),
    };
    changes.poll_votes.push(PollVote {
        chat: info.chat.clone(),
        poll_id: poll_id.to_owned(),
        voter: voter.clone(),
        selected: selected.iter().map(|hash| hash.to_vec()).collect(),
        timestamp: info.timestamp,
    });
    Ok(Some(Event::PollVote {
        chat: info.chat.clone(),
        poll_id: poll_id.to_owned(),
        voter,
        selected: names,
    }))
}
