use wasndr_proto::Message as _;
use wasndr_proto::signal::SenderKeyMessage as Proto;

use super::{SIGNATURE_LEN, VERSION_BYTE, split_version};
use crate::crypto::{PrivateKey, PublicKey};
use crate::error::{Error, Result};

/// A group message (`<enc type="skmsg">`): `0x33 ‖ SenderKeyMessage ‖ signature(64)`, the signature by
/// the sender-key signing key over everything before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SenderKeyMessage {
    /// Which of the sender's keys (states) encrypted this.
    pub key_id: u32,
    /// The chain iteration of the message key.
    pub iteration: u32,
    /// AES-256-CBC ciphertext.
    pub ciphertext: Vec<u8>,
    serialized: Vec<u8>,
}

impl SenderKeyMessage {
    /// Parses a group message without checking its signature (that needs the sender key).
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let rest = split_version(bytes)?;
        let proto_len = rest
            .len()
            .checked_sub(SIGNATURE_LEN)
            .ok_or(Error::InvalidSignalMessage(
                "SenderKeyMessage shorter than its signature",
            ))?;
        let proto = Proto::decode(&rest[..proto_len])
            .map_err(|_| Error::InvalidSignalMessage("SenderKeyMessage is not valid protobuf"))?;
        Ok(Self {
            key_id: proto
                .id
                .ok_or(Error::InvalidSignalMessage("SenderKeyMessage without id"))?,
            iteration: proto
                .iteration
                .ok_or(Error::InvalidSignalMessage("SenderKeyMessage without iteration"))?,
            ciphertext: proto
                .ciphertext
                .ok_or(Error::InvalidSignalMessage("SenderKeyMessage without ciphertext"))?,
            serialized: bytes.to_vec(),
        })
    }

    /// Encodes and signs a group message with 64 bytes of signing randomness.
    pub(crate) fn build(
        key_id: u32,
        iteration: u32,
        ciphertext: Vec<u8>,
        signing_key: &PrivateKey,
        random: &[u8; 64],
    ) -> Self {
        let proto = Proto {
            id: Some(key_id),
            iteration: Some(iteration),
            ciphertext: Some(ciphertext),
        };
        let mut serialized = Vec::with_capacity(1 + proto.encoded_len() + SIGNATURE_LEN);
        serialized.push(VERSION_BYTE);
        let _ = proto.encode(&mut serialized);
        let signature = signing_key.sign_parts_with_random(&[&serialized], random);
        serialized.extend_from_slice(&signature);
        Self {
            key_id,
            iteration,
            ciphertext: proto.ciphertext.unwrap_or_default(),
            serialized,
        }
    }

    /// Checks the signature against the sender's signing key.
    pub fn verify_signature(&self, signing_key: &PublicKey) -> bool {
        let Some(split) = self.serialized.len().checked_sub(SIGNATURE_LEN) else {
            return false;
        };
        let (signed, signature) = self.serialized.split_at(split);
        signing_key.verify(signed, signature)
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
