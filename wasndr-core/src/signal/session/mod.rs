//! 1:1 sessions: X3DH and the double ratchet (guide §A).
//!
//! Every operation here is a pure function over a [`SessionRecord`]: it takes the record (and `rng`
//! where a key may be drawn), and returns an updated copy without storing anything; the `_in_place`
//! variants advance a record the caller owns instead of copying it, with the same guarantee that an
//! error leaves it unchanged. The caller
//! persists the new record, together with whatever else must change atomically (the decrypted
//! message, the used prekey's deletion), and only then acknowledges. On error nothing was changed: the
//! old record is still the truth. [`crate::signal::cipher`] is the same over the store traits.

mod builder;
mod codec;
mod record;
mod state;

pub use builder::LocalIdentity;
pub use record::{MAX_ARCHIVED_STATES, SessionRecord};
pub use state::{
    MAX_FUTURE_MESSAGES, MAX_RECEIVING_CHAINS, MAX_SKIPPED_KEYS_PER_CHAIN, SESSION_VERSION, SessionState,
};

use rand_core::CryptoRng;

use crate::crypto::PublicKey;
use crate::error::{Error, Result};
use crate::signal::wire::{PreKeySignalMessage, SignalMessage};
use crate::signal::{PreKeyBundle, PreKeyRecord, SignedPreKeyRecord};

/// An encrypted 1:1 message, ready for an `<enc>` node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CiphertextMessage {
    /// `<enc type="msg">`: the session is established on both sides.
    Signal(SignalMessage),
    /// `<enc type="pkmsg">`: we initiated and the peer has not answered yet.
    PreKey(PreKeySignalMessage),
}

impl CiphertextMessage {
    /// The `type` attribute of the `<enc>` node: `"msg"` or `"pkmsg"`.
    pub fn enc_type(&self) -> &'static str {
        match self {
            Self::Signal(_) => "msg",
            Self::PreKey(_) => "pkmsg",
        }
    }

    /// The wire bytes.
    pub fn serialized(&self) -> &[u8] {
        match self {
            Self::Signal(m) => m.serialized(),
            Self::PreKey(m) => m.serialized(),
        }
    }

    /// Consumes the message, returning its wire bytes.
    pub fn into_serialized(self) -> Vec<u8> {
        match self {
            Self::Signal(m) => m.into_serialized(),
            Self::PreKey(m) => m.into_serialized(),
        }
    }
}

/// The result of [`encrypt`].
#[derive(Debug)]
pub struct Encrypted {
    /// The record with the sending chain advanced; persist it before sending.
    pub record: SessionRecord,
    /// The message to send.
    pub message: CiphertextMessage,
}

/// The result of [`decrypt_message`] and [`decrypt_prekey_message`].
#[derive(Debug)]
pub struct Decrypted {
    /// The advanced record; persist it with the plaintext in one transaction, then ack.
    pub record: SessionRecord,
    /// The plaintext (still carrying WhatsApp's own padding, guide §C.2).
    pub plaintext: Vec<u8>,
    /// The identity key of the session that decrypted the message, for the caller's trust check.
    pub sender_identity: PublicKey,
    /// The one-time prekey this message consumed: delete it in the same transaction.
    pub consumed_prekey: Option<u32>,
}

/// Starts a session as initiator from `bundle` (after verifying its signed-prekey signature) and makes
/// it current in a copy of `record`, archiving the previous current session. Draws two key pairs from
/// `rng`: the X3DH base key, then the first ratchet key.
pub fn initiate<R: CryptoRng + ?Sized>(
    record: Option<&SessionRecord>,
    local: LocalIdentity<'_>,
    bundle: &PreKeyBundle,
    rng: &mut R,
) -> Result<SessionRecord> {
    let state = builder::initiate(local, bundle, rng)?;
    let mut record = record.cloned().unwrap_or_default();
    record.promote_new(state);
    Ok(record)
}

/// Encrypts `plaintext` with the current session. Messages to one address must be encrypted one after
/// the other, each on the record the previous call returned.
pub fn encrypt(record: &SessionRecord, plaintext: &[u8]) -> Result<Encrypted> {
    let mut record = record.clone();
    let message = encrypt_in_place(&mut record, plaintext)?;
    Ok(Encrypted { record, message })
}

/// [`encrypt`] on a record the caller owns, advancing it where it is instead of returning a copy: for
/// callers that already hold a working copy they will persist. On error the record is unchanged.
pub fn encrypt_in_place(record: &mut SessionRecord, plaintext: &[u8]) -> Result<CiphertextMessage> {
    record
        .current
        .as_mut()
        .ok_or(Error::NoSession("no current session"))?
        .encrypt(plaintext)
}

