//! The byte formats of Signal messages as WhatsApp carries them (guide §A.6, §B): a version byte, a
//! protobuf, and a MAC or signature. Parsing never panics; every malformed input is an
//! [`crate::Error::InvalidSignalMessage`] or
//! [`crate::Error::InvalidVersion`].

mod distribution_message;
mod prekey_message;
mod sender_key_message;
mod signal_message;

pub use distribution_message::SenderKeyDistributionMessage;
pub use prekey_message::PreKeySignalMessage;
pub use sender_key_message::SenderKeyMessage;
pub use signal_message::SignalMessage;

use crate::crypto::PublicKey;
use crate::error::{Error, Result};

/// `(messageVersion << 4) | currentVersion` for protocol v3, the first byte of every message.
pub const VERSION_BYTE: u8 = 0x33;

/// Length of the truncated HMAC-SHA256 at the end of a [`SignalMessage`].
pub const MAC_LEN: usize = 8;

/// Length of the XEdDSA signature at the end of a [`SenderKeyMessage`].
pub const SIGNATURE_LEN: usize = 64;

/// Splits off and checks the version byte. Only v3 (`0x33`) exists on WhatsApp; both reference
/// libraries write exactly that byte.
fn split_version(bytes: &[u8]) -> Result<&[u8]> {
    match bytes.split_first() {
        None => Err(Error::InvalidSignalMessage("empty message")),
        Some((&VERSION_BYTE, rest)) => Ok(rest),
        Some((&other, _)) => Err(Error::InvalidVersion(other)),
    }
}

/// A required 33-byte `0x05`-prefixed key field. 32-byte keys are accepted too, as libsignal-node does.
fn key_field(bytes: Option<&[u8]>, what: &'static str) -> Result<PublicKey> {
    let bytes = bytes.ok_or(Error::InvalidSignalMessage(what))?;
    PublicKey::from_slice(bytes).map_err(|_| Error::InvalidSignalMessage(what))
}
