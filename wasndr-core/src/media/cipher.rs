//! Media encryption and decryption (messaging guide F.2, F.5).
//!
//! The uploaded body is `AES-256-CBC(PKCS#7(plaintext)) ‖ HMAC-SHA256(macKey, iv ‖ ciphertext)[..10]`.
//! [`encrypt`]/[`decrypt`] work on whole files; [`MediaEncryptor`]/[`MediaDecryptor`] do the same over
//! chunks, so a large file never has to sit in memory twice.

use aes::cipher::{Array, BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{MediaKeys, MediaType};
use crate::crypto::aes256_cbc_decrypt;
use crate::error::{Error, Result};

/// Length of the truncated HMAC appended to the ciphertext.
pub const MEDIA_MAC_LEN: usize = 10;

const BLOCK: usize = 16;

type CbcEncryptor = cbc::Encryptor<aes::Aes256>;
type CbcDecryptor = cbc::Decryptor<aes::Aes256>;
type HmacSha256 = Hmac<Sha256>;

/// Why a downloaded media body was refused, in the order the checks run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaProblem {
    /// The body is not longer than the 10-byte MAC.
    TooShort,
    /// SHA-256 of the body differs from the message's `fileEncSha256`.
    EncSha256Mismatch,
    /// The 10-byte MAC does not verify.
    MacMismatch,
    /// The ciphertext is not whole AES blocks, or its PKCS#7 padding is invalid.
    BadPadding,
    /// SHA-256 of the plaintext differs from the message's `fileSha256`.
    Sha256Mismatch,
}

impl std::fmt::Display for MediaProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MediaProblem::TooShort => "body is not longer than its 10-byte MAC",
            MediaProblem::EncSha256Mismatch => "SHA-256 of the body differs from fileEncSha256",
            MediaProblem::MacMismatch => "MAC mismatch",
            MediaProblem::BadPadding => "ciphertext is not whole blocks or has bad PKCS#7 padding",
            MediaProblem::Sha256Mismatch => "SHA-256 of the plaintext differs from fileSha256",
        })
    }
}

/// What the message fields `fileSha256`, `fileEncSha256` and `fileLength` are set to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MediaHashes {
    /// SHA-256 of the plaintext.
    pub file_sha256: [u8; 32],
    /// SHA-256 of the upload body (ciphertext ‖ MAC); its URL-safe base64 is the upload token.
    pub file_enc_sha256: [u8; 32],
    /// Plaintext length in bytes.
    pub file_length: u64,
}

/// An encrypted file, ready to upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncryptedMedia {
    /// The upload body: ciphertext ‖ 10-byte MAC.
    pub body: Vec<u8>,
    /// The hashes and length for the message.
    pub hashes: MediaHashes,
}

/// Encrypts a whole file under `media_key` (32 random bytes the caller drew and puts in the message).
pub fn encrypt(media_key: &[u8], media_type: MediaType, plaintext: &[u8]) -> EncryptedMedia {
    let mut body = Vec::with_capacity((plaintext.len() / BLOCK + 1) * BLOCK + MEDIA_MAC_LEN);
    let mut encryptor = MediaEncryptor::new(media_key, media_type);
    encryptor.update(plaintext, &mut body);
    let hashes = encryptor.finish(&mut body);
    EncryptedMedia { body, hashes }
}

