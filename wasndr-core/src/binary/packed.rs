//! NIBBLE_8 and HEX_8 packing (transport guide B.6): two characters per byte, high nibble first.

use super::tags::PACKED_MAX;

/// Marks a nibble with no character (12–14 in NIBBLE_8).
pub(crate) const INVALID: u8 = 0x80;
/// Marks the padding nibble 15 in NIBBLE_8.
pub(crate) const PADDING: u8 = 0x81;

const NIBBLE_ALPHABET: [u8; 16] = *b"0123456789-.\x80\x80\x80\x81";
const HEX_ALPHABET: [u8; 16] = *b"0123456789ABCDEF";

/// For every byte value, the two characters it unpacks to as a little-endian `u16` (first character in
/// the low byte), or `INVALID`/`PADDING` markers, which have the high bit set so one OR over a string
/// finds any of them.
const fn pair_table(alphabet: &[u8; 16]) -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = u16::from_le_bytes([alphabet[byte >> 4], alphabet[byte & 15]]);
        byte += 1;
    }
    table
}

/// Unpacking table for NIBBLE_8.
pub(crate) static NIBBLE_PAIRS: [u16; 256] = pair_table(&NIBBLE_ALPHABET);
/// Unpacking table for HEX_8.
pub(crate) static HEX_PAIRS: [u16; 256] = pair_table(&HEX_ALPHABET);

/// Character classes for the encoder: bit 0 = NIBBLE_8 alphabet, bit 1 = HEX_8 alphabet.
const CLASS_NIBBLE: u8 = 1;
const CLASS_HEX: u8 = 2;

const fn class_table() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut c = b'0';
    while c <= b'9' {
        table[c as usize] = CLASS_NIBBLE | CLASS_HEX;
        c += 1;
    }
    table[b'-' as usize] = CLASS_NIBBLE;
    table[b'.' as usize] = CLASS_NIBBLE;
    let mut c = b'A';
    while c <= b'F' {
        table[c as usize] = CLASS_HEX;
        c += 1;
    }
    table
}
static CLASS: [u8; 256] = class_table();

/// Character → nibble for both alphabets (they agree on digits; `-`/`.` and `A`–`F` do not overlap).
const fn nibble_values() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 16 {
        if i < 12 {
            table[NIBBLE_ALPHABET[i] as usize] = i as u8;
        }
        table[HEX_ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
}
static NIBBLE_VALUE: [u8; 256] = nibble_values();

/// How a string can be packed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Packing {
    Nibble,
    Hex,
}

/// The packing that applies to `text` (NIBBLE_8 preferred, as both encoders do), if any: 1 to 127
/// characters all in one alphabet.
#[inline]
pub(crate) fn packing_for(text: &[u8]) -> Option<Packing> {
    if text.is_empty() || text.len() > PACKED_MAX {
        return None;
    }
    let mut class = CLASS_NIBBLE | CLASS_HEX;
    for &c in text {
        class &= CLASS[usize::from(c)];
    }
    if class & CLASS_NIBBLE != 0 {
        Some(Packing::Nibble)
    } else if class & CLASS_HEX != 0 {
        Some(Packing::Hex)
    } else {
        None
    }
}

/// Appends the packed form of `text` (already checked by [`packing_for`]): length byte, then pairs, the
/// last low nibble 15 when the length is odd.
#[inline]
pub(crate) fn pack_into(out: &mut Vec<u8>, text: &[u8]) {
    let odd = text.len() % 2;
    out.push(((text.len() / 2 + odd) as u8) | ((odd as u8) << 7));
    let pairs = text.chunks_exact(2);
    let last = pairs.remainder().first().copied();
    // An exact-size iterator: `extend` reserves once and writes without per-byte capacity checks.
    out.extend(
        pairs.map(|pair| (NIBBLE_VALUE[usize::from(pair[0])] << 4) | NIBBLE_VALUE[usize::from(pair[1])]),
    );
    if let Some(last) = last {
        out.push((NIBBLE_VALUE[usize::from(last)] << 4) | 0x0F);
    }
}
