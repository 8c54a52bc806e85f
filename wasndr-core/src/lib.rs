//! The WhatsApp Web multi-device protocol.
//!
//! Pure protocol code over bytes — binary nodes, JIDs, Noise, Signal, pairing, media crypto, message
//! building — that takes time and randomness as arguments, and the async `Client` shell that drives it
//! over a WebSocket and a pluggable `Store`.

pub mod binary;
pub mod crypto;
mod error;
pub mod jid;

pub use error::{Error, Result};