/// Decrypts a whole downloaded body, checking in whatsmeow's order: length, SHA-256 of the body
/// against `file_enc_sha256`, the MAC, the AES-CBC padding, then SHA-256 of the plaintext against
/// `file_sha256`. Nothing is decrypted before the MAC has verified.
pub fn decrypt(
    media_key: &[u8],
    media_type: MediaType,
    body: &[u8],
    file_enc_sha256: &[u8],
    file_sha256: &[u8],
) -> Result<Vec<u8>> {
    let invalid = |problem| Err(Error::InvalidMedia(problem));
    let Some(ciphertext_len) = body.len().checked_sub(MEDIA_MAC_LEN).filter(|&n| n > 0) else {
        return invalid(MediaProblem::TooShort);
    };
    if !digest_matches(&Sha256::digest(body), file_enc_sha256) {
        return invalid(MediaProblem::EncSha256Mismatch);
    }
    let (ciphertext, mac) = body.split_at(ciphertext_len);
    let keys = MediaKeys::expand(media_key, media_type);
    if !mac_matches(&keys, ciphertext, mac) {
        return invalid(MediaProblem::MacMismatch);
    }
    let plaintext = aes256_cbc_decrypt(&keys.cipher_key, &keys.iv, ciphertext)
        .map_err(|_| Error::InvalidMedia(MediaProblem::BadPadding))?;
    if !digest_matches(&Sha256::digest(&plaintext), file_sha256) {
        return invalid(MediaProblem::Sha256Mismatch);
    }
    Ok(plaintext)
}

fn digest_matches(actual: &[u8], expected: &[u8]) -> bool {
    actual.ct_eq(expected).into()
}

fn mac_matches(keys: &MediaKeys, ciphertext: &[u8], mac: &[u8]) -> bool {
    let mut hmac = new_mac(keys);
    hmac.update(ciphertext);
    let full = hmac.finalize().into_bytes();
    full[..MEDIA_MAC_LEN].ct_eq(mac).into()
}

fn new_mac(keys: &MediaKeys) -> HmacSha256 {
    let mut hmac = <HmacSha256 as KeyInit>::new_from_slice(&keys.mac_key).unwrap_or_else(|_| unreachable!());
    hmac.update(&keys.iv);
    hmac
}

/// Encrypts a file chunk by chunk. Feed the plaintext to [`update`](Self::update) in pieces of any
/// size; each call appends the ciphertext of the whole blocks seen so far to `out`, and
/// [`finish`](Self::finish) appends the padded last block and the MAC.
pub struct MediaEncryptor {
    cbc: CbcEncryptor,
    mac: HmacSha256,
    plain_hash: Sha256,
    enc_hash: Sha256,
    partial: [u8; BLOCK],
    partial_len: usize,
    length: u64,
}

impl MediaEncryptor {
    /// Starts encrypting under `media_key` expanded for `media_type`.
    pub fn new(media_key: &[u8], media_type: MediaType) -> MediaEncryptor {
        let keys = MediaKeys::expand(media_key, media_type);
        MediaEncryptor {
            cbc: CbcEncryptor::new(&keys.cipher_key.into(), &keys.iv.into()),
            mac: new_mac(&keys),
            plain_hash: Sha256::new(),
            enc_hash: Sha256::new(),
            partial: [0; BLOCK],
            partial_len: 0,
            length: 0,
        }
    }

    /// Encrypts the next piece of plaintext, appending whole ciphertext blocks to `out`.
    pub fn update(&mut self, mut plaintext: &[u8], out: &mut Vec<u8>) {
        self.length += plaintext.len() as u64;
        self.plain_hash.update(plaintext);
        if self.partial_len > 0 {
            let take = (BLOCK - self.partial_len).min(plaintext.len());
            self.partial[self.partial_len..self.partial_len + take].copy_from_slice(&plaintext[..take]);
            self.partial_len += take;
            plaintext = &plaintext[take..];
            if self.partial_len < BLOCK {
                return;
            }
            let block = self.partial;
            self.partial_len = 0;
            self.emit(&block, out);
        }
        let whole = plaintext.len() - plaintext.len() % BLOCK;
        let (blocks, rest) = plaintext.split_at(whole);
        self.emit(blocks, out);
        self.partial[..rest.len()].copy_from_slice(rest);
        self.partial_len = rest.len();
    }

