//! The WhatsApp Web multi-device protocol.
//!
//! Pure protocol code over bytes — binary nodes, JIDs, Noise, Signal, pairing, media crypto, message
//! building — that takes time and randomness as arguments, and the async `Client` shell that drives it
//! over a WebSocket and a pluggable `Store`.

pub mod binary;
#[cfg(feature = "client")]
pub mod client;
pub mod crypto;
mod error;
pub mod jid;
pub mod login;
pub mod media;
pub mod message;
pub mod noise;
pub mod pair;
pub mod signal;
pub mod stanza;
pub mod store;

pub use error::{Error, Result};
/// The RNG traits this crate's APIs take (`CryptoRng`), so callers need not depend on `rand_core`
/// themselves.
pub use rand_core;
