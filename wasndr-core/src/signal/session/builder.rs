//! X3DH (guide §A.4): building a session as initiator from a bundle, or as responder from a prekey
//! message.

use rand_core::CryptoRng;

use super::SessionState;
use super::state::PendingPreKey;
use crate::crypto::KeyPair;
use crate::error::{Error, Result};
use crate::signal::ratchet::{ChainKey, DISCONTINUITY, derive_root, derive_x3dh};
use crate::signal::wire::PreKeySignalMessage;
use crate::signal::{IdentityKeyPair, PreKeyBundle, PreKeyRecord, SignedPreKeyRecord};

/// Who we are when building a session: our identity and registration id.
#[derive(Clone, Copy, Debug)]
pub struct LocalIdentity<'a> {
    /// Our identity key pair.
    pub identity: &'a IdentityKeyPair,
    /// Our registration id, sent in prekey messages.
    pub registration_id: u32,
}

/// Alice's side: verifies the bundle's signed prekey signature, then draws the base key and the first
/// ratchet key from `rng` (in that order, as libsignal-node does) and derives the sending chain.
pub(crate) fn initiate<R: CryptoRng + ?Sized>(
    local: LocalIdentity<'_>,
    bundle: &PreKeyBundle,
    rng: &mut R,
) -> Result<SessionState> {
    bundle.verify_signature()?;
    let base = KeyPair::generate(rng);
    let ratchet = KeyPair::generate(rng);

    let mut master = [0u8; 32 * 5];
    master[..32].copy_from_slice(&DISCONTINUITY);
    master[32..64].copy_from_slice(&local.identity.private().agree(&bundle.signed_prekey));
    master[64..96].copy_from_slice(&base.private.agree(&bundle.identity_key));
    master[96..128].copy_from_slice(&base.private.agree(&bundle.signed_prekey));
    let len = match &bundle.prekey {
        Some((_, prekey)) => {
            master[128..160].copy_from_slice(&base.private.agree(prekey));
            160
        }
        None => 128,
    };
    let (root_key, _) = derive_x3dh(&master[..len]);
    zeroize::Zeroize::zeroize(&mut master);
    let (root_key, sending) = derive_root(&root_key, &ratchet.private.agree(&bundle.signed_prekey));

    Ok(SessionState {
        local_identity: *local.identity.public(),
        remote_identity: bundle.identity_key,
        local_registration_id: local.registration_id,
        remote_registration_id: bundle.registration_id,
        root_key,
        our_ratchet: ratchet,
        their_ratchet: bundle.signed_prekey,
        sending: Some(ChainKey::new(sending, 0)),
        previous_counter: 0,
        receiving: Vec::new(),
        pending_prekey: Some(PendingPreKey {
            prekey_id: bundle.prekey.as_ref().map(|(id, _)| *id),
            signed_prekey_id: bundle.signed_prekey_id,
            base_key: base.public,
        }),
        base_key: base.public,
        base_key_is_ours: true,
    })
}

/// Bob's side, from a prekey message: our signed prekey becomes our first ratchet key; the receiving and
/// sending chains appear when the enclosed message is decrypted.
pub(crate) fn respond(
    local: LocalIdentity<'_>,
    message: &PreKeySignalMessage,
    signed_prekey: Option<&SignedPreKeyRecord>,
    one_time_prekey: Option<&PreKeyRecord>,
) -> Result<SessionState> {
    let signed_prekey = signed_prekey
        .filter(|k| k.id == message.signed_prekey_id)
        .ok_or(Error::UnknownSignedPreKey(message.signed_prekey_id))?;
    let one_time_prekey = match message.prekey_id {
        Some(id) => Some(
            one_time_prekey
                .filter(|k| k.id == id)
                .ok_or(Error::UnknownPreKey(id))?,
        ),
        None => None,
    };

    let mut master = [0u8; 32 * 5];
    master[..32].copy_from_slice(&DISCONTINUITY);
    master[32..64].copy_from_slice(&signed_prekey.key_pair.private.agree(&message.identity_key));
    master[64..96].copy_from_slice(&local.identity.private().agree(&message.base_key));
    master[96..128].copy_from_slice(&signed_prekey.key_pair.private.agree(&message.base_key));
    let len = match one_time_prekey {
        Some(prekey) => {
            master[128..160].copy_from_slice(&prekey.key_pair.private.agree(&message.base_key));
            160
        }
        None => 128,
    };
    let (root_key, _) = derive_x3dh(&master[..len]);
    zeroize::Zeroize::zeroize(&mut master);

    Ok(SessionState {
        local_identity: *local.identity.public(),
        remote_identity: message.identity_key,
        local_registration_id: local.registration_id,
        remote_registration_id: message.registration_id,
        root_key,
        our_ratchet: signed_prekey.key_pair.clone(),
        their_ratchet: message.base_key,
        sending: None,
        previous_counter: 0,
        receiving: Vec::new(),
        pending_prekey: None,
        base_key: message.base_key,
        base_key_is_ours: false,
    })
}