/// Decrypts a `msg`: with the current session, else with an archived one. A new peer ratchet key draws
/// our next ratchet key pair from `rng`.
pub fn decrypt_message<R: CryptoRng + ?Sized>(
    record: &SessionRecord,
    message: &SignalMessage,
    rng: &mut R,
) -> Result<Decrypted> {
    let mut record = record.clone();
    let Opened {
        plaintext,
        sender_identity,
    } = decrypt_message_in_place(&mut record, message, rng)?;
    Ok(Decrypted {
        record,
        plaintext,
        sender_identity,
        consumed_prekey: None,
    })
}

/// What [`decrypt_message_in_place`] returns besides the advanced record.
#[derive(Debug)]
pub struct Opened {
    /// The plaintext (still carrying WhatsApp's own padding, guide §C.2).
    pub plaintext: Vec<u8>,
    /// The identity key of the session that decrypted the message, for the caller's trust check.
    pub sender_identity: PublicKey,
}

/// [`decrypt_message`] on a record the caller owns, advancing it where it is. On error the record is
/// unchanged: each state's decryption only commits once the message has authenticated.
pub fn decrypt_message_in_place<R: CryptoRng + ?Sized>(
    record: &mut SessionRecord,
    message: &SignalMessage,
    rng: &mut R,
) -> Result<Opened> {
    // The error to report if nothing decrypts: from a state that knew the ratchet key if there is one
    // (a duplicate, say), else from the current state.
    let mut error: Option<(bool, Error)> = None;
    let mut note = |knew: bool, e: Error| {
        if error.as_ref().is_none_or(|(had, _)| knew && !had) {
            error = Some((knew, e));
        }
    };
    if let Some(current) = record.current.as_mut() {
        let knew = current.knows_ratchet_key(&message.ratchet_key);
        match current.decrypt(message, rng) {
            Ok(plaintext) => {
                return Ok(Opened {
                    plaintext,
                    sender_identity: current.remote_identity,
                });
            }
            Err(e) => note(knew, e),
        }
    }
    // Archived states are tried on a copy, so the shared archive is only copied when one decrypts.
    for index in 0..record.previous.len() {
        let mut state = record.previous[index].clone();
        let knew = state.knows_ratchet_key(&message.ratchet_key);
        match state.decrypt(message, rng) {
            Ok(plaintext) => {
                let sender_identity = state.remote_identity;
                std::sync::Arc::make_mut(&mut record.previous)[index] = state;
                return Ok(Opened {
                    plaintext,
                    sender_identity,
                });
            }
            Err(e) => note(knew, e),
        }
    }
    Err(error.map_or(Error::NoSession("no session for this address"), |(_, e)| e))
}

/// The prekeys a prekey message names, as loaded from the store (`None` when missing). They are only
/// needed when the message starts a new session; a repeated prekey message of an existing session
/// decrypts without them.
#[derive(Clone, Copy, Debug, Default)]
pub struct PreKeys<'a> {
    /// Our signed prekey with the message's `signed_prekey_id`.
    pub signed: Option<&'a SignedPreKeyRecord>,
    /// Our one-time prekey with the message's `prekey_id`.
    pub one_time: Option<&'a PreKeyRecord>,
}

/// Decrypts a `pkmsg`. If a session with its base key exists (a repeated prekey message: the peer has
/// not seen our reply yet), that session decrypts it. Otherwise X3DH builds a responder session from
/// `prekeys`, which becomes current (archiving the previous one) once its first message decrypts.
pub fn decrypt_prekey_message<R: CryptoRng + ?Sized>(
    record: Option<&SessionRecord>,
    local: LocalIdentity<'_>,
    message: &PreKeySignalMessage,
    prekeys: PreKeys<'_>,
    rng: &mut R,
) -> Result<Decrypted> {
    let mut record = record.cloned().unwrap_or_default();
    if let Some(location) = record.find_by_their_base_key(&message.base_key) {
        let state = match location {
            None => record.current.as_mut(),
            Some(index) => std::sync::Arc::make_mut(&mut record.previous).get_mut(index),
        }
        .ok_or(Error::NoSession("session vanished"))?;
        if state.remote_identity != message.identity_key {
            return Err(Error::InvalidSignalMessage(
                "prekey message identity differs from its session's",
            ));
        }
        let plaintext = state.decrypt(&message.message, rng)?;
        return Ok(Decrypted {
            record,
            plaintext,
            sender_identity: message.identity_key,
            consumed_prekey: None,
        });
    }
    let mut state = builder::respond(local, message, prekeys.signed, prekeys.one_time)?;
    let plaintext = state.decrypt(&message.message, rng)?;
    record.promote_new(state);
    Ok(Decrypted {
        record,
        plaintext,
        sender_identity: message.identity_key,
        consumed_prekey: message.prekey_id,
    })
}
