//! The one error type of `wasndr-core`.
//!
//! Variants separate what a peer did wrong (malformed or forged input: the connection or message is
//! refused) from what the caller did wrong (bad arguments: nothing was sent). Each protocol area adds its
//! variants here, so callers match on one enum.

use crate::binary::DecodeProblem;
use crate::jid::PhoneNumberProblem;

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
    /// Peer bytes are not a valid binary node (or frame payload). `offset` counts bytes from the start of
    /// the buffer handed to the decoder: the frame payload for frame-level problems, the node body (the
    /// inflated body for compressed frames) for everything else.
    #[error("malformed binary node at byte {offset}: {problem}")]
    MalformedNode {
        /// Where the decoder stood when it gave up.
        offset: usize,
        /// What was wrong there.
        problem: DecodeProblem,
    },
    /// A caller-built node cannot be written in the binary format (nothing was encoded).
    #[error("cannot encode node: {0}")]
    UnencodableNode(&'static str),
    /// Text that should be a JID is not one.
    #[error("invalid JID: {0}")]
    InvalidJid(&'static str),
    /// Text that should be an international phone number is not one.
    #[error("invalid phone number: {0}")]
    InvalidPhoneNumber(PhoneNumberProblem),
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
