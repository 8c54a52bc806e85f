//! Message ids in the web client's format (messaging guide D.1).

use rand_core::CryptoRng;

use crate::crypto::sha256_parts;
use crate::jid::Jid;

/// The prefix of ids made by web clients.
pub const MESSAGE_ID_PREFIX: &str = "3EB0";

/// A new message id: `3EB0` followed by the upper-case hex of the first 9 bytes of
/// `SHA-256(u64be(now) ‖ own user ‖ "@c.us" ‖ 16 random bytes)`, 22 characters in all, as whatsmeow
/// and Baileys make them. `own` is our account (its user part is used; `None` before pairing), `now`
/// is unix seconds.
pub fn generate_message_id<R: CryptoRng + ?Sized>(now: u64, own: Option<&Jid>, rng: &mut R) -> String {
    let mut random = [0u8; 16];
    rng.fill_bytes(&mut random);
    let user = own.map_or("", Jid::user);
    let suffix: &[u8] = if user.is_empty() { b"" } else { b"@c.us" };
    let hash = sha256_parts(&[&now.to_be_bytes(), user.as_bytes(), suffix, &random]);
    let mut id = String::with_capacity(MESSAGE_ID_PREFIX.len() + 18);
    id.push_str(MESSAGE_ID_PREFIX);
    for byte in &hash[..9] {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        id.push(char::from(HEX[usize::from(byte >> 4)]));
        id.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serves fixed bytes, so the id can be recomputed independently.
    struct Fixed(u8);
    impl rand_core::TryRng for Fixed {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            Ok(u32::from_le_bytes([self.0; 4]))
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            Ok(u64::from_le_bytes([self.0; 8]))
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            dst.fill(self.0);
            Ok(())
        }
    }
    impl rand_core::TryCryptoRng for Fixed {}

    #[test]
    fn format_and_known_answer() {
        let own = Jid::pn("15551234567").with_device(3);
        let id = generate_message_id(1_700_000_000, Some(&own), &mut Fixed(0xab));
        // Computed independently: Python hashlib over struct.pack('>Q', 1700000000) + b"15551234567@c.us"
        // + bytes([0xab] * 16).
        assert_eq!(id, "3EB0142FD79E4C8A5F8248");
        assert_eq!(id.len(), 22);
        assert!(
            id[4..]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
        );

        let unpaired = generate_message_id(1_700_000_000, None, &mut Fixed(0xab));
        assert_eq!(unpaired, "3EB0593B0B6EE4F786D9AB");
    }

    #[test]
    fn random_ids_differ() {
        let mut rng = rand::rng();
        let a = generate_message_id(1, None, &mut rng);
        let b = generate_message_id(1, None, &mut rng);
        assert_ne!(a, b);
    }
}
