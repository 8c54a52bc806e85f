//! The transport phase (transport guide A.6): after the handshake, each direction has its own AES-256-GCM
//! key and its own counter starting at 0; every frame payload is `ciphertext ‖ 16-byte tag` under IV =
//! eight zero bytes ‖ counter (big-endian u32), with empty AAD.
//!
//! Counters are 32-bit and there is no rekeying, so a direction carries at most 2^32 frames. The frame
//! after that would reuse nonce 0, which breaks GCM; both ciphers refuse it with
//! [`Error::TransportCounterExhausted`] instead of wrapping. (At a frame per millisecond that is 49 days
//! of one connection; reconnecting starts fresh keys.)

use zeroize::Zeroize;

use super::frame::{FRAME_HEADER_LEN, MAX_FRAME_LEN, frame_header};
use super::symmetric::nonce;
use crate::crypto::{Aes256Gcm, GCM_TAG_LEN};
use crate::error::{Error, Result};

/// Largest plaintext that fits one frame after the tag is added.
pub const MAX_FRAME_PLAINTEXT_LEN: usize = MAX_FRAME_LEN - GCM_TAG_LEN;

/// The next counter of one direction, stored one wider than the wire's u32 so that "all 2^32 used" is a
/// value rather than a wrap.
#[derive(Debug, Clone, Copy, Default)]
struct Counter(u64);

impl Counter {
    /// The counter the next frame uses, if any are left.
    fn current(self) -> Result<u32> {
        u32::try_from(self.0).map_err(|_| Error::TransportCounterExhausted)
    }

    fn advance(&mut self) {
        self.0 += 1;
    }
}

/// Encrypts outgoing frames. Holds the expanded key, so a frame costs one AES-GCM pass and no allocation
/// beyond the caller's buffer.
#[derive(Debug, Clone)]
pub struct SendCipher {
    cipher: Aes256Gcm,
    counter: Counter,
}

impl SendCipher {
    /// A sender under `key` whose first frame uses counter 0.
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(key),
            counter: Counter::default(),
        }
    }

    /// Encrypts `plaintext` and appends it to `out` as a complete frame (length prefix, ciphertext, tag),
    /// ready to be written to the socket.
    pub fn encrypt_frame(&mut self, plaintext: &[u8], out: &mut Vec<u8>) -> Result<()> {
        // Check before copying, so a refused frame costs nothing and leaves `out` as it was.
        frame_header(plaintext.len() + GCM_TAG_LEN)?;
        self.counter.current()?;
        let start = out.len();
        out.reserve(FRAME_HEADER_LEN + plaintext.len() + GCM_TAG_LEN);
        out.extend_from_slice(&[0; FRAME_HEADER_LEN]);
        out.extend_from_slice(plaintext);
        self.seal(out, start)
    }

    /// Encrypts a frame in place. On entry `frame` is [`FRAME_HEADER_LEN`] bytes of any value (room for
    /// the length prefix) followed by the plaintext — so a stanza can be encoded straight into the buffer
    /// after reserving them; on success it is the complete frame. On error it is unchanged.
    pub fn encrypt_frame_in_place(&mut self, frame: &mut Vec<u8>) -> Result<()> {
        if frame.len() < FRAME_HEADER_LEN {
            return Err(Error::InvalidArgument(
                "an in-place frame starts with 3 bytes reserved for its length",
            ));
        }
        self.seal(frame, 0)
    }

    /// Seals `buffer[start + 3..]` into a frame starting at `buffer[start]`.
    fn seal(&mut self, buffer: &mut Vec<u8>, start: usize) -> Result<()> {
        let plaintext_len = buffer.len() - start - FRAME_HEADER_LEN;
        let header = frame_header(plaintext_len + GCM_TAG_LEN)?;
        let counter = self.counter.current()?;
        let tag = self.cipher.encrypt_in_place_detached(
            &nonce(counter),
            &[],
            &mut buffer[start + FRAME_HEADER_LEN..],
        );
        self.counter.advance();
        buffer[start..start + FRAME_HEADER_LEN].copy_from_slice(&header);
        buffer.extend_from_slice(&tag);
        Ok(())
    }

    /// How many frames have been encrypted.
    pub fn frames_sent(&self) -> u64 {
        self.counter.0
    }
}

