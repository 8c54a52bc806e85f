//! Our long-term identity: the identity key pair and the registration id.

use rand_core::CryptoRng;
use wasndr_proto::Message as _;
use wasndr_proto::signal::record as pb;

use super::codec::{RECORD_VERSION, check_version, key32, private_key};
use crate::crypto::{KeyPair, PrivateKey, PublicKey};
use crate::error::Result;

/// The largest registration id we generate: 14 bits, the libsignal convention (guide §I.4).
pub const MAX_REGISTRATION_ID: u32 = 0x3fff;

/// A device's identity key pair, generated once per companion device and kept for its lifetime.
#[derive(Clone, Debug)]
pub struct IdentityKeyPair(KeyPair);

impl IdentityKeyPair {
    /// Draws a new identity from `rng`.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self(KeyPair::generate(rng))
    }

    /// Completes a stored private key.
    pub fn from_private(private: PrivateKey) -> Self {
        Self(KeyPair::from_private(private))
    }

    /// The public identity key (sent as `<identity>` and inside every prekey message).
    pub fn public(&self) -> &PublicKey {
        &self.0.public
    }

    /// The private half: signs prekeys and takes part in X3DH.
    pub fn private(&self) -> &PrivateKey {
        &self.0.private
    }

    /// The key pair.
    pub fn key_pair(&self) -> &KeyPair {
        &self.0
    }

    /// Serialises the pair for a store backend (versioned; see [`IdentityKeyPair::from_bytes`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        pb::IdentityKeyPair {
            version: Some(RECORD_VERSION),
            private: Some(self.0.private.to_bytes().to_vec()),
            public: Some(self.0.public.as_bytes().to_vec()),
        }
        .encode_to_vec()
    }

    /// Parses what [`IdentityKeyPair::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let record = pb::IdentityKeyPair::decode(bytes).map_err(|_| corrupt())?;
        check_version(record.version)?;
        let private = private_key(record.private.as_deref())?;
        let public = PublicKey::from_bytes(key32(record.public.as_deref())?);
        Ok(Self(KeyPair { private, public }))
    }
}

fn corrupt() -> crate::Error {
    crate::store::StoreError::corrupt("identity key pair", "not a protobuf").into()
}

/// Draws a registration id in `1..=0x3fff`. Zero is avoided because libsignal-node treats a missing
/// and a zero id alike.
pub fn generate_registration_id<R: CryptoRng + ?Sized>(rng: &mut R) -> u32 {
    let mut bytes = [0u8; 2];
    rng.fill_bytes(&mut bytes);
    let id = u32::from(u16::from_le_bytes(bytes)) % MAX_REGISTRATION_ID;
    id + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_ids_are_fourteen_bit_and_nonzero() {
        let mut rng = rand::rng();
        for _ in 0..2000 {
            let id = generate_registration_id(&mut rng);
            assert!((1..=MAX_REGISTRATION_ID).contains(&id), "{id}");
        }
    }

    #[test]
    fn identity_round_trips() {
        let identity = IdentityKeyPair::generate(&mut rand::rng());
        let back = IdentityKeyPair::from_bytes(&identity.to_bytes()).unwrap();
        assert_eq!(back.public(), identity.public());
        assert_eq!(back.private().to_bytes(), identity.private().to_bytes());
        assert!(IdentityKeyPair::from_bytes(&[0xff, 0xff]).is_err());
    }
}
