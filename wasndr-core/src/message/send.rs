//! The send planner (messaging guide B, C.4, D.5–D.7): one `Message` to every device of a chat, as one
//! `<message>` stanza plus the record changes to persist before it is written to the socket.

use std::collections::{HashMap, HashSet};

use rand_core::CryptoRng;
use wasndr_proto::Message as _;
use wasndr_proto::e2e::Message;

use super::classify::{edit_attribute, enc_media_type, hides_decrypt_failure, poll_type, stanza_type};
use super::pairwise::{SessionChoice, SessionWork};
use super::records::{OwnDevice, Records, protocol_address};
use super::wrappers::{device_sent, sender_key_distribution};
use super::{pad, participant_hash};
use crate::error::{Error, Result};
use crate::jid::{Jid, Server};
use crate::signal::group;
use crate::signal::session::CiphertextMessage;
use crate::signal::{PreKeyBundle, ProtocolAddress, SenderKeyName};
use crate::stanza::{Enc, EncType, OutgoingMessage};
use crate::store::{AddressingMode, Changes, MessageSecret, RecentMessage};

/// What sending to a group needs beyond a 1:1 send.
#[derive(Clone, Copy, Debug)]
pub struct GroupSend<'a> {
    /// The device our sender key is registered under: our LID device in LID-addressed groups (whatsmeow
    /// always uses the LID), else our phone-number device.
    pub sender: &'a Jid,
    /// The group's addressing mode, written as `addressing_mode`.
    pub addressing_mode: Option<AddressingMode>,
    /// Devices known to hold our current sender key (Baileys' "sender-key memory"): they get no
    /// distribution message. `None` distributes to every device on every send, as whatsmeow does.
    pub has_sender_key: Option<&'a HashSet<Jid>>,
}

/// One send.
#[derive(Clone, Copy, Debug)]
pub struct SendRequest<'a> {
    /// The message id ([`super::generate_message_id`]).
    pub id: &'a str,
    /// The chat: a user (no device) or a group.
    pub chat: &'a Jid,
    /// The content.
    pub message: &'a Message,
    /// Who we are.
    pub own: OwnDevice<'a>,
    /// Every device to reach: for a DM the recipient's devices and our own account's, for a group every
    /// member's (device lists from usync or the cache). This device is skipped; hosted devices are
    /// skipped in groups.
    pub devices: &'a [Jid],
    /// The sessions and identities of those devices, and our sender key for the group.
    pub records: &'a Records,
    /// Prekey bundles for devices without a session.
    pub bundles: &'a HashMap<Jid, PreKeyBundle>,
    /// Set for a group send.
    pub group: Option<GroupSend<'a>>,
    /// Now, unix seconds (the recent-message record for answering retries).
    pub now: u64,
}

/// A planned send: apply `changes`, then write `stanza`.
#[derive(Debug)]
pub struct PlannedSend {
    /// The `<message>` stanza.
    pub stanza: OutgoingMessage,
    /// Advanced sessions, new identities, our advanced sender key, the message secret of a poll, and the
    /// plaintext kept for retries.
    pub changes: Changes,
    /// The device-list hash of the devices addressed (sent as `phash` on group messages; compare it with
    /// the server ack's).
    pub phash: String,
    /// Devices that could not be encrypted for (no session and no bundle, a bad bundle, …). The message
    /// still goes to the others.
    pub skipped: Vec<(Jid, Error)>,
    /// Devices that received our sender key in this send: add them to the sender-key memory.
    pub sender_key_recipients: Vec<Jid>,
    /// Addresses whose identity key differs from the one stored (the peer reinstalled).
    pub identity_changes: Vec<ProtocolAddress>,
}