    /// Appends the PKCS#7-padded last block and the MAC to `out`, returning the message's hashes.
    pub fn finish(mut self, out: &mut Vec<u8>) -> MediaHashes {
        let pad = BLOCK - self.partial_len;
        let mut block = self.partial;
        block[self.partial_len..].fill(pad as u8);
        self.emit(&block, out);
        let mac = self.mac.finalize().into_bytes();
        out.extend_from_slice(&mac[..MEDIA_MAC_LEN]);
        self.enc_hash.update(&mac[..MEDIA_MAC_LEN]);
        MediaHashes {
            file_sha256: self.plain_hash.finalize().into(),
            file_enc_sha256: self.enc_hash.finalize().into(),
            file_length: self.length,
        }
    }

    /// Encrypts whole blocks of plaintext at the end of `out`, feeding the MAC and the body hash.
    fn emit(&mut self, blocks: &[u8], out: &mut Vec<u8>) {
        if blocks.is_empty() {
            return;
        }
        let start = out.len();
        out.extend_from_slice(blocks);
        let (chunks, _) = Array::slice_as_chunks_mut(&mut out[start..]);
        self.cbc.encrypt_blocks(chunks);
        self.mac.update(&out[start..]);
        self.enc_hash.update(&out[start..]);
    }
}

impl std::fmt::Debug for MediaEncryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaEncryptor")
            .field("length", &self.length)
            .finish_non_exhaustive()
    }
}

/// Decrypts a download chunk by chunk.
///
/// Unlike [`decrypt`], plaintext is released before the whole body has been authenticated: the MAC and
/// both hashes can only be checked at the end. Treat what [`update`](Self::update) writes as untrusted
/// until [`finish`](Self::finish) returns `Ok`, and discard it otherwise. `finish` runs the checks in
/// the order [`decrypt`] does.
pub struct MediaDecryptor {
    cbc: CbcDecryptor,
    mac: HmacSha256,
    plain_hash: Sha256,
    enc_hash: Sha256,
    file_enc_sha256: Option<[u8; 32]>,
    file_sha256: Option<[u8; 32]>,
    /// Bytes not yet processed: always the last MAC plus at least one block are held back, because
    /// only the end of the stream says which bytes are MAC and which block carries the padding.
    pending: Vec<u8>,
    seen: u64,
}

impl MediaDecryptor {
    /// Starts decrypting a body whose message says `file_enc_sha256` and `file_sha256` (each must be
    /// 32 bytes, or the final check fails).
    pub fn new(
        media_key: &[u8],
        media_type: MediaType,
        file_enc_sha256: &[u8],
        file_sha256: &[u8],
    ) -> MediaDecryptor {
        let keys = MediaKeys::expand(media_key, media_type);
        // A hash of the wrong length can never match: kept as None, it fails its check in `finish`.
        let hash = |bytes: &[u8]| <[u8; 32]>::try_from(bytes).ok();
        MediaDecryptor {
            cbc: CbcDecryptor::new(&keys.cipher_key.into(), &keys.iv.into()),
            mac: new_mac(&keys),
            plain_hash: Sha256::new(),
            enc_hash: Sha256::new(),
            file_enc_sha256: hash(file_enc_sha256),
            file_sha256: hash(file_sha256),
            pending: Vec::new(),
            seen: 0,
        }
    }

    /// Takes the next piece of the body, appending the plaintext of the blocks that are certainly not
    /// the last to `out`.
    pub fn update(&mut self, body: &[u8], out: &mut Vec<u8>) {
        self.seen += body.len() as u64;
        self.pending.extend_from_slice(body);
        let hold = BLOCK + MEDIA_MAC_LEN;
        if self.pending.len() <= hold {
            return;
        }
        let ready = (self.pending.len() - hold) / BLOCK * BLOCK;
        if ready == 0 {
            return;
        }
        self.enc_hash.update(&self.pending[..ready]);
        self.mac.update(&self.pending[..ready]);
        let start = out.len();
        out.extend_from_slice(&self.pending[..ready]);
        let (chunks, _) = Array::slice_as_chunks_mut(&mut out[start..]);
        self.cbc.decrypt_blocks(chunks);
        self.plain_hash.update(&out[start..]);
        self.pending.drain(..ready);
    }

