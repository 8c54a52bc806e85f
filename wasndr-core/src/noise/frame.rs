//! Length framing: every frame is a 3-byte big-endian payload length followed by the payload
//! (transport guide A.3). WebSocket message boundaries mean nothing: one message may carry several
//! frames, and one frame may span several messages.

use crate::error::{Error, Result};

/// Length of the big-endian length prefix in front of every frame.
pub const FRAME_HEADER_LEN: usize = 3;

/// Largest payload a 3-byte length can announce: 2^24 − 1 bytes.
pub const MAX_FRAME_LEN: usize = (1 << 24) - 1;

/// Capacity the decoder keeps after a large frame has been handed out; anything above is released so an
/// idle connection does not pin up to 16 MiB.
const RETAINED_CAPACITY: usize = 64 * 1024;

/// The 3-byte length prefix for a payload of `len` bytes.
pub fn frame_header(len: usize) -> Result<[u8; FRAME_HEADER_LEN]> {
    if len > MAX_FRAME_LEN {
        return Err(Error::FrameTooLarge { len });
    }
    let [_, a, b, c] = (len as u32).to_be_bytes();
    Ok([a, b, c])
}

/// Appends `payload` to `out` as one frame.
pub fn encode_frame(payload: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let header = frame_header(payload.len())?;
    out.reserve(FRAME_HEADER_LEN + payload.len());
    out.extend_from_slice(&header);
    out.extend_from_slice(payload);
    Ok(())
}

/// The payload length announced by a complete 3-byte prefix.
fn announced_len(header: [u8; FRAME_HEADER_LEN]) -> usize {
    let [a, b, c] = header;
    u32::from_be_bytes([0, a, b, c]) as usize
}

/// Total length (prefix + payload) of the frame at the start of `bytes`, if `bytes` holds all of it.
fn complete_frame_len(bytes: &[u8]) -> Option<usize> {
    let header: [u8; FRAME_HEADER_LEN] = bytes.get(..FRAME_HEADER_LEN)?.try_into().ok()?;
    let total = FRAME_HEADER_LEN + announced_len(header);
    (bytes.len() >= total).then_some(total)
}

/// Reassembles frames from WebSocket messages of any size.
///
/// Frames that lie wholly inside one message are handed out as slices of that message, without copying.
/// Only a frame cut by a message boundary is copied, into a carry-over buffer that holds at most one
/// incomplete frame (≤ 3 + 2^24 − 1 bytes) as long as each [`Frames`] is drained to `None`: a peer cannot
/// make the decoder buffer more than that. The buffer grows only as bytes arrive, never to a length a peer
/// merely announced.
///
/// A decoder cannot fail: every 3-byte prefix announces a legal length. What a frame contains is checked
/// by whoever reads it.
#[derive(Debug, Default)]
pub struct FrameDecoder {
    /// Bytes carried over from earlier messages: an incomplete frame, or (only if a [`Frames`] was
    /// dropped before being drained) complete frames not yet handed out followed by one.
    pending: Vec<u8>,
    /// How much of `pending` has already been handed out.
    consumed: usize,
}

impl FrameDecoder {
    /// An empty decoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts decoding `message`, the next bytes received. Call [`Frames::next_frame`] until it returns
    /// `None`; bytes of an incomplete frame are then kept for the next message.
    pub fn decode<'a>(&'a mut self, message: &'a [u8]) -> Frames<'a> {
        Frames {
            decoder: self,
            rest: message,
        }
    }

    /// Bytes received but not yet handed out as frames.
    pub fn buffered_len(&self) -> usize {
        self.pending.len() - self.consumed
    }

    /// Appends up to `missing` bytes from the front of `rest` to `pending`, growing its capacity at most
    /// to `frame_total` (the whole frame) so that a frame arriving in many pieces costs amortised copies
    /// but never more memory than the frame.
    fn top_up(&mut self, rest: &mut &[u8], missing: usize, frame_total: usize) {
        let take = missing.min(rest.len());
        let (head, tail) = rest.split_at(take);
        let needed = self.pending.len() + take;
        if needed > self.pending.capacity() {
            let target = needed
                .max(self.pending.capacity() * 2)
                .min(frame_total.max(needed));
            self.pending.reserve_exact(target - self.pending.len());
        }
        self.pending.extend_from_slice(head);
        *rest = tail;
    }

    /// Forgets the handed-out prefix of `pending`, releasing a large allocation once it is empty.
    fn compact(&mut self) {
        if self.consumed == self.pending.len() {
            self.pending.clear();
            self.pending.shrink_to(RETAINED_CAPACITY);
        } else {
            self.pending.drain(..self.consumed);
        }
        self.consumed = 0;
    }
}