/// Decrypts incoming frames, which must arrive in order: a replayed, skipped, reordered or tampered frame
/// fails authentication under the expected counter. A failed frame does not advance the counter; the
/// caller is expected to close the connection (this stream has no way to resynchronise).
#[derive(Debug, Clone)]
pub struct RecvCipher {
    cipher: Aes256Gcm,
    counter: Counter,
}

impl RecvCipher {
    /// A receiver under `key` expecting counter 0 first.
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(key),
            counter: Counter::default(),
        }
    }

    /// Decrypts a frame payload (as [`FrameDecoder`](super::FrameDecoder) hands it out: without the
    /// length prefix) into `out`, replacing its contents. One pass from `payload` into `out`.
    pub fn decrypt_frame(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let counter = self.counter.current()?;
        let (ciphertext, tag) = split_tag(payload, counter)?;
        out.clear();
        out.resize(ciphertext.len(), 0);
        let opened = self
            .cipher
            .decrypt_detached_into(&nonce(counter), &[], ciphertext, tag, out);
        if opened.is_err() {
            out.clear();
            return Err(Error::TransportDecryptFailed { counter });
        }
        self.counter.advance();
        Ok(())
    }

    /// Decrypts a frame payload in place and returns the plaintext, a prefix of `payload`.
    pub fn decrypt_frame_in_place<'a>(&mut self, payload: &'a mut [u8]) -> Result<&'a mut [u8]> {
        let counter = self.counter.current()?;
        let plaintext_len = split_tag(payload, counter)?.0.len();
        let (data, tag) = payload.split_at_mut(plaintext_len);
        let tag: &[u8; GCM_TAG_LEN] = (&*tag)
            .try_into()
            .map_err(|_| Error::TransportDecryptFailed { counter })?;
        self.cipher
            .decrypt_in_place_detached(&nonce(counter), &[], data, tag)
            .map_err(|_| Error::TransportDecryptFailed { counter })?;
        self.counter.advance();
        Ok(data)
    }

    /// How many frames have been decrypted.
    pub fn frames_received(&self) -> u64 {
        self.counter.0
    }
}

/// `payload` as ciphertext and tag; a payload shorter than a tag cannot be a frame of counter `counter`.
fn split_tag(payload: &[u8], counter: u32) -> Result<(&[u8], &[u8; GCM_TAG_LEN])> {
    let split = payload
        .len()
        .checked_sub(GCM_TAG_LEN)
        .ok_or(Error::TransportDecryptFailed { counter })?;
    let (ciphertext, tag) = payload.split_at(split);
    let tag = tag
        .try_into()
        .map_err(|_| Error::TransportDecryptFailed { counter })?;
    Ok((ciphertext, tag))
}

/// Both directions of an established connection, from one side's point of view.
#[derive(Debug, Clone)]
pub struct Transport {
    /// Encrypts what this side sends.
    pub send: SendCipher,
    /// Decrypts what this side receives.
    pub recv: RecvCipher,
}

/// Which end of the connection a [`Transport`] belongs to; decides which split key sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Client,
    Server,
}

impl Transport {
    /// The transport for `side` from the two split keys.
    pub(crate) fn from_split(
        side: Side,
        mut client_to_server: [u8; 32],
        mut server_to_client: [u8; 32],
    ) -> Self {
        let (send, recv) = match side {
            Side::Client => (&client_to_server, &server_to_client),
            Side::Server => (&server_to_client, &client_to_server),
        };
        let transport = Self {
            send: SendCipher::new(send),
            recv: RecvCipher::new(recv),
        };
        client_to_server.zeroize();
        server_to_client.zeroize();
        transport
    }