    /// Checks the end of the body and appends the last plaintext bytes to `out`.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<()> {
        let invalid = |problem| Err(Error::InvalidMedia(problem));
        if self.seen <= MEDIA_MAC_LEN as u64 {
            return invalid(MediaProblem::TooShort);
        }
        self.enc_hash.update(&self.pending);
        let enc_hash: [u8; 32] = self.enc_hash.finalize().into();
        if self
            .file_enc_sha256
            .is_none_or(|expected| !digest_matches(&enc_hash, &expected))
        {
            return invalid(MediaProblem::EncSha256Mismatch);
        }
        let (tail, mac) = self.pending.split_at(self.pending.len() - MEDIA_MAC_LEN);
        self.mac.update(tail);
        let full = self.mac.finalize().into_bytes();
        if !bool::from(full[..MEDIA_MAC_LEN].ct_eq(mac)) {
            return invalid(MediaProblem::MacMismatch);
        }
        if tail.is_empty() || !tail.len().is_multiple_of(BLOCK) {
            return invalid(MediaProblem::BadPadding);
        }
        let mut last = tail.to_vec();
        let (chunks, _) = Array::slice_as_chunks_mut(&mut last);
        self.cbc.decrypt_blocks(chunks);
        let pad = usize::from(last[last.len() - 1]);
        if pad == 0 || pad > BLOCK || last[last.len() - pad..].iter().any(|&b| usize::from(b) != pad) {
            return invalid(MediaProblem::BadPadding);
        }
        last.truncate(last.len() - pad);
        self.plain_hash.update(&last);
        let plain_hash: [u8; 32] = self.plain_hash.finalize().into();
        if self
            .file_sha256
            .is_none_or(|expected| !digest_matches(&plain_hash, &expected))
        {
            return invalid(MediaProblem::Sha256Mismatch);
        }
        out.extend_from_slice(&last);
        Ok(())
    }
}

