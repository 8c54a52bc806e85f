//! The receive pipeline (messaging guide B, C.2, C.4, E.2–E.5): one incoming `<message>` to its
//! decrypted content, the record changes to persist, and the stanzas to answer with once they are.

use std::collections::HashMap;

use rand_core::CryptoRng;
use wasndr_proto::Message as _;
use wasndr_proto::e2e::Message;

use super::pairwise::SessionWork;
use super::records::{OwnDevice, RecordKeys, Records, protocol_address};
use super::unpad;
use crate::binary::Node;
use crate::crypto::KeyPair;
use crate::error::{Error, Result};
use crate::jid::{Jid, Server};
use crate::signal::group::{self, SenderKeyRecord};
use crate::signal::session::{self, PreKeys};
use crate::signal::wire::{
    PreKeySignalMessage, SenderKeyDistributionMessage, SenderKeyMessage, SignalMessage,
};
use crate::signal::{PreKeyRecord, ProtocolAddress, SenderKeyName, SignedPreKeyRecord};
use crate::stanza::{
    Ack, DeliveryType, EncType, IncomingEnc, IncomingMessage, RetryKeys, RetryReceipt, delivery_receipt,
};
use crate::store::{Changes, MessageSecret};

/// Retry receipts stop at this count (whatsmeow sends none at 5 or more).
pub const MAX_RETRY_RECEIPTS: u32 = 4;

/// What receiving needs besides the records.
#[derive(Clone, Copy, Debug)]
pub struct ReceiveContext<'a> {
    /// Who we are.
    pub own: OwnDevice<'a>,
    /// Our current signed prekey, for the keys of a retry receipt.
    pub signed_prekey: &'a SignedPreKeyRecord,
    /// The id to give a fresh one-time prekey if a retry receipt needs one.
    pub next_prekey_id: u32,
    /// How many retry receipts we already sent for this message id (the caller's counter; 0 at first).
    pub previous_retries: u32,
    /// Whether we are "available": delivery receipts are then active rather than `inactive`.
    pub active: bool,
    /// Decrypt under the sender's LID (`sender_lid`/`participant_lid`) when the stanza names one, as
    /// whatsmeow keys sessions by LID. The sender must have used the same identity.
    pub prefer_lid: bool,
}

/// The device whose session or sender key decrypts `message`: the sender, or its LID alternate with
/// `prefer_lid`.
pub fn decryption_sender(message: &IncomingMessage, prefer_lid: bool) -> Jid {
    let sender = message.sender();
    if prefer_lid && sender.server_kind() == Server::Whatsapp {
        let alternate = if message.is_group_or_broadcast() {
            message.alternates.participant_lid.as_ref()
        } else {
            message.alternates.sender_lid.as_ref()
        };
        if let Some(lid) = alternate {
            return lid.to_non_ad().with_device(sender.device());
        }
    }
    sender.clone()
}

/// The records [`receive`] reads for `message`: the sender's session and identity, the prekeys its
/// prekey messages name, and its sender key in the group.
pub fn needed_records(message: &IncomingMessage, prefer_lid: bool) -> RecordKeys {
    let sender = decryption_sender(message, prefer_lid);
    let address = protocol_address(&sender);
    let mut keys = RecordKeys {
        sessions: vec![address.clone()],
        ..RecordKeys::default()
    };
    for enc in &message.encs {
        if enc.enc_type == EncType::PkMsg
            && let Ok(prekey_message) = PreKeySignalMessage::parse(&enc.ciphertext)
        {
            keys.prekeys.extend(prekey_message.prekey_id);
            keys.signed_prekeys.push(prekey_message.signed_prekey_id);
        }
    }
    // Loaded even without an skmsg: a pairwise resend can carry a distribution, which is added to the
    // stored record, not written over it.
    if message.is_group_or_broadcast() {
        keys.sender_keys
            .push(SenderKeyName::new(message.chat().to_string(), address));
    }
    keys
}

/// One decrypted message of the stanza.
#[derive(Clone, Debug, PartialEq)]
pub struct DecryptedMessage {
    /// The content: the device-sent copy unwrapped, the sender-key distribution removed.
    pub message: Message,
    /// The serialized plaintext as it arrived (unpadded), to store raw.
    pub raw: Vec<u8>,
    /// Which enc it came from.
    pub enc_type: EncType,
}