    /// The two halves, for a writer and a reader that run separately.
    pub fn into_split(self) -> (SendCipher, RecvCipher) {
        (self.send, self.recv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::aes256_gcm_encrypt;

    fn pair() -> (SendCipher, RecvCipher) {
        (SendCipher::new(&[7; 32]), RecvCipher::new(&[7; 32]))
    }

    fn payload_of(frame: &[u8]) -> &[u8] {
        let len = u32::from_be_bytes([0, frame[0], frame[1], frame[2]]) as usize;
        assert_eq!(frame.len(), FRAME_HEADER_LEN + len);
        &frame[FRAME_HEADER_LEN..]
    }

    #[test]
    fn frame_layout_matches_independent_gcm() {
        let (mut send, _) = pair();
        let mut out = vec![0xee];
        send.encrypt_frame(b"first", &mut out).unwrap();
        send.encrypt_frame(b"second", &mut out).unwrap();
        let first = aes256_gcm_encrypt(&[7; 32], &[0; 12], &[], b"first");
        let mut iv1 = [0u8; 12];
        iv1[11] = 1;
        let second = aes256_gcm_encrypt(&[7; 32], &iv1, &[], b"second");
        let mut expected = vec![0xee, 0, 0, first.len() as u8];
        expected.extend_from_slice(&first);
        expected.extend_from_slice(&[0, 0, second.len() as u8]);
        expected.extend_from_slice(&second);
        assert_eq!(out, expected);
        assert_eq!(send.frames_sent(), 2);
    }

    #[test]
    fn in_place_and_appending_forms_agree() {
        let (mut a, mut recv) = pair();
        let (mut b, _) = pair();
        let mut appended = Vec::new();
        a.encrypt_frame(b"stanza bytes", &mut appended).unwrap();
        let mut in_place = vec![0, 0, 0];
        in_place.extend_from_slice(b"stanza bytes");
        b.encrypt_frame_in_place(&mut in_place).unwrap();
        assert_eq!(in_place, appended);

        let mut payload = payload_of(&in_place).to_vec();
        assert_eq!(
            recv.decrypt_frame_in_place(&mut payload).unwrap(),
            b"stanza bytes"
        );
        assert_eq!(recv.frames_received(), 1);
    }

    #[test]
    fn in_place_needs_room_for_the_length() {
        let (mut send, _) = pair();
        let mut frame = vec![0, 0];
        assert!(matches!(
            send.encrypt_frame_in_place(&mut frame),
            Err(Error::InvalidArgument(_))
        ));
        assert_eq!(frame, vec![0, 0]);
        assert_eq!(send.frames_sent(), 0);
    }

    #[test]
    fn oversized_plaintext_is_refused_without_using_a_counter() {
        let (mut send, mut recv) = pair();
        let mut out = vec![1, 2];
        let big = vec![0u8; MAX_FRAME_PLAINTEXT_LEN + 1];
        assert_eq!(
            send.encrypt_frame(&big, &mut out),
            Err(Error::FrameTooLarge {
                len: MAX_FRAME_LEN + 1
            })
        );
        assert_eq!(out, vec![1, 2]);
        assert_eq!(send.frames_sent(), 0);
        // The largest plaintext fits exactly.
        let max = vec![0u8; MAX_FRAME_PLAINTEXT_LEN];
        let mut frame = Vec::new();
        send.encrypt_frame(&max, &mut frame).unwrap();
        assert_eq!(&frame[..3], &[0xff, 0xff, 0xff]);
        let mut plain = Vec::new();
        recv.decrypt_frame(payload_of(&frame), &mut plain).unwrap();
        assert_eq!(plain.len(), MAX_FRAME_PLAINTEXT_LEN);
    }

    #[test]
    fn replayed_skipped_and_reordered_frames_fail() {
        let (mut send, mut recv) = pair();
        let frames: Vec<Vec<u8>> = (0..4u8)
            .map(|i| {
                let mut out = Vec::new();
                send.encrypt_frame(&[i; 5], &mut out).unwrap();
                payload_of(&out).to_vec()
            })
            .collect();
        let mut plain = Vec::new();
        recv.decrypt_frame(&frames[0], &mut plain).unwrap();
        assert_eq!(plain, [0; 5]);
        // Replay of frame 0 where frame 1 is expected.
        assert_eq!(
            recv.decrypt_frame(&frames[0], &mut plain),
            Err(Error::TransportDecryptFailed { counter: 1 })
        );
        assert!(plain.is_empty(), "no plaintext released");
        // Skipping frame 1.
        assert_eq!(
            recv.decrypt_frame(&frames[2], &mut plain),
            Err(Error::TransportDecryptFailed { counter: 1 })
        );
        // Failures did not move the counter: frame 1 still decrypts, then 2 and 3 in order.
        recv.decrypt_frame(&frames[1], &mut plain).unwrap();
        assert_eq!(plain, [1; 5]);
        // Reordered: 3 before 2.
        assert_eq!(
            recv.decrypt_frame(&frames[3], &mut plain),
            Err(Error::TransportDecryptFailed { counter: 2 })
        );
        let mut in_place = frames[3].clone();
        assert!(recv.decrypt_frame_in_place(&mut in_place).is_err());
        recv.decrypt_frame(&frames[2], &mut plain).unwrap();
        recv.decrypt_frame(&frames[3], &mut plain).unwrap();
        assert_eq!(plain, [3; 5]);
    }

    #[test]
    fn tampered_or_truncated_frames_fail() {
        let (mut send, mut recv) = pair();
        let mut out = Vec::new();
        send.encrypt_frame(b"payload", &mut out).unwrap();
        let payload = payload_of(&out).to_vec();
        let mut plain = Vec::new();
        for i in 0..payload.len() {
            let mut bad = payload.clone();
            bad[i] ^= 0x80;
            assert_eq!(
                recv.decrypt_frame(&bad, &mut plain),
                Err(Error::TransportDecryptFailed { counter: 0 })
            );
        }
        for len in 0..payload.len() {
            assert!(recv.decrypt_frame(&payload[..len], &mut plain).is_err());
            let mut short = payload[..len].to_vec();
            assert!(recv.decrypt_frame_in_place(&mut short).is_err());
        }
        recv.decrypt_frame(&payload, &mut plain).unwrap();
        assert_eq!(plain, b"payload");
    }

    #[test]
    fn keys_are_per_direction() {
        let transport = Transport::from_split(Side::Client, [1; 32], [2; 32]);
        let server = Transport::from_split(Side::Server, [1; 32], [2; 32]);
        let (mut client_send, mut client_recv) = transport.into_split();
        let (mut server_send, mut server_recv) = server.into_split();
        let mut frame = Vec::new();
        let mut plain = Vec::new();
        client_send.encrypt_frame(b"up", &mut frame).unwrap();
        // The client's own receiver does not accept what the client sent.
        assert!(
            client_recv
                .clone()
                .decrypt_frame(payload_of(&frame), &mut plain)
                .is_err()
        );
        server_recv.decrypt_frame(payload_of(&frame), &mut plain).unwrap();
        assert_eq!(plain, b"up");
        frame.clear();
        server_send.encrypt_frame(b"down", &mut frame).unwrap();
        client_recv.decrypt_frame(payload_of(&frame), &mut plain).unwrap();
        assert_eq!(plain, b"down");
    }

    #[test]
    fn counter_exhaustion_is_refused_not_wrapped() {
        let (mut send, mut recv) = pair();
        // Jump to the last counter, 2^32 - 1.
        send.counter = Counter(u64::from(u32::MAX));
        recv.counter = Counter(u64::from(u32::MAX));
        let mut out = Vec::new();
        send.encrypt_frame(b"last", &mut out).unwrap();
        let mut plain = Vec::new();
        recv.decrypt_frame(payload_of(&out), &mut plain).unwrap();
        assert_eq!(plain, b"last");
        assert_eq!(send.frames_sent(), 1 << 32);

        let mut more = Vec::new();
        assert_eq!(
            send.encrypt_frame(b"one too many", &mut more),
            Err(Error::TransportCounterExhausted)
        );
        assert!(more.is_empty());
        let mut in_place = vec![0, 0, 0, 1];
        assert_eq!(
            send.encrypt_frame_in_place(&mut in_place),
            Err(Error::TransportCounterExhausted)
        );
        // A frame under counter 0 (what wrapping would produce) is not accepted either.
        let (mut fresh, _) = pair();
        let mut wrapped = Vec::new();
        fresh.encrypt_frame(b"wrapped", &mut wrapped).unwrap();
        assert_eq!(
            recv.decrypt_frame(payload_of(&wrapped), &mut plain),
            Err(Error::TransportCounterExhausted)
        );
        let mut payload = payload_of(&wrapped).to_vec();
        assert_eq!(
            recv.decrypt_frame_in_place(&mut payload),
            Err(Error::TransportCounterExhausted)
        );
    }
}
