//! Answering a retry receipt (messaging guide E.6): re-encrypt the original message for the one device
//! that could not decrypt it, on a fresh session when needed.

use rand_core::CryptoRng;
use wasndr_proto::Message as _;
use wasndr_proto::e2e::Message;

use super::classify::{edit_attribute, enc_media_type, hides_decrypt_failure, stanza_type};
use super::pairwise::{SessionChoice, SessionWork};
use super::records::{OwnDevice, Records, protocol_address};
use super::send::{PlannedSend, random_byte};
use super::wrappers::{device_sent, sender_key_distribution};
use super::{pad, participant_hash};
use crate::error::{Error, Result};
use crate::jid::Jid;
use crate::signal::session::CiphertextMessage;
use crate::signal::{PreKeyBundle, SenderKeyName, group};
use crate::stanza::{Enc, EncType, IncomingReceipt, OutgoingMessage};
use crate::store::Changes;

/// One retry to answer.
#[derive(Clone, Copy, Debug)]
pub struct RetryRequest<'a> {
    /// The retry receipt.
    pub receipt: &'a IncomingReceipt,
    /// The original message, from the recent-message store.
    pub original: &'a Message,
    /// The chat it was sent to.
    pub chat: &'a Jid,
    /// Who we are.
    pub own: OwnDevice<'a>,
    /// The requesting device's session and identity, and (groups) our sender key.
    pub records: &'a Records,
    /// A bundle for the requesting device, fetched because [`retry_needs_bundle`] said so.
    pub bundle: Option<&'a PreKeyBundle>,
    /// For a group: the device our sender key is registered under.
    pub group_sender: Option<&'a Jid>,
}

/// Whether answering `receipt` needs a bundle fetched for its sender first: the receipt carries no keys,
/// and we have no session with the device or this is a second or later retry (whatsmeow also skips the
/// fetch when it recreated the session in the last hour: pass `recreated_recently`).
pub fn retry_needs_bundle(receipt: &IncomingReceipt, records: &Records, recreated_recently: bool) -> bool {
    if receipt.bundle.is_some() {
        return false;
    }
    let has_session = records
        .sessions
        .get(&protocol_address(receipt.sender()))
        .is_some_and(|record| record.current().is_some_and(|state| state.can_encrypt()));
    let count = receipt.retry.as_ref().map_or(1, |retry| retry.count);
    !has_session || (count >= 2 && !recreated_recently)
}

/// Plans the resend: the original (with a fresh sender-key distribution in a group, wrapped as a
/// device-sent copy for our own device in a DM) encrypted pairwise for the receipt's sender only, with
/// the receipt's `count`. A session comes from the receipt's keys, else `bundle`, else the stored one.
pub fn plan_retry<R: CryptoRng + ?Sized>(request: &RetryRequest<'_>, rng: &mut R) -> Result<PlannedSend> {
    let receipt = request.receipt;
    let retry = receipt
        .retry
        .as_ref()
        .ok_or(Error::MalformedMessage("retry receipt without <retry>"))?;
    let device = receipt.sender().clone();
    let is_group = receipt.from.is_group();
    let mut changes = Changes::new();

    let content = if is_group {
        let sender = request.group_sender.ok_or(Error::InvalidArgument(
            "a group retry needs our sender-key device",
        ))?;
        let name = SenderKeyName::new(request.chat.to_string(), protocol_address(sender));
        let distribution = group::create_distribution_message(request.records.sender_keys.get(&name), rng)?;
        let mut with_key = request.original.clone();
        with_key.sender_key_distribution_message =
            sender_key_distribution(request.chat, &distribution.message).sender_key_distribution_message;
        // Unchanged unless we had no sender key yet; stored either way, which is idempotent.
        changes.sender_keys.push((name, distribution.record));
        with_key
    } else if request.own.is_own_account(&device) {
        device_sent(request.original, request.chat)
    } else {
        request.original.clone()
    };
    let padded = pad(&content.encode_to_vec(), random_byte(rng));

    let choice = match (&receipt.bundle, request.bundle) {
        (Some(keys), _) => SessionChoice::Fresh(keys),
        (None, Some(bundle)) => SessionChoice::Fresh(bundle),
        (None, None) => SessionChoice::Existing(None),
    };
    let mut work = SessionWork::new(request.records);
    let ciphertext = work.encrypt(&request.own, &device, choice, &padded, rng)?;
    let enc_type = match ciphertext {
        CiphertextMessage::PreKey(_) => EncType::PkMsg,
        CiphertextMessage::Signal(_) => EncType::Msg,
    };
    let identity_changes = work.finish(&mut changes);

    let stanza = OutgoingMessage {
        id: retry.id.clone(),
        to: Some(receipt.from.clone()),
        message_type: stanza_type(request.original),
        edit: edit_attribute(request.original),
        participant: receipt.participant.clone(),
        recipient: receipt.recipient.clone(),
        timestamp: retry.timestamp,
        no_device_fanout: !is_group,
        direct: vec![Enc {
            enc_type,
            ciphertext: ciphertext.into_serialized(),
            media_type: enc_media_type(request.original),
            hide_decrypt_failure: hides_decrypt_failure(request.original),
            count: Some(retry.count),
        }],
        device_identity: (enc_type == EncType::PkMsg).then(|| request.own.device_identity.to_vec()),
        ..OutgoingMessage::default()
    };
    Ok(PlannedSend {
        stanza,
        changes,
        phash: participant_hash(std::slice::from_ref(&device)),
        skipped: Vec::new(),
        sender_key_recipients: if is_group { vec![device] } else { Vec::new() },
        identity_changes,
    })
}
