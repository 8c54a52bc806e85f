//! One double-ratchet session with one peer device: the state X3DH creates and every message advances.

use std::collections::VecDeque;

use rand_core::CryptoRng;

use super::CiphertextMessage;
use crate::crypto::{KeyPair, PublicKey, aes256_cbc_decrypt, aes256_cbc_encrypt};
use crate::error::{Error, Result};
use crate::signal::ratchet::{ChainKey, MessageKeys, SkippedKey, derive_root};
use crate::signal::wire::{PreKeySignalMessage, SignalMessage};

/// The only session version WhatsApp uses.
pub const SESSION_VERSION: u32 = 3;
/// How far ahead of a chain a message may be (libsignal's `MAX_MESSAGE_KEYS` / "2000 messages into the
/// future").
pub const MAX_FUTURE_MESSAGES: u32 = 2000;
/// Skipped message keys kept per receiving chain; the oldest go first (libsignal, go.mau.fi/libsignal).
pub const MAX_SKIPPED_KEYS_PER_CHAIN: usize = 2000;
/// Receiving chains kept per session; the oldest go first (libsignal, go.mau.fi/libsignal).
pub const MAX_RECEIVING_CHAINS: usize = 5;

/// The chain for one of the peer's ratchet keys.
#[derive(Clone)]
pub(crate) struct ReceivingChain {
    pub(crate) ratchet_key: PublicKey,
    pub(crate) chain: ChainKey,
    /// Oldest first.
    pub(crate) skipped: VecDeque<SkippedKey>,
}

/// What the initiator keeps putting into every message until the peer answers (guide §A.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PendingPreKey {
    pub(crate) prekey_id: Option<u32>,
    pub(crate) signed_prekey_id: u32,
    pub(crate) base_key: PublicKey,
}

/// The state of one session (guide §A.8): identities, root key, our ratchet key pair and sending chain,
/// up to five receiving chains with their skipped keys, and the pending prekey of an unanswered
/// initiator.
#[derive(Clone)]
pub struct SessionState {
    pub(crate) local_identity: PublicKey,
    pub(crate) remote_identity: PublicKey,
    pub(crate) local_registration_id: u32,
    pub(crate) remote_registration_id: u32,
    pub(crate) root_key: [u8; 32],
    pub(crate) our_ratchet: KeyPair,
    pub(crate) their_ratchet: PublicKey,
    /// Absent on a responder state until its first decrypt ratchets.
    pub(crate) sending: Option<ChainKey>,
    pub(crate) previous_counter: u32,
    /// Oldest first.
    pub(crate) receiving: Vec<ReceivingChain>,
    pub(crate) pending_prekey: Option<PendingPreKey>,
    /// Alice's X3DH base key: ours when we initiated, theirs when we responded.
    pub(crate) base_key: PublicKey,
    pub(crate) base_key_is_ours: bool,
}

/// Where the key for an incoming message comes from, decided before anything is changed.
enum KeySource {
    /// A stored skipped key of receiving chain `chain`, at position `slot`.
    Skipped { chain: usize, slot: usize },
    /// Receiving chain `chain` advanced to `advanced`, storing `skipped` on the way.
    Advance {
        chain: usize,
        advanced: ChainKey,
        skipped: Vec<SkippedKey>,
    },
    /// A new peer ratchet key: a root step gives a new receiving chain.
    Ratchet {
        root_key: [u8; 32],
        chain: ChainKey,
        skipped: Vec<SkippedKey>,
    },
}

impl SessionState {
    /// The peer's identity key, as it was when the session was created.
    pub fn remote_identity(&self) -> &PublicKey {
        &self.remote_identity
    }

    /// Our identity key, as it was when the session was created.
    pub fn local_identity(&self) -> &PublicKey {
        &self.local_identity
    }

    /// The peer's registration id (compared by retry handling, guide §E.6).
    pub fn remote_registration_id(&self) -> u32 {
        self.remote_registration_id
    }

    /// Alice's X3DH base key, which identifies the session.
    pub fn base_key(&self) -> &PublicKey {
        &self.base_key
    }

    /// Whether we initiated and have not heard back yet, so every message is a prekey message.
    pub fn has_pending_prekey(&self) -> bool {
        self.pending_prekey.is_some()
    }

    /// Whether this state can encrypt (a responder state can only once it has decrypted).
    pub fn can_encrypt(&self) -> bool {
        self.sending.is_some()
    }

    /// The session version (always 3).
    pub fn version(&self) -> u32 {
        SESSION_VERSION
    }

    /// Whether one of our receiving chains belongs to `ratchet_key`.
    pub(crate) fn knows_ratchet_key(&self, ratchet_key: &PublicKey) -> bool {
        self.receiving.iter().any(|c| c.ratchet_key == *ratchet_key)
    }

    /// Encrypts `plaintext` on the sending chain and advances it.
    pub(crate) fn encrypt(&mut self, plaintext: &[u8]) -> Result<CiphertextMessage> {
        let chain = self
            .sending
            .as_mut()
            .ok_or(Error::NoSession("the session has no sending chain yet"))?;
        let counter = chain.index;
        let keys = MessageKeys::derive(&chain.step());
        let ciphertext = aes256_cbc_encrypt(keys.cipher_key(), keys.iv(), plaintext);
        let message = SignalMessage::build(
            keys.mac_key(),
            &self.local_identity,
            &self.remote_identity,
            &self.our_ratchet.public,
            counter,
            self.previous_counter,
            ciphertext,
        );
        Ok(match &self.pending_prekey {
            Some(pending) => CiphertextMessage::PreKey(PreKeySignalMessage::build(
                self.local_registration_id,
                pending.prekey_id,
                pending.signed_prekey_id,
                &pending.base_key,
                &self.local_identity,
                message,
            )),
            None => CiphertextMessage::Signal(message),
        })
    }

