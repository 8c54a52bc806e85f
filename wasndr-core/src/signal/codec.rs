//! Shared helpers for turning stored records back into typed values. Records are our own format, so a
//! malformed one is corruption in the store, never peer input.

use std::collections::VecDeque;

use wasndr_proto::signal::record as pb;

use super::ratchet::{ChainKey, SkippedKey};
use crate::crypto::{PrivateKey, PublicKey};
use crate::error::Result;
use crate::store::StoreError;

/// The layout version every top-level record writes. Bump it, and migrate in the decoder, when a
/// record's meaning changes.
pub(crate) const RECORD_VERSION: u32 = 1;

/// Refuses records written by an unknown (future) layout.
pub(crate) fn check_version(version: Option<u32>) -> Result<()> {
    match version {
        Some(RECORD_VERSION) => Ok(()),
        _ => Err(StoreError::corrupt("Signal record", "unknown record version").into()),
    }
}

/// A required 32-byte field.
pub(crate) fn key32(bytes: Option<&[u8]>) -> Result<[u8; 32]> {
    bytes
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| StoreError::corrupt("Signal record", "a 32-byte key field is missing").into())
}

/// A required private key.
pub(crate) fn private_key(bytes: Option<&[u8]>) -> Result<PrivateKey> {
    Ok(PrivateKey::from_bytes(key32(bytes)?))
}

/// A required public key stored raw (32 bytes).
pub(crate) fn public_key(bytes: Option<&[u8]>) -> Result<PublicKey> {
    Ok(PublicKey::from_bytes(key32(bytes)?))
}

/// A required numeric field.
pub(crate) fn required<T>(value: Option<T>, what: &'static str) -> Result<T> {
    value.ok_or_else(|| StoreError::corrupt("Signal record", what).into())
}

pub(crate) fn encode_chain(chain: &ChainKey) -> pb::ChainKey {
    pb::ChainKey {
        key: Some(chain.key.to_vec()),
        index: Some(chain.index),
    }
}

pub(crate) fn decode_chain(chain: Option<pb::ChainKey>) -> Result<ChainKey> {
    let chain = required(chain, "chain key")?;
    Ok(ChainKey::new(
        key32(chain.key.as_deref())?,
        required(chain.index, "chain index")?,
    ))
}

pub(crate) fn encode_skipped(keys: &VecDeque<SkippedKey>) -> Vec<pb::SkippedKey> {
    keys.iter()
        .map(|k| pb::SkippedKey {
            index: Some(k.index),
            seed: Some(k.seed.to_vec()),
        })
        .collect()
}

pub(crate) fn decode_skipped(keys: Vec<pb::SkippedKey>) -> Result<VecDeque<SkippedKey>> {
    keys.into_iter()
        .map(|k| {
            Ok(SkippedKey {
                index: required(k.index, "skipped key index")?,
                seed: key32(k.seed.as_deref())?,
            })
        })
        .collect()
}
