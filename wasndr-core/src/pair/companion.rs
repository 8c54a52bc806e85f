//! The companion's side of pairing: check the `pair-success` identity container (HMAC under the ADV
//! secret, then the primary's account signature) and countersign it (transport guide D.2 steps 1–6).

use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use wasndr_proto::Message;
use wasndr_proto::adv::{AdvEncryptionType, AdvSignedDeviceIdentity, AdvSignedDeviceIdentityHmac};

use super::identity::{
    DeviceIdentity, account_prefix, account_signature_parts, device_signature_parts, key32, signature64,
};
use super::{ADV_SECRET_LEN, HOSTED_ACCOUNT_SIGNATURE_PREFIX};
use crate::crypto::{PublicKey, hmac_sha256_parts};
use crate::error::{Error, Result};
use crate::signal::IdentityKeyPair;

/// A device identity whose HMAC and account signature have been checked, not yet countersigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    identity: DeviceIdentity,
    details: Vec<u8>,
    account_key: PublicKey,
    account_signature: [u8; 64],
}

/// The companion's signed device identity after pairing: kept for the life of the device and sent
/// inside `<device-identity>` of every stanza with a `pkmsg`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairedIdentity {
    /// What the primary asserted.
    pub identity: DeviceIdentity,
    /// The serialized `ADVDeviceIdentity`, exactly as signed.
    pub details: Vec<u8>,
    /// The primary's identity key.
    pub account_key: PublicKey,
    /// The primary's signature.
    pub account_signature: [u8; 64],
    /// Our countersignature.
    pub device_signature: [u8; 64],
}

/// Checks the content of `<pair-success><device-identity>`: the HMAC-SHA256 under `adv_secret` (with
/// `06 05` in front when the container says HOSTED), then the account signature by the primary over
/// `06 00|06 05 ‖ details ‖ own identity`. Both are refused on mismatch; the account signature is
/// really checked (Baileys' check is ineffective, see the pairing vectors' notes).
pub fn verify_device_identity(
    container: &[u8],
    adv_secret: &[u8; ADV_SECRET_LEN],
    own_identity: &PublicKey,
) -> Result<VerifiedIdentity> {
    let container = AdvSignedDeviceIdentityHmac::decode(container)
        .map_err(|_| Error::MalformedPairing("device-identity is not an ADVSignedDeviceIdentityHMAC"))?;
    let signed_bytes = container.details.ok_or(Error::MalformedPairing(
        "device-identity container has no details",
    ))?;
    let hmac = container
        .hmac
        .ok_or(Error::MalformedPairing("device-identity container has no hmac"))?;
    let expected = if container.account_type == Some(AdvEncryptionType::Hosted as i32) {
        hmac_sha256_parts(adv_secret, &[&HOSTED_ACCOUNT_SIGNATURE_PREFIX, &signed_bytes])
    } else {
        hmac_sha256_parts(adv_secret, &[&signed_bytes])
    };
    if !bool::from(expected.as_slice().ct_eq(hmac.as_slice())) {
        return Err(Error::AdvHmacMismatch);
    }

    let signed = AdvSignedDeviceIdentity::decode(signed_bytes.as_slice())
        .map_err(|_| Error::MalformedPairing("ADVSignedDeviceIdentity is not a valid protobuf"))?;
    let details = signed
        .details
        .ok_or(Error::MalformedPairing("ADVSignedDeviceIdentity has no details"))?;
    let identity = DeviceIdentity::decode(&details)?;
    let account_key = key32(
        signed.account_signature_key.as_deref(),
        "account signature key is not 32 bytes",
    )?;
    let account_signature = signature64(
        signed.account_signature.as_deref(),
        "account signature is not 64 bytes",
    )?;
    let prefix = account_prefix(identity.hosted);
    if !account_key.verify_parts(
        &account_signature_parts(&prefix, &details, own_identity),
        &account_signature,
    ) {
        return Err(Error::AdvAccountSignatureInvalid);
    }
    Ok(VerifiedIdentity {
        identity,
        details,
        account_key,
        account_signature,
    })
}

