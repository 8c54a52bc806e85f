use std::fmt;

use aes::cipher::{Array, BlockModeDecrypt, BlockModeEncrypt, KeyIvInit, StreamCipher};
use aes_gcm::aead::{AeadInOut, KeyInit};

use crate::error::{Error, Result};

type CbcEncryptor = cbc::Encryptor<aes::Aes256>;
type CbcDecryptor = cbc::Decryptor<aes::Aes256>;
type Ctr = ctr::Ctr128BE<aes::Aes256>;

/// Length of an AES-GCM authentication tag, appended to every ciphertext.
pub const GCM_TAG_LEN: usize = 16;

/// An AES-256-GCM key with its expanded key schedule, for callers that encrypt many messages under one
/// key (the Noise transport). The tag is appended to the ciphertext.
#[derive(Clone)]
pub struct Aes256Gcm(aes_gcm::Aes256Gcm);

impl Aes256Gcm {
    /// Expands `key`.
    pub fn new(key: &[u8; 32]) -> Self {
        Self(aes_gcm::Aes256Gcm::new(key.into()))
    }

    /// Encrypts `buffer` in place and appends the tag.
    pub fn encrypt_in_place(&self, iv: &[u8; 12], aad: &[u8], buffer: &mut Vec<u8>) {
        // Encryption only fails for messages longer than GCM's 64 GiB bound, which no frame can reach.
        let tag = self
            .0
            .encrypt_inout_detached(iv.into(), aad, buffer.as_mut_slice().into())
            .unwrap_or_default();
        buffer.extend_from_slice(&tag);
    }

    /// Checks the tag at the end of `buffer` and decrypts the rest in place, leaving the plaintext.
    /// On failure `buffer` may hold garbage and must be discarded.
    pub fn decrypt_in_place(&self, iv: &[u8; 12], aad: &[u8], buffer: &mut Vec<u8>) -> Result<()> {
        let plaintext_len = buffer
            .len()
            .checked_sub(GCM_TAG_LEN)
            .ok_or(Error::DecryptFailed("AES-GCM ciphertext shorter than its tag"))?;
        let (data, tag) = buffer.split_at_mut(plaintext_len);
        let tag: &[u8; GCM_TAG_LEN] = (&*tag)
            .try_into()
            .map_err(|_| Error::DecryptFailed("AES-GCM tag length"))?;
        self.0
            .decrypt_inout_detached(iv.into(), aad, data.into(), tag.into())
            .map_err(|_| Error::DecryptFailed("AES-GCM authentication tag mismatch"))?;
        buffer.truncate(plaintext_len);
        Ok(())
    }
}

impl Aes256Gcm {
    /// Encrypts `data` in place and returns the tag instead of appending it, for callers that lay out
    /// their own buffers (the Noise transport writes the tag right after the ciphertext of a frame).
    pub fn encrypt_in_place_detached(&self, iv: &[u8; 12], aad: &[u8], data: &mut [u8]) -> [u8; GCM_TAG_LEN] {
        // Encryption only fails for messages longer than GCM's 64 GiB bound, which no frame can reach.
        self.0
            .encrypt_inout_detached(iv.into(), aad, data.into())
            .map(Into::into)
            .unwrap_or_default()
    }

    /// Checks `tag` over `data` and, only if it matches, decrypts `data` in place.
    pub fn decrypt_in_place_detached(
        &self,
        iv: &[u8; 12],
        aad: &[u8],
        data: &mut [u8],
        tag: &[u8; GCM_TAG_LEN],
    ) -> Result<()> {
        self.0
            .decrypt_inout_detached(iv.into(), aad, data.into(), tag.into())
            .map_err(|_| Error::DecryptFailed("AES-GCM authentication tag mismatch"))
    }

    /// Checks `tag` over `ciphertext` and, only if it matches, writes the plaintext into `out` (which must
    /// have the ciphertext's length). One pass: the ciphertext is never copied first.
    pub fn decrypt_detached_into(
        &self,
        iv: &[u8; 12],
        aad: &[u8],
        ciphertext: &[u8],
        tag: &[u8; GCM_TAG_LEN],
        out: &mut [u8],
    ) -> Result<()> {
        let buffer = aes_gcm::aead::inout::InOutBuf::new(ciphertext, out).map_err(|_| {
            Error::InvalidArgument("AES-GCM output buffer length differs from the ciphertext")
        })?;
        self.0
            .decrypt_inout_detached(iv.into(), aad, buffer, tag.into())
            .map_err(|_| Error::DecryptFailed("AES-GCM authentication tag mismatch"))
    }
}

impl fmt::Debug for Aes256Gcm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Aes256Gcm(<redacted>)")
    }
}

