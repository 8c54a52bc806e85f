use wasndr_proto::Message as _;
use wasndr_proto::signal::SenderKeyDistributionMessage as Proto;

use super::{VERSION_BYTE, key_field, split_version};
use crate::crypto::PublicKey;
use crate::error::{Error, Result};

/// A SenderKeyDistributionMessage: `0x33 ‖ protobuf`, unsigned. It hands a group member the sender's
/// current chain key and iteration and the public signing key, so it can decrypt from there on. It
/// travels inside a pairwise-encrypted message, which is what authenticates it.
#[derive(Clone, PartialEq, Eq)]
pub struct SenderKeyDistributionMessage {
    /// The sender key's id.
    pub key_id: u32,
    /// The iteration `chain_key` is at.
    pub iteration: u32,
    /// The chain key (seed) at `iteration`.
    pub chain_key: [u8; 32],
    /// The public key group messages are signed with.
    pub signing_key: PublicKey,
    serialized: Vec<u8>,
}

impl SenderKeyDistributionMessage {
    /// Parses a distribution message.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let rest = split_version(bytes)?;
        let proto = Proto::decode(rest)
            .map_err(|_| Error::InvalidSignalMessage("SenderKeyDistributionMessage is not valid protobuf"))?;
        let chain_key = proto
            .chain_key
            .as_deref()
            .and_then(|k| <[u8; 32]>::try_from(k).ok())
            .ok_or(Error::InvalidSignalMessage(
                "SenderKeyDistributionMessage chainKey is not 32 bytes",
            ))?;
        Ok(Self {
            key_id: proto.id.ok_or(Error::InvalidSignalMessage(
                "SenderKeyDistributionMessage without id",
            ))?,
            iteration: proto.iteration.ok_or(Error::InvalidSignalMessage(
                "SenderKeyDistributionMessage without iteration",
            ))?,
            chain_key,
            signing_key: key_field(
                proto.signing_key.as_deref(),
                "SenderKeyDistributionMessage signingKey",
            )?,
            serialized: bytes.to_vec(),
        })
    }

    /// Encodes a distribution message; every field is always written, as Baileys and libsignal do.
    pub fn new(key_id: u32, iteration: u32, chain_key: [u8; 32], signing_key: PublicKey) -> Self {
        let proto = Proto {
            id: Some(key_id),
            iteration: Some(iteration),
            chain_key: Some(chain_key.to_vec()),
            signing_key: Some(signing_key.serialize().to_vec()),
        };
        let mut serialized = Vec::with_capacity(1 + proto.encoded_len());
        serialized.push(VERSION_BYTE);
        let _ = proto.encode(&mut serialized);
        Self {
            key_id,
            iteration,
            chain_key,
            signing_key,
            serialized,
        }
    }

    /// The complete wire bytes.
    pub fn serialized(&self) -> &[u8] {
        &self.serialized
    }
}

impl std::fmt::Debug for SenderKeyDistributionMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SenderKeyDistributionMessage")
            .field("key_id", &self.key_id)
            .field("iteration", &self.iteration)
            .field("chain_key", &"<redacted>")
            .field("signing_key", &self.signing_key)
            .finish()
    }
}
