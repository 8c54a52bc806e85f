use wasndr_proto::Message as _;
use wasndr_proto::signal::PreKeyWhisperMessage;

use super::{SignalMessage, VERSION_BYTE, key_field, split_version};
use crate::crypto::PublicKey;
use crate::error::{Error, Result};

/// A PreKeySignalMessage (`<enc type="pkmsg">`): `0x33 ‖ PreKeyWhisperMessage`, carrying what the
/// responder needs for X3DH plus the first [`SignalMessage`]. It has no MAC of its own: a wrong base or
/// identity key makes the inner MAC fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreKeySignalMessage {
    /// The sender's registration id.
    pub registration_id: u32,
    /// The one-time prekey used, if any (0 on the wire is read as "none", as both libraries do).
    pub prekey_id: Option<u32>,
    /// The signed prekey used.
    pub signed_prekey_id: u32,
    /// The sender's X3DH base key; identifies the session.
    pub base_key: PublicKey,
    /// The sender's identity key.
    pub identity_key: PublicKey,
    /// The enclosed message.
    pub message: SignalMessage,
    serialized: Vec<u8>,
}

impl PreKeySignalMessage {
    /// Parses a prekey message and the message inside it.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let rest = split_version(bytes)?;
        let proto = PreKeyWhisperMessage::decode(rest)
            .map_err(|_| Error::InvalidSignalMessage("PreKeyWhisperMessage is not valid protobuf"))?;
        let message = proto.message.as_deref().ok_or(Error::InvalidSignalMessage(
            "PreKeyWhisperMessage without message",
        ))?;
        Ok(Self {
            registration_id: proto.registration_id.ok_or(Error::InvalidSignalMessage(
                "PreKeyWhisperMessage without registrationId",
            ))?,
            prekey_id: proto.pre_key_id.filter(|&id| id != 0),
            signed_prekey_id: proto.signed_pre_key_id.ok_or(Error::InvalidSignalMessage(
                "PreKeyWhisperMessage without signedPreKeyId",
            ))?,
            base_key: key_field(proto.base_key.as_deref(), "PreKeyWhisperMessage baseKey")?,
            identity_key: key_field(proto.identity_key.as_deref(), "PreKeyWhisperMessage identityKey")?,
            message: SignalMessage::parse(message)?,
            serialized: bytes.to_vec(),
        })
    }

    /// Wraps `message` for a session whose first reply has not arrived yet.
    pub(crate) fn build(
        registration_id: u32,
        prekey_id: Option<u32>,
        signed_prekey_id: u32,
        base_key: &PublicKey,
        identity_key: &PublicKey,
        message: SignalMessage,
    ) -> Self {
        let proto = PreKeyWhisperMessage {
            pre_key_id: prekey_id,
            base_key: Some(base_key.serialize().to_vec()),
            identity_key: Some(identity_key.serialize().to_vec()),
            message: Some(message.serialized().to_vec()),
            registration_id: Some(registration_id),
            signed_pre_key_id: Some(signed_prekey_id),
        };
        let mut serialized = Vec::with_capacity(1 + proto.encoded_len());
        serialized.push(VERSION_BYTE);
        let _ = proto.encode(&mut serialized);
        Self {
            registration_id,
            prekey_id,
            signed_prekey_id,
            base_key: *base_key,
            identity_key: *identity_key,
            message,
            serialized,
        }
    }

    /// The complete wire bytes.
    pub fn serialized(&self) -> &[u8] {
        &self.serialized
    }

    /// Consumes the message, returning its wire bytes.
    pub fn into_serialized(self) -> Vec<u8> {
        self.serialized
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_fields_and_garbage_are_errors() {
        let inner = SignalMessage::build(
            &[1; 32],
            &PublicKey::from_bytes([1; 32]),
            &PublicKey::from_bytes([2; 32]),
            &PublicKey::from_bytes([3; 32]),
            0,
            0,
            vec![0; 16],
        );
        let message = PreKeySignalMessage::build(
            7,
            None,
            1,
            &PublicKey::from_bytes([4; 32]),
            &PublicKey::from_bytes([5; 32]),
            inner,
        );
        let parsed = PreKeySignalMessage::parse(message.serialized()).unwrap();
        assert_eq!(parsed, message);
        assert_eq!(parsed.prekey_id, None);
        // Every truncation is an error, never a panic.
        for len in 0..message.serialized().len() {
            assert!(
                PreKeySignalMessage::parse(&message.serialized()[..len]).is_err(),
                "{len}"
            );
        }
        assert_eq!(
            PreKeySignalMessage::parse(&[0x43, 0x08, 0x01]),
            Err(Error::InvalidVersion(0x43))
        );
    }
}
