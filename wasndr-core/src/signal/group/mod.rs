//! Group messaging with sender keys (guide §B).
//!
//! As with 1:1 sessions, every operation is a pure function over a [`SenderKeyRecord`] that returns an
//! updated copy; nothing is stored, and on error nothing changed. [`crate::signal::cipher`] wraps these
//! over the store traits.

mod codec;
mod record;

pub use record::{MAX_SENDER_KEY_STATES, MAX_SENDER_SKIPPED_KEYS, SenderKeyRecord, SenderKeyState};

use std::collections::VecDeque;

use rand_core::CryptoRng;

use crate::crypto::{KeyPair, aes256_cbc_decrypt, aes256_cbc_encrypt};
use crate::error::{Error, Result};
use crate::signal::ratchet::{ChainKey, SenderMessageKeys, SkippedKey};
use crate::signal::session::MAX_FUTURE_MESSAGES;
use crate::signal::wire::{SenderKeyDistributionMessage, SenderKeyMessage};

/// The largest sender key id we draw: 31 bits, as Baileys (`randomInt(2^31 - 1)`).
const MAX_KEY_ID: u32 = 0x7fff_fffe;

/// The result of [`create_distribution_message`].
#[derive(Debug)]
pub struct Distribution {
    /// The record, with a new own key if it had none; persist it before sending the message.
    pub record: SenderKeyRecord,
    /// The distribution message for the other members.
    pub message: SenderKeyDistributionMessage,
}

/// The result of [`encrypt`].
#[derive(Debug)]
pub struct GroupEncrypted {
    /// The record with the chain advanced; persist it before sending.
    pub record: SenderKeyRecord,
    /// The group message (`<enc type="skmsg">`).
    pub message: SenderKeyMessage,
}

/// The result of [`decrypt`].
#[derive(Debug)]
pub struct GroupDecrypted {
    /// The advanced record; persist it with the plaintext, then ack.
    pub record: SenderKeyRecord,
    /// The plaintext (still carrying WhatsApp's padding).
    pub plaintext: Vec<u8>,
}

/// Our distribution message for a group. If `record` holds no own key, a new one is drawn from `rng`
/// first: a 31-bit key id, a 32-byte chain key, a signing key pair (Baileys' order). The message carries
/// the key's *current* iteration, so members it reaches now cannot read earlier messages.
pub fn create_distribution_message<R: CryptoRng + ?Sized>(
    record: Option<&SenderKeyRecord>,
    rng: &mut R,
) -> Result<Distribution> {
    let record = match record.filter(|r| r.newest().is_some_and(SenderKeyState::is_own)) {
        Some(record) => record.clone(),
        None => {
            let key_id = rng.next_u32() % MAX_KEY_ID + 1;
            let mut chain_key = [0u8; 32];
            rng.fill_bytes(&mut chain_key);
            let signing = KeyPair::generate(rng);
            let record = SenderKeyRecord::new_own(key_id, 0, chain_key, signing);
            zeroize::Zeroize::zeroize(&mut chain_key);
            record
        }
    };
    let state = record
        .newest()
        .ok_or(Error::InvalidArgument("sender key record has no state"))?;
    let message = SenderKeyDistributionMessage::new(
        state.key_id,
        state.chain.index,
        state.chain.key,
        state.signing_public,
    );
    Ok(Distribution { record, message })
}

/// Adds the key a member distributed to a copy of `record` (the record of that member in that group).
///
/// A distribution message for a key id we already hold with the same signing key is ignored: the
/// stored state can derive everything the message could, and replacing it would rewind the chain and
/// make already-used message keys usable again. A different signing key under the same id replaces the
/// old state.
pub fn process_distribution_message(
    record: Option<&SenderKeyRecord>,
    message: &SenderKeyDistributionMessage,
) -> SenderKeyRecord {
    let mut record = record.cloned().unwrap_or_default();
    if let Some(index) = record.state_index(message.key_id) {
        if record.states[index].signing_public == message.signing_key {
            return record;
        }
        record.states.remove(index);
    }
    record.push_newest(SenderKeyState {
        key_id: message.key_id,
        chain: ChainKey::new(message.chain_key, message.iteration),
        signing_public: message.signing_key,
        signing_private: None,
        skipped: VecDeque::new(),
    });
    record
}

/// Encrypts `plaintext` with our newest sender key at its current iteration, then advances the chain.
/// The XEdDSA signature takes 64 bytes of randomness from `rng`.
pub fn encrypt<R: CryptoRng + ?Sized>(
    record: &SenderKeyRecord,
    plaintext: &[u8],
    rng: &mut R,
) -> Result<GroupEncrypted> {
    let mut record = record.clone();
    let state = record.states.first_mut().ok_or(Error::NoSession(
        "no own sender key; create a distribution message first",
    ))?;
    let signing = state
        .signing_private
        .as_ref()
        .ok_or(Error::InvalidArgument("the newest sender key is not ours"))?;
    let iteration = state.chain.index;
    let keys = SenderMessageKeys::derive(&state.chain.step());
    let ciphertext = aes256_cbc_encrypt(keys.cipher_key(), keys.iv(), plaintext);
    let mut random = [0u8; 64];
    rng.fill_bytes(&mut random);
    let message = SenderKeyMessage::build(state.key_id, iteration, ciphertext, signing, &random);
    zeroize::Zeroize::zeroize(&mut random);
    Ok(GroupEncrypted { record, message })
}

/// Decrypts a group message: finds the state by key id, verifies the signature, takes the message key
/// for the iteration (a stored skipped key, or the chain stepped forward, storing the keys it passes),
/// then decrypts. Gaps in iterations are normal (a fresh Baileys sender uses 0, 2, 4, …).
pub fn decrypt(record: &SenderKeyRecord, message: &SenderKeyMessage) -> Result<GroupDecrypted> {
    let index = record.state_index(message.key_id).ok_or(Error::NoSenderKey {
        key_id: message.key_id,
    })?;
    let state = &record.states[index];
    if !message.verify_signature(&state.signing_public) {
        return Err(Error::InvalidSignature("group message signature"));
    }
    let iteration = message.iteration;
    let mut updated = state.clone();
    let seed = if iteration < state.chain.index {
        let slot = state
            .skipped
            .iter()
            .position(|k| k.index == iteration)
            .ok_or(Error::DuplicateMessage { counter: iteration })?;
        let seed = state.skipped[slot].seed;
        updated.skipped.remove(slot);
        seed
    } else {
        if iteration - state.chain.index > MAX_FUTURE_MESSAGES {
            return Err(Error::TooFarInFuture {
                counter: iteration,
                chain_index: state.chain.index,
            });
        }
        while updated.chain.index < iteration {
            let index = updated.chain.index;
            let seed = updated.chain.step();
            updated.skipped.push_back(SkippedKey { index, seed });
        }
        while updated.skipped.len() > MAX_SENDER_SKIPPED_KEYS {
            updated.skipped.pop_front();
        }
        updated.chain.step()
    };
    let keys = SenderMessageKeys::derive(&seed);
    let plaintext = aes256_cbc_decrypt(keys.cipher_key(), keys.iv(), &message.ciphertext)
        .map_err(|_| Error::InvalidSignalMessage("bad padding in a signed group message"))?;
    let mut record = record.clone();
    record.states[index] = updated;
    Ok(GroupDecrypted { record, plaintext })
}
