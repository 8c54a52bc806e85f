//! The token dictionaries (dictionary version 3) and the encoder's string → token lookup.
//!
//! The tables live in `tokens/data.rs`, generated from `testdata/wa-tokens.json` and checked in (see
//! `tokens/generate.rs` for how to regenerate). Checked-in rather than built by a `build.rs`: the crate
//! then compiles from its own directory alone (the JSON sits outside the package), needs no build
//! dependency, and a dictionary change shows up as a reviewable diff. The tests prove the checked-in
//! tables equal the JSON and that the lookup finds every token and nothing else.
//!
//! The lookup is a perfect hash (hash-and-displace): a hash of the string picks a bucket, the bucket's
//! displacement picks the one slot the string can occupy, and the slot holds the token's length and
//! bytes as two words, so confirming a hit is three integer compares — no pointer chase into the string
//! tables, no memcmp (tokens longer than 16 bytes compare their tail too). Non-tokens (ids, numbers,
//! names) cost the same hash and compares.

mod data;

pub use data::DICT_VERSION;
use data::{DISPLACEMENT, HASH_SEED, MAX_TOKEN_LEN, SLOTS};
pub(crate) use data::{DOUBLE_BYTE, SINGLE_BYTE};

const BUCKET_BITS: u32 = 9;
const SLOT_BITS: u32 = 11;
const MIX: u64 = 0x9E37_79B9_7F4A_7C15;
const MIX2: u64 = 0xD6E8_FEB8_6659_FD93;

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

/// A slot of the lookup table: the token's first 16 bytes as two zero-padded words, its length, and
/// its code (0 = empty slot; 1–235 single-byte index; 256 + 256·dict + index for double-byte tokens).
#[derive(Clone, Copy)]
struct Slot {
    first: u64,
    second: u64,
    len: u8,
    code: u16,
}

const fn code_text(code: u16) -> &'static str {
    if code < 256 {
        SINGLE_BYTE[code as usize]
    } else {
        DOUBLE_BYTE[((code >> 8) - 1) as usize & 3][(code & 0xFF) as usize]
    }
}

/// [`SLOTS`] with each token's key words, computed at compile time.
static KEYED_SLOTS: [Slot; 1 << SLOT_BITS] = {
    let mut table = [Slot {
        first: 0,
        second: 0,
        len: 0,
        code: 0,
    }; 1 << SLOT_BITS];
    let mut i = 0;
    while i < table.len() {
        let code = SLOTS[i];
        if code != 0 {
            let text = code_text(code).as_bytes();
            let (first, second) = key_words(text);
            table[i] = Slot {
                first,
                second,
                len: text.len() as u8,
                code,
            };
        }
        i += 1;
    }
    table
};

/// The token for `text`, if it is one. The empty string is not a token (it is index 0 of the single-byte
/// table only as a placeholder, and encoders never emit index 0).
#[inline]
pub fn token_index(text: &str) -> Option<Token> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_TOKEN_LEN {
        return None;
    }
    let words = key_words(bytes);
    let hash = token_hash(bytes, words, HASH_SEED);
    let slot = &KEYED_SLOTS[slot_of(hash, DISPLACEMENT[bucket_of(hash)])];
    let same = usize::from(slot.len) == bytes.len()
        && slot.first == words.0
        && slot.second == words.1
        && (bytes.len() <= 16 || code_text(slot.code).as_bytes().get(16..) == bytes.get(16..));
    if !same {
        return None;
    }
    code_to_token(slot.code)
}

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

/// Little-endian word of `len` (≤ 8) bytes of `bytes` from `at`, zero-padded.
#[inline(always)]
const fn load(bytes: &[u8], at: usize, len: usize) -> u64 {
    let mut word = 0u64;
    let mut i = 0;
    while i < len {
        word |= (bytes[at + i] as u64) << (8 * i);
        i += 1;
    }
    word
}

/// The first 16 bytes of a string as two zero-padded little-endian words. With the length, they are the
/// whole string up to 16 bytes. (Full-width reads are used where the length allows; the compiler turns
/// them into single loads.)
#[inline]
pub(crate) const fn key_words(bytes: &[u8]) -> (u64, u64) {
    let n = bytes.len();
    if n >= 16 {
        (load(bytes, 0, 8), load(bytes, 8, 8))
    } else if n > 8 {
        // The last 8 bytes, shifted so that bytes 8.. land at the bottom.
        (load(bytes, 0, 8), load(bytes, n - 8, 8) >> (8 * (16 - n)))
    } else if n >= 4 {
        // First and last 4 bytes; where they overlap the bytes agree, so OR is exact.
        (load(bytes, 0, 4) | (load(bytes, n - 4, 4) << (8 * (n - 4))), 0)
    } else if n > 0 {
        let mid = n / 2;
        (
            (bytes[0] as u64) | ((bytes[mid] as u64) << (8 * mid)) | ((bytes[n - 1] as u64) << (8 * (n - 1))),
            0,
        )
    } else {
        (0, 0)
    }
}

/// A 64-bit hash of a token-length string from its [`key_words`], its length and any bytes past 16.
/// Distinct tokens only collide by accident of the multiplies, which generation rules out.
#[inline]
pub(crate) fn token_hash(bytes: &[u8], (first, second): (u64, u64), seed: u64) -> u64 {
    let mut hash =
        (first ^ seed).wrapping_mul(MIX) ^ second.wrapping_add(bytes.len() as u64).wrapping_mul(MIX2);
    if let Some(rest) = bytes.get(16..) {
        for chunk in rest.chunks(8) {
            hash = (hash ^ load(chunk, 0, chunk.len()))
                .wrapping_mul(MIX)
                .rotate_left(31);
        }
    }
    hash ^ (hash >> 29)
}

#[inline]
pub(crate) fn bucket_of(hash: u64) -> usize {
    (hash & ((1 << BUCKET_BITS) - 1)) as usize
}

#[inline]
pub(crate) fn slot_of(hash: u64, displacement: u16) -> usize {
    let mixed = (hash ^ u64::from(displacement).wrapping_mul(MIX)).wrapping_mul(MIX2);
    (mixed >> (64 - SLOT_BITS)) as usize
}

#[cfg(test)]
pub(crate) mod generate;
