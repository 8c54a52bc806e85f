//! Sending: one message to every device of a user or a group (messaging guide D), recorded in history
//! and its ratchets stored before the stanza is written, and reported sent once the server acks it.

use std::collections::HashSet;

use rand::rngs::StdRng;
use wasndr_proto::Message as _;
use wasndr_proto::e2e::{ContextInfo, ExtendedTextMessage, Message};

use super::commit::Outgoing;
use super::devices::{self, devices_of, fetch_bundles, group_info, without_session};
use super::driver::unix_now;
use super::history::stored_message;
use super::messaging::{own_device, own_view, records_for_send, sender_key_memory_key};
use super::{Client, Shared};
use crate::binary;
use crate::error::{Error, Result};
use crate::jid::Jid;
use crate::message::{self, GroupSend, OwnDevice, SendRequest, plan_send};
use crate::stanza::ServerAck;
use crate::store::{AddressingMode, Changes, MessageStatus, StatusUpdate, StoredMessage};

/// A message the server accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentMessage {
    /// Its id (`3EB0…`, the web client's format).
    pub id: String,
    /// The chat it went to (a user without device, or a group).
    pub to: Jid,
    /// The server's time of the message (from its ack), unix seconds.
    pub timestamp: u64,
}

fn decode_memory(bytes: &[u8]) -> HashSet<Jid> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter_map(|line| Jid::parse(line).ok())
        .collect()
}

fn encode_memory(devices: &HashSet<Jid>) -> Vec<u8> {
    let mut lines: Vec<String> = devices.iter().map(ToString::to_string).collect();
    lines.sort();
    lines.join("\n").into_bytes()
}

async fn load_memory(shared: &Shared, key: &str) -> Result<HashSet<Jid>> {
    Ok(shared
        .committer
        .cache()
        .setting(&*shared.store, key)
        .await?
        .map(|bytes| decode_memory(&bytes))
        .unwrap_or_default())
}

/// The device our sender key in a group is registered under.
fn group_sender<'a>(own: &OwnDevice<'a>, mode: AddressingMode) -> &'a Jid {
    match (mode, own.lid) {
        (AddressingMode::Lid, Some(lid)) => lid,
        _ => own.pn,
    }
}

/// Whether a send to `chat` addressing `devices` reaches its recipient: anyone but us, unless the chat
/// is our own account (a note to self). Always, for a group: its skmsg goes to every member.
fn reaches_recipient(chat: &Jid, own: &OwnDevice<'_>, devices: &[Jid]) -> bool {
    chat.is_group()
        || (own.is_own_account(chat) && !devices.is_empty())
        || devices.iter().any(|device| !own.is_own_account(device))
}

