//! The ADV device identity the primary asserts about a companion, and the signed messages built over it.

use wasndr_proto::Message;
use wasndr_proto::adv::{AdvDeviceIdentity, AdvEncryptionType};

use super::{ACCOUNT_SIGNATURE_PREFIX, DEVICE_SIGNATURE_PREFIX, HOSTED_ACCOUNT_SIGNATURE_PREFIX};
use crate::crypto::PublicKey;
use crate::error::{Error, Result};

/// What the primary states about a companion (`ADVDeviceIdentity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceIdentity {
    /// An id the primary chooses for the account (`rawId`).
    pub raw_id: u32,
    /// When the primary signed, unix seconds.
    pub timestamp: u64,
    /// The key index the primary assigned to this companion (echoed as `key-index`).
    pub key_index: u32,
    /// Whether the account and device are HOSTED (Cloud API): switches the account-signature prefix
    /// to `06 05`.
    pub hosted: bool,
}

impl DeviceIdentity {
    /// The serialized `ADVDeviceIdentity` (the account and device type fields are written only for
    /// hosted identities, as the phone does).
    pub fn encode(&self) -> Vec<u8> {
        let hosted = self.hosted.then_some(AdvEncryptionType::Hosted as i32);
        AdvDeviceIdentity {
            raw_id: Some(self.raw_id),
            timestamp: Some(self.timestamp),
            key_index: Some(self.key_index),
            account_type: hosted,
            device_type: hosted,
        }
        .encode_to_vec()
    }

    /// Parses a serialized `ADVDeviceIdentity`.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let identity = AdvDeviceIdentity::decode(bytes)
            .map_err(|_| Error::MalformedPairing("ADVDeviceIdentity is not a valid protobuf"))?;
        Ok(Self {
            raw_id: identity.raw_id.unwrap_or_default(),
            timestamp: identity.timestamp.unwrap_or_default(),
            key_index: identity.key_index.unwrap_or_default(),
            hosted: identity.device_type == Some(AdvEncryptionType::Hosted as i32),
        })
    }
}

/// The account-signature prefix for an identity whose `deviceType` is (or is not) HOSTED.
pub(crate) fn account_prefix(hosted: bool) -> [u8; 2] {
    if hosted {
        HOSTED_ACCOUNT_SIGNATURE_PREFIX
    } else {
        ACCOUNT_SIGNATURE_PREFIX
    }
}

/// The parts of the message the primary signs: `prefix ‖ ADVDeviceIdentity ‖ companion identity`.
pub(crate) fn account_signature_parts<'a>(
    prefix: &'a [u8; 2],
    details: &'a [u8],
    companion_identity: &'a PublicKey,
) -> [&'a [u8]; 3] {
    [prefix, details, companion_identity.as_bytes()]
}

/// The parts of the message the companion countersigns:
/// `06 01 ‖ ADVDeviceIdentity ‖ companion identity ‖ account signature key`.
pub(crate) fn device_signature_parts<'a>(
    details: &'a [u8],
    companion_identity: &'a PublicKey,
    account_key: &'a PublicKey,
) -> [&'a [u8]; 4] {
    [
        &DEVICE_SIGNATURE_PREFIX,
        details,
        companion_identity.as_bytes(),
        account_key.as_bytes(),
    ]
}

/// A 64-byte signature from an optional protobuf field.
pub(crate) fn signature64(bytes: Option<&[u8]>, what: &'static str) -> Result<[u8; 64]> {
    bytes
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(Error::MalformedPairing(what))
}

/// A 32-byte key from an optional protobuf field.
pub(crate) fn key32(bytes: Option<&[u8]>, what: &'static str) -> Result<PublicKey> {
    bytes
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .map(PublicKey::from_bytes)
        .ok_or(Error::MalformedPairing(what))
}
