//! Cryptographic primitives exactly as the protocol uses them: Curve25519 keys with XEdDSA signatures,
//! HKDF/HMAC/SHA-256, AES-256 in GCM, CBC (PKCS#7) and CTR modes.
//!
//! The algorithms come from RustCrypto and dalek crates; this module is the glue that fixes key
//! formats, nonce layouts and error handling, plus HMAC and HKDF written over RustCrypto's SHA-256
//! compression function because they dominate a Signal message's cost (see `mac`). Randomness is
//! always passed in.

mod cipher;
mod kdf;
mod keys;
mod mac;
mod xeddsa;

pub use cipher::{
    Aes256Gcm, GCM_TAG_LEN, aes256_cbc_decrypt, aes256_cbc_encrypt, aes256_ctr_apply, aes256_gcm_decrypt,
    aes256_gcm_encrypt,
};
pub use kdf::{
    HmacSha256Key, hkdf_sha256, hkdf_sha256_into, hkdf_sha256_zero_salt, hmac_sha256, hmac_sha256_parts,
    sha256, sha256_parts,
};
pub use keys::{KEY_TYPE_DJB, KeyPair, PrivateKey, PublicKey};
pub use xeddsa::{xeddsa_sign, xeddsa_verify};
