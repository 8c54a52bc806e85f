//! The frame decoder against a one-shot reference parse: however the byte stream is cut into messages,
//! and whether or not each message's frames are drained, the same frames come out in order, and the
//! decoder ends holding exactly the bytes of the trailing incomplete frame.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wasndr_core::noise::{FRAME_HEADER_LEN, FrameDecoder};

/// Frames of `stream` parsed in one pass, and how many trailing bytes form no complete frame.
fn reference(stream: &[u8]) -> (Vec<&[u8]>, usize) {
    let mut frames = Vec::new();
    let mut rest = stream;
    while rest.len() >= FRAME_HEADER_LEN {
        let len = (usize::from(rest[0]) << 16) | (usize::from(rest[1]) << 8) | usize::from(rest[2]);
        if rest.len() < FRAME_HEADER_LEN + len {
            break;
        }
        frames.push(&rest[FRAME_HEADER_LEN..FRAME_HEADER_LEN + len]);
        rest = &rest[FRAME_HEADER_LEN + len..];
    }
    (frames, rest.len())
}

fuzz_target!(|data: &[u8]| {
    // The first two bytes choose the cuts and whether to stop early; the rest is the stream.
    let Some((&[cut_seed, drain_seed], stream)) = data.split_first_chunk::<2>() else {
        return;
    };
    let (expected, incomplete) = reference(stream);

    let mut decoder = FrameDecoder::new();
    let mut got: Vec<Vec<u8>> = Vec::new();
    let mut state = u32::from(cut_seed) << 8 | u32::from(drain_seed) | 1;
    let mut rest = stream;
    loop {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        // Message sizes from empty to a few hundred bytes, sometimes everything left.
        let size = match (state >> 16) % 8 {
            0 => rest.len(),
            1 => 0,
            n => ((state >> 20) as usize % (40 * n as usize)).min(rest.len()),
        };
        let (message, tail) = rest.split_at(size);
        let stop_after_one = drain_seed & 1 == 1 && (state >> 24) & 1 == 1;
        let mut frames = decoder.decode(message);
        while let Some(frame) = frames.next_frame() {
            got.push(frame.to_vec());
            if stop_after_one {
                break;
            }
        }
        drop(frames);
        rest = tail;
        if rest.is_empty() {
            break;
        }
    }
    // Drain what early stops left behind.
    loop {
        let mut frames = decoder.decode(&[]);
        let Some(frame) = frames.next_frame() else { break };
        got.push(frame.to_vec());
    }

    assert_eq!(got.len(), expected.len());
    for (got, expected) in got.iter().zip(&expected) {
        assert_eq!(got.as_slice(), *expected);
    }
    assert_eq!(decoder.buffered_len(), incomplete);
});
