//! The token dictionaries (dictionary version 3) and the encoder's string → token lookup.
//!
//! The tables live in `tokens/data.rs`, generated from `testdata/wa-tokens.json` and checked in (see
//! `tokens/generate.rs` for how to regenerate). Checked-in rather than built by a
//! `build.rs`: the crate then compiles from its own directory alone (the JSON sits outside the package),
//! needs no build dependency, and a dictionary change shows up as a reviewable diff. The test proves the
//! checked-in tables equal the JSON and that the lookup finds every token.
//!
//! The lookup is a perfect hash (hash-and-displace): one hash of the string picks a bucket, the bucket's
//! displacement picks the single slot the string can occupy, and one comparison confirms it. Non-tokens
//! (ids, numbers, names) are the common case on encode and cost the same hash and at most one compare.

mod data;

pub use data::DICT_VERSION;
use data::{DISPLACEMENT, HASH_SEED, MAX_TOKEN_LEN, SLOTS};
pub(crate) use data::{DOUBLE_BYTE, SINGLE_BYTE};

const BUCKET_BITS: u32 = 9;
const SLOT_BITS: u32 = 11;
const MIX: u64 = 0x9E37_79B9_7F4A_7C15;

/// Where the encoder finds a string in the dictionaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token {
    /// Single-byte token: the tag byte is the index (1–235).
    Single(u8),
    /// Double-byte token: tag byte `236 + dictionary`, then the index.
    Double {
        /// Dictionary 0–3.
        dict: u8,
        /// Index 0–255 in that dictionary.
        index: u8,
    },
}

/// The single-byte token at `index` (1–235); `None` for 0 and out-of-range indices.
pub fn single_byte_token(index: u8) -> Option<&'static str> {
    if index == 0 {
        return None;
    }
    SINGLE_BYTE.get(usize::from(index)).copied()
}

/// The double-byte token at `index` of dictionary `dict` (0–3).
pub fn double_byte_token(dict: u8, index: u8) -> Option<&'static str> {
    DOUBLE_BYTE
        .get(usize::from(dict))
        .map(|table| table[usize::from(index)])
}

/// The token for `text`, if it is one. The empty string is not a token (it is index 0 of the single-byte
/// table only as a placeholder, and encoders never emit index 0).
#[inline]
pub fn token_index(text: &str) -> Option<Token> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_TOKEN_LEN {
        return None;
    }
    let hash = token_hash(bytes, HASH_SEED);
    let displacement = DISPLACEMENT[bucket_of(hash)];
    let code = SLOTS[slot_of(hash, displacement)];
    let token = code_to_token(code)?;
    (token_text(token).as_bytes() == bytes).then_some(token)
}

/// The text of a token.
pub(crate) fn token_text(token: Token) -> &'static str {
    match token {
        Token::Single(index) => SINGLE_BYTE[usize::from(index)],
        Token::Double { dict, index } => DOUBLE_BYTE[usize::from(dict & 3)][usize::from(index)],
    }
}

/// Slot codes: 0 = empty, 1–235 single-byte index, 256 + 256·dict + index for double-byte tokens.
fn code_to_token(code: u16) -> Option<Token> {
    match code {
        0 => None,
        1..=255 => Some(Token::Single(code as u8)),
        _ => Some(Token::Double {
            dict: ((code >> 8) - 1) as u8,
            index: code as u8,
        }),
    }
}

#[inline]
fn read_u32(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[..4]);
    u64::from(u32::from_le_bytes(word))
}

/// A 64-bit hash of a short string. Every byte reaches the hash (8-byte words, then the last 1–7 bytes
/// read as overlapping halves), mixed with the length, so distinct tokens only collide by accident of the
/// multiply, which generation rules out for the fixed token set.
#[inline]
pub(crate) fn token_hash(bytes: &[u8], seed: u64) -> u64 {
    let mut hash = seed ^ (bytes.len() as u64).wrapping_mul(MIX);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        hash = (hash ^ u64::from_le_bytes(word)).wrapping_mul(MIX);
        hash ^= hash >> 29;
    }
    let rest = chunks.remainder();
    let n = rest.len();
    let tail = if n >= 4 {
        (read_u32(rest) << 32) | read_u32(&rest[n - 4..])
    } else if n > 0 {
        (u64::from(rest[0]) << 16) | (u64::from(rest[n / 2]) << 8) | u64::from(rest[n - 1])
    } else {
        0
    };
    hash = (hash ^ tail).wrapping_mul(MIX);
    hash ^ (hash >> 32)
}

#[inline]
pub(crate) fn bucket_of(hash: u64) -> usize {
    (hash & ((1 << BUCKET_BITS) - 1)) as usize
}

#[inline]
pub(crate) fn slot_of(hash: u64, displacement: u16) -> usize {
    let mixed = (hash ^ u64::from(displacement).wrapping_mul(MIX)).wrapping_mul(0xD6E8_FEB8_6659_FD93);
    (mixed >> (64 - SLOT_BITS)) as usize
}

#[cfg(test)]
pub(crate) mod generate;