impl std::fmt::Debug for MediaDecryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaDecryptor")
            .field("seen", &self.seen)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guide_key() -> Vec<u8> {
        (0u8..32).collect()
    }

    /// The worked example of messaging guide F.2.
    #[test]
    fn guide_vector() {
        let encrypted = encrypt(&guide_key(), MediaType::Image, b"hello whatsapp");
        assert_eq!(
            hex::encode(&encrypted.body),
            "dad9e1a159bc644fdf00553866b64334e8f026c842b3f84bac37"
        );
        assert_eq!(
            hex::encode(encrypted.hashes.file_sha256),
            "d9a33d094b3f777804618d00e102b5c5791b07093ff5c8309741e0ce9bbf77dc"
        );
        assert_eq!(
            hex::encode(encrypted.hashes.file_enc_sha256),
            "8b415a2a18fc728ab93e7f42c516449ca38d62ed2e50456b5a3ee5b11f8472d8"
        );
        assert_eq!(encrypted.hashes.file_length, 14);
        let plaintext = decrypt(
            &guide_key(),
            MediaType::Image,
            &encrypted.body,
            &encrypted.hashes.file_enc_sha256,
            &encrypted.hashes.file_sha256,
        )
        .unwrap();
        assert_eq!(plaintext, b"hello whatsapp");
    }

    fn decrypt_streaming(body: &[u8], hashes: &MediaHashes, chunk: usize) -> Result<Vec<u8>> {
        let mut decryptor = MediaDecryptor::new(
            &guide_key(),
            MediaType::Video,
            &hashes.file_enc_sha256,
            &hashes.file_sha256,
        );
        let mut out = Vec::new();
        for piece in body.chunks(chunk.max(1)) {
            decryptor.update(piece, &mut out);
        }
        decryptor.finish(&mut out)?;
        Ok(out)
    }

    #[test]
    fn chunked_forms_agree_with_the_one_shot_forms() {
        let plaintext: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        for len in [0, 1, 15, 16, 17, 31, 32, 33, 1000] {
            let whole = encrypt(&guide_key(), MediaType::Video, &plaintext[..len]);
            for chunk in [1, 3, 16, 17, 64, 5000] {
                let mut encryptor = MediaEncryptor::new(&guide_key(), MediaType::Video);
                let mut body = Vec::new();
                for piece in plaintext[..len].chunks(chunk) {
                    encryptor.update(piece, &mut body);
                }
                let hashes = encryptor.finish(&mut body);
                assert_eq!(body, whole.body, "len {len} chunk {chunk}");
                assert_eq!(hashes, whole.hashes);
                assert_eq!(
                    decrypt_streaming(&body, &hashes, chunk).unwrap(),
                    &plaintext[..len]
                );
            }
        }
    }

    #[test]
    fn every_check_fires_in_order() {
        let key = guide_key();
        let good = encrypt(&key, MediaType::Video, b"some video bytes, more than a block");
        let h = good.hashes;
        let check = |body: &[u8], enc: &[u8], plain: &[u8]| {
            let one_shot = decrypt(&key, MediaType::Video, body, enc, plain).map(|_| ());
            let mut streaming = MediaDecryptor::new(&key, MediaType::Video, enc, plain);
            let mut out = Vec::new();
            streaming.update(body, &mut out);
            assert_eq!(streaming.finish(&mut out), one_shot);
            one_shot
        };
        let problem = |p| Err(Error::InvalidMedia(p));
        assert_eq!(
            check(&good.body[..10], &h.file_enc_sha256, &h.file_sha256),
            problem(MediaProblem::TooShort)
        );
        // A wrong enc hash is reported even when the MAC is also wrong: that check comes first.
        let mut tampered = good.body.clone();
        tampered[0] ^= 1;
        assert_eq!(
            check(&tampered, &h.file_enc_sha256, &h.file_sha256),
            problem(MediaProblem::EncSha256Mismatch)
        );
        let tampered_hash: [u8; 32] = Sha256::digest(&tampered).into();
        assert_eq!(
            check(&tampered, &tampered_hash, &h.file_sha256),
            problem(MediaProblem::MacMismatch)
        );
        assert_eq!(
            check(&good.body, &h.file_enc_sha256, &[0u8; 32]),
            problem(MediaProblem::Sha256Mismatch)
        );
        // A block that decrypts to a last byte of 0 (no valid PKCS#7 pad), under a valid MAC and hash:
        // the first block of a 16-byte plaintext ending in 0, without its padding block.
        let keys = MediaKeys::expand(&key, MediaType::Video);
        let mut body = crate::crypto::aes256_cbc_encrypt(&keys.cipher_key, &keys.iv, b"fifteen bytes!!\0");
        body.truncate(BLOCK);
        let mut hmac = new_mac(&keys);
        hmac.update(&body);
        body.extend_from_slice(&hmac.finalize().into_bytes()[..MEDIA_MAC_LEN]);
        let body_hash: [u8; 32] = Sha256::digest(&body).into();
        assert_eq!(
            check(&body, &body_hash, &h.file_sha256),
            problem(MediaProblem::BadPadding)
        );
        // Not whole blocks, under a valid MAC and hash.
        let mut short = good.body[..good.body.len() - MEDIA_MAC_LEN - 1].to_vec();
        let mut hmac = new_mac(&keys);
        hmac.update(&short);
        short.extend_from_slice(&hmac.finalize().into_bytes()[..MEDIA_MAC_LEN]);
        let short_hash: [u8; 32] = Sha256::digest(&short).into();
        assert_eq!(
            check(&short, &short_hash, &h.file_sha256),
            problem(MediaProblem::BadPadding)
        );
    }
}
