//! HMAC-SHA256 (RFC 2104) and HKDF-SHA256 (RFC 5869) built directly on RustCrypto's SHA-256
//! compression function.
//!
//! Why not the `hmac`/`hkdf` crates: a Signal message costs ~23 SHA-256 compressions (chain step,
//! message-key HKDF, message MAC), and with SHA-NI those compressions are under half of the time the
//! generic crates take; the rest went to copying their buffered hasher states, building padded key
//! blocks and finalising through layers of generic buffers. Here a prepared key is just the two
//! compressed pad states (64 bytes), every input is fed straight into 64-byte blocks on the stack, and
//! HKDF's expansion reuses one key schedule. The constructions are the textbook ones; the tests check
//! them against the RFC vectors and, for random inputs, against the `hmac` and `hkdf` crates.
//!
//! Prepared keys and PRKs are zeroised when dropped. The transient stack blocks of one computation are
//! not: as in the `hmac` crate, they are left to be overwritten, because volatile byte-by-byte wiping
//! of every block cost more than the MACs' own non-SHA work.

use std::sync::LazyLock;

use sha2::block_api::compress256;
use zeroize::{Zeroize, ZeroizeOnDrop};

const BLOCK: usize = 64;
const IPAD: u8 = 0x36;
const OPAD: u8 = 0x5c;

/// SHA-256's initial hash value (FIPS 180-4 §5.3.3).
const SHA256_IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// A SHA-256 computation in progress over whole blocks, with the unfinished tail kept on the stack.
struct Sha256Stream {
    state: [u32; 8],
    block: [u8; BLOCK],
    /// Bytes waiting in `block`.
    pending: usize,
    /// Bytes hashed so far, including any blocks compressed before this stream took over the state.
    total: u64,
}

impl Sha256Stream {
    /// Continues from `state`, which has already absorbed `total` bytes (a multiple of 64).
    fn resume(state: [u32; 8], total: u64) -> Self {
        Self {
            state,
            block: [0; BLOCK],
            pending: 0,
            total,
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        self.total = self.total.wrapping_add(data.len() as u64);
        if self.pending > 0 {
            let take = (BLOCK - self.pending).min(data.len());
            self.block[self.pending..self.pending + take].copy_from_slice(&data[..take]);
            self.pending += take;
            data = &data[take..];
            if self.pending < BLOCK {
                return;
            }
            compress256(&mut self.state, std::slice::from_ref(&self.block));
            self.pending = 0;
        }
        let (blocks, tail) = data.as_chunks::<BLOCK>();
        if !blocks.is_empty() {
            compress256(&mut self.state, blocks);
        }
        self.block[..tail.len()].copy_from_slice(tail);
        self.pending = tail.len();
    }

    /// Pads (0x80, zeros, the 64-bit big-endian bit length) and returns the digest.
    fn finish(mut self) -> [u8; 32] {
        let bits = self.total.wrapping_mul(8);
        self.block[self.pending] = 0x80;
        self.block[self.pending + 1..].fill(0);
        if self.pending + 1 > BLOCK - 8 {
            compress256(&mut self.state, std::slice::from_ref(&self.block));
            self.block.fill(0);
        }
        self.block[BLOCK - 8..].copy_from_slice(&bits.to_be_bytes());
        compress256(&mut self.state, std::slice::from_ref(&self.block));
        state_bytes(&self.state)
    }
}

fn state_bytes(state: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// SHA-256 of the concatenation of `parts`.
pub(crate) fn sha256_of(parts: &[&[u8]]) -> [u8; 32] {
    let mut stream = Sha256Stream::resume(SHA256_IV, 0);
    for part in parts {
        stream.update(part);
    }
    stream.finish()
}

/// An HMAC-SHA256 key prepared once: the SHA-256 states after the inner (`key ⊕ 0x36…`) and outer
/// (`key ⊕ 0x5c…`) pad blocks. MACing under it costs only the message's own blocks plus one outer
/// block, so callers that MAC several inputs under one key (a Signal chain step, HKDF's expansion)
/// prepare it once.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct PreparedKey {
    inner: [u32; 8],
    outer: [u32; 8],
}

impl PreparedKey {
    /// Prepares `key` of any length (longer than a block: its SHA-256 is the key, as RFC 2104 says).
    pub(crate) fn new(key: &[u8]) -> Self {
        let mut padded = [0u8; BLOCK];
        if key.len() > BLOCK {
            padded[..32].copy_from_slice(&sha256_of(&[key]));
        } else {
            padded[..key.len()].copy_from_slice(key);
        }
        let mut inner = SHA256_IV;
        compress256(&mut inner, std::slice::from_ref(&xor_pad(&padded, IPAD)));
        let mut outer = SHA256_IV;
        compress256(&mut outer, std::slice::from_ref(&xor_pad(&padded, OPAD)));
        Self { inner, outer }
    }

