//! Pairing a companion device with a primary phone (transport guide D), both sides, as pure code.
//!
//! - [`QrCode`]: the string the companion shows and the phone scans.
//! - Primary side ([`primary`]): build the signed ADV device identity and its HMAC container for
//!   `pair-success`, then check the companion's `pair-device-sign` answer.
//! - Companion side ([`companion`]): check the container's HMAC and the account signature, countersign,
//!   and produce the identity to send back and the one to keep for `pkmsg` stanzas.
//! - [`link_code`]: pairing by an 8-character code typed on the phone instead of a QR scan.
//! - [`stanza`]: the `pair-device`, `pair-success` and `pair-device-sign` nodes.
//!
//! Randomness and time are arguments; nothing here reads a clock or touches a socket.

pub mod companion;
mod identity;
pub mod link_code;
pub mod primary;
mod qr;
pub mod stanza;

pub use identity::DeviceIdentity;
pub use qr::{QR_URL_PREFIX, QrCode};

/// Prefix of the message the primary signs for an ordinary (end-to-end encrypted) companion.
pub const ACCOUNT_SIGNATURE_PREFIX: [u8; 2] = [6, 0];
/// Prefix of the message the companion countersigns (used for hosted devices too; see
/// [`HOSTED_DEVICE_SIGNATURE_PREFIX`]).
pub const DEVICE_SIGNATURE_PREFIX: [u8; 2] = [6, 1];
/// Prefix of the account signature when the device identity is HOSTED, also put in front of the HMAC
/// input when the HMAC container's account type is HOSTED.
pub const HOSTED_ACCOUNT_SIGNATURE_PREFIX: [u8; 2] = [6, 5];
/// Defined by both reference clients for hosted device signatures but never used by either: they always
/// countersign with [`DEVICE_SIGNATURE_PREFIX`], and so does this crate.
pub const HOSTED_DEVICE_SIGNATURE_PREFIX: [u8; 2] = [6, 6];

/// Length of the ADV secret shared through the QR code (or derived during link-code pairing).
pub const ADV_SECRET_LEN: usize = 32;