/// The frames available after one message was handed to [`FrameDecoder::decode`], in order.
///
/// Dropping it before [`Frames::next_frame`] returned `None` loses nothing: the rest of the message is
/// kept for the next call to `decode` (and then counts against the decoder's memory until drained).
#[derive(Debug)]
pub struct Frames<'a> {
    decoder: &'a mut FrameDecoder,
    /// The part of the message not yet looked at.
    rest: &'a [u8],
}

impl Frames<'_> {
    /// The next complete frame's payload, or `None` when the bytes so far end inside a frame (or end
    /// exactly at a frame boundary).
    pub fn next_frame(&mut self) -> Option<&[u8]> {
        let decoder = &mut *self.decoder;
        if decoder.consumed < decoder.pending.len() {
            // Carried-over bytes come first.
            let start = decoder.consumed;
            if let Some(total) = complete_frame_len(&decoder.pending[start..]) {
                decoder.consumed += total;
                return decoder.pending.get(start + FRAME_HEADER_LEN..start + total);
            }
            // An incomplete frame: complete it from this message if it has enough.
            decoder.compact();
            if decoder.pending.len() < FRAME_HEADER_LEN {
                let missing = FRAME_HEADER_LEN - decoder.pending.len();
                decoder.top_up(&mut self.rest, missing, FRAME_HEADER_LEN);
            }
            let Some(header) = decoder.pending.first_chunk::<FRAME_HEADER_LEN>() else {
                return None; // the message ended inside the length prefix
            };
            let total = FRAME_HEADER_LEN + announced_len(*header);
            let missing = total - decoder.pending.len();
            decoder.top_up(&mut self.rest, missing, total);
            if decoder.pending.len() < total {
                return None; // the message ended inside the payload
            }
            decoder.consumed = total;
            return decoder.pending.get(FRAME_HEADER_LEN..total);
        }
        if !decoder.pending.is_empty() {
            decoder.compact();
        }
        // Nothing carried over: frames come straight out of the message.
        match complete_frame_len(self.rest) {
            Some(total) => {
                let (frame, rest) = self.rest.split_at(total);
                self.rest = rest;
                frame.get(FRAME_HEADER_LEN..)
            }
            None => {
                let rest = std::mem::take(&mut self.rest);
                let total = match rest.first_chunk::<FRAME_HEADER_LEN>() {
                    Some(header) => FRAME_HEADER_LEN + announced_len(*header),
                    None => FRAME_HEADER_LEN,
                };
                let mut rest_ref = rest;
                decoder.top_up(&mut rest_ref, rest.len(), total);
                None
            }
        }
    }
}