impl VerifiedIdentity {
    /// What the primary asserted.
    pub fn identity(&self) -> &DeviceIdentity {
        &self.identity
    }

    /// The primary's identity key.
    pub fn account_key(&self) -> &PublicKey {
        &self.account_key
    }

    /// Countersigns with our identity key (`06 01 ‖ details ‖ own identity ‖ account key`).
    pub fn countersign<R: CryptoRng + ?Sized>(
        self,
        own_identity: &IdentityKeyPair,
        rng: &mut R,
    ) -> PairedIdentity {
        let mut random = [0u8; 64];
        rng.fill_bytes(&mut random);
        self.countersign_with_random(own_identity, &random)
    }

    /// [`VerifiedIdentity::countersign`] with the signature's 64 random bytes given.
    pub fn countersign_with_random(
        self,
        own_identity: &IdentityKeyPair,
        random: &[u8; 64],
    ) -> PairedIdentity {
        let parts = device_signature_parts(&self.details, own_identity.public(), &self.account_key);
        let device_signature = own_identity.private().sign_parts_with_random(&parts, random);
        PairedIdentity {
            identity: self.identity,
            details: self.details,
            account_key: self.account_key,
            account_signature: self.account_signature,
            device_signature,
        }
    }
}

/// Checks the `pair-success` container and countersigns it: [`verify_device_identity`] then
/// [`VerifiedIdentity::countersign`].
pub fn verify_and_countersign<R: CryptoRng + ?Sized>(
    container: &[u8],
    adv_secret: &[u8; ADV_SECRET_LEN],
    own_identity: &IdentityKeyPair,
    rng: &mut R,
) -> Result<PairedIdentity> {
    Ok(verify_device_identity(container, adv_secret, own_identity.public())?.countersign(own_identity, rng))
}

impl PairedIdentity {
    /// The key index the primary assigned (the `key-index` of `pair-device-sign`).
    pub fn key_index(&self) -> u32 {
        self.identity.key_index
    }

    /// The full `ADVSignedDeviceIdentity` (details, account key, both signatures): what goes into
    /// `<device-identity>` next to a `pkmsg`, and what to persist.
    pub fn signed_identity(&self) -> Vec<u8> {
        self.to_proto(true).encode_to_vec()
    }

    /// The `ADVSignedDeviceIdentity` without the account key: the content of
    /// `<pair-device-sign><device-identity>`.
    pub fn reply_identity(&self) -> Vec<u8> {
        self.to_proto(false).encode_to_vec()
    }

    fn to_proto(&self, with_account_key: bool) -> AdvSignedDeviceIdentity {
        AdvSignedDeviceIdentity {
            details: Some(self.details.clone()),
            account_signature_key: with_account_key.then(|| self.account_key.as_bytes().to_vec()),
            account_signature: Some(self.account_signature.to_vec()),
            device_signature: Some(self.device_signature.to_vec()),
        }
    }

    /// Parses a persisted [`PairedIdentity::signed_identity`] (all four fields required). Signatures are
    /// not re-checked: this is our own stored state.
    pub fn from_signed_identity(bytes: &[u8]) -> Result<Self> {
        let signed = AdvSignedDeviceIdentity::decode(bytes)
            .map_err(|_| Error::MalformedPairing("ADVSignedDeviceIdentity is not a valid protobuf"))?;
        let details = signed
            .details
            .ok_or(Error::MalformedPairing("ADVSignedDeviceIdentity has no details"))?;
        Ok(Self {
            identity: DeviceIdentity::decode(&details)?,
            details,
            account_key: key32(
                signed.account_signature_key.as_deref(),
                "account signature key is not 32 bytes",
            )?,
            account_signature: signature64(
                signed.account_signature.as_deref(),
                "account signature is not 64 bytes",
            )?,
            device_signature: signature64(
                signed.device_signature.as_deref(),
                "device signature is not 64 bytes",
            )?,
        })
    }
}
