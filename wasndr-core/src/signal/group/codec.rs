//! Sender-key records to and from bytes, in the versioned layout of `wa.signal.record`.

use wasndr_proto::Message as _;
use wasndr_proto::signal::record as pb;

use super::{SenderKeyRecord, SenderKeyState};
use crate::crypto::PrivateKey;
use crate::error::Result;
use crate::signal::codec::{
    RECORD_VERSION, check_version, decode_chain, decode_skipped, encode_chain, encode_skipped, key32,
    public_key,
};
use crate::store::StoreError;

impl SenderKeyRecord {
    /// Serialises the record for a store backend.
    pub fn to_bytes(&self) -> Vec<u8> {
        pb::SenderKeyRecord {
            version: Some(RECORD_VERSION),
            states: self
                .states
                .iter()
                .map(|s| pb::SenderKeyState {
                    key_id: Some(s.key_id),
                    chain: Some(encode_chain(&s.chain)),
                    signing_public: Some(s.signing_public.as_bytes().to_vec()),
                    signing_private: s.signing_private.as_ref().map(|k| k.to_bytes().to_vec()),
                    skipped: encode_skipped(&s.skipped),
                })
                .collect(),
        }
        .encode_to_vec()
    }

    /// Parses what [`SenderKeyRecord::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let record = pb::SenderKeyRecord::decode(bytes)
            .map_err(|_| StoreError::corrupt("sender key record", "not a protobuf"))?;
        check_version(record.version)?;
        let states = record
            .states
            .into_iter()
            .map(|s| {
                Ok(SenderKeyState {
                    key_id: s
                        .key_id
                        .ok_or_else(|| StoreError::corrupt("sender key record", "state without key id"))?,
                    chain: decode_chain(s.chain)?,
                    signing_public: public_key(s.signing_public.as_deref())?,
                    signing_private: s
                        .signing_private
                        .as_deref()
                        .map(|k| key32(Some(k)).map(PrivateKey::from_bytes))
                        .transpose()?,
                    skipped: decode_skipped(s.skipped)?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self { states })
    }
}