/// AES-256-GCM encryption of `plaintext`; returns ciphertext ‖ 16-byte tag.
pub fn aes256_gcm_encrypt(key: &[u8; 32], iv: &[u8; 12], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let mut buffer = Vec::with_capacity(plaintext.len() + GCM_TAG_LEN);
    buffer.extend_from_slice(plaintext);
    Aes256Gcm::new(key).encrypt_in_place(iv, aad, &mut buffer);
    buffer
}

/// AES-256-GCM decryption of ciphertext ‖ tag.
pub fn aes256_gcm_decrypt(key: &[u8; 32], iv: &[u8; 12], aad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>> {
    let mut buffer = ciphertext.to_vec();
    Aes256Gcm::new(key).decrypt_in_place(iv, aad, &mut buffer)?;
    Ok(buffer)
}

/// AES-256-CBC encryption with PKCS#7 padding.
///
/// The padding is written here and every block goes to the cipher in one call: the `aes` crate sets
/// up its SIMD backend (broadcasting the round keys) per call, and `cbc`'s own padded path makes two
/// calls per message, which was a tenth of a Signal message's cost.
pub fn aes256_cbc_encrypt(key: &[u8; 32], iv: &[u8; 16], plaintext: &[u8]) -> Vec<u8> {
    let pad = 16 - plaintext.len() % 16;
    let mut buffer = Vec::with_capacity(plaintext.len() + pad);
    buffer.extend_from_slice(plaintext);
    // PKCS#7: 1..=16 bytes, each holding the pad length (a whole block when already aligned).
    buffer.resize(plaintext.len() + pad, pad as u8);
    let (blocks, rest) = Array::slice_as_chunks_mut(&mut buffer);
    debug_assert!(rest.is_empty());
    CbcEncryptor::new(key.into(), iv.into()).encrypt_blocks(blocks);
    buffer
}

/// AES-256-CBC decryption, rejecting a length that is not a positive multiple of 16 and bad PKCS#7
/// padding. All blocks go to the cipher in one call, as in [`aes256_cbc_encrypt`].
pub fn aes256_cbc_decrypt(key: &[u8; 32], iv: &[u8; 16], ciphertext: &[u8]) -> Result<Vec<u8>> {
    if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(16) {
        return Err(Error::InvalidPadding(
            "AES-CBC ciphertext is not a positive multiple of 16 bytes",
        ));
    }
    let mut buffer = ciphertext.to_vec();
    let (blocks, _) = Array::slice_as_chunks_mut(&mut buffer);
    CbcDecryptor::new(key.into(), iv.into()).decrypt_blocks(blocks);
    let len = unpadded_len(&buffer).ok_or(Error::InvalidPadding(
        "bad PKCS#7 padding after AES-CBC decryption",
    ))?;
    buffer.truncate(len);
    Ok(buffer)
}

/// The length of PKCS#7-padded `data` without its padding, or `None` if the padding is malformed: the
/// last byte `n` must be 1..=16 and the last `n` bytes must all equal `n`.
fn unpadded_len(data: &[u8]) -> Option<usize> {
    let n = *data.last()?;
    if n == 0 || n > 16 || usize::from(n) > data.len() {
        return None;
    }
    let start = data.len() - usize::from(n);
    data[start..].iter().all(|&b| b == n).then_some(start)
}

/// AES-256-CTR (128-bit big-endian counter starting at `iv`) applied to `data` in place; encryption and
/// decryption are the same operation.
pub fn aes256_ctr_apply(key: &[u8; 32], iv: &[u8; 16], data: &mut [u8]) {
    Ctr::new(key.into(), iv.into()).apply_keystream(data);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    // NIST GCM test vector (gcmEncryptExtIV256, Count 0 with 16-byte plaintext): key, iv, pt -> ct, tag.
    #[test]
    fn gcm_known_answer() {
        let key: [u8; 32] = [0u8; 32];
        let iv: [u8; 12] = [0u8; 12];
        let ct = aes256_gcm_encrypt(&key, &iv, &[], &[0u8; 16]);
        assert_eq!(
            hex::encode(&ct),
            "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"
        );
        assert_eq!(aes256_gcm_decrypt(&key, &iv, &[], &ct).unwrap(), vec![0u8; 16]);
    }

    #[test]
    fn gcm_rejects_tampering() {
        let key = [1u8; 32];
        let iv = [2u8; 12];
        let ct = aes256_gcm_encrypt(&key, &iv, b"aad", b"hello");
        for i in 0..ct.len() {
            let mut bad = ct.clone();
            bad[i] ^= 1;
            assert!(aes256_gcm_decrypt(&key, &iv, b"aad", &bad).is_err());
        }
        assert!(aes256_gcm_decrypt(&key, &iv, b"aaD", &ct).is_err());
        assert!(aes256_gcm_decrypt(&key, &[3u8; 12], b"aad", &ct).is_err());
        assert!(aes256_gcm_decrypt(&key, &iv, b"aad", &ct[..15]).is_err());
    }

    #[test]
    fn gcm_detached_forms_agree_with_appended_tag() {
        let key = [9u8; 32];
        let iv = [4u8; 12];
        let cipher = Aes256Gcm::new(&key);
        let appended = aes256_gcm_encrypt(&key, &iv, b"ad", b"detached plaintext");

        let mut data = b"detached plaintext".to_vec();
        let tag = cipher.encrypt_in_place_detached(&iv, b"ad", &mut data);
        assert_eq!([data.as_slice(), &tag].concat(), appended);

        let mut out = vec![0u8; data.len()];
        cipher
            .decrypt_detached_into(&iv, b"ad", &data, &tag, &mut out)
            .unwrap();
        assert_eq!(out, b"detached plaintext");
        assert!(
            cipher
                .decrypt_detached_into(&iv, b"ad", &data, &tag, &mut out[1..])
                .is_err()
        );

        let mut bad_tag = tag;
        bad_tag[0] ^= 1;
        let mut untouched = vec![0u8; data.len()];
        assert!(
            cipher
                .decrypt_detached_into(&iv, b"ad", &data, &bad_tag, &mut untouched)
                .is_err()
        );
        assert_eq!(
            untouched,
            vec![0u8; data.len()],
            "no plaintext is released on a bad tag"
        );

        let mut in_place = data.clone();
        assert!(
            cipher
                .decrypt_in_place_detached(&iv, b"ad", &mut in_place, &bad_tag)
                .is_err()
        );
        cipher
            .decrypt_in_place_detached(&iv, b"ad", &mut in_place, &tag)
            .unwrap();
        assert_eq!(in_place, b"detached plaintext");
    }

    // NIST SP 800-38A F.2.5 (CBC-AES256.Encrypt), first block; PKCS#7 adds a full padding block.
    #[test]
    fn cbc_known_answer_and_padding() {
        let key: [u8; 32] = h("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
            .try_into()
            .unwrap();
        let iv: [u8; 16] = h("000102030405060708090a0b0c0d0e0f").try_into().unwrap();
        let pt = h("6bc1bee22e409f96e93d7e117393172a");
        let ct = aes256_cbc_encrypt(&key, &iv, &pt);
        assert_eq!(ct.len(), 32);
        assert_eq!(hex::encode(&ct[..16]), "f58c4c04d6e5f1ba779eabfb5f7bfbd6");
        assert_eq!(aes256_cbc_decrypt(&key, &iv, &ct).unwrap(), pt);
        assert!(
            aes256_cbc_decrypt(&key, &iv, &ct[..16]).is_err(),
            "padding block missing"
        );
        assert!(aes256_cbc_decrypt(&key, &iv, &ct[..31]).is_err());
        assert!(aes256_cbc_decrypt(&key, &iv, &[]).is_err());
    }

    // Every plaintext length across three blocks matches the `cbc` crate's own padded mode, both ways.
    #[test]
    fn cbc_matches_the_cbc_crate_padded_mode() {
        use aes::cipher::block_padding::Pkcs7;
        let key = [7u8; 32];
        let iv = [9u8; 16];
        for len in 0..=48 {
            let pt: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let reference = CbcEncryptor::new((&key).into(), (&iv).into()).encrypt_padded_vec::<Pkcs7>(&pt);
            let ours = aes256_cbc_encrypt(&key, &iv, &pt);
            assert_eq!(ours, reference, "len {len}");
            assert_eq!(aes256_cbc_decrypt(&key, &iv, &ours).unwrap(), pt, "len {len}");
        }
    }

    #[test]
    fn malformed_pkcs7_padding_is_refused() {
        assert_eq!(unpadded_len(&[1, 2, 3, 1]), Some(3));
        assert_eq!(unpadded_len(&[16; 16]), Some(0));
        assert_eq!(unpadded_len(&[5, 5, 2, 2]), Some(2));
        assert_eq!(unpadded_len(&[1, 2, 3, 0]), None, "zero pad byte");
        assert_eq!(unpadded_len(&[17; 32]), None, "pad longer than a block");
        assert_eq!(unpadded_len(&[1, 3, 2, 3]), None, "inconsistent pad bytes");
        assert_eq!(unpadded_len(&[4, 4, 4]), None, "pad longer than the data");
        assert_eq!(unpadded_len(&[]), None);
    }

    // NIST SP 800-38A F.5.5 (CTR-AES256.Encrypt), first block.
    #[test]
    fn ctr_known_answer() {
        let key: [u8; 32] = h("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
            .try_into()
            .unwrap();
        let iv: [u8; 16] = h("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff").try_into().unwrap();
        let mut data = h("6bc1bee22e409f96e93d7e117393172a");
        aes256_ctr_apply(&key, &iv, &mut data);
        assert_eq!(hex::encode(&data), "601ec313775789a5b7a7f504bbf3d228");
        aes256_ctr_apply(&key, &iv, &mut data);
        assert_eq!(hex::encode(&data), "6bc1bee22e409f96e93d7e117393172a");
    }
}
