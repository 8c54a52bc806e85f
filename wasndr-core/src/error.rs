//! The one error type of `wasndr-core`.
//!
//! Variants separate what a peer did wrong (malformed or forged input: the connection or message is
//! refused) from what the caller did wrong (bad arguments: nothing was sent). Each protocol area adds its
//! variants here, so callers match on one enum.

use crate::crypto::PublicKey;
use crate::signal::ProtocolAddress;
use crate::store::StoreError;

/// Every failure `wasndr-core` reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A public key had the wrong length or type byte.
    #[error("invalid public key: {0}")]
    InvalidPublicKey(&'static str),
    /// Authenticated decryption failed: the ciphertext, tag, key or nonce is wrong.
    #[error("decryption failed: {0}")]
    DecryptFailed(&'static str),
    /// A block-cipher payload had a length or padding that cannot be valid.
    #[error("invalid padding: {0}")]
    InvalidPadding(&'static str),
    /// A caller asked for an output size a primitive cannot produce.
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
    /// A decrypted message plaintext did not end in valid random padding (n bytes, each equal to n,
    /// with n at least 1): the sender is broken or the plaintext is not a padded `Message`.
    #[error("invalid message padding: {0}")]
    InvalidMessagePadding(&'static str),

    // --- Signal (peer input) ---
    /// A Signal message, bundle or distribution message is malformed: truncated, not protobuf, a
    /// required field missing or a key of the wrong shape.
    #[error("invalid Signal message: {0}")]
    InvalidSignalMessage(&'static str),
    /// A Signal message's version byte is not v3 (`0x33`).
    #[error("unsupported Signal message version byte {0:#04x}")]
    InvalidVersion(u8),
    /// The 8-byte MAC of a Signal message did not verify under any session state: forged, corrupted,
    /// or sent on a session we no longer have (the peer re-registered; answer with a retry receipt).
    #[error("Signal message MAC mismatch")]
    BadMac,
    /// A signature did not verify: a signed prekey in a bundle, or a group message.
    #[error("invalid signature: {0}")]
    InvalidSignature(&'static str),
    /// The message's key was already used: a duplicate or replay (libsignal's "old counter"). Treat it
    /// as a duplicate delivery, not as a failure to decrypt.
    #[error("duplicate message: counter {counter} was already decrypted")]
    DuplicateMessage {
        /// The message counter (1:1) or iteration (group) that was seen before.
        counter: u32,
    },
    /// The message is further ahead of its chain than libsignal allows (2000 message keys).
    #[error("message counter {counter} is too far ahead of the chain at {chain_index}")]
    TooFarInFuture {
        /// The message's counter or iteration.
        counter: u32,
        /// The chain's next index.
        chain_index: u32,
    },
    /// A prekey message names a one-time prekey we do not have (already used, or never ours).
    #[error("unknown one-time prekey id {0}")]
    UnknownPreKey(u32),
    /// A prekey message names a signed prekey we do not have.
    #[error("unknown signed prekey id {0}")]
    UnknownSignedPreKey(u32),
    /// There is no session to encrypt or decrypt with.
    #[error("no Signal session: {0}")]
    NoSession(&'static str),
    /// A group message uses a sender key we were never given (send a retry receipt asking for keys).
    #[error("no sender key with id {key_id}")]
    NoSenderKey {
        /// The key id named by the group message.
        key_id: u32,
    },
    /// The peer's identity key is not the one we trust for this address: either it changed (the peer
    /// reinstalled) or someone is impersonating them. Nothing was changed; to accept the new key, save
    /// it as the address's identity and retry.
    #[error("untrusted identity for {address}")]
    UntrustedIdentity {
        /// Whose identity changed.
        address: ProtocolAddress,
        /// The identity key the peer now presents.
        identity: PublicKey,
    },

    // --- storage ---
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
