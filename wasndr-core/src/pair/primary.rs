//! The primary phone's side of QR and link-code pairing: sign the companion's device identity, wrap it
//! in the HMAC container for `pair-success`, and check the companion's countersignature in
//! `pair-device-sign` (transport guide D.2, D.3).

use rand_core::CryptoRng;
use wasndr_proto::Message;
use wasndr_proto::adv::{AdvEncryptionType, AdvSignedDeviceIdentity, AdvSignedDeviceIdentityHmac};

use super::identity::{
    DeviceIdentity, account_prefix, account_signature_parts, device_signature_parts, signature64,
};
use super::{ADV_SECRET_LEN, HOSTED_ACCOUNT_SIGNATURE_PREFIX};
use crate::crypto::{PublicKey, hmac_sha256_parts};
use crate::error::{Error, Result};
use crate::signal::IdentityKeyPair;

/// A device identity the primary issued: the bytes for `<pair-success><device-identity>` and what it
/// needs to check the companion's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedIdentity {
    /// What was asserted.
    pub identity: DeviceIdentity,
    /// The serialized `ADVDeviceIdentity` both signatures cover.
    pub details: Vec<u8>,
    /// The primary's identity key (`accountSignatureKey`).
    pub account_key: PublicKey,
    /// The companion's identity key the account signature covers.
    pub companion_identity: PublicKey,
    /// The serialized `ADVSignedDeviceIdentityHMAC`: the content of `<device-identity>`.
    pub container: Vec<u8>,
}

/// The message the primary signs: `06 00` (or `06 05` when hosted) `‖ details ‖ companion identity`.
pub fn account_signature_message(details: &[u8], companion_identity: &PublicKey, hosted: bool) -> Vec<u8> {
    let prefix = account_prefix(hosted);
    account_signature_parts(&prefix, details, companion_identity).concat()
}

/// Signs `identity` for the companion whose identity key is `companion_identity` and wraps it with an
/// HMAC under the ADV secret from the companion's QR code (or from link-code pairing).
pub fn issue_device_identity<R: CryptoRng + ?Sized>(
    phone_identity: &IdentityKeyPair,
    companion_identity: &PublicKey,
    adv_secret: &[u8; ADV_SECRET_LEN],
    identity: DeviceIdentity,
    rng: &mut R,
) -> IssuedIdentity {
    let details = identity.encode();
    let prefix = account_prefix(identity.hosted);
    let mut random = [0u8; 64];
    rng.fill_bytes(&mut random);
    let signature = phone_identity.private().sign_parts_with_random(
        &account_signature_parts(&prefix, &details, companion_identity),
        &random,
    );
    let container = seal_device_identity(
        &details,
        phone_identity.public(),
        &signature,
        adv_secret,
        identity.hosted,
    );
    IssuedIdentity {
        identity,
        details,
        account_key: *phone_identity.public(),
        companion_identity: *companion_identity,
        container,
    }
}

/// Builds the `ADVSignedDeviceIdentityHMAC` over already signed details: the signed identity (details,
/// account key, account signature) and its HMAC-SHA256 under `adv_secret`, with `06 05` in front of the
/// HMAC input and account type HOSTED when `hosted`.
pub fn seal_device_identity(
    details: &[u8],
    account_key: &PublicKey,
    account_signature: &[u8; 64],
    adv_secret: &[u8; ADV_SECRET_LEN],
    hosted: bool,
) -> Vec<u8> {
    let signed = AdvSignedDeviceIdentity {
        details: Some(details.to_vec()),
        account_signature_key: Some(account_key.as_bytes().to_vec()),
        account_signature: Some(account_signature.to_vec()),
        device_signature: None,
    }
    .encode_to_vec();
    let hmac = if hosted {
        hmac_sha256_parts(adv_secret, &[&HOSTED_ACCOUNT_SIGNATURE_PREFIX, &signed])
    } else {
        hmac_sha256_parts(adv_secret, &[&signed])
    };
    AdvSignedDeviceIdentityHmac {
        details: Some(signed),
        hmac: Some(hmac.to_vec()),
        account_type: hosted.then_some(AdvEncryptionType::Hosted as i32),
    }
    .encode_to_vec()
}

/// Checks the companion's `pair-device-sign` answer (`ADVSignedDeviceIdentity` without the account
/// key): it must carry exactly the details that were issued and a device signature by the companion's
/// identity key over `06 01 ‖ details ‖ companion identity ‖ account key`. Returns the confirmed
/// identity.
pub fn verify_pair_device_sign(issued: &IssuedIdentity, reply: &[u8]) -> Result<DeviceIdentity> {
    let signed = AdvSignedDeviceIdentity::decode(reply)
        .map_err(|_| Error::MalformedPairing("pair-device-sign identity is not a valid protobuf"))?;
    let details = signed.details.ok_or(Error::MalformedPairing(
        "pair-device-sign identity has no details",
    ))?;
    if details != issued.details {
        return Err(Error::MalformedPairing(
            "pair-device-sign identity names other details than were issued",
        ));
    }
    let device_signature = signature64(
        signed.device_signature.as_deref(),
        "pair-device-sign device signature is not 64 bytes",
    )?;
    let parts = device_signature_parts(&details, &issued.companion_identity, &issued.account_key);
    if !issued.companion_identity.verify_parts(&parts, &device_signature) {
        return Err(Error::AdvDeviceSignatureInvalid);
    }
    Ok(issued.identity)
}
