//! The sender-key record of one (group, sender): up to five states, newest first.

use std::collections::VecDeque;

use crate::crypto::{KeyPair, PrivateKey, PublicKey};
use crate::signal::ratchet::{ChainKey, SkippedKey};

/// States kept per record (both reference libraries: `MAX_STATES = 5`).
pub const MAX_SENDER_KEY_STATES: usize = 5;
/// Skipped message keys kept per state; the oldest go first.
pub const MAX_SENDER_SKIPPED_KEYS: usize = 2000;

/// One sender key: its id, chain, signing key and skipped message keys.
#[derive(Clone)]
pub struct SenderKeyState {
    pub(crate) key_id: u32,
    pub(crate) chain: ChainKey,
    pub(crate) signing_public: PublicKey,
    /// Present only in our own sender key.
    pub(crate) signing_private: Option<PrivateKey>,
    /// Oldest first.
    pub(crate) skipped: VecDeque<SkippedKey>,
}

impl SenderKeyState {
    /// The key id group messages name.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The iteration the next message key has.
    pub fn iteration(&self) -> u32 {
        self.chain.index
    }

    /// The public signing key.
    pub fn signing_key(&self) -> &PublicKey {
        &self.signing_public
    }

    /// Whether this is our own key (we hold the private signing key and can encrypt).
    pub fn is_own(&self) -> bool {
        self.signing_private.is_some()
    }
}

/// All sender keys of one member device in one group.
///
/// For our own sending key there is one state; for a peer there may be several (it rotated), newest
/// first, at most [`MAX_SENDER_KEY_STATES`]. Group messages name the state by key id.
#[derive(Clone, Default)]
pub struct SenderKeyRecord {
    pub(crate) states: Vec<SenderKeyState>,
}

impl SenderKeyRecord {
    /// Our own sender key with the given values (what a fresh key draws at random); replaces any state.
    /// Meant for restoring a key and for reproducing recorded test vectors.
    pub fn new_own(key_id: u32, iteration: u32, chain_key: [u8; 32], signing: KeyPair) -> Self {
        Self {
            states: vec![SenderKeyState {
                key_id,
                chain: ChainKey::new(chain_key, iteration),
                signing_public: signing.public,
                signing_private: Some(signing.private),
                skipped: VecDeque::new(),
            }],
        }
    }

    /// Whether the record holds no key.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// The newest state (the one we encrypt with, for our own key).
    pub fn newest(&self) -> Option<&SenderKeyState> {
        self.states.first()
    }

    /// All states, newest first.
    pub fn states(&self) -> &[SenderKeyState] {
        &self.states
    }

    pub(crate) fn state_index(&self, key_id: u32) -> Option<usize> {
        self.states.iter().position(|s| s.key_id == key_id)
    }

    /// Adds a state as the newest, dropping the oldest beyond the cap.
    pub(crate) fn push_newest(&mut self, state: SenderKeyState) {
        self.states.insert(0, state);
        self.states.truncate(MAX_SENDER_KEY_STATES);
    }
}

impl std::fmt::Debug for SenderKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.states.iter().map(|s| (s.key_id, s.chain.index, s.is_own())))
            .finish()
    }
}

impl std::fmt::Debug for SenderKeyState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SenderKeyState")
            .field("key_id", &self.key_id)
            .field("iteration", &self.chain.index)
            .field("signing_key", &self.signing_public)
            .field("own", &self.is_own())
            .field("skipped", &self.skipped.len())
            .finish()
    }
}