/// How the stanza ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReceiveOutcome {
    /// Decrypted (possibly only a sender key, with no content); answered with a delivery receipt.
    Decrypted,
    /// Every ciphertext was already decrypted before: a redelivery. Nothing changes; a delivery receipt
    /// is sent again.
    Duplicate,
    /// Some ciphertext could not be decrypted: answered with a retry receipt (unless `retry_count` is
    /// `None`: the retries are used up) and an ack.
    Failed {
        /// The first failure.
        error: Error,
        /// The retry receipt's count.
        retry_count: Option<u32>,
    },
    /// `<unavailable>`: the server holds no ciphertext for us; acked. Ask our phone for the message.
    Unavailable,
    /// No ciphertext this crate decrypts (v3, `msmsg`, unknown types); acked.
    Unsupported,
}

/// The result of [`receive`]: apply `changes`, then send `replies`, then hand `messages` on.
#[derive(Debug)]
pub struct Received {
    /// The chat (a DM our other device sent is filed under its recipient).
    pub chat: Jid,
    /// The device that sent it (its LID form with `prefer_lid`).
    pub sender: Jid,
    /// Whether our own account sent it.
    pub from_me: bool,
    /// The decrypted messages, in stanza order (sender-key carriers without content are left out).
    pub messages: Vec<DecryptedMessage>,
    /// Sessions, identities, consumed and fresh prekeys, sender keys and message secrets.
    pub changes: Changes,
    /// How it ended.
    pub outcome: ReceiveOutcome,
    /// Receipts and acks to send once `changes` are stored.
    pub replies: Vec<Node>,
    /// Addresses whose identity key changed (the peer reinstalled).
    pub identity_changes: Vec<ProtocolAddress>,
}

/// Decrypts an incoming message. Never fails: every problem becomes an [`ReceiveOutcome`] with its
/// wire answer.
///
/// The `<enc>` children are processed in document order, so a sender key distributed in a pairwise
/// enc serves the `skmsg` after it. A Signal "old counter" is a redelivery and is skipped, not a failure.
pub fn receive<R: CryptoRng + ?Sized>(
    message: &IncomingMessage,
    context: &ReceiveContext<'_>,
    records: &Records,
    rng: &mut R,
) -> Received {
    let own = &context.own;
    let sender = decryption_sender(message, context.prefer_lid);
    let address = protocol_address(&sender);
    let from_me = own.is_own_account(message.sender());
    let mut received = Received {
        chat: message.chat(),
        sender: sender.clone(),
        from_me,
        messages: Vec::new(),
        changes: Changes::new(),
        outcome: ReceiveOutcome::Decrypted,
        replies: Vec::new(),
        identity_changes: Vec::new(),
    };
    let mut work = SessionWork::new(records);
    let mut sender_keys: HashMap<SenderKeyName, SenderKeyRecord> = HashMap::new();
    let mut decrypted_any = false;
    let mut duplicates = 0;
    let mut failure: Option<Error> = None;

    for enc in &message.encs {
        if enc.version != 2 {
            continue;
        }
        let plaintext = match enc.enc_type {
            EncType::Msg | EncType::PkMsg => {
                decrypt_pairwise(enc, own, &address, &mut work, records, &mut received.changes, rng)
            }
            EncType::SkMsg if message.is_group_or_broadcast() => {
                let name = SenderKeyName::new(received.chat.to_string(), address.clone());
                decrypt_group(enc, &name, &mut sender_keys, records)
            }
            EncType::SkMsg => Err(Error::MalformedMessage("skmsg outside a group or broadcast")),
            EncType::MsMsg | EncType::Unknown => continue,
        };
        let content = plaintext.and_then(|padded| {
            let raw = unpad(&padded)?.to_vec();
            let content = Message::decode(raw.as_slice())
                .map_err(|_| Error::MalformedMessage("plaintext is not a Message"))?;
            Ok((content, raw))
        });
        match content {
            Ok((content, raw)) => {
                decrypted_any = true;
                // Fields this crate's schema lacks are dropped by decoding: a plaintext longer than
                // its re-encoding carried some, and is kept (raw) rather than dropped as empty.
                let unmodelled = content.encoded_len() < raw.len();
                let content = open(content, message, from_me, &mut received.chat);
                let content = take_sender_key(content, &address, &mut sender_keys, records);
                if let Some(secret) = content
                    .message_context_info
                    .as_ref()
                    .and_then(|info| info.message_secret.clone())
                {
                    received.changes.message_secrets.push(MessageSecret {
                        chat: received.chat.clone(),
                        sender: message.sender().to_non_ad(),
                        id: message.id.clone(),
                        secret,
                    });
                }
                if has_content(&content) || unmodelled {
                    received.messages.push(DecryptedMessage {
                        message: content,
                        raw,
                        enc_type: enc.enc_type,
                    });
                }
            }
            Err(Error::DuplicateMessage { .. }) => duplicates += 1,
            Err(error) => {
                failure.get_or_insert(error);
            }
        }
    }
    received.changes.sender_keys.extend(sender_keys);
    received.identity_changes = work.finish(&mut received.changes);

    let delivery = if from_me {
        if message.is_peer() {
            DeliveryType::PeerMsg
        } else {
            DeliveryType::Sender
        }
    } else if context.active {
        DeliveryType::Active
    } else {
        DeliveryType::Inactive
    };
    received.outcome = match failure {
        Some(error) => {
            let no_pairwise = !message
                .encs
                .iter()
                .any(|enc| matches!(enc.enc_type, EncType::Msg | EncType::PkMsg));
            let force_keys = no_pairwise && matches!(error, Error::NoSenderKey { .. });
            let retry_count = retry(message, context, force_keys, &mut received, rng);
            received.replies.push(Ack::for_message(message).to_node());
            ReceiveOutcome::Failed { error, retry_count }
        }
        None if decrypted_any => {
            received.replies.push(delivery_receipt(message, delivery));
            ReceiveOutcome::Decrypted
        }
        None if duplicates > 0 => {
            received.replies.push(delivery_receipt(message, delivery));
            ReceiveOutcome::Duplicate
        }
        None => {
            received.replies.push(Ack::for_message(message).to_node());
            if message.unavailable.is_some() {
                ReceiveOutcome::Unavailable
            } else {
                ReceiveOutcome::Unsupported
            }
        }
    };
    received
}

