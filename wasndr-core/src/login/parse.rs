//! Reading a `ClientPayload` as a server does: is this a new companion asking to pair, or a paired one
//! logging in (transport guide A.7, last paragraph)? The simulator uses this; the client never parses its
//! own payloads except in tests.

use wasndr_proto::Message as _;
use wasndr_proto::client_payload::ClientPayload;
use wasndr_proto::companion_reg::DeviceProps;

use super::payload::KEY_TYPE_DJB;
use crate::crypto::PublicKey;
use crate::error::{Error, Result};
use crate::jid::Jid;

/// A decoded `ClientPayload` and what it asks for.
#[derive(Clone, Debug)]
pub struct ParsedClientPayload {
    /// What the client asks for.
    pub request: ClientRequest,
    /// The whole decoded payload, for fields [`ClientRequest`] does not lift out.
    pub payload: ClientPayload,
}

/// What a `ClientPayload` asks the server to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientRequest {
    /// A new companion asks to be paired (`devicePairingData` present, no `username`).
    Register(Box<Registration>),
    /// A paired companion logs in (`username` and `device` present).
    Login(LoginRequest),
}

/// The Signal material of a registration payload, decoded from its fixed-width byte fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    /// Registration id (`eRegid`, 4 bytes big-endian).
    pub registration_id: u32,
    /// Identity public key (`eIdent`).
    pub identity: PublicKey,
    /// Signed-prekey id (`eSkeyId`, 3 bytes big-endian).
    pub signed_prekey_id: u32,
    /// Signed-prekey public key (`eSkeyVal`).
    pub signed_prekey: PublicKey,
    /// Signature over `05 ‖ signed prekey` (`eSkeySig`).
    pub signed_prekey_signature: [u8; 64],
    /// MD5 of the version string (`buildHash`).
    pub build_hash: Vec<u8>,
    /// The companion's `DeviceProps`, if present and decodable.
    pub device_props: Option<DeviceProps>,
}

impl Registration {
    /// Whether the signed prekey's signature verifies under the identity key.
    pub fn signed_prekey_signature_is_valid(&self) -> bool {
        self.identity
            .verify(&self.signed_prekey.serialize(), &self.signed_prekey_signature)
    }
}

/// The identity a login payload claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginRequest {
    /// The account's phone number (`username`).
    pub username: u64,
    /// The companion device number (`device`).
    pub device: u16,
    /// Whether the client starts passive (it sends `<active/>` later).
    pub passive: bool,
    /// `pull`: whether the client wants the offline backlog.
    pub pull: bool,
}

impl LoginRequest {
    /// The device JID `username:device@s.whatsapp.net`.
    pub fn device_jid(&self) -> Jid {
        Jid::pn(&self.username.to_string()).with_device(self.device)
    }
}

fn malformed(what: &'static str) -> Error {
    Error::MalformedClientPayload(what)
}

fn fixed<const N: usize>(field: &Option<Vec<u8>>, what: &'static str) -> Result<[u8; N]> {
    field
        .as_deref()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(malformed(what))
}

/// Decodes `bytes` (the decrypted ClientFinish payload) and tells registration from login.
pub fn parse_client_payload(bytes: &[u8]) -> Result<ParsedClientPayload> {
    let payload = ClientPayload::decode(bytes).map_err(|_| malformed("not a ClientPayload protobuf"))?;
    let request = match (&payload.device_pairing_data, payload.username) {
        (Some(_), Some(_)) => return Err(malformed("both devicePairingData and username are set")),
        (None, None) => return Err(malformed("neither devicePairingData nor username is set")),
        (None, Some(username)) => {
            let device = payload.device.ok_or(malformed("login payload without device"))?;
            ClientRequest::Login(LoginRequest {
                username,
                device: u16::try_from(device).map_err(|_| malformed("device number above 65535"))?,
                passive: payload.passive.unwrap_or(false),
                pull: payload.pull.unwrap_or(false),
            })
        }
        (Some(data), None) => {
            if data.e_keytype.as_deref() != Some(&[KEY_TYPE_DJB][..]) {
                return Err(malformed("eKeytype is not 05"));
            }
            let [a, b, c] = fixed::<3>(&data.e_skey_id, "eSkeyId is not 3 bytes")?;
            ClientRequest::Register(Box::new(Registration {
                registration_id: u32::from_be_bytes(fixed(&data.e_regid, "eRegid is not 4 bytes")?),
                identity: PublicKey::from_bytes(fixed(&data.e_ident, "eIdent is not 32 bytes")?),
                signed_prekey_id: u32::from_be_bytes([0, a, b, c]),
                signed_prekey: PublicKey::from_bytes(fixed(&data.e_skey_val, "eSkeyVal is not 32 bytes")?),
                signed_prekey_signature: fixed(&data.e_skey_sig, "eSkeySig is not 64 bytes")?,
                build_hash: data.build_hash.clone().unwrap_or_default(),
                device_props: data
                    .device_props
                    .as_deref()
                    .and_then(|props| DeviceProps::decode(props).ok()),
            }))
        }
    };
    Ok(ParsedClientPayload { request, payload })
}
