//! Keys derived from a message's `messageSecret`, which encrypt votes, encrypted reactions and the like
//! that refer to it (messaging guide C.5).

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::crypto::{Aes256Gcm, hkdf_sha256_zero_salt};
use crate::error::{Error, Result};
use crate::jid::Jid;

/// Length of a message secret.
pub const MESSAGE_SECRET_LEN: usize = 32;

/// What a derived key is for; the label ends the HKDF `info`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SecretUse {
    /// A poll vote (`"Poll Vote"`), authenticated with AAD.
    PollVote,
    /// An encrypted reaction (`"Enc Reaction"`).
    EncReaction,
    /// A comment (`"Enc Comment"`).
    EncComment,
    /// An event response (`"Event Response"`), authenticated with AAD.
    EventResponse,
    /// A message edit (`"Message Edit"`).
    MessageEdit,
    /// A poll edit (`"Poll Edit"`).
    PollEdit,
    /// A reporting token (`"Report Token"`).
    ReportToken,
}

impl SecretUse {
    /// The label appended to the HKDF `info`.
    pub const fn label(self) -> &'static str {
        match self {
            SecretUse::PollVote => "Poll Vote",
            SecretUse::EncReaction => "Enc Reaction",
            SecretUse::EncComment => "Enc Comment",
            SecretUse::EventResponse => "Event Response",
            SecretUse::MessageEdit => "Message Edit",
            SecretUse::PollEdit => "Poll Edit",
            SecretUse::ReportToken => "Report Token",
        }
    }

    /// Whether the AES-GCM additional data `originalId ‖ 0x00 ‖ modifier` is used.
    pub const fn uses_aad(self) -> bool {
        matches!(self, SecretUse::PollVote | SecretUse::EventResponse)
    }
}

/// The AES-256-GCM key (and additional data) for one use of an original message's secret by one
/// modifier (the voter, the reacting user).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey {
    key: [u8; 32],
    aad: Vec<u8>,
}

impl SecretKey {
    /// `HKDF-SHA256(secret, no salt, info = originalId ‖ originalSender ‖ modifier ‖ label, 32)`, the
    /// JIDs in their non-device string form. AAD = `originalId ‖ 0x00 ‖ modifier` for uses that take it.
    pub fn derive(
        use_: SecretUse,
        secret: &[u8],
        original_id: &str,
        original_sender: &Jid,
        modifier: &Jid,
    ) -> SecretKey {
        let original_sender = original_sender.to_non_ad().to_string();
        let modifier = modifier.to_non_ad().to_string();
        let info = [
            original_id.as_bytes(),
            original_sender.as_bytes(),
            modifier.as_bytes(),
            use_.label().as_bytes(),
        ]
        .concat();
        let key = hkdf_sha256_zero_salt::<32>(secret, &info);
        let aad = if use_.uses_aad() {
            [original_id.as_bytes(), &[0], modifier.as_bytes()].concat()
        } else {
            Vec::new()
        };
        SecretKey { key, aad }
    }

    /// Encrypts `plaintext` under a 12-byte IV the caller drew; returns ciphertext ‖ 16-byte tag.
    pub fn encrypt(&self, iv: &[u8; 12], plaintext: &[u8]) -> Vec<u8> {
        let mut buffer = plaintext.to_vec();
        Aes256Gcm::new(&self.key).encrypt_in_place(iv, &self.aad, &mut buffer);
        buffer
    }

    /// Decrypts ciphertext ‖ tag; `iv` must be 12 bytes.
    pub fn decrypt(&self, iv: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>> {
        let iv: &[u8; 12] = iv
            .try_into()
            .map_err(|_| Error::DecryptFailed("message-secret IV is not 12 bytes"))?;
        let mut buffer = ciphertext.to_vec();
        Aes256Gcm::new(&self.key).decrypt_in_place(iv, &self.aad, &mut buffer)?;
        Ok(buffer)
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_and_aad_layout() {
        // Recomputed with Python: hkdf(ikm=01*32, salt=zeros, info=b"3EB0ID" + b"1@s.whatsapp.net"
        // + b"2@lid" + b"Poll Vote").
        let key = SecretKey::derive(
            SecretUse::PollVote,
            &[1; 32],
            "3EB0ID",
            &Jid::pn("1").with_device(5),
            &Jid::lid("2").with_device(7),
        );
        assert_eq!(key.aad, b"3EB0ID\x002@lid");
        assert_eq!(
            hex::encode(key.key),
            "0266519bfd25edb49bb388751a25f5819066e7556026e2c1fe265a8f6b3a9911"
        );
        let reaction = SecretKey::derive(
            SecretUse::EncReaction,
            &[1; 32],
            "3EB0ID",
            &Jid::pn("1"),
            &Jid::lid("2"),
        );
        assert!(reaction.aad.is_empty());
        assert_eq!(format!("{reaction:?}"), "SecretKey(<redacted>)");
    }

    #[test]
    fn round_trip_and_tamper() {
        let key = SecretKey::derive(SecretUse::PollVote, &[9; 32], "X", &Jid::pn("1"), &Jid::pn("2"));
        let sealed = key.encrypt(&[3; 12], b"vote");
        assert_eq!(key.decrypt(&[3; 12], &sealed).unwrap(), b"vote");
        let other_voter = SecretKey::derive(SecretUse::PollVote, &[9; 32], "X", &Jid::pn("1"), &Jid::pn("3"));
        assert!(other_voter.decrypt(&[3; 12], &sealed).is_err());
        assert!(key.decrypt(&[3; 11], &sealed).is_err());
    }
}