fn decrypt_pairwise<R: CryptoRng + ?Sized>(
    enc: &IncomingEnc,
    own: &OwnDevice<'_>,
    address: &ProtocolAddress,
    work: &mut SessionWork<'_>,
    records: &Records,
    changes: &mut Changes,
    rng: &mut R,
) -> Result<Vec<u8>> {
    let decrypted = if enc.enc_type == EncType::PkMsg {
        let prekey_message = PreKeySignalMessage::parse(&enc.ciphertext)?;
        let prekeys = PreKeys {
            signed: records.signed_prekeys.get(&prekey_message.signed_prekey_id),
            one_time: prekey_message.prekey_id.and_then(|id| records.prekeys.get(&id)),
        };
        session::decrypt_prekey_message(work.session(address), own.local(), &prekey_message, prekeys, rng)?
    } else {
        let signal_message = SignalMessage::parse(&enc.ciphertext)?;
        let record = work
            .session(address)
            .ok_or(Error::NoSession("no session with the sender"))?;
        session::decrypt_message(record, &signal_message, rng)?
    };
    work.note_identity(address, &decrypted.sender_identity);
    work.set_session(address.clone(), decrypted.record);
    changes.removed_prekeys.extend(decrypted.consumed_prekey);
    Ok(decrypted.plaintext)
}

fn decrypt_group(
    enc: &IncomingEnc,
    name: &SenderKeyName,
    sender_keys: &mut HashMap<SenderKeyName, SenderKeyRecord>,
    records: &Records,
) -> Result<Vec<u8>> {
    let group_message = SenderKeyMessage::parse(&enc.ciphertext)?;
    let record = sender_keys
        .get(name)
        .or_else(|| records.sender_keys.get(name))
        .ok_or(Error::NoSenderKey {
            key_id: group_message.key_id,
        })?;
    let decrypted = group::decrypt(record, &group_message)?;
    sender_keys.insert(name.clone(), decrypted.record);
    Ok(decrypted.plaintext)
}

/// Unwraps a copy our own other device sent (its chat is the destination), leaving other messages as
/// they are. A device-sent copy from anyone else is not trusted as one.
fn open(content: Message, message: &IncomingMessage, from_me: bool, chat: &mut Jid) -> Message {
    if !from_me {
        return content;
    }
    let Some(dsm) = content.device_sent_message else {
        return content;
    };
    if let Some(destination) = dsm.destination_jid.as_deref().and_then(|d| Jid::parse(d).ok())
        && !message.is_group_or_broadcast()
    {
        *chat = destination.to_non_ad();
    }
    let mut inner = dsm.message.map(|m| *m).unwrap_or_default();
    if inner.message_context_info.is_none() {
        inner.message_context_info = content.message_context_info;
    }
    inner
}

