//! Reading the items of a node body: bytes, lengths, strings, values and JIDs.
//!
//! Failures are recorded in the reader and signalled with the zero-sized [`Fail`], so every step returns
//! in registers; the tree builder turns the record into an `Error` once, at the top.

use super::node_ref::{StrSlot, ValueSlot};
use super::packed::{HEX_PAIRS, INVALID, NIBBLE_PAIRS, PADDING};
use super::problem::DecodeProblem;
use super::tags::*;
use crate::jid::Server;

/// A decoding step failed; [`Reader::problem`] says where and why.
#[derive(Debug)]
pub(super) struct Fail;

pub(super) type Step<T> = Result<T, Fail>;

pub(super) struct Reader<'a> {
    pub(super) input: &'a [u8],
    pub(super) pos: usize,
    /// Text of every non-token string, validated as UTF-8 when the tree is complete.
    pub(super) arena: Vec<u8>,
    /// Check every raw string on its own (only to locate a UTF-8 error).
    pub(super) locate_utf8: bool,
    /// Offset and problem of the first failure.
    pub(super) problem: (usize, DecodeProblem),
}

impl<'a> Reader<'a> {
    #[cold]
    pub(super) fn fail<T>(&mut self, offset: usize, problem: DecodeProblem) -> Step<T> {
        self.problem = (offset, problem);
        Err(Fail)
    }

