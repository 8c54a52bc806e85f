use std::fmt;

use curve25519_dalek::montgomery::MontgomeryPoint;
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::xeddsa;
use crate::error::{Error, Result};

/// The type byte of a Curve25519 ("DJB") public key in its 33-byte serialized form.
pub const KEY_TYPE_DJB: u8 = 0x05;

/// A Curve25519 public key: the 32-byte Montgomery u-coordinate.
///
/// On the wire it appears raw (32 bytes) in XMPP-style key nodes and ADV messages, and as
/// `0x05 ‖ key` (33 bytes) inside Signal protobufs and MAC inputs.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    /// Wraps 32 raw bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Parses a key that is either raw (32 bytes) or serialized (`0x05` + 32 bytes). Lenient on input,
    /// as libsignal is: peers send both forms.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        match bytes.len() {
            32 => Ok(Self(
                bytes.try_into().map_err(|_| Error::InvalidPublicKey("length"))?,
            )),
            33 => Self::from_serialized(bytes),
            _ => Err(Error::InvalidPublicKey(
                "expected 32 bytes or 33 bytes with a 0x05 type byte",
            )),
        }
    }

    /// Parses the strict 33-byte serialized form.
    pub fn from_serialized(bytes: &[u8]) -> Result<Self> {
        match bytes {
            [KEY_TYPE_DJB, rest @ ..] if rest.len() == 32 => {
                let mut key = [0u8; 32];
                key.copy_from_slice(rest);
                Ok(Self(key))
            }
            [_, rest @ ..] if rest.len() == 32 => Err(Error::InvalidPublicKey("type byte is not 0x05")),
            _ => Err(Error::InvalidPublicKey("serialized key must be 33 bytes")),
        }
    }

    /// The raw 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The 33-byte serialized form `0x05 ‖ key`.
    pub fn serialize(&self) -> [u8; 33] {
        let mut out = [0u8; 33];
        out[0] = KEY_TYPE_DJB;
        out[1..].copy_from_slice(&self.0);
        out
    }

    /// Verifies an XEdDSA signature made by the private half of this key.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        xeddsa::xeddsa_verify(&self.0, &[message], signature)
    }

    /// Verifies an XEdDSA signature over the concatenation of `parts`.
    pub fn verify_parts(&self, parts: &[&[u8]], signature: &[u8]) -> bool {
        xeddsa::xeddsa_verify(&self.0, parts, signature)
    }

    /// Constant-time equality, for comparing keys that authenticate a peer.
    pub fn ct_eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey(")?;
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        write!(f, ")")
    }
}

/// A clamped Curve25519 private key. Its bytes never appear in `Debug` output and are wiped on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct PrivateKey([u8; 32]);

impl PrivateKey {
    /// Draws a new key from `rng`.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        Self::from_bytes(bytes)
    }

    /// Wraps stored key bytes, clamping them (`k[0] &= 248; k[31] &= 127; k[31] |= 64`) as every
    /// Curve25519 implementation in the protocol does.
    pub fn from_bytes(mut bytes: [u8; 32]) -> Self {
        bytes[0] &= 248;
        bytes[31] &= 127;
        bytes[31] |= 64;
        Self(bytes)
    }

    /// Parses stored key bytes of exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::InvalidArgument("a private key is 32 bytes"))?;
        Ok(Self::from_bytes(bytes))
    }

    /// The secret bytes, for persisting the key. Handle with care.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(MontgomeryPoint::mul_base_clamped(self.0).to_bytes())
    }

    /// X25519 Diffie-Hellman with `their` public key.
    pub fn agree(&self, their: &PublicKey) -> [u8; 32] {
        MontgomeryPoint(their.0).mul_clamped(self.0).to_bytes()
    }

    /// An XEdDSA signature over `message`, with 64 bytes of fresh randomness from `rng`.
    pub fn sign<R: CryptoRng + ?Sized>(&self, message: &[u8], rng: &mut R) -> [u8; 64] {
        let mut random = [0u8; 64];
        rng.fill_bytes(&mut random);
        let signature = xeddsa::xeddsa_sign(&self.0, &[message], &random);
        random.zeroize();
        signature
    }

    /// An XEdDSA signature over the concatenation of `parts`, with caller-provided randomness.
    pub fn sign_parts_with_random(&self, parts: &[&[u8]], random: &[u8; 64]) -> [u8; 64] {
        xeddsa::xeddsa_sign(&self.0, parts, random)
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(<redacted>)")
    }
}

/// A private key with its public key.
#[derive(Clone, Debug)]
pub struct KeyPair {
    /// The secret half.
    pub private: PrivateKey,
    /// The public half, derived from `private`.
    pub public: PublicKey,
}

impl KeyPair {
    /// Draws a new key pair from `rng`.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self::from_private(PrivateKey::generate(rng))
    }

    /// Completes a stored private key with its public key.
    pub fn from_private(private: PrivateKey) -> Self {
        let public = private.public_key();
        Self { private, public }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h32(s: &str) -> [u8; 32] {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    // RFC 7748 section 6.1: Alice's and Bob's keys and their shared secret.
    #[test]
    fn x25519_rfc7748_known_answer() {
        let alice = PrivateKey::from_bytes(h32(
            "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
        ));
        let bob = PrivateKey::from_bytes(h32(
            "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
        ));
        assert_eq!(
            alice.public_key(),
            PublicKey::from_bytes(h32(
                "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
            ))
        );
        assert_eq!(
            bob.public_key(),
            PublicKey::from_bytes(h32(
                "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
            ))
        );
        let shared = h32("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        assert_eq!(alice.agree(&bob.public_key()), shared);
        assert_eq!(bob.agree(&alice.public_key()), shared);
    }

    #[test]
    fn public_key_forms() {
        let raw = [7u8; 32];
        let key = PublicKey::from_bytes(raw);
        let serialized = key.serialize();
        assert_eq!(serialized[0], 0x05);
        assert_eq!(PublicKey::from_slice(&raw).unwrap(), key);
        assert_eq!(PublicKey::from_slice(&serialized).unwrap(), key);
        assert_eq!(PublicKey::from_serialized(&serialized).unwrap(), key);
        let mut wrong_type = serialized;
        wrong_type[0] = 0x06;
        assert!(PublicKey::from_slice(&wrong_type).is_err());
        assert!(PublicKey::from_serialized(&raw).is_err());
        assert!(PublicKey::from_slice(&raw[..31]).is_err());
    }

    #[test]
    fn private_key_debug_is_redacted() {
        let key = PrivateKey::from_bytes([0x42; 32]);
        let text = format!("{key:?} {:?}", KeyPair::from_private(key.clone()));
        assert!(!text.contains("42424242"), "{text}");
        assert!(text.contains("redacted"));
    }

    #[test]
    fn private_key_is_clamped() {
        let key = PrivateKey::from_bytes([0xff; 32]).to_bytes();
        assert_eq!(key[0] & 7, 0);
        assert_eq!(key[31] & 0x80, 0);
        assert_eq!(key[31] & 0x40, 0x40);
    }
}