/// Processes a sender-key distribution riding in `content` into the sender's record for its group, and
/// returns the content without it. A malformed distribution is dropped: the group message after it
/// then fails with "no sender key" and is retried.
fn take_sender_key(
    mut content: Message,
    address: &ProtocolAddress,
    sender_keys: &mut HashMap<SenderKeyName, SenderKeyRecord>,
    records: &Records,
) -> Message {
    let Some(carrier) = content.sender_key_distribution_message.take() else {
        return content;
    };
    let (Some(group_id), Some(bytes)) = (carrier.group_id, carrier.axolotl_sender_key_distribution_message)
    else {
        return content;
    };
    let Ok(distribution) = SenderKeyDistributionMessage::parse(&bytes) else {
        return content;
    };
    let name = SenderKeyName::new(group_id, address.clone());
    let current = sender_keys.get(&name).or_else(|| records.sender_keys.get(&name));
    let updated = group::process_distribution_message(current, &distribution);
    sender_keys.insert(name, updated);
    content
}

/// Whether anything but bookkeeping is left in a message.
fn has_content(message: &Message) -> bool {
    let bookkeeping_only = Message {
        message_context_info: message.message_context_info.clone(),
        ..Message::default()
    };
    *message != bookkeeping_only
}

/// Adds the retry receipt (and a fresh prekey to `changes` when it carries keys); returns its count, or
/// `None` when the retries are used up.
fn retry<R: CryptoRng + ?Sized>(
    message: &IncomingMessage,
    context: &ReceiveContext<'_>,
    force_keys: bool,
    received: &mut Received,
    rng: &mut R,
) -> Option<u32> {
    let resent = message.encs.iter().map(|enc| enc.count).max().unwrap_or(0);
    let count = context.previous_retries.max(resent) + 1;
    if count > MAX_RETRY_RECEIPTS {
        return None;
    }
    let keys = (count > 1 || force_keys).then(|| {
        let prekey = PreKeyRecord {
            id: context.next_prekey_id,
            key_pair: KeyPair::generate(rng),
        };
        let keys = RetryKeys {
            identity: *context.own.identity.public(),
            prekey: (prekey.id, prekey.key_pair.public),
            signed_prekey_id: context.signed_prekey.id,
            signed_prekey: context.signed_prekey.key_pair.public,
            signed_prekey_signature: context.signed_prekey.signature,
            device_identity: context.own.device_identity.to_vec(),
        };
        received.changes.prekeys.push(prekey);
        keys
    });
    let receipt = RetryReceipt {
        count,
        registration_id: context.own.registration_id,
        keys,
    };
    received.replies.push(receipt.to_node(message));
    Some(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stanza::Alternates;

    fn incoming(from: Jid, participant: Option<Jid>, encs: Vec<IncomingEnc>) -> IncomingMessage {
        IncomingMessage {
            id: "3EB0AA".into(),
            from,
            timestamp: 1,
            message_type: "text".into(),
            participant,
            recipient: None,
            push_name: None,
            category: None,
            offline: false,
            addressing_mode: None,
            edit: None,
            alternates: Alternates {
                participant_lid: Some(Jid::lid("777")),
                sender_lid: Some(Jid::lid("888")),
                ..Alternates::default()
            },
            encs,
            unavailable: None,
        }
    }

    fn enc(enc_type: EncType) -> IncomingEnc {
        IncomingEnc {
            version: 2,
            enc_type,
            ciphertext: vec![0x33, 1, 2],
            count: 0,
            media_type: None,
            decrypt_fail: None,
        }
    }

    #[test]
    fn which_records_and_which_sender() {
        let group = Jid::group("120363000000000000");
        let member = Jid::pn("15551234567").with_device(4);
        // A pairwise-only group resend still loads the sender key its distribution adds to.
        let resend = incoming(group.clone(), Some(member.clone()), vec![enc(EncType::PkMsg)]);
        let keys = needed_records(&resend, false);
        assert_eq!(keys.sessions, vec![protocol_address(&member)]);
        assert_eq!(
            keys.sender_keys,
            vec![SenderKeyName::new(group.to_string(), protocol_address(&member))]
        );
        assert_eq!(decryption_sender(&resend, true), Jid::lid("777").with_device(4));
        assert_eq!(decryption_sender(&resend, false), member);
        let direct = incoming(member.clone(), None, vec![enc(EncType::Msg)]);
        assert!(needed_records(&direct, false).sender_keys.is_empty());
        assert_eq!(decryption_sender(&direct, true), Jid::lid("888").with_device(4));
    }
}