    #[inline]
    pub(super) fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }

    #[inline]
    pub(super) fn byte(&mut self) -> Step<u8> {
        match self.input.get(self.pos) {
            Some(&byte) => {
                self.pos += 1;
                Ok(byte)
            }
            None => self.fail(self.pos, DecodeProblem::Truncated),
        }
    }

    #[inline]
    pub(super) fn take(&mut self, len: usize) -> Step<&'a [u8]> {
        let input = self.input;
        match input.get(self.pos..).and_then(|rest| rest.get(..len)) {
            Some(bytes) => {
                self.pos += len;
                Ok(bytes)
            }
            None => self.fail(self.pos, DecodeProblem::Truncated),
        }
    }

    #[inline]
    pub(super) fn u16(&mut self) -> Step<u16> {
        let bytes = self.take(2)?;
        Ok(u16::from_be_bytes([bytes[0], bytes[1]]))
    }

    /// Length of a BINARY_8/20/32 blob.
    #[inline]
    pub(super) fn blob_len(&mut self, tag: u8) -> Step<usize> {
        Ok(match tag {
            BINARY_8 => usize::from(self.byte()?),
            BINARY_20 => {
                let b = self.take(3)?;
                (usize::from(b[0] & 0x0F) << 16) | (usize::from(b[1]) << 8) | usize::from(b[2])
            }
            _ => {
                let b = self.take(4)?;
                u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize
            }
        })
    }

    /// A string item: tag, attribute key, JID part.
    #[inline(always)]
    pub(super) fn string(&mut self) -> Step<StrSlot> {
        let at = self.pos;
        let tag = self.byte()?;
        // Single-byte tokens are most strings; keep them out of the full dispatch.
        if (1..DICTIONARY_0).contains(&tag) {
            return Ok(StrSlot::single(tag));
        }
        self.string_with_tag(tag, at)
    }

    #[inline(never)]
    pub(super) fn string_with_tag(&mut self, tag: u8, at: usize) -> Step<StrSlot> {
        match tag {
            1..DICTIONARY_0 => Ok(StrSlot::single(tag)),
            DICTIONARY_0..=DICTIONARY_3 => {
                let index = self.byte()?;
                Ok(StrSlot::double(tag - DICTIONARY_0, index))
            }
            LIST_EMPTY => Ok(StrSlot::EMPTY),
            BINARY_8 | BINARY_20 | BINARY_32 => {
                let len = self.blob_len(tag)?;
                let bytes = self.take(len)?;
                if self.locate_utf8 && std::str::from_utf8(bytes).is_err() {
                    return self.fail(at, DecodeProblem::NotUtf8);
                }
                let start = self.arena.len();
                self.arena.extend_from_slice(bytes);
                Ok(StrSlot::arena(start, len))
            }
            NIBBLE_8 => self.packed(at, &NIBBLE_PAIRS),
            HEX_8 => self.packed(at, &HEX_PAIRS),
            JID_PAIR | AD_JID | FB_JID | INTEROP_JID => self.fail(at, DecodeProblem::JidWhereStringExpected),
            LIST_8 | LIST_16 => self.fail(at, DecodeProblem::ListWhereStringExpected),
            _ => self.fail(at, DecodeProblem::UnassignedTag(tag)),
        }
    }

    /// An attribute value or string content (a string or a JID), written straight into its slot so that
    /// no half-written temporary is copied (the copy would stall on store forwarding).
    #[inline(always)]
    pub(super) fn value_into(&mut self, dst: &mut ValueSlot) -> Step<()> {
        let at = self.pos;
        let tag = self.byte()?;
        if (1..DICTIONARY_0).contains(&tag) {
            dst.text = StrSlot::single(tag);
            return Ok(());
        }
        self.value_with_tag_into(tag, at, dst)
    }

    /// [`Reader::value_into`] once the tag byte is read. `dst` must hold `ValueSlot::default()` (a string
    /// with no JID parts) or be fully overwritten here.
    #[inline(never)]
    pub(super) fn value_with_tag_into(&mut self, tag: u8, at: usize, dst: &mut ValueSlot) -> Step<()> {
        match tag {
            JID_PAIR => self.jid_pair_into(dst),
            AD_JID => {
                let domain = self.byte()?;
                let device = self.byte()?;
                let user = self.string()?;
                *dst = match Server::from_ad_domain(domain) {
                    Some(server) => ValueSlot::jid(user, server, 0, u16::from(device), 0),
                    // whatsmeow keeps other domain bytes as a raw agent on s.whatsapp.net.
                    None => ValueSlot::jid(user, Server::Whatsapp, domain, u16::from(device), 0),
                };
                Ok(())
            }
            FB_JID => {
                let user = self.string()?;
                let device = self.u16()?;
                self.expect_server(Server::Messenger)?;
                *dst = ValueSlot::jid(user, Server::Messenger, 0, device, 0);
                Ok(())
            }
            INTEROP_JID => {
                let user = self.string()?;
                let device = self.u16()?;
                let integrator = self.u16()?;
                self.expect_server(Server::Interop)?;
                *dst = ValueSlot::jid(user, Server::Interop, 0, device, integrator);
                Ok(())
            }
            _ => {
                *dst = ValueSlot::str(self.string_with_tag(tag, at)?);
                Ok(())
            }
        }
    }

    fn jid_pair_into(&mut self, dst: &mut ValueSlot) -> Step<()> {
        let user = self.string()?;
        let server_at = self.pos;
        let server_tag = self.byte()?;
        // Fast path: the servers that are single-byte tokens.
        let token_server = match server_tag {
            3 => Some(Server::Whatsapp),
            28 => Some(Server::Group),
            13 => Some(Server::Broadcast),
            118 => Some(Server::Lid),
            204 => Some(Server::Messenger),
            _ => None,
        };
        if let Some(server) = token_server {
            *dst = ValueSlot::jid(user, server, 0, 0, 0);
            return Ok(());
        }
        let server = self.string_with_tag(server_tag, server_at)?;
        if server.is_empty() {
            return self.fail(server_at, DecodeProblem::JidWithoutServer);
        }
        *dst = match Server::from_name(self.text(server)) {
            Some(server) => ValueSlot::jid(user, server, 0, 0, 0),
            // A server we do not know is kept as the text Baileys would show rather than failing the
            // whole stanza.
            None => {
                let start = self.arena.len();
                self.copy_to_arena(user);
                self.arena.push(b'@');
                self.copy_to_arena(server);
                ValueSlot::str(StrSlot::arena(start, self.arena.len() - start))
            }
        };
        Ok(())
    }

    fn expect_server(&mut self, expected: Server) -> Step<()> {
        let at = self.pos;
        let server = self.string()?;
        if self.text(server) != expected.as_str() {
            return self.fail(at, DecodeProblem::WrongJidServer(expected));
        }
        Ok(())
    }

    /// The text of a string slot while decoding (the arena is not validated yet: a server name that is
    /// not UTF-8 simply matches no server, and fails the final validation).
    fn text(&self, slot: StrSlot) -> &str {
        match slot.token() {
            Some(token) => token,
            None => slot
                .range()
                .and_then(|range| self.arena.get(range))
                .and_then(|bytes| std::str::from_utf8(bytes).ok())
                .unwrap_or_default(),
        }
    }

    fn copy_to_arena(&mut self, slot: StrSlot) {
        match (slot.token(), slot.range()) {
            (Some(token), _) => self.arena.extend_from_slice(token.as_bytes()),
            (None, Some(range)) => self.arena.extend_from_within(range),
            (None, None) => {}
        }
    }

    /// Unpacks a NIBBLE_8/HEX_8 string into the arena.
    fn packed(&mut self, at: usize, pairs: &[u16; 256]) -> Step<StrSlot> {
        let header = self.byte()?;
        let odd = header & 0x80 != 0;
        let bytes = self.take(usize::from(header & 0x7F))?;
        let (full, last) = match (odd, bytes.split_last()) {
            (false, _) => (bytes, None),
            (true, Some((last, full))) => (full, Some(*last)),
            (true, None) => return self.fail(at, DecodeProblem::OddEmptyPackedString),
        };
        let start = self.arena.len();
        let len = full.len() * 2 + usize::from(odd);
        self.arena.reserve(len);
        // Four input bytes become one 8-character word; markers keep their high bits in `flags`.
        let mut flags = 0u64;
        let mut quads = full.chunks_exact(4);
        for quad in &mut quads {
            let word = u64::from(pairs[usize::from(quad[0])])
                | (u64::from(pairs[usize::from(quad[1])]) << 16)
                | (u64::from(pairs[usize::from(quad[2])]) << 32)
                | (u64::from(pairs[usize::from(quad[3])]) << 48);
            flags |= word;
            self.arena.extend_from_slice(&word.to_le_bytes());
        }
        for &byte in quads.remainder() {
            let pair = pairs[usize::from(byte)];
            flags |= u64::from(pair);
            self.arena.extend_from_slice(&pair.to_le_bytes());
        }
        if let Some(byte) = last {
            // The low nibble of an odd-length string is padding and is dropped whatever it holds, as both
            // reference decoders do.
            let [high, _] = pairs[usize::from(byte)].to_le_bytes();
            flags |= u64::from(high);
            self.arena.push(high);
        }
        if flags & 0x8080_8080_8080_8080 != 0 {
            self.arena.truncate(start);
            return self.fail(at, packed_problem(bytes, odd, pairs));
        }
        Ok(StrSlot::arena(start, len))
    }
}

/// Which nibble of a packed string failed to unpack (slow path, only on error).
#[cold]
fn packed_problem(bytes: &[u8], odd: bool, pairs: &[u16; 256]) -> DecodeProblem {
    let nibbles = bytes.iter().flat_map(|&byte| [byte >> 4, byte & 0x0F]);
    let kept = bytes.len() * 2 - usize::from(odd);
    for nibble in nibbles.take(kept) {
        // Byte 0xNN unpacks to the character of nibble N twice.
        match pairs[usize::from(nibble) * 0x11].to_le_bytes()[0] {
            PADDING => return DecodeProblem::PaddingInsidePackedString,
            INVALID => return DecodeProblem::InvalidNibble(nibble),
            _ => {}
        }
    }
    DecodeProblem::InvalidNibble(0x0F)
}
