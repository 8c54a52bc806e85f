use std::fmt;

use sha2::{Digest, Sha256};

use super::mac::{PreparedKey, hkdf};
use crate::error::{Error, Result};

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// SHA-256 of the concatenation of `parts`, without building it.
pub fn sha256_parts(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// HMAC-SHA256 of `data` under `key` (any key length).
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    PreparedKey::new(key).mac(&[data])
}

/// HMAC-SHA256 of the concatenation of `parts` under `key`.
pub fn hmac_sha256_parts(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    PreparedKey::new(key).mac(parts)
}

/// The most HKDF-SHA256 can produce: 255 blocks of 32 bytes.
const HKDF_MAX_OUTPUT: usize = 255 * 32;

/// HKDF-SHA256 (RFC 5869) filling `out`. An empty `salt` means the RFC's default (zeros), which is what
/// every caller in this protocol that passes "no salt" expects.
pub fn hkdf_sha256_into(salt: &[u8], ikm: &[u8], info: &[u8], out: &mut [u8]) -> Result<()> {
    if out.len() > HKDF_MAX_OUTPUT {
        return Err(Error::InvalidArgument(
            "HKDF-SHA256 output longer than 8160 bytes",
        ));
    }
    hkdf(salt, ikm, info, out);
    Ok(())
}

/// HKDF-SHA256 producing `N` bytes; `N` is a compile-time size well under the HKDF limit.
pub fn hkdf_sha256<const N: usize>(salt: &[u8], ikm: &[u8], info: &[u8]) -> [u8; N] {
    const {
        assert!(
            N <= HKDF_MAX_OUTPUT,
            "HKDF-SHA256 output is limited to 8160 bytes"
        )
    };
    let mut out = [0u8; N];
    hkdf(salt, ikm, info, &mut out);
    out
}

/// HMAC-SHA256 under one key whose key schedule (the padded key blocks) is computed once, for callers
/// that MAC several inputs under the same key: a Signal chain step derives two values from one chain
/// key, and sharing the schedule saves two SHA-256 compressions.
#[derive(Clone)]
pub struct HmacSha256Key(PreparedKey);

impl HmacSha256Key {
    /// Prepares `key` (any length).
    pub fn new(key: &[u8]) -> Self {
        Self(PreparedKey::new(key))
    }

    /// HMAC-SHA256 of the concatenation of `parts`.
    pub fn mac_parts(&self, parts: &[&[u8]]) -> [u8; 32] {
        self.0.mac(parts)
    }
}

impl fmt::Debug for HmacSha256Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HmacSha256Key(<redacted>)")
    }
}

/// HKDF-SHA256 with the all-zero 32-byte salt (what "no salt" means in RFC 5869 and in every Signal
/// derivation), producing `N` bytes. The salt's key schedule is computed once per process.
pub fn hkdf_sha256_zero_salt<const N: usize>(ikm: &[u8], info: &[u8]) -> [u8; N] {
    hkdf_sha256::<N>(&[], ikm, info)
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 5869 test case 1.
    #[test]
    fn hkdf_rfc5869_case1() {
        let ikm = [0x0bu8; 22];
        let salt = hex::decode("000102030405060708090a0b0c").unwrap();
        let info = hex::decode("f0f1f2f3f4f5f6f7f8f9").unwrap();
        let okm: [u8; 42] = hkdf_sha256(&salt, &ikm, &info);
        assert_eq!(
            hex::encode(okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        );
    }

    // RFC 5869 test case 3: zero-length salt and info.
    #[test]
    fn hkdf_rfc5869_case3_empty_salt() {
        let ikm = [0x0bu8; 22];
        let okm: [u8; 42] = hkdf_sha256(&[], &ikm, &[]);
        assert_eq!(
            hex::encode(okm),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
        );
    }

    // RFC 4231 test case 2.
    #[test]
    fn hmac_rfc4231_case2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hmac_sha256_parts(b"Jefe", &[b"what do ya ", b"want for nothing?"]),
            mac
        );
    }

    #[test]
    fn zero_salt_hkdf_and_keyed_hmac_match_the_plain_functions() {
        let ikm = [7u8; 32];
        let plain: [u8; 80] = hkdf_sha256(&[0u8; 32], &ikm, b"WhisperMessageKeys");
        assert_eq!(hkdf_sha256_zero_salt::<80>(&ikm, b"WhisperMessageKeys"), plain);
        assert_eq!(
            hkdf_sha256_zero_salt::<80>(&ikm, b"WhisperMessageKeys"),
            plain,
            "reusable"
        );
        let key = HmacSha256Key::new(b"Jefe");
        let data: &[&[u8]] = &[b"what do ya ", b"want for nothing?"];
        assert_eq!(key.mac_parts(data), hmac_sha256_parts(b"Jefe", data));
        assert_eq!(key.mac_parts(&[b"x"]), hmac_sha256(b"Jefe", b"x"));
    }

    #[test]
    fn hkdf_rejects_oversized_output() {
        let mut out = vec![0u8; 255 * 32 + 1];
        assert!(hkdf_sha256_into(b"s", b"k", b"i", &mut out).is_err());
    }

    #[test]
    fn sha256_known_answer() {
        assert_eq!(
            hex::encode(sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(sha256_parts(&[b"a", b"bc"]), sha256(b"abc"));
    }
}
