//! The Noise symmetric state as WhatsApp runs it (transport guide A.4): handshake hash `h`, chaining key
//! `ck`, and one cipher key with one nonce counter shared by both directions.

use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use super::header::CONNECTION_HEADER;
use crate::crypto::{Aes256Gcm, PrivateKey, PublicKey, hkdf_sha256, sha256_parts};
use crate::error::{Error, Result};

/// `Noise_XX_25519_AESGCM_SHA256` padded with NULs to 32 bytes. Being exactly one hash long, it is used
/// as the initial `h` as is, not hashed.
pub(crate) const PROTOCOL_NAME: &[u8; 32] = b"Noise_XX_25519_AESGCM_SHA256\0\0\0\0";

/// The 12-byte AES-GCM IV for counter `n`: eight zero bytes, then `n` big-endian. Shared by the handshake
/// and the transport.
pub(crate) fn nonce(n: u32) -> [u8; 12] {
    let mut iv = [0u8; 12];
    iv[8..].copy_from_slice(&n.to_be_bytes());
    iv
}

/// Handshake-time symmetric state.
pub(crate) struct SymmetricState {
    h: [u8; 32],
    ck: [u8; 32],
    cipher: Aes256Gcm,
    /// Nonce counter of `cipher`; reset by every MixKey. Reaches at most 2 in this pattern.
    n: u32,
}

impl SymmetricState {
    /// Initial state of both sides: `h = ck = PROTOCOL_NAME`, then MixHash(prologue = connection header).
    pub(crate) fn new() -> Self {
        let mut state = Self {
            h: *PROTOCOL_NAME,
            ck: *PROTOCOL_NAME,
            // Both upstream clients key the cipher with `h` here; it is never used before the first MixKey.
            cipher: Aes256Gcm::new(PROTOCOL_NAME),
            n: 0,
        };
        state.mix_hash(&CONNECTION_HEADER);
        state
    }

    /// `h = SHA256(h ‖ data)`.
    pub(crate) fn mix_hash(&mut self, data: &[u8]) {
        self.h = sha256_parts(&[&self.h, data]);
    }

    /// HKDF(salt = ck, ikm) → new `ck` and cipher key; the counter restarts at 0.
    fn mix_key(&mut self, ikm: &[u8]) {
        let mut okm: [u8; 64] = hkdf_sha256(&self.ck, ikm, &[]);
        let (ck, key) = okm.split_at(32);
        self.ck.copy_from_slice(ck);
        let mut key_bytes = [0u8; 32];
        key_bytes.copy_from_slice(key);
        self.cipher = Aes256Gcm::new(&key_bytes);
        key_bytes.zeroize();
        okm.zeroize();
        self.n = 0;
    }

    /// MixKey(DH(ours, theirs)), refusing the all-zero secret a low-order point gives (as whatsmeow's
    /// X25519 does). `what` names `theirs` in the error.
    pub(crate) fn mix_dh(&mut self, ours: &PrivateKey, theirs: &PublicKey, what: &'static str) -> Result<()> {
        let mut secret = ours.agree(theirs);
        let all_zero: bool = secret.ct_eq(&[0u8; 32]).into();
        if all_zero {
            return Err(Error::LowOrderPublicKey(what));
        }
        self.mix_key(&secret);
        secret.zeroize();
        Ok(())
    }

    /// Encrypt with AAD = h, then MixHash(ciphertext).
    pub(crate) fn encrypt_and_hash(&mut self, plaintext: &[u8]) -> Vec<u8> {
        let mut buffer = plaintext.to_vec();
        self.cipher.encrypt_in_place(&nonce(self.n), &self.h, &mut buffer);
        self.n += 1;
        self.mix_hash(&buffer);
        buffer
    }

    /// Decrypt with AAD = h, then MixHash(ciphertext). `what` names the field in the error.
    pub(crate) fn decrypt_and_hash(&mut self, ciphertext: &[u8], what: &'static str) -> Result<Vec<u8>> {
        let mut buffer = ciphertext.to_vec();
        self.cipher
            .decrypt_in_place(&nonce(self.n), &self.h, &mut buffer)
            .map_err(|_| Error::HandshakeDecryptFailed(what))?;
        self.n += 1;
        self.mix_hash(ciphertext);
        Ok(buffer)
    }

    /// HKDF(salt = ck, empty ikm) → (client→server key, server→client key).
    pub(crate) fn split(mut self) -> ([u8; 32], [u8; 32]) {
        let mut okm: [u8; 64] = hkdf_sha256(&self.ck, &[], &[]);
        let mut client_to_server = [0u8; 32];
        let mut server_to_client = [0u8; 32];
        client_to_server.copy_from_slice(&okm[..32]);
        server_to_client.copy_from_slice(&okm[32..]);
        okm.zeroize();
        self.ck.zeroize();
        (client_to_server, server_to_client)
    }
}

impl std::fmt::Debug for SymmetricState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The chaining key and cipher key are secrets; the counter is all that is safe to show.
        f.debug_struct("SymmetricState")
            .field("n", &self.n)
            .finish_non_exhaustive()
    }
}

impl Drop for SymmetricState {
    fn drop(&mut self) {
        self.ck.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::sha256;

    #[test]
    fn protocol_name_is_the_initial_hash_unhashed() {
        assert_eq!(PROTOCOL_NAME.len(), 32);
        assert_eq!(&PROTOCOL_NAME[..28], b"Noise_XX_25519_AESGCM_SHA256");
        let state = SymmetricState::new();
        // h = SHA256(name32 ‖ 57 41 06 03): the name itself, not its hash, is the starting value.
        assert_eq!(
            state.h,
            sha256(&[PROTOCOL_NAME.as_slice(), &[0x57, 0x41, 6, 3]].concat())
        );
        assert_eq!(state.ck, *PROTOCOL_NAME);
    }

    #[test]
    fn nonce_layout() {
        assert_eq!(nonce(0), [0; 12]);
        assert_eq!(nonce(0x0102_0304), [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
    }

    #[test]
    fn mix_key_is_hkdf_with_ck_as_salt_and_resets_the_counter() {
        let mut state = SymmetricState::new();
        state.n = 5;
        state.mix_key(b"ikm");
        let okm: [u8; 64] = hkdf_sha256(PROTOCOL_NAME, b"ikm", &[]);
        assert_eq!(state.ck, okm[..32]);
        assert_eq!(state.n, 0);
        // The cipher now uses the second half of the output.
        let ct = state.encrypt_and_hash(b"pt");
        let expected = crate::crypto::aes256_gcm_encrypt(
            &okm[32..].try_into().unwrap(),
            &nonce(0),
            &state_h_before(),
            b"pt",
        );
        assert_eq!(ct, expected);

        fn state_h_before() -> [u8; 32] {
            SymmetricState::new().h
        }
    }

    #[test]
    fn low_order_point_is_refused() {
        let mut state = SymmetricState::new();
        let ours = PrivateKey::from_bytes([7; 32]);
        // u = 0 is a point of small order: every scalar maps it to 0.
        let zero = PublicKey::from_bytes([0; 32]);
        assert_eq!(
            state.mix_dh(&ours, &zero, "server ephemeral key"),
            Err(Error::LowOrderPublicKey("server ephemeral key"))
        );
    }
}