/// Sends `message` to `to` and waits for the server's ack.
pub(super) async fn send(shared: &Shared, to: &Jid, message: Message) -> Result<SentMessage> {
    let device = own_device(shared).await?;
    let own = own_view(&device)?;
    let chat = if to.is_group() { to.clone() } else { to.to_non_ad() };
    let now = unix_now();
    let id = {
        let mut rng: StdRng = rand::make_rng();
        message::generate_message_id(now, Some(own.pn), &mut rng)
    };

    // Who: cached device lists (one usync for those not cached), then one bundle fetch for the devices
    // we have no session with. Both happen before the crypto lock, since they wait on the server.
    let (targets, addressing_mode) = if chat.is_group() {
        let info = group_info(shared, &chat).await?;
        let users: Vec<Jid> = info
            .participants
            .iter()
            .map(|participant| participant.jid.clone())
            .collect();
        (devices_of(shared, &users).await?, Some(info.addressing_mode))
    } else {
        let users = [chat.clone(), own.pn.to_non_ad()];
        (devices_of(shared, &users).await?, None)
    };
    let others: Vec<Jid> = targets
        .iter()
        .filter(|device| !own.is_this_device(device))
        .cloned()
        .collect();
    // A 1:1 message that would reach only our own devices (the user is not on WhatsApp, or the server
    // listed no device) is not sent at all.
    if !reaches_recipient(&chat, &own, &others) {
        return Err(Error::NoDevices(chat.to_string()));
    }

    let sender = addressing_mode.map(|mode| group_sender(&own, mode));
    let memory_key = sender_key_memory_key(&chat);
    let memory = match addressing_mode {
        Some(_) => load_memory(shared, &memory_key).await?,
        None => HashSet::new(),
    };
    // Whoever lacks a session needs a bundle; in a group only the devices that get the distribution.
    // Fetched before the crypto lock: the driver must be free to read the answer.
    let needing_keys: Vec<Jid> = others
        .iter()
        .filter(|device| !memory.contains(*device))
        .cloned()
        .collect();
    let missing = without_session(shared, &needing_keys).await?;
    let bundles = fetch_bundles(shared, &missing).await?;

    // Registered before the stanza can go out, so its ack always finds us waiting.
    let mut waiting = shared.pending.wait(id.clone());
    let queued = {
        let _crypto = shared.messaging.crypto.lock().await;
        let read_at = shared.committer.cache().generation();
        // Read again under the lock: a concurrent send may have distributed the key meanwhile.
        let mut memory = match addressing_mode {
            Some(_) => load_memory(shared, &memory_key).await?,
            None => memory,
        };
        let records = records_for_send(shared, &needing_keys, sender.map(|s| (&chat, s))).await?;
        let request = SendRequest {
            id: &id,
            chat: &chat,
            message: &message,
            own,
            devices: &targets,
            records: &records,
            bundles: &bundles,
            group: sender.map(|sender| GroupSend {
                sender,
                addressing_mode,
                has_sender_key: Some(&memory),
            }),
            now,
        };
        let planned = {
            let mut rng: StdRng = rand::make_rng();
            plan_send(&request, &mut rng)?
        };
        for (device, error) in &planned.skipped {
            tracing::debug!(%device, %error, "device skipped");
        }
        let addressed: Vec<Jid> = planned
            .stanza
            .participants
            .iter()
            .map(|(device, _)| device.clone())
            .collect();
        if !reaches_recipient(&chat, &own, &addressed) {
            return Err(Error::NoDevices(chat.to_string()));
        }
        let mut changes = planned.changes;
        if addressing_mode.is_some() && !planned.sender_key_recipients.is_empty() {
            memory.extend(planned.sender_key_recipients.iter().cloned());
            changes.settings.push((memory_key, encode_memory(&memory)));
        }
        let raw = message.encode_to_vec();
        changes.messages.push(StoredMessage {
            status: MessageStatus::Pending,
            ..stored_message(&chat, &id, own.pn, true, now, &message, raw)
        });
        let outgoing = Outgoing {
            commands: shared.command_sender().ok_or(Error::NotConnected)?,
            payload: binary::encode(&planned.stanza.into_node())?,
        };
        // Queued under the lock, so the next send encrypts against these ratchets at once and the
        // stanzas go out in ratchet order; committed together with the sends queued around it.
        shared
            .committer
            .enqueue_then(changes, Some(read_at), Some(outgoing))?
    };
    // Recorded before the socket sees it (the committer writes the stanza only after the commit): a
    // crash after the write loses nothing.
    match queued.committed().await {
        Ok(()) => {}
        Err(Error::NotConnected) => {
            mark(shared, &chat, &id, MessageStatus::Failed).await;
            return Err(Error::NotConnected);
        }
        Err(error) => return Err(error),
    }
    let answer = match tokio::time::timeout(shared.config.iq_timeout, &mut waiting.answer).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(_)) => {
            mark(shared, &chat, &id, MessageStatus::Failed).await;
            return Err(Error::NotConnected);
        }
        Err(_) => return Err(Error::RequestTimedOut { id }),
    };
    let ack = ServerAck::parse(&answer)?;
    if let Some(code) = ack.error {
        mark(shared, &chat, &id, MessageStatus::Failed).await;
        return Err(Error::MessageRefused { id, code });
    }
    mark(shared, &chat, &id, MessageStatus::Sent).await;
    if chat.is_group()
        && let Some(phash) = &ack.phash
        && let Ok(info) = group_info(shared, &chat).await
    {
        // The server saw other devices than we addressed: our caches are stale.
        let ours = message::participant_hash(&targets);
        if *phash != ours {
            for participant in &info.participants {
                devices::invalidate(shared, &participant.jid).await;
            }
        }
    }
    Ok(SentMessage {
        id,
        to: chat,
        timestamp: ack.timestamp.unwrap_or(now),
    })
}

