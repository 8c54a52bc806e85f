//! The frame payload's leading flags byte and zlib decompression (transport guide B.1).

use std::borrow::Cow;

use flate2::{Decompress, FlushDecompress, Status};

use super::decoder::decode_node;
use super::node::Node;
use super::problem::DecodeProblem;
use super::tags::FLAG_COMPRESSED;
use crate::error::{Error, Result};

/// Default limit for an inflated body: the largest frame the transport carries (3-byte length). A
/// compressed body that inflates past it is refused rather than allowed to grow without bound.
pub const MAX_INFLATED_LEN: usize = (1 << 24) - 1;

fn malformed<T>(offset: usize, problem: DecodeProblem) -> Result<T> {
    Err(Error::MalformedNode { offset, problem })
}

/// The node body of a frame payload: the bytes after the flags byte, inflated when the flags say so
/// (borrowed when uncompressed). Other flag bits are ignored, as both reference clients do.
pub fn unpack(payload: &[u8]) -> Result<Cow<'_, [u8]>> {
    unpack_with_limit(payload, MAX_INFLATED_LEN)
}

/// [`unpack`] with an explicit limit on the inflated size.
pub fn unpack_with_limit(payload: &[u8], limit: usize) -> Result<Cow<'_, [u8]>> {
    let Some((&flags, body)) = payload.split_first() else {
        return malformed(0, DecodeProblem::EmptyPayload);
    };
    if flags & FLAG_COMPRESSED == 0 {
        return Ok(Cow::Borrowed(body));
    }
    inflate(body, limit).map(Cow::Owned)
}

/// Decodes a whole frame payload into an owned [`Node`] (for callers that do not need the borrowed
/// tree).
pub fn decode_owned(payload: &[u8]) -> Result<Node> {
    let body = unpack(payload)?;
    Ok(decode_node(&body)?.to_owned_node())
}

/// Inflates one complete zlib stream (RFC 1950: header, deflate data, Adler-32) that must fill `body`.
fn inflate(body: &[u8], limit: usize) -> Result<Vec<u8>> {
    // Offsets of zlib problems point at the body start (payload byte 1): deflate has no useful position.
    const AT: usize = 1;
    let mut inflater = Decompress::new(true);
    // Start from what the compressed size can justify and grow by doubling, never past limit + 1 (one
    // byte over is enough to know the limit is exceeded).
    let mut out: Vec<u8> =
        Vec::with_capacity(body.len().saturating_mul(4).max(64).min(limit.saturating_add(1)));
    loop {
        let consumed = inflater.total_in() as usize;
        let Some(input) = body.get(consumed..) else {
            return malformed(AT, DecodeProblem::BadZlib);
        };
        let produced_before = out.len();
        // `None`, not `Finish`: miniz treats `Finish` as "the output is big enough for everything" and
        // fails instead of asking for more room.
        let status = match inflater.decompress_vec(input, &mut out, FlushDecompress::None) {
            Ok(status) => status,
            Err(_) => return malformed(AT, DecodeProblem::BadZlib),
        };
        if out.len() > limit {
            return malformed(AT, DecodeProblem::InflatedTooLarge { limit });
        }
        match status {
            Status::StreamEnd => break,
            Status::Ok | Status::BufError => {
                let progressed = inflater.total_in() as usize != consumed || out.len() != produced_before;
                if out.len() < out.capacity() && !progressed {
                    // Room to write and nothing moved: the stream is cut short.
                    return malformed(AT, DecodeProblem::BadZlib);
                }
                if out.len() == out.capacity() {
                    let grow = out.capacity().max(64).min(limit.saturating_add(1) - out.len());
                    out.reserve_exact(grow);
                }
            }
        }
    }
    if inflater.total_in() as usize != body.len() {
        return malformed(AT, DecodeProblem::BadZlib);
    }
    Ok(out)
}
