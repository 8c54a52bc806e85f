//! Media key expansion (messaging guide F.1).

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::MediaType;
use crate::crypto::hkdf_sha256_zero_salt;

/// Length of a media key as senders draw it.
pub const MEDIA_KEY_LEN: usize = 32;

/// The keys one media key expands to for one media type:
/// `HKDF-SHA256(media_key, salt = zeros, info = "WhatsApp <Kind> Keys", 112)` split 16/32/32/32.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct MediaKeys {
    /// AES-CBC IV: bytes 0..16.
    pub iv: [u8; 16],
    /// AES-256 key: bytes 16..48.
    pub cipher_key: [u8; 32],
    /// HMAC-SHA256 key for the 10-byte MAC: bytes 48..80.
    pub mac_key: [u8; 32],
    /// Bytes 80..112, unused by both reference libraries.
    pub ref_key: [u8; 32],
}

impl MediaKeys {
    /// Expands `media_key` (normally 32 bytes; peers' keys are taken at any length, as HKDF takes them)
    /// for `media_type`.
    pub fn expand(media_key: &[u8], media_type: MediaType) -> MediaKeys {
        let mut okm = hkdf_sha256_zero_salt::<112>(media_key, media_type.hkdf_info().as_bytes());
        let mut keys = MediaKeys {
            iv: [0; 16],
            cipher_key: [0; 32],
            mac_key: [0; 32],
            ref_key: [0; 32],
        };
        keys.iv.copy_from_slice(&okm[..16]);
        keys.cipher_key.copy_from_slice(&okm[16..48]);
        keys.mac_key.copy_from_slice(&okm[48..80]);
        keys.ref_key.copy_from_slice(&okm[80..]);
        okm.zeroize();
        keys
    }
}

impl fmt::Debug for MediaKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MediaKeys(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of messaging guide F.2.
    #[test]
    fn guide_vector() {
        let media_key: Vec<u8> = (0u8..32).collect();
        let keys = MediaKeys::expand(&media_key, MediaType::Image);
        assert_eq!(hex::encode(keys.iv), "aa6a127218397cbd2383e4ccf7176a79");
        assert_eq!(
            hex::encode(keys.cipher_key),
            "008c9aea9b7c5d81eb56b3f530f87d42dcc92d27b11ad6b5bd66f0560d0d8c46"
        );
        assert_eq!(
            hex::encode(keys.mac_key),
            "91d09ffec108833c1699574c52657923fb6e3e161d9698bc6b3a05fbc508a515"
        );
        assert_eq!(
            hex::encode(keys.ref_key),
            "4d4981725e9eb39838fcff2130508f1360cbb319f99cef163d57ab7c050a667e"
        );
        assert_eq!(format!("{keys:?}"), "MediaKeys(<redacted>)");
    }
}
