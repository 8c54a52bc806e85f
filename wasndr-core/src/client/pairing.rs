//! The companion's side of QR pairing (transport guide D.1–D.3) as the driver needs it: QR strings from
//! the server's refs, and `pair-success` checked strictly and countersigned. The crypto and the
//! stanza formats are [`crate::pair`]'s; this module adapts them to the owned nodes the driver reads and
//! to the error replies the server expects.

use rand_core::CryptoRng;

use super::device::{Account, AdvSecret};
use crate::binary::{Content, Node};
use crate::crypto::PublicKey;
use crate::error::Error;
use crate::pair::QrCode;
use crate::pair::companion::verify_and_countersign;
use crate::pair::stanza::PairDeviceSign;
use crate::signal::IdentityKeyPair;

/// `https://wa.me/settings/linked_devices#REF,NOISE,IDENTITY,ADV,TYPE` (D.1).
pub(crate) fn qr_code(
    reference: &str,
    noise_key: &PublicKey,
    identity: &PublicKey,
    adv_secret: &AdvSecret,
    web_client_type: u8,
) -> String {
    QrCode {
        reference: reference.to_owned(),
        noise_public: *noise_key,
        identity_public: *identity,
        adv_secret: adv_secret.0,
        client_type: Some(web_client_type.to_string()),
    }
    .to_string()
}

/// Why a `pair-success` was refused, with the error the server is told (whatsmeow's codes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PairFailure {
    /// The stanza lacks a part or a part does not decode.
    Malformed(String),
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

impl From<Error> for PairFailure {
    fn from(error: Error) -> Self {
        match error {
            Error::AdvHmacMismatch => PairFailure::HmacMismatch,
            Error::AdvAccountSignatureInvalid => PairFailure::SignatureMismatch,
            other => PairFailure::Malformed(other.to_string()),
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

/// Checks the `<pair-success>` element (D.2 steps 1–5) and countersigns it.
pub(crate) fn verify_pair_success<R: CryptoRng + ?Sized>(
    pair_success: &Node,
    adv_secret: &AdvSecret,
    identity: &IdentityKeyPair,
    rng: &mut R,
) -> Result<VerifiedPairing, PairFailure> {
    let malformed = |what: &str| PairFailure::Malformed(what.to_owned());
    let container = pair_success
        .child("device-identity")
        .and_then(Node::content_bytes)
        .ok_or_else(|| malformed("no device-identity bytes"))?;
    let device = pair_success
        .child("device")
        .ok_or_else(|| malformed("no device element"))?;
    let jid = device
        .attr_jid("jid")
        .map(|jid| jid.to_owned())
        .ok_or_else(|| malformed("device has no jid"))?;
    let lid = device.attr_jid("lid").map(|jid| jid.to_owned());
    let paired = verify_and_countersign(container, &adv_secret.0, identity, rng)?;
    Ok(VerifiedPairing {
        account: Account {
            jid,
            lid,
            platform: pair_success
                .child("platform")
                .and_then(|p| p.attr_str("name"))
                .map(str::to_owned),
            business_name: pair_success
                .child("biz")
                .and_then(|biz| biz.attr_str("name"))
                .map(str::to_owned),
            signed_identity: paired.signed_identity(),
            key_index: paired.key_index(),
        },
        reply_identity: paired.reply_identity(),
    })
}

/// `<iq to=@s.whatsapp.net type=result id=ID><pair-device-sign><device-identity key-index=K>…` (D.2 step 6).
pub(crate) fn pair_device_sign(id: &str, verified: &VerifiedPairing) -> Node {
    PairDeviceSign {
        id: id.to_owned(),
        key_index: verified.account.key_index,
        device_identity: verified.reply_identity.clone(),
    }
    .to_node()
}

/// The refs of a `pair-device` element, as text.
pub(crate) fn pair_device_refs(pair_device: &Node) -> Vec<String> {
    pair_device
        .children_with_tag("ref")
        .filter_map(|r| match &r.content {
            Content::Bytes(bytes) => String::from_utf8(bytes.clone()).ok(),
            Content::Text(text) => Some(text.to_string()),
            _ => None,
        })
        .collect()
}