/// Moves a sent message's status (committed with the other batches queued meanwhile); a failed write
/// only leaves the status behind.
async fn mark(shared: &Shared, chat: &Jid, id: &str, status: MessageStatus) {
    let mut changes = Changes::new();
    changes.status_updates.push(StatusUpdate {
        chat: chat.clone(),
        id: id.to_owned(),
        status,
    });
    if let Err(error) = shared.committer.commit(changes).await {
        tracing::warn!(%error, "updating a message status failed");
    }
}

/// Milliseconds since the Unix epoch, for the sender timestamps of reactions and votes.
pub(super) fn unix_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

impl Client {
    /// Sends `message` to a user (any of their devices is reached, and our own other devices get a
    /// copy) or a group (with sender keys), and returns once the server accepted it.
    ///
    /// Before the stanza is written, the advanced ratchets and the message (status `pending`) are
    /// stored; the server's ack moves it to `sent`, and receipts later to `delivered` and `read`.
    /// Device lists come from the store's cache (one usync query for the users not cached, or cached
    /// more than 10 minutes ago); sessions are reused, and bundles fetched in one request for the
    /// devices without one.
    ///
    /// Errors: [`Error::NotConnected`] (not logged in, or the connection went away),
    /// [`Error::NoDevices`] (nobody to encrypt for), [`Error::MessageRefused`] (the server's ack
    /// carried an error), [`Error::RequestTimedOut`] (no ack within
    /// [`ClientConfig::iq_timeout`](super::ClientConfig)).
    pub async fn send_message(&self, to: &Jid, message: Message) -> Result<SentMessage> {
        send(self.shared(), to, message).await
    }

    /// Sends a plain text message.
    pub async fn send_text(&self, to: &Jid, text: &str) -> Result<SentMessage> {
        let message = Message {
            conversation: Some(text.to_owned()),
            ..Message::default()
        };
        self.send_message(to, message).await
    }

    /// Sends `text` quoting `quoted` (a message from history): an extended text message whose
    /// `contextInfo` names the quoted message's id and sender and carries its content.
    pub async fn send_reply(&self, to: &Jid, text: &str, quoted: &StoredMessage) -> Result<SentMessage> {
        let quoted_message = Message::decode(quoted.raw.as_slice()).ok().map(Box::new);
        let context = ContextInfo {
            stanza_id: Some(quoted.id.clone()),
            participant: Some(quoted.sender.to_non_ad().to_string()),
            quoted_message,
            remote_jid: (quoted.chat.to_non_ad() != to.to_non_ad()).then(|| quoted.chat.to_string()),
            ..ContextInfo::default()
        };
        let message = Message {
            extended_text_message: Some(Box::new(ExtendedTextMessage {
                text: Some(text.to_owned()),
                context_info: Some(Box::new(context)),
                ..ExtendedTextMessage::default()
            })),
            ..Message::default()
        };
        self.send_message(to, message).await
    }

    /// Sends a poll with a fresh message secret (stored, so the votes can be decrypted and tallied:
    /// see [`Client::poll_results`]). `selectable` is how many options a voter may pick (0: any).
    pub async fn send_poll(
        &self,
        to: &Jid,
        question: &str,
        options: &[String],
        selectable: u32,
    ) -> Result<SentMessage> {
        if options.len() < 2 {
            return Err(Error::InvalidArgument("a poll needs at least two options"));
        }
        let mut secret = [0u8; message::MESSAGE_SECRET_LEN];
        rand_core::Rng::fill_bytes(&mut rand::rng(), &mut secret);
        let options: Vec<&str> = options.iter().map(String::as_str).collect();
        self.send_message(to, message::poll_creation(question, &options, selectable, secret))
            .await
    }

    /// Reacts with `emoji` to message `target_id` in `chat` (an empty `emoji` removes our reaction).
    /// `from_me` says whether we sent the target; `target_sender` is its sender in a group.
    pub async fn send_reaction(
        &self,
        chat: &Jid,
        target_id: &str,
        target_sender: Option<&Jid>,
        from_me: bool,
        emoji: &str,
    ) -> Result<SentMessage> {
        let key = message::message_key(chat, target_id, from_me, target_sender);
        self.send_message(chat, message::reaction(key, emoji, unix_now_ms()))
            .await
    }
}
