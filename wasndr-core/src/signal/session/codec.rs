//! Session records to and from bytes, in the versioned layout of `wa.signal.record`.

use std::sync::Arc;

use wasndr_proto::Message as _;
use wasndr_proto::signal::record as pb;

use super::state::{PendingPreKey, ReceivingChain};
use super::{SESSION_VERSION, SessionRecord, SessionState};
use crate::crypto::KeyPair;
use crate::error::Result;
use crate::signal::codec::{
    RECORD_VERSION, check_version, decode_chain, decode_skipped, encode_chain, encode_skipped, key32,
    private_key, public_key, required,
};
use crate::store::StoreError;

impl SessionRecord {
    /// Serialises the record for a store backend.
    pub fn to_bytes(&self) -> Vec<u8> {
        pb::SessionRecord {
            version: Some(RECORD_VERSION),
            current: self.current.as_ref().map(encode_state),
            previous: self.previous.iter().map(encode_state).collect(),
        }
        .encode_to_vec()
    }

    /// Parses what [`SessionRecord::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let record = pb::SessionRecord::decode(bytes)
            .map_err(|_| StoreError::corrupt("session record", "not a protobuf"))?;
        check_version(record.version)?;
        Ok(Self {
            current: record.current.map(decode_state).transpose()?,
            previous: Arc::new(
                record
                    .previous
                    .into_iter()
                    .map(decode_state)
                    .collect::<Result<_>>()?,
            ),
        })
    }
}

fn encode_state(state: &SessionState) -> pb::SessionState {
    pb::SessionState {
        session_version: Some(SESSION_VERSION),
        local_identity: Some(state.local_identity.as_bytes().to_vec()),
        remote_identity: Some(state.remote_identity.as_bytes().to_vec()),
        local_registration_id: Some(state.local_registration_id),
        remote_registration_id: Some(state.remote_registration_id),
        root_key: Some(state.root_key.to_vec()),
        our_ratchet_private: Some(state.our_ratchet.private.to_bytes().to_vec()),
        our_ratchet_public: Some(state.our_ratchet.public.as_bytes().to_vec()),
        their_ratchet: Some(state.their_ratchet.as_bytes().to_vec()),
        sending: state.sending.as_ref().map(encode_chain),
        previous_counter: Some(state.previous_counter),
        receiving: state
            .receiving
            .iter()
            .map(|chain| pb::ReceivingChain {
                ratchet_key: Some(chain.ratchet_key.as_bytes().to_vec()),
                chain: Some(encode_chain(&chain.chain)),
                skipped: encode_skipped(&chain.skipped),
            })
            .collect(),
        pending_pre_key: state.pending_prekey.as_ref().map(|p| pb::PendingPreKey {
            pre_key_id: p.prekey_id,
            signed_pre_key_id: Some(p.signed_prekey_id),
            base_key: Some(p.base_key.as_bytes().to_vec()),
        }),
        base_key: Some(state.base_key.as_bytes().to_vec()),
        base_key_is_ours: Some(state.base_key_is_ours),
    }
}

fn decode_state(state: pb::SessionState) -> Result<SessionState> {
    if state.session_version != Some(SESSION_VERSION) {
        return Err(StoreError::corrupt("session state", "not a v3 session").into());
    }
    let receiving = state
        .receiving
        .into_iter()
        .map(|chain| {
            Ok(ReceivingChain {
                ratchet_key: public_key(chain.ratchet_key.as_deref())?,
                chain: decode_chain(chain.chain)?,
                skipped: decode_skipped(chain.skipped)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let pending_prekey = state
        .pending_pre_key
        .map(|p| -> Result<PendingPreKey> {
            Ok(PendingPreKey {
                prekey_id: p.pre_key_id,
                signed_prekey_id: required(p.signed_pre_key_id, "pending signed prekey id")?,
                base_key: public_key(p.base_key.as_deref())?,
            })
        })
        .transpose()?;
    Ok(SessionState {
        local_identity: public_key(state.local_identity.as_deref())?,
        remote_identity: public_key(state.remote_identity.as_deref())?,
        local_registration_id: state.local_registration_id.unwrap_or(0),
        remote_registration_id: state.remote_registration_id.unwrap_or(0),
        root_key: key32(state.root_key.as_deref())?,
        our_ratchet: KeyPair {
            private: private_key(state.our_ratchet_private.as_deref())?,
            public: public_key(state.our_ratchet_public.as_deref())?,
        },
        their_ratchet: public_key(state.their_ratchet.as_deref())?,
        sending: state.sending.map(|c| decode_chain(Some(c))).transpose()?,
        previous_counter: state.previous_counter.unwrap_or(0),
        receiving,
        pending_prekey,
        base_key: public_key(state.base_key.as_deref())?,
        base_key_is_ours: required(state.base_key_is_ours, "base key owner")?,
    })
}
