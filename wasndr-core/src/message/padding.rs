//! Random padding of the serialized `Message` (messaging guide C.2).
//!
//! Before Signal encryption the sender appends n bytes, each equal to n, so that ciphertext lengths
//! do not give away the exact text length; the receiver strips them after decryption. This layer sits
//! inside AES-CBC's own PKCS#7 padding and applies to pairwise and group (`skmsg`) plaintexts with
//! `v="2"`, never to `v="3"`, newsletter `<plaintext>` nodes or media files.
//!
//! The pad length follows Baileys' `writeRandomPadMax16`: `(random & 0x0F) + 1`, so 1..=16, which is
//! what the golden vectors record. whatsmeow draws 1..=15; both libraries accept either on receipt.
//!
//! Receiving is stricter than Baileys, which strips `last byte` bytes without looking at them: like
//! whatsmeow, every pad byte must equal the pad length, and unlike both libraries a zero pad length is
//! refused, because no sender produces one and a plaintext ending in 0 is more likely unpadded than
//! padded with nothing.

use crate::{Error, Result};

/// The longest pad [`pad`] appends.
pub const MAX_PAD_LEN: u8 = 16;

/// The pad length [`pad`] uses for `random_byte`: its low nibble plus one (1..=16). It is also the
/// value of every pad byte.
pub fn pad_len(random_byte: u8) -> u8 {
    (random_byte & 0x0f) + 1
}

/// Appends the random padding to a serialized `Message`. `random_byte` must come from a
/// cryptographically secure source; only its low four bits are used.
pub fn pad(plaintext: &[u8], random_byte: u8) -> Vec<u8> {
    let n = pad_len(random_byte);
    let total = plaintext.len() + usize::from(n);
    let mut padded = Vec::with_capacity(total);
    padded.extend_from_slice(plaintext);
    padded.resize(total, n);
    padded
}

/// Strips the random padding from a decrypted plaintext, returning the serialized `Message`.
///
/// Fails with [`Error::InvalidMessagePadding`] when the input is empty, the pad length (last byte)
/// is zero or longer than the input, or any pad byte differs from the pad length. Pad lengths above
/// [`MAX_PAD_LEN`] are accepted when consistent, as both reference libraries accept them.
pub fn unpad(padded: &[u8]) -> Result<&[u8]> {
    let Some(&last) = padded.last() else {
        return Err(Error::InvalidMessagePadding("empty plaintext"));
    };
    let n = usize::from(last);
    if n == 0 {
        return Err(Error::InvalidMessagePadding("pad length is zero"));
    }
    let Some(body_len) = padded.len().checked_sub(n) else {
        return Err(Error::InvalidMessagePadding("pad length exceeds the plaintext"));
    };
    let (body, pad_bytes) = padded.split_at(body_len);
    if pad_bytes.iter().any(|&b| b != last) {
        return Err(Error::InvalidMessagePadding(
            "pad bytes differ from the pad length",
        ));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The worked example of messaging guide C.2: `Message{conversation:"hi"}` with n = 3.
    #[test]
    fn guide_example() {
        let message = [0x0a, 0x02, 0x68, 0x69];
        let padded = pad(&message, 0x02);
        assert_eq!(padded, [0x0a, 0x02, 0x68, 0x69, 3, 3, 3]);
        assert_eq!(unpad(&padded), Ok(&message[..]));
    }

    #[test]
    fn pad_length_uses_only_the_low_nibble() {
        assert_eq!(pad_len(0x00), 1);
        assert_eq!(pad_len(0x0f), 16);
        assert_eq!(pad_len(0xf0), 1);
        assert_eq!(pad_len(0xff), MAX_PAD_LEN);
    }

    #[test]
    fn rejects_what_no_sender_produces() {
        let err = |reason| Err(Error::InvalidMessagePadding(reason));
        assert_eq!(unpad(&[]), err("empty plaintext"));
        assert_eq!(unpad(&[0xaa, 0x00]), err("pad length is zero"));
        assert_eq!(unpad(&[0x05]), err("pad length exceeds the plaintext"));
        assert_eq!(
            unpad(&[0xaa, 0x02, 0x03, 0x03]),
            err("pad bytes differ from the pad length")
        );
        assert_eq!(unpad(&[0x03, 0x03]), err("pad length exceeds the plaintext"));
    }

    #[test]
    fn accepts_edge_lengths() {
        assert_eq!(unpad(&[0x01]), Ok(&[][..]));
        assert_eq!(unpad(&[0xaa, 0x01]), Ok(&[0xaa][..]));
        let long = [0x11u8; 18];
        assert_eq!(unpad(&long), Ok(&[0x11][..]));
    }

    proptest! {
        #[test]
        fn pad_then_unpad_is_identity(plaintext in proptest::collection::vec(any::<u8>(), 0..512), random in any::<u8>()) {
            let padded = pad(&plaintext, random);
            prop_assert_eq!(padded.len() - plaintext.len(), usize::from(pad_len(random)));
            prop_assert!((1..=MAX_PAD_LEN).contains(&pad_len(random)));
            prop_assert_eq!(unpad(&padded), Ok(plaintext.as_slice()));
        }

        #[test]
        fn unpad_never_panics_and_never_grows(input in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(body) = unpad(&input) {
                prop_assert!(body.len() < input.len());
                prop_assert_eq!(body, &input[..body.len()]);
            }
        }
    }
}
