//! Companions that connected with a registration payload and wait for a phone to scan their QR (or to
//! type their link code).

use std::time::Instant;

use tokio::sync::oneshot;
use wasndr_core::crypto::PublicKey;
use wasndr_core::pair::link_code::PrimaryLinkCode;
use wasndr_core::pair::primary::IssuedIdentity;

use super::{DeviceKeys, Outbox};
use crate::error::SimError;

/// A pairing in flight: `pair-success` was sent, `pair-device-sign` is awaited.
#[derive(Debug)]
pub(crate) struct PendingPair {
    /// The `pair-success` iq id.
    pub(crate) iq_id: String,
    /// The scanning phone's number.
    pub(crate) phone: String,
    /// The device number assigned.
    pub(crate) device: u16,
    /// What was issued, to check the answer against.
    pub(crate) issued: IssuedIdentity,
    /// Told the outcome: the new device JID, or why it failed.
    pub(crate) done: Option<oneshot::Sender<Result<String, SimError>>>,
}

/// Link-code pairing in progress for a waiting companion.
#[derive(Debug)]
pub(crate) struct LinkCodeRequest {
    /// The phone number the companion asked to pair with.
    pub(crate) phone: String,
    /// The `link_code_pairing_ref` handed to the companion.
    pub(crate) pairing_ref: String,
    /// `link_code_pairing_wrapped_companion_ephemeral_pub`.
    pub(crate) wrapped_companion_ephemeral: Vec<u8>,
    /// Set once the user typed the code on the phone.
    pub(crate) primary: Option<PrimaryLinkCode>,
    /// Told the outcome once the user typed the code.
    pub(crate) done: Option<oneshot::Sender<Result<String, SimError>>>,
}

/// A companion connected with a registration payload.
#[derive(Debug)]
pub(crate) struct Registration {
    pub(crate) outbox: Outbox,
    /// The Noise static key it will log in with.
    pub(crate) noise_key: PublicKey,
    /// Its Signal keys from `devicePairingData`.
    pub(crate) keys: DeviceKeys,
    /// Refs issued in `pair-device`, with the instant each stops being valid.
    pub(crate) refs: Vec<(String, Instant)>,
    pub(crate) pending: Option<PendingPair>,
    pub(crate) link_code: Option<LinkCodeRequest>,
}
