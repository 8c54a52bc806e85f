//! Tag bytes of the binary format (transport guide B.3).

/// Empty list / absent value; also "no user" inside JID_PAIR.
pub const LIST_EMPTY: u8 = 0;
/// First double-byte dictionary tag; dictionaries 0–3 are 236–239, each followed by an index byte.
pub const DICTIONARY_0: u8 = 236;
/// Last double-byte dictionary tag.
pub const DICTIONARY_3: u8 = 239;
/// User string, device u16 BE, integrator u16 BE, server string (`interop`).
pub const INTEROP_JID: u8 = 245;
/// User string, device u16 BE, server string (`msgr`).
pub const FB_JID: u8 = 246;
/// Domain byte, device byte, user string; the server follows from the domain.
pub const AD_JID: u8 = 247;
/// List with a one-byte size.
pub const LIST_8: u8 = 248;
/// List with a two-byte big-endian size.
pub const LIST_16: u8 = 249;
/// User string (or LIST_EMPTY), server string.
pub const JID_PAIR: u8 = 250;
/// Packed upper-case hex string.
pub const HEX_8: u8 = 251;
/// Bytes with a one-byte length.
pub const BINARY_8: u8 = 252;
/// Bytes with a 20-bit length in three bytes.
pub const BINARY_20: u8 = 253;
/// Bytes with a four-byte big-endian length.
pub const BINARY_32: u8 = 254;
/// Packed decimal string (`0-9`, `-`, `.`).
pub const NIBBLE_8: u8 = 255;

/// Longest string either packing accepts (characters).
pub const PACKED_MAX: usize = 127;

/// Frame flag bit: the body after the flags byte is zlib-compressed.
pub const FLAG_COMPRESSED: u8 = 0x02;