impl Drop for Frames<'_> {
    fn drop(&mut self) {
        // Keep whatever the caller did not read; it follows everything already in `pending`.
        if !self.rest.is_empty() {
            let rest = std::mem::take(&mut self.rest);
            let decoder = &mut *self.decoder;
            decoder.pending.extend_from_slice(rest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Drains every frame `message` completes, as owned payloads.
    fn feed(decoder: &mut FrameDecoder, message: &[u8]) -> Vec<Vec<u8>> {
        let mut frames = decoder.decode(message);
        let mut out = Vec::new();
        while let Some(frame) = frames.next_frame() {
            out.push(frame.to_vec());
        }
        out
    }

    fn framed(payloads: &[Vec<u8>]) -> Vec<u8> {
        let mut stream = Vec::new();
        for payload in payloads {
            encode_frame(payload, &mut stream).unwrap();
        }
        stream
    }

    #[test]
    fn header_is_big_endian_24_bit() {
        assert_eq!(frame_header(0).unwrap(), [0, 0, 0]);
        assert_eq!(frame_header(0x24).unwrap(), [0, 0, 0x24]);
        assert_eq!(frame_header(0x01_02_03).unwrap(), [1, 2, 3]);
        assert_eq!(frame_header(MAX_FRAME_LEN).unwrap(), [0xff, 0xff, 0xff]);
        assert_eq!(
            frame_header(MAX_FRAME_LEN + 1),
            Err(Error::FrameTooLarge {
                len: MAX_FRAME_LEN + 1
            })
        );
    }

    #[test]
    fn encode_refuses_oversized_payload_and_writes_nothing() {
        let mut out = vec![9];
        let payload = vec![0u8; MAX_FRAME_LEN + 1];
        assert!(encode_frame(&payload, &mut out).is_err());
        assert_eq!(out, vec![9]);
    }

    #[test]
    fn coalesced_frames_come_out_of_one_message_without_copying() {
        let stream = framed(&[b"one".to_vec(), Vec::new(), b"three".to_vec()]);
        let mut decoder = FrameDecoder::new();
        let mut frames = decoder.decode(&stream);
        let first = frames.next_frame().unwrap();
        // The payload is a view into the message itself.
        assert_eq!(first.as_ptr(), stream[3..].as_ptr());
        assert_eq!(first, b"one");
        assert_eq!(frames.next_frame().unwrap(), b"");
        assert_eq!(frames.next_frame().unwrap(), b"three");
        assert!(frames.next_frame().is_none());
        drop(frames);
        assert_eq!(decoder.buffered_len(), 0);
    }

    #[test]
    fn frame_split_inside_header_and_payload() {
        let stream = framed(&[b"hello world".to_vec(), b"x".to_vec()]);
        let mut decoder = FrameDecoder::new();
        assert!(feed(&mut decoder, &stream[..1]).is_empty());
        assert!(feed(&mut decoder, &stream[1..2]).is_empty());
        assert!(feed(&mut decoder, &stream[2..7]).is_empty());
        assert_eq!(decoder.buffered_len(), 7);
        assert_eq!(
            feed(&mut decoder, &stream[7..]),
            vec![b"hello world".to_vec(), b"x".to_vec()]
        );
        assert_eq!(decoder.buffered_len(), 0);
    }

    #[test]
    fn dropping_frames_early_keeps_the_rest_in_order() {
        let payloads = vec![b"a".to_vec(), b"bb".to_vec(), b"ccc".to_vec(), b"dddd".to_vec()];
        let stream = framed(&payloads);
        let mut decoder = FrameDecoder::new();
        let cut = stream.len() - 2;
        {
            let mut frames = decoder.decode(&stream[..cut]);
            assert_eq!(frames.next_frame().unwrap(), b"a");
        }
        assert_eq!(decoder.buffered_len(), cut - 4);
        assert_eq!(
            feed(&mut decoder, &stream[cut..]),
            vec![b"bb".to_vec(), b"ccc".to_vec(), b"dddd".to_vec()]
        );
    }

    #[test]
    fn peer_cannot_make_the_decoder_reserve_an_announced_length() {
        let mut decoder = FrameDecoder::new();
        assert!(feed(&mut decoder, &[0xff, 0xff, 0xff, 1, 2]).is_empty());
        assert!(
            decoder.pending.capacity() < 1024,
            "{}",
            decoder.pending.capacity()
        );
    }

    #[test]
    fn buffering_is_bounded_by_one_frame() {
        // A maximal frame delivered in 4 KiB pieces: the carry-over never exceeds the frame.
        let payload = vec![0x5a; MAX_FRAME_LEN];
        let stream = framed(&[payload, b"next".to_vec()]);
        let mut decoder = FrameDecoder::new();
        let mut got = Vec::new();
        for piece in stream.chunks(4096) {
            got.extend(feed(&mut decoder, piece).into_iter().map(|f| f.len()));
            assert!(decoder.pending.capacity() <= FRAME_HEADER_LEN + MAX_FRAME_LEN);
        }
        assert_eq!(got, vec![MAX_FRAME_LEN, 4]);
        assert!(decoder.pending.capacity() <= RETAINED_CAPACITY);
    }

    proptest! {
        /// Whatever way the byte stream is cut into messages, the same frames come out in order.
        #[test]
        fn any_split_yields_the_same_frames(
            payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..12),
            cuts in proptest::collection::vec(0usize..4000, 0..40),
            drop_early in any::<bool>(),
        ) {
            let stream = framed(&payloads);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (stream.len() + 1)).collect();
            cuts.push(0);
            cuts.push(stream.len());
            cuts.sort_unstable();
            let mut decoder = FrameDecoder::new();
            let mut got = Vec::new();
            for window in cuts.windows(2) {
                let message = &stream[window[0]..window[1]];
                let mut frames = decoder.decode(message);
                // Optionally stop after one frame and let the rest carry over.
                while let Some(frame) = frames.next_frame() {
                    got.push(frame.to_vec());
                    if drop_early {
                        break;
                    }
                }
            }
            // Drain anything left behind by early drops.
            while decoder.buffered_len() > 0 {
                let before = decoder.buffered_len();
                let drained = feed(&mut decoder, &[]);
                if drained.is_empty() {
                    prop_assert!(before == decoder.buffered_len());
                    break;
                }
                got.extend(drained);
            }
            prop_assert_eq!(decoder.buffered_len(), 0);
            prop_assert_eq!(got, payloads);
        }
    }
}