/// Plans a send: encrypts the message for every device and builds the stanza.
///
/// 1:1: each recipient device gets the padded message; our own other devices get it wrapped in a
/// `deviceSentMessage`. Groups: one `skmsg` under our sender key (created if we have none) and, pairwise
/// to every device that lacks it, the distribution message. Sessions come from `records`, or are
/// started from `bundles`; `<device-identity>` is added when any device gets a prekey message.
pub fn plan_send<R: CryptoRng + ?Sized>(request: &SendRequest<'_>, rng: &mut R) -> Result<PlannedSend> {
    let message = request.message;
    let plaintext = message.encode_to_vec();
    let media_type = enc_media_type(message);
    let hide = hides_decrypt_failure(message);
    let pairwise_enc = |ciphertext: CiphertextMessage, media_type: Option<&'static str>| Enc {
        enc_type: match ciphertext {
            CiphertextMessage::PreKey(_) => EncType::PkMsg,
            CiphertextMessage::Signal(_) => EncType::Msg,
        },
        ciphertext: ciphertext.into_serialized(),
        media_type,
        hide_decrypt_failure: hide,
        count: None,
    };

    let mut changes = Changes::new();
    let mut work = SessionWork::new(request.records);
    let mut stanza = OutgoingMessage {
        id: request.id.to_owned(),
        to: Some(request.chat.to_non_ad()),
        message_type: stanza_type(message),
        edit: edit_attribute(message),
        poll_type: poll_type(message),
        ..OutgoingMessage::default()
    };
    let mut skipped = Vec::new();
    let mut sender_key_recipients = Vec::new();
    let devices: Vec<Jid>;

    if let Some(group_send) = &request.group {
        devices = request
            .devices
            .iter()
            .filter(|jid| !matches!(jid.server_kind(), Server::Hosted | Server::HostedLid))
            .cloned()
            .collect();
        let name = SenderKeyName::new(request.chat.to_string(), protocol_address(group_send.sender));
        let distribution = group::create_distribution_message(request.records.sender_keys.get(&name), rng)?;
        let encrypted = group::encrypt(&distribution.record, &pad(&plaintext, random_byte(rng)), rng)?;
        changes.sender_keys.push((name, encrypted.record));
        let carrier = pad(
            &sender_key_distribution(request.chat, &distribution.message).encode_to_vec(),
            random_byte(rng),
        );
        for device in &devices {
            if request.own.is_this_device(device)
                || group_send
                    .has_sender_key
                    .is_some_and(|holders| holders.contains(device))
            {
                continue;
            }
            let choice = SessionChoice::Existing(request.bundles.get(device));
            match work.encrypt(&request.own, device, choice, &carrier, rng) {
                Ok(ciphertext) => {
                    stanza
                        .participants
                        .push((device.clone(), pairwise_enc(ciphertext, None)));
                    sender_key_recipients.push(device.clone());
                }
                Err(error) => skipped.push((device.clone(), error)),
            }
        }
        stanza.direct.push(Enc {
            enc_type: EncType::SkMsg,
            ciphertext: encrypted.message.into_serialized(),
            media_type,
            hide_decrypt_failure: false,
            count: None,
        });
        stanza.addressing_mode = group_send.addressing_mode.map(AddressingMode::as_str);
    } else {
        devices = request.devices.to_vec();
        let padded = pad(&plaintext, random_byte(rng));
        let mut padded_copy = None;
        for device in &devices {
            if request.own.is_this_device(device) {
                continue;
            }
            let body = if request.own.is_own_account(device) {
                padded_copy.get_or_insert_with(|| {
                    pad(
                        &device_sent(message, request.chat).encode_to_vec(),
                        random_byte(rng),
                    )
                })
            } else {
                &padded
            };
            let choice = SessionChoice::Existing(request.bundles.get(device));
            match work.encrypt(&request.own, device, choice, body, rng) {
                Ok(ciphertext) => stanza
                    .participants
                    .push((device.clone(), pairwise_enc(ciphertext, media_type))),
                Err(error) => skipped.push((device.clone(), error)),
            }
        }
    }

    let phash = participant_hash(&devices);
    if request.group.is_some() {
        stanza.phash = Some(phash.clone());
    }
    if stanza
        .participants
        .iter()
        .any(|(_, enc)| enc.enc_type == EncType::PkMsg)
    {
        stanza.device_identity = Some(request.own.device_identity.to_vec());
    }
    let identity_changes = work.finish(&mut changes);
    if let Some(secret) = message
        .message_context_info
        .as_ref()
        .and_then(|info| info.message_secret.clone())
    {
        // Votes on our own poll are decrypted with its secret, stored under us as its sender.
        let sender = request
            .group
            .as_ref()
            .map_or(request.own.pn, |group| group.sender);
        changes.message_secrets.push(MessageSecret {
            chat: request.chat.to_non_ad(),
            sender: sender.to_non_ad(),
            id: request.id.to_owned(),
            secret,
        });
    }
    changes.recent_messages.push(RecentMessage {
        chat: request.chat.to_non_ad(),
        id: request.id.to_owned(),
        plaintext,
        sent_at: request.now,
    });
    Ok(PlannedSend {
        stanza,
        changes,
        phash,
        skipped,
        sender_key_recipients,
        identity_changes,
    })
}

/// One random byte for the message padding.
pub(crate) fn random_byte<R: CryptoRng + ?Sized>(rng: &mut R) -> u8 {
    rng.next_u32() as u8
}