    /// HMAC-SHA256 of the concatenation of `parts`.
    pub(crate) fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let inner_digest = match short_message_blocks(parts) {
            // The common case in this protocol: the whole padded message is built on the stack and
            // compressed in one call.
            Some((buffer, len)) => {
                let mut state = self.inner;
                let (blocks, _) = buffer[..len].as_chunks::<BLOCK>();
                compress256(&mut state, blocks);
                state_bytes(&state)
            }
            None => {
                let mut inner = Sha256Stream::resume(self.inner, BLOCK as u64);
                for part in parts {
                    inner.update(part);
                }
                inner.finish()
            }
        };
        // The outer hash is the pad block (already in `self.outer`) and the 32-byte inner digest: one
        // block with its padding, built directly.
        let mut block = [0u8; BLOCK];
        block[..32].copy_from_slice(&inner_digest);
        block[32] = 0x80;
        block[BLOCK - 8..].copy_from_slice(&(((BLOCK + 32) * 8) as u64).to_be_bytes());
        let mut state = self.outer;
        compress256(&mut state, std::slice::from_ref(&block));
        state_bytes(&state)
    }
}

/// `key ⊕ pad` for every byte of the block, as a loop the compiler vectorises.
fn xor_pad(key: &[u8; BLOCK], pad: u8) -> [u8; BLOCK] {
    let mut block = [pad; BLOCK];
    for (byte, k) in block.iter_mut().zip(key) {
        *byte ^= k;
    }
    block
}

/// Messages up to this many bytes (after the pad block) are padded on the stack in one go: enough for
/// every chain step, HKDF block and Signal message MAC of an ordinary text.
const SHORT_MESSAGE: usize = 4 * BLOCK - 9;

/// The concatenated `parts` with SHA-256 padding for a hash that has already absorbed one block (the
/// HMAC pad block), and the padded length, if the message is at most [`SHORT_MESSAGE`] bytes.
fn short_message_blocks(parts: &[&[u8]]) -> Option<([u8; 4 * BLOCK], usize)> {
    let len: usize = parts.iter().map(|part| part.len()).sum();
    if len > SHORT_MESSAGE {
        return None;
    }
    let mut buffer = [0u8; 4 * BLOCK];
    let mut at = 0;
    for part in parts {
        buffer[at..at + part.len()].copy_from_slice(part);
        at += part.len();
    }
    buffer[at] = 0x80;
    let padded = (len + 9).div_ceil(BLOCK) * BLOCK;
    buffer[padded - 8..padded].copy_from_slice(&(((BLOCK + len) * 8) as u64).to_be_bytes());
    Some((buffer, padded))
}

impl std::fmt::Debug for PreparedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PreparedKey(<redacted>)")
    }
}

/// The all-zero 32-byte salt that "no salt" means in RFC 5869, prepared once per process.
fn zero_salt() -> &'static PreparedKey {
    static ZERO_SALT: LazyLock<PreparedKey> = LazyLock::new(|| PreparedKey::new(&[0u8; 32]));
    &ZERO_SALT
}

/// HKDF-SHA256 filling `out`, which must be at most 255 × 32 bytes (the callers check). An empty
/// `salt` means 32 zero bytes, the RFC's default.
pub(crate) fn hkdf(salt: &[u8], ikm: &[u8], info: &[u8], out: &mut [u8]) {
    let mut prk = if salt.is_empty() {
        zero_salt().mac(&[ikm])
    } else {
        PreparedKey::new(salt).mac(&[ikm])
    };
    expand(&prk, info, out);
    prk.zeroize();
}

