//! The Signal protocol as WhatsApp uses it: libsignal v3 sessions (X3DH and the double ratchet with the
//! "Whisper" labels) and group sender keys, wire-compatible with libsignal-node and go.mau.fi/libsignal.
//! Written from the protocol description (messaging guide §A–B).
//!
//! Two layers:
//! - [`session`] and [`group`]: pure functions over records. They take a record, `rng` where a key may be
//!   drawn, and return the updated record without storing it, so the caller can persist the ratchet, the
//!   decrypted message and the used prekey in one transaction before acknowledging.
//! - [`cipher`]: the same operations over the [`crate::store`] traits (load, compute, save), with the
//!   identity trust check, for callers that do not need that atomicity.
//!
//! Nothing here reads a clock or opens a socket; randomness is always passed in.

mod address;
pub mod cipher;
mod codec;
pub mod group;
mod identity;
mod prekey;
mod ratchet;
pub mod session;
pub mod wire;

pub use address::{ProtocolAddress, SenderKeyName};
pub use identity::{IdentityKeyPair, MAX_REGISTRATION_ID, generate_registration_id};
pub use prekey::{
    INITIAL_PREKEY_COUNT, MAX_PREKEY_ID, MIN_PREKEY_COUNT, PREKEY_BATCH, PreKeyBundle, PreKeyRecord,
    SignedPreKeyRecord, generate_prekeys, next_prekey_id,
};
