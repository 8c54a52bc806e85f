//! API key material: generation, the stored hash, the displayed prefix.

use rand::RngExt;
use sha2::{Digest, Sha256};

/// Every key starts with this.
pub const KEY_PREFIX: &str = "wsndr_";
/// Random base62 characters after the prefix (≈ 238 bits).
const RANDOM_CHARS: usize = 40;
/// Characters of the key kept in clear for display (`wsndr_` + 6), enough to tell keys apart.
const DISPLAY_PREFIX_CHARS: usize = KEY_PREFIX.len() + 6;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A freshly generated key: the secret (shown once) and what is stored.
#[derive(Debug)]
pub struct GeneratedKey {
    /// The full secret, returned to the caller once and never stored.
    pub secret: String,
    /// Hex SHA-256 of the secret: the lookup key in storage.
    pub hash: String,
    /// The first characters, for listings.
    pub prefix: String,
}

/// Generates a new key from the thread-local CSPRNG.
pub fn generate() -> GeneratedKey {
    let mut rng = rand::rng();
    let mut secret = String::with_capacity(KEY_PREFIX.len() + RANDOM_CHARS);
    secret.push_str(KEY_PREFIX);
    for _ in 0..RANDOM_CHARS {
        secret.push(char::from(BASE62[rng.random_range(0..BASE62.len())]));
    }
    GeneratedKey {
        hash: hash(&secret),
        prefix: secret[..DISPLAY_PREFIX_CHARS].to_owned(),
        secret,
    }
}

/// Hex SHA-256 of a presented key.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether `secret` has the shape of a key (cheap check before hashing and a lookup).
pub fn looks_like_key(secret: &str) -> bool {
    secret.len() >= KEY_PREFIX.len() + 32
        && secret.len() <= 128
        && secret.starts_with(KEY_PREFIX)
        && secret[KEY_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_the_contract_shape() {
        let key = generate();
        assert!(looks_like_key(&key.secret), "{}", key.secret);
        assert_eq!(key.secret.len(), 46);
        assert_eq!(key.hash, hash(&key.secret));
        assert_eq!(key.hash.len(), 64);
        assert!(key.secret.starts_with(&key.prefix));
        assert_ne!(generate().secret, key.secret);
        assert!(!looks_like_key("wsndr_short"));
        assert!(!looks_like_key("sk_0123456789012345678901234567890123456789"));
    }

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