/// HKDF's expansion: `T(i) = HMAC(PRK, T(i−1) ‖ info ‖ i)`, concatenated and cut to `out`'s length.
fn expand(prk: &[u8; 32], info: &[u8], out: &mut [u8]) {
    let key = PreparedKey::new(prk);
    let mut previous = [0u8; 32];
    for (index, chunk) in out.chunks_mut(32).enumerate() {
        // At most 255 blocks, which the callers guarantee.
        let counter = [(index + 1) as u8];
        let parts: [&[u8]; 3] = if index == 0 {
            [&[], info, &counter]
        } else {
            [&previous, info, &counter]
        };
        previous = key.mac(&parts);
        chunk.copy_from_slice(&previous[..chunk.len()]);
    }
}

#[cfg(test)]
mod tests {
    use hkdf::Hkdf;
    use hmac::{Hmac, KeyInit, Mac};
    use proptest::prelude::*;
    use sha2::{Digest, Sha256};

    use super::*;

    fn reference_hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    // RFC 4231 case 6: a key longer than the block is hashed first.
    #[test]
    fn long_key_rfc4231_case6() {
        let key = [0xaau8; 131];
        let mac = PreparedKey::new(&key).mac(&[b"Test Using Larger Than Block-Size Key - Hash Key First"]);
        assert_eq!(
            hex::encode(mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    // RFC 4231 case 1.
    #[test]
    fn short_key_rfc4231_case1() {
        let mac = PreparedKey::new(&[0x0bu8; 20]).mac(&[b"Hi There"]);
        assert_eq!(
            hex::encode(mac),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
    }

    // RFC 5869 case 2: long inputs, 82 bytes of output (three expansion blocks, the last cut).
    #[test]
    fn hkdf_rfc5869_case2() {
        let ikm: Vec<u8> = (0x00..=0x4f).collect();
        let salt: Vec<u8> = (0x60..=0xaf).collect();
        let info: Vec<u8> = (0xb0..=0xff).collect();
        let mut okm = [0u8; 82];
        hkdf(&salt, &ikm, &info, &mut okm);
        assert_eq!(
            hex::encode(okm),
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09\
             da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"
        );
    }

    #[test]
    fn sha256_padding_edges_match_the_sha2_crate() {
        // Lengths around the one- and two-block padding boundaries, fed whole and split.
        for len in [0usize, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 200] {
            let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let expected: [u8; 32] = Sha256::digest(&data).into();
            assert_eq!(sha256_of(&[&data]), expected, "len {len}");
            let (a, b) = data.split_at(len / 3);
            assert_eq!(sha256_of(&[a, b]), expected, "len {len} split");
        }
    }

    proptest! {
        #[test]
        fn hmac_matches_the_hmac_crate(
            key in proptest::collection::vec(any::<u8>(), 0..150),
            data in proptest::collection::vec(any::<u8>(), 0..300),
            cut in any::<prop::sample::Index>(),
        ) {
            let prepared = PreparedKey::new(&key);
            let expected = reference_hmac(&key, &data);
            prop_assert_eq!(prepared.mac(&[&data]), expected);
            let (a, b) = data.split_at(cut.index(data.len() + 1));
            prop_assert_eq!(prepared.mac(&[a, &[], b]), expected);
        }

        #[test]
        fn hkdf_matches_the_hkdf_crate(
            salt in proptest::collection::vec(any::<u8>(), 0..100),
            ikm in proptest::collection::vec(any::<u8>(), 0..100),
            info in proptest::collection::vec(any::<u8>(), 0..80),
            len in 0usize..300,
        ) {
            let mut ours = vec![0u8; len];
            hkdf(&salt, &ikm, &info, &mut ours);
            let mut theirs = vec![0u8; len];
            let reference_salt = if salt.is_empty() { None } else { Some(&salt[..]) };
            Hkdf::<Sha256>::new(reference_salt, &ikm).expand(&info, &mut theirs).unwrap();
            prop_assert_eq!(ours, theirs);
        }
    }
}
