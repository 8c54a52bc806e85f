//! Fuzz target: frame payload → node tree, through everything a received stanza goes through.
//!
//! Any byte string must either decode or return an error (never panic, hang or allocate without bound),
//! and whatever decodes must render, re-encode and decode again to a fixed point: the second encoding
//! equals the first (non-canonical inputs are allowed to normalise once, never twice).

#![no_main]

use libfuzzer_sys::fuzz_target;
use wasndr_core::binary;

/// Inflate limits for the fuzzer, picked by the last input byte: tiny and odd ones exercise the growth
/// and cap arithmetic, the largest is small enough that a zlib bomb costs milliseconds.
const INFLATE_LIMITS: [usize; 4] = [0, 37, 4096, 1 << 20];

fuzz_target!(|data: &[u8]| {
    // The body decoder on its own (most inputs are not valid frames).
    if let Ok(tree) = binary::decode_node(data) {
        check_fixed_point(tree.root());
    }
    // The full payload path: flags byte, optional zlib, then the body.
    let limit = INFLATE_LIMITS[usize::from(data.last().copied().unwrap_or(0) & 3)];
    if let Ok(body) = binary::unpack_with_limit(data, limit) {
        if let Ok(tree) = binary::decode_node(&body) {
            check_fixed_point(tree.root());
        }
    }
});

fn check_fixed_point(root: binary::NodeRef<'_>) {
    let _ = root.to_string();
    // Exercise the borrowed accessors on every node.
    for child in root.children() {
        let _ = (child.tag(), child.attr("id"), child.attr_jid("from"), child.bytes(), child.text());
    }
    let owned = root.to_owned();
    let first = binary::encode(&owned).expect("a decoded node re-encodes");
    let again = binary::decode_owned(&first).expect("a re-encoded node decodes");
    let second = binary::encode(&again).expect("a twice-decoded node re-encodes");
    assert_eq!(first, second, "encoding is not a fixed point for {owned}");
}
