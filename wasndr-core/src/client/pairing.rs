//! The companion's side of QR pairing (transport guide D.1–D.3): the QR strings built from the server's
//! refs, and the strict checks of `pair-success` before we sign and answer.
//!
//! Interim: the pure pairing crypto (QR format, ADV HMAC and signatures for both sides) is being written
//! in `crate::pair` by the simulator engineer; when it lands these helpers call it instead.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand_core::CryptoRng;
use subtle::ConstantTimeEq as _;
use wasndr_proto::Message as _;
use wasndr_proto::adv::{
    AdvDeviceIdentity, AdvEncryptionType, AdvSignedDeviceIdentity, AdvSignedDeviceIdentityHmac,
};

use super::device::{Account, AdvSecret};
use crate::binary::Node;
use crate::crypto::{PublicKey, hmac_sha256_parts};
use crate::jid::Jid;
use crate::signal::IdentityKeyPair;

/// Prefix of the primary's signature over a normal companion's identity.
const ACCOUNT_SIGNATURE_PREFIX: [u8; 2] = [6, 0];
/// Prefix of our signature over the same.
const DEVICE_SIGNATURE_PREFIX: [u8; 2] = [6, 1];
/// Prefix of the primary's signature for hosted devices, also put in front of the HMAC input of a
/// hosted account.
const HOSTED_ACCOUNT_SIGNATURE_PREFIX: [u8; 2] = [6, 5];

/// `https://wa.me/settings/linked_devices#REF,NOISE,IDENTITY,ADV,TYPE` (D.1).
pub(crate) fn qr_code(
    reference: &str,
    noise_key: &PublicKey,
    identity: &PublicKey,
    adv_secret: &AdvSecret,
    web_client_type: u8,
) -> String {
    format!(
        "https://wa.me/settings/linked_devices#{reference},{},{},{},{web_client_type}",
        STANDARD.encode(noise_key.as_bytes()),
        STANDARD.encode(identity.as_bytes()),
        STANDARD.encode(adv_secret.0),
    )
}

/// Why a `pair-success` was refused, with the error the server is told (whatsmeow's codes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PairFailure {
    /// The stanza lacks a part or a part does not decode.
    Malformed(&'static str),
    /// The HMAC under our ADV secret does not match: not our QR, or tampered.
    HmacMismatch,
    /// The primary's account signature over our identity does not verify.
    SignatureMismatch,
}

impl PairFailure {
    /// `(code, text)` of the `<error>` in the iq reply.
    pub(crate) fn wire_error(&self) -> (&'static str, &'static str) {
        match self {
            PairFailure::Malformed(_) => ("500", "internal-error"),
            PairFailure::HmacMismatch => ("401", "hmac-mismatch"),
            PairFailure::SignatureMismatch => ("401", "signature-mismatch"),
        }
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            PairFailure::Malformed(what) => format!("malformed pair-success: {what}"),
            PairFailure::HmacMismatch => "pair-success HMAC does not match our ADV secret".to_owned(),
            PairFailure::SignatureMismatch => "pair-success account signature does not verify".to_owned(),
        }
    }
}

/// A verified `pair-success`: what to store and what to answer.
#[derive(Debug)]
pub(crate) struct VerifiedPairing {
    pub(crate) account: Account,
    /// `ADVSignedDeviceIdentity` without the account signature key, for `pair-device-sign`.
    pub(crate) reply_identity: Vec<u8>,
}

