//! Signed and one-time prekeys: generation, 24-bit id ranges, rotation, and the bundle a peer fetches.

use rand_core::CryptoRng;
use wasndr_proto::Message as _;
use wasndr_proto::signal::record as pb;

use super::codec::{RECORD_VERSION, check_version, private_key, public_key, required};
use crate::crypto::{KeyPair, PublicKey};
use crate::error::{Error, Result};
use crate::store::StoreError;

/// The largest prekey id: ids travel as 3-byte big-endian `<id>` nodes.
pub const MAX_PREKEY_ID: u32 = 0x00ff_ffff;

/// How many one-time prekeys to upload at first login (Baileys `INITIAL_PREKEY_COUNT`).
pub const INITIAL_PREKEY_COUNT: u32 = 812;
/// How many to upload when the server runs low (whatsmeow `WantedPreKeyCount`).
pub const PREKEY_BATCH: u32 = 50;
/// Below this many prekeys left on the server, upload a batch (both libraries).
pub const MIN_PREKEY_COUNT: u32 = 5;

/// The id after `id` in the 24-bit space. Ids start at 1 and wrap from `0xffffff` back to 1, because 0
/// means "no prekey" to both reference libraries.
pub const fn next_prekey_id(id: u32) -> u32 {
    if id >= MAX_PREKEY_ID { 1 } else { id + 1 }
}

/// A one-time prekey: handed out once by the server, deleted after its first successful use.
#[derive(Clone, Debug)]
pub struct PreKeyRecord {
    /// 24-bit id, never 0.
    pub id: u32,
    /// The key pair.
    pub key_pair: KeyPair,
}

impl PreKeyRecord {
    /// Serialises the prekey for a store backend.
    pub fn to_bytes(&self) -> Vec<u8> {
        pb::PreKey {
            version: Some(RECORD_VERSION),
            id: Some(self.id),
            private: Some(self.key_pair.private.to_bytes().to_vec()),
            public: Some(self.key_pair.public.as_bytes().to_vec()),
        }
        .encode_to_vec()
    }

    /// Parses what [`PreKeyRecord::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let record =
            pb::PreKey::decode(bytes).map_err(|_| StoreError::corrupt("prekey", "not a protobuf"))?;
        check_version(record.version)?;
        Ok(Self {
            id: required(record.id, "prekey id")?,
            key_pair: KeyPair {
                private: private_key(record.private.as_deref())?,
                public: public_key(record.public.as_deref())?,
            },
        })
    }
}

/// Generates `count` one-time prekeys with consecutive ids starting at `first_id`, wrapping within the
/// 24-bit space. Returns the prekeys and the id the next batch should start at.
pub fn generate_prekeys<R: CryptoRng + ?Sized>(
    first_id: u32,
    count: u32,
    rng: &mut R,
) -> Result<(Vec<PreKeyRecord>, u32)> {
    if first_id == 0 || first_id > MAX_PREKEY_ID {
        return Err(Error::InvalidArgument("prekey ids are 1..=0xffffff"));
    }
    if count > MAX_PREKEY_ID {
        return Err(Error::InvalidArgument("more prekeys than there are ids"));
    }
    let mut id = first_id;
    let mut prekeys = Vec::with_capacity(count as usize);
    for _ in 0..count {
        prekeys.push(PreKeyRecord {
            id,
            key_pair: KeyPair::generate(rng),
        });
        id = next_prekey_id(id);
    }
    Ok((prekeys, id))
}

/// The medium-term signed prekey: signed by the identity key, replaced periodically, and kept a while
/// after replacement so prekey messages already in flight still decrypt.
#[derive(Clone, Debug)]
pub struct SignedPreKeyRecord {
    /// 24-bit id.
    pub id: u32,
    /// The key pair.
    pub key_pair: KeyPair,
    /// XEdDSA signature by the identity key over the 33-byte serialized public key.
    pub signature: [u8; 64],
    /// When it was generated, in seconds since the Unix epoch.
    pub timestamp: u64,
}

impl SignedPreKeyRecord {
    /// Generates a signed prekey with id `id`, signed by `identity`, created at `now` (seconds).
    pub fn generate<R: CryptoRng + ?Sized>(
        identity: &super::IdentityKeyPair,
        id: u32,
        now: u64,
        rng: &mut R,
    ) -> Result<Self> {
        if id == 0 || id > MAX_PREKEY_ID {
            return Err(Error::InvalidArgument("signed prekey ids are 1..=0xffffff"));
        }
        let key_pair = KeyPair::generate(rng);
        let signature = identity.private().sign(&key_pair.public.serialize(), rng);
        Ok(Self {
            id,
            key_pair,
            signature,
            timestamp: now,
        })
    }

    /// Whether this key is older than `max_age` seconds at `now` and should be replaced.
    pub fn is_due_for_rotation(&self, now: u64, max_age: u64) -> bool {
        now.saturating_sub(self.timestamp) >= max_age
    }

    /// The replacement for this key: the next id, a fresh key pair, signed by `identity`.
    pub fn rotate<R: CryptoRng + ?Sized>(
        &self,
        identity: &super::IdentityKeyPair,
        now: u64,
        rng: &mut R,
    ) -> Result<Self> {
        Self::generate(identity, next_prekey_id(self.id), now, rng)
    }

