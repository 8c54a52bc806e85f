//! The one error type of `wasndr-core`.
//!
//! Variants separate what a peer did wrong (malformed or forged input: the connection or message is
//! refused) from what the caller did wrong (bad arguments: nothing was sent). Each protocol area adds its
//! variants here, so callers match on one enum.

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
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