/// Checks the `<pair-success>` element (D.2 steps 1–5) and signs our device signature.
pub(crate) fn verify_pair_success<R: CryptoRng + ?Sized>(
    pair_success: &Node,
    adv_secret: &AdvSecret,
    identity: &IdentityKeyPair,
    rng: &mut R,
) -> Result<VerifiedPairing, PairFailure> {
    use PairFailure::Malformed;
    let container = pair_success
        .child("device-identity")
        .and_then(Node::content_bytes)
        .ok_or(Malformed("no device-identity bytes"))?;
    let device = pair_success
        .child("device")
        .ok_or(Malformed("no device element"))?;
    let jid = device
        .attr_jid("jid")
        .map(|jid| jid.to_owned())
        .ok_or(Malformed("device has no jid"))?;
    let lid = device.attr_jid("lid").map(|jid| jid.to_owned());

    let container = AdvSignedDeviceIdentityHmac::decode(container)
        .map_err(|_| Malformed("device-identity is not an ADVSignedDeviceIdentityHMAC"))?;
    let details = container
        .details
        .ok_or(Malformed("HMAC container without details"))?;
    let hmac = container.hmac.ok_or(Malformed("HMAC container without hmac"))?;
    let hosted_account = container.account_type == Some(AdvEncryptionType::Hosted as i32);
    let prefix: &[u8] = if hosted_account {
        &HOSTED_ACCOUNT_SIGNATURE_PREFIX
    } else {
        &[]
    };
    let expected = hmac_sha256_parts(&adv_secret.0, &[prefix, &details]);
    if hmac.len() != expected.len() || !bool::from(expected.ct_eq(hmac.as_slice())) {
        return Err(PairFailure::HmacMismatch);
    }

    let mut signed = AdvSignedDeviceIdentity::decode(details.as_slice())
        .map_err(|_| Malformed("details are not an ADVSignedDeviceIdentity"))?;
    let device_details = signed
        .details
        .clone()
        .ok_or(Malformed("signed identity without details"))?;
    let account_key = signed
        .account_signature_key
        .as_deref()
        .ok_or(Malformed("signed identity without account signature key"))
        .and_then(|key| PublicKey::from_slice(key).map_err(|_| Malformed("account key is not 32 bytes")))?;
    let account_signature = signed
        .account_signature
        .as_deref()
        .ok_or(Malformed("signed identity without account signature"))?;
    if account_signature.len() != 64 {
        return Err(Malformed("account signature is not 64 bytes"));
    }
    let identity_details = AdvDeviceIdentity::decode(device_details.as_slice())
        .map_err(|_| Malformed("details are not an ADVDeviceIdentity"))?;
    let signature_prefix = if identity_details.device_type == Some(AdvEncryptionType::Hosted as i32) {
        HOSTED_ACCOUNT_SIGNATURE_PREFIX
    } else {
        ACCOUNT_SIGNATURE_PREFIX
    };
    let own_identity = identity.public().as_bytes();
    if !account_key.verify_parts(
        &[&signature_prefix, &device_details, own_identity],
        account_signature,
    ) {
        return Err(PairFailure::SignatureMismatch);
    }

    let device_message = [
        &DEVICE_SIGNATURE_PREFIX[..],
        &device_details,
        own_identity,
        account_key.as_bytes(),
    ]
    .concat();
    signed.device_signature = Some(identity.private().sign(&device_message, rng).to_vec());
    let full = signed.encode_to_vec();
    signed.account_signature_key = None;
    let reply_identity = signed.encode_to_vec();

    let business_name = pair_success
        .child("biz")
        .and_then(|biz| biz.attr_str("name"))
        .map(str::to_owned);
    let platform = pair_success
        .child("platform")
        .and_then(|p| p.attr_str("name"))
        .map(str::to_owned);
    Ok(VerifiedPairing {
        account: Account {
            jid,
            lid,
            platform,
            business_name,
            signed_identity: full,
            key_index: identity_details.key_index.unwrap_or(0),
        },
        reply_identity,
    })
}

/// `<iq to=@s.whatsapp.net type=result id=ID><pair-device-sign><device-identity key-index=K>…` (D.2 step 6).
pub(crate) fn pair_device_sign(id: &str, verified: &VerifiedPairing) -> Node {
    Node::new("iq")
        .attr("to", Jid::server())
        .attr("type", "result")
        .attr("id", id.to_owned())
        .children([
            Node::new("pair-device-sign").children([Node::new("device-identity")
                .attr("key-index", verified.account.key_index.to_string())
                .bytes(verified.reply_identity.clone())]),
        ])
}

/// The refs of a `pair-device` element, as text.
pub(crate) fn pair_device_refs(pair_device: &Node) -> Vec<String> {
    pair_device
        .children_with_tag("ref")
        .filter_map(|r| match &r.content {
            crate::binary::Content::Bytes(bytes) => String::from_utf8(bytes.clone()).ok(),
            crate::binary::Content::Text(text) => Some(text.to_string()),
            _ => None,
        })
        .collect()
}