    /// Serialises the signed prekey for a store backend.
    pub fn to_bytes(&self) -> Vec<u8> {
        pb::SignedPreKey {
            version: Some(RECORD_VERSION),
            id: Some(self.id),
            private: Some(self.key_pair.private.to_bytes().to_vec()),
            public: Some(self.key_pair.public.as_bytes().to_vec()),
            signature: Some(self.signature.to_vec()),
            timestamp: Some(self.timestamp),
        }
        .encode_to_vec()
    }

    /// Parses what [`SignedPreKeyRecord::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let record = pb::SignedPreKey::decode(bytes)
            .map_err(|_| StoreError::corrupt("signed prekey", "not a protobuf"))?;
        check_version(record.version)?;
        let signature = record
            .signature
            .as_deref()
            .and_then(|s| <[u8; 64]>::try_from(s).ok())
            .ok_or_else(|| StoreError::corrupt("signed prekey", "signature is not 64 bytes"))?;
        Ok(Self {
            id: required(record.id, "signed prekey id")?,
            key_pair: KeyPair {
                private: private_key(record.private.as_deref())?,
                public: public_key(record.public.as_deref())?,
            },
            signature,
            timestamp: record.timestamp.unwrap_or(0),
        })
    }
}

/// What a peer publishes so others can start a session with it without it being online (fetched with
/// the `encrypt` IQ, guide §D.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreKeyBundle {
    /// The peer's registration id.
    pub registration_id: u32,
    /// The peer's identity key.
    pub identity_key: PublicKey,
    /// Signed prekey id.
    pub signed_prekey_id: u32,
    /// Signed prekey public key.
    pub signed_prekey: PublicKey,
    /// Signature by `identity_key` over the 33-byte serialized `signed_prekey`. Checked before use.
    pub signed_prekey_signature: Vec<u8>,
    /// A one-time prekey, when the server had one left: (id, key).
    pub prekey: Option<(u32, PublicKey)>,
}

impl PreKeyBundle {
    /// Checks the signed-prekey signature (libsignal-node skips this; we do not).
    pub fn verify_signature(&self) -> Result<()> {
        if self
            .identity_key
            .verify(&self.signed_prekey.serialize(), &self.signed_prekey_signature)
        {
            Ok(())
        } else {
            Err(Error::InvalidSignature("signed prekey signature in the bundle"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::IdentityKeyPair;

    #[test]
    fn ids_start_at_one_and_wrap_within_24_bits() {
        assert_eq!(next_prekey_id(1), 2);
        assert_eq!(next_prekey_id(MAX_PREKEY_ID - 1), MAX_PREKEY_ID);
        assert_eq!(next_prekey_id(MAX_PREKEY_ID), 1);
        let mut rng = rand::rng();
        let (keys, next) = generate_prekeys(MAX_PREKEY_ID - 1, 4, &mut rng).unwrap();
        let ids: Vec<u32> = keys.iter().map(|k| k.id).collect();
        assert_eq!(ids, vec![MAX_PREKEY_ID - 1, MAX_PREKEY_ID, 1, 2]);
        assert_eq!(next, 3);
        assert!(generate_prekeys(0, 1, &mut rng).is_err());
        assert!(generate_prekeys(MAX_PREKEY_ID + 1, 1, &mut rng).is_err());
    }

    #[test]
    fn signed_prekey_signature_verifies_and_rotation_moves_on() {
        let mut rng = rand::rng();
        let identity = IdentityKeyPair::generate(&mut rng);
        let spk = SignedPreKeyRecord::generate(&identity, 1, 1_000, &mut rng).unwrap();
        assert!(
            identity
                .public()
                .verify(&spk.key_pair.public.serialize(), &spk.signature)
        );
        assert!(!spk.is_due_for_rotation(1_000 + 99, 100));
        assert!(spk.is_due_for_rotation(1_000 + 100, 100));
        let next = spk.rotate(&identity, 2_000, &mut rng).unwrap();
        assert_eq!(next.id, 2);
        assert_eq!(next.timestamp, 2_000);
        assert_ne!(next.key_pair.public, spk.key_pair.public);

        let back = SignedPreKeyRecord::from_bytes(&spk.to_bytes()).unwrap();
        assert_eq!(back.id, 1);
        assert_eq!(back.signature, spk.signature);
        assert_eq!(back.key_pair.public, spk.key_pair.public);
        let prekey = generate_prekeys(7, 1, &mut rng).unwrap().0.remove(0);
        let back = PreKeyRecord::from_bytes(&prekey.to_bytes()).unwrap();
        assert_eq!((back.id, back.key_pair.public), (7, prekey.key_pair.public));
    }

    #[test]
    fn bundle_with_forged_signature_is_refused() {
        let mut rng = rand::rng();
        let identity = IdentityKeyPair::generate(&mut rng);
        let spk = SignedPreKeyRecord::generate(&identity, 1, 0, &mut rng).unwrap();
        let mut bundle = PreKeyBundle {
            registration_id: 1,
            identity_key: *identity.public(),
            signed_prekey_id: 1,
            signed_prekey: spk.key_pair.public,
            signed_prekey_signature: spk.signature.to_vec(),
            prekey: None,
        };
        assert!(bundle.verify_signature().is_ok());
        bundle.signed_prekey_signature[10] ^= 1;
        assert_eq!(
            bundle.verify_signature(),
            Err(Error::InvalidSignature("signed prekey signature in the bundle"))
        );
    }
}