    /// Decrypts `message`. On success the state has advanced (a new ratchet key draws our next ratchet
    /// key pair from `rng`); on any error the state is exactly as before.
    pub(crate) fn decrypt<R: CryptoRng + ?Sized>(
        &mut self,
        message: &SignalMessage,
        rng: &mut R,
    ) -> Result<Vec<u8>> {
        let (seed, source) = self.locate_key(message)?;
        let keys = MessageKeys::derive(&seed);
        // The MAC covers the protobuf as received and both identities, sender first.
        if !message.verify_mac(keys.mac_key(), &self.remote_identity, &self.local_identity) {
            return Err(Error::BadMac);
        }
        let plaintext = aes256_cbc_decrypt(keys.cipher_key(), keys.iv(), &message.ciphertext)
            .map_err(|_| Error::InvalidSignalMessage("bad padding under a valid MAC"))?;
        self.commit(source, message, rng);
        Ok(plaintext)
    }

    /// Decides where the message key comes from without changing anything.
    fn locate_key(&self, message: &SignalMessage) -> Result<([u8; 32], KeySource)> {
        let counter = message.counter;
        if let Some(chain) = self
            .receiving
            .iter()
            .position(|c| c.ratchet_key == message.ratchet_key)
        {
            let receiving = &self.receiving[chain];
            if counter < receiving.chain.index {
                let slot = receiving
                    .skipped
                    .iter()
                    .position(|k| k.index == counter)
                    .ok_or(Error::DuplicateMessage { counter })?;
                let seed = receiving.skipped[slot].seed;
                return Ok((seed, KeySource::Skipped { chain, slot }));
            }
            let (seed, advanced, skipped) = advance_to(&receiving.chain, counter)?;
            return Ok((
                seed,
                KeySource::Advance {
                    chain,
                    advanced,
                    skipped,
                },
            ));
        }
        let (root_key, chain_key) = derive_root(
            &self.root_key,
            &self.our_ratchet.private.agree(&message.ratchet_key),
        );
        let (seed, chain, skipped) = advance_to(&ChainKey::new(chain_key, 0), counter)?;
        Ok((
            seed,
            KeySource::Ratchet {
                root_key,
                chain,
                skipped,
            },
        ))
    }

    /// Applies a located key after the message authenticated.
    fn commit<R: CryptoRng + ?Sized>(&mut self, source: KeySource, message: &SignalMessage, rng: &mut R) {
        match source {
            KeySource::Skipped { chain, slot } => {
                self.receiving[chain].skipped.remove(slot);
            }
            KeySource::Advance {
                chain,
                advanced,
                skipped,
            } => {
                let receiving = &mut self.receiving[chain];
                receiving.chain = advanced;
                push_skipped(&mut receiving.skipped, skipped);
            }
            KeySource::Ratchet {
                root_key,
                chain,
                skipped,
            } => {
                let mut queue = VecDeque::new();
                push_skipped(&mut queue, skipped);
                self.receiving.push(ReceivingChain {
                    ratchet_key: message.ratchet_key,
                    chain,
                    skipped: queue,
                });
                if self.receiving.len() > MAX_RECEIVING_CHAINS {
                    self.receiving.remove(0);
                }
                // Our side of the DH ratchet: a fresh key pair and a new sending chain.
                let ours = KeyPair::generate(rng);
                let (root_key, sending) = derive_root(&root_key, &ours.private.agree(&message.ratchet_key));
                if let Some(previous) = &self.sending {
                    // The last counter used on the old chain, as libsignal-node reports it; 0 if none.
                    self.previous_counter = previous.index.saturating_sub(1);
                }
                self.root_key = root_key;
                self.our_ratchet = ours;
                self.their_ratchet = message.ratchet_key;
                self.sending = Some(ChainKey::new(sending, 0));
            }
        }
        // The peer has our session: stop sending prekey messages.
        self.pending_prekey = None;
    }
}

/// Steps a copy of `chain` to just past `counter`: returns the seed of `counter`, the advanced chain
/// and the seeds passed on the way (the skipped keys).
fn advance_to(chain: &ChainKey, counter: u32) -> Result<([u8; 32], ChainKey, Vec<SkippedKey>)> {
    let too_far = Error::TooFarInFuture {
        counter,
        chain_index: chain.index,
    };
    let ahead = counter
        .checked_sub(chain.index)
        .ok_or(Error::DuplicateMessage { counter })?;
    if ahead > MAX_FUTURE_MESSAGES {
        return Err(too_far);
    }
    let mut chain = chain.clone();
    let mut skipped = Vec::with_capacity(ahead as usize);
    while chain.index < counter {
        let index = chain.index;
        skipped.push(SkippedKey {
            index,
            seed: chain.step(),
        });
    }
    let seed = chain.step();
    Ok((seed, chain, skipped))
}

/// Appends newly skipped keys, dropping the oldest beyond the per-chain cap.
fn push_skipped(queue: &mut VecDeque<SkippedKey>, skipped: Vec<SkippedKey>) {
    queue.extend(skipped);
    while queue.len() > MAX_SKIPPED_KEYS_PER_CHAIN {
        queue.pop_front();
    }
}

impl std::fmt::Debug for SessionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionState")
            .field("remote_identity", &self.remote_identity)
            .field("base_key", &self.base_key)
            .field("base_key_is_ours", &self.base_key_is_ours)
            .field("sending_index", &self.sending.as_ref().map(|c| c.index))
            .field("receiving_chains", &self.receiving.len())
            .field("pending_prekey", &self.pending_prekey)
            .finish_non_exhaustive()
    }
}
