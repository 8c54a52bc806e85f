//! Node body → [`Decoded`] tree.
//!
//! Every read is bounds-checked and every failure is an `Error::MalformedNode` with the offset. Nothing is
//! allocated on the strength of a length or count the input merely claims: a list must fit in the bytes
//! that remain before any slot is reserved, byte blobs are borrowed, and unpacked strings grow with the
//! bytes actually read. Nesting is limited to [`MAX_DEPTH`]; JID parts cannot nest at all.

use super::node_ref::{AttrSlot, ContentSlot, Decoded, JidSlot, NodeSlot, StrSlot, ValueSlot};
use super::packed::{HEX_PAIRS, INVALID, NIBBLE_PAIRS, PADDING};
use super::problem::DecodeProblem;
use super::tags::*;
use super::tokens::{DOUBLE_BYTE, SINGLE_BYTE};
use crate::error::{Error, Result};
use crate::jid::Server;

/// Deepest nesting the decoder (and encoder) accepts; the root is depth 0. Real stanzas stay below 10.
pub const MAX_DEPTH: usize = 64;

/// Largest node body the decoder accepts (offsets are kept in 32 bits). Frames are at most 16 MiB.
pub const MAX_BODY_LEN: usize = 1 << 30;

/// Smallest encoding of a node (LIST_8, size, one-byte tag): bounds how many children a list can hold.
const MIN_NODE_LEN: usize = 3;
/// Smallest encoding of an attribute (one-byte key, one-byte value).
const MIN_ATTR_LEN: usize = 2;

/// Decodes a node body (the frame payload after its flags byte; see [`unpack`](super::unpack)).
pub fn decode_node(body: &[u8]) -> Result<Decoded<'_>> {
    if body.len() > MAX_BODY_LEN {
        return Err(Error::MalformedNode {
            offset: 0,
            problem: DecodeProblem::BodyTooLarge,
        });
    }
    let mut decoder = Decoder {
        input: body,
        pos: 0,
        // Sized for typical stanzas (about one node per 12 bytes, an attribute per 8); capped so that a
        // single large blob does not reserve room for nodes it cannot contain.
        nodes: Vec::with_capacity((body.len() / 12 + 1).min(1024)),
        attrs: Vec::with_capacity((body.len() / 8 + 1).min(2048)),
        arena: Vec::with_capacity((body.len() / 2).min(4096)),
    };
    decoder.nodes.push(NodeSlot::RESERVED);
    decoder.read_node(0, 0)?;
    if decoder.pos != body.len() {
        return decoder.fail(
            decoder.pos,
            DecodeProblem::TrailingBytes(body.len() - decoder.pos),
        );
    }
    // The arena holds unpacked ASCII and copies of validated UTF-8 only, so this cannot fail; the check
    // stays because the alternative would be unsafe code.
    let arena = String::from_utf8(decoder.arena).map_err(|_| Error::MalformedNode {
        offset: 0,
        problem: DecodeProblem::NotUtf8,
    })?;
    Ok(Decoded {
        nodes: decoder.nodes,
        attrs: decoder.attrs,
        arena,
    })
}

struct Decoder<'a> {
    input: &'a [u8],
    pos: usize,
    nodes: Vec<NodeSlot<'a>>,
    attrs: Vec<AttrSlot<'a>>,
    arena: Vec<u8>,
}

impl<'a> Decoder<'a> {
    #[cold]
    fn fail<T>(&self, offset: usize, problem: DecodeProblem) -> Result<T> {
        Err(Error::MalformedNode { offset, problem })
    }

    #[inline]
    fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }

    #[inline]
    fn byte(&mut self) -> Result<u8> {
        match self.input.get(self.pos) {
            Some(&byte) => {
                self.pos += 1;
                Ok(byte)
            }
            None => self.fail(self.pos, DecodeProblem::Truncated),
        }
    }

    #[inline]
    fn take(&mut self, len: usize) -> Result<&'a [u8]> {
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
    fn u16(&mut self) -> Result<u16> {
        let bytes = self.take(2)?;
        Ok(u16::from_be_bytes([bytes[0], bytes[1]]))
    }

    /// Length of a BINARY_8/20/32 blob.
    #[inline]
    fn blob_len(&mut self, tag: u8) -> Result<usize> {
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

    fn read_node(&mut self, slot: usize, depth: usize) -> Result<()> {
        let at = self.pos;
        let size = match self.byte()? {
            LIST_8 => usize::from(self.byte()?),
            LIST_16 => usize::from(self.u16()?),
            LIST_EMPTY => return self.fail(at, DecodeProblem::EmptyNode),
            other => return self.fail(at, DecodeProblem::NotANode(other)),
        };
        if size == 0 {
            return self.fail(at, DecodeProblem::EmptyNode);
        }
        let tag_at = self.pos;
        let tag = self.string()?;
        if self.text_len(tag) == 0 {
            return self.fail(tag_at, DecodeProblem::EmptyTag);
        }

        let attr_count = (size - 1) / 2;
        if attr_count * MIN_ATTR_LEN > self.remaining() {
            return self.fail(
                self.pos,
                DecodeProblem::OversizedList {
                    claimed: attr_count,
                    remaining: self.remaining(),
                },
            );
        }
        let attrs_start = self.attrs.len();
        self.attrs.reserve(attr_count);
        for _ in 0..attr_count {
            let key = self.string()?;
            let value = self.value()?;
            self.attrs.push(AttrSlot { key, value });
        }

        let content = if size % 2 == 0 {
            self.content(depth)?
        } else {
            ContentSlot::None
        };
        self.nodes[slot] = NodeSlot {
            tag,
            attrs_start: attrs_start as u32,
            attrs_len: attr_count as u32,
            content,
        };
        Ok(())
    }

    fn content(&mut self, depth: usize) -> Result<ContentSlot<'a>> {
        let at = self.pos;
        let tag = self.byte()?;
        Ok(match tag {
            LIST_EMPTY => ContentSlot::Nodes { start: 0, len: 0 },
            LIST_8 | LIST_16 => {
                let count = if tag == LIST_8 {
                    usize::from(self.byte()?)
                } else {
                    usize::from(self.u16()?)
                };
                self.children(at, count, depth + 1)?
            }
            BINARY_8 | BINARY_20 | BINARY_32 => {
                let len = self.blob_len(tag)?;
                ContentSlot::Bytes(self.take(len)?)
            }
            _ => ContentSlot::Value(self.value_with_tag(tag, at)?),
        })
    }

    fn children(&mut self, at: usize, count: usize, depth: usize) -> Result<ContentSlot<'a>> {
        if depth > MAX_DEPTH {
            return self.fail(at, DecodeProblem::TooDeep);
        }
        if count * MIN_NODE_LEN > self.remaining() {
            return self.fail(
                at,
                DecodeProblem::OversizedList {
                    claimed: count,
                    remaining: self.remaining(),
                },
            );
        }
        let start = self.nodes.len();
        self.nodes.resize(start + count, NodeSlot::RESERVED);
        for index in start..start + count {
            self.read_node(index, depth)?;
        }
        Ok(ContentSlot::Nodes {
            start: start as u32,
            len: count as u32,
        })
    }

    /// A string item: tag, attribute key, JID part.
    #[inline]
    fn string(&mut self) -> Result<StrSlot<'a>> {
        let at = self.pos;
        let tag = self.byte()?;
        self.string_with_tag(tag, at)
    }

    #[inline]
    fn string_with_tag(&mut self, tag: u8, at: usize) -> Result<StrSlot<'a>> {
        match tag {
            1..=235 => Ok(StrSlot::Static(SINGLE_BYTE[usize::from(tag)])),
            DICTIONARY_0..=DICTIONARY_3 => {
                let index = self.byte()?;
                Ok(StrSlot::Static(
                    DOUBLE_BYTE[usize::from(tag - DICTIONARY_0)][usize::from(index)],
                ))
            }
            LIST_EMPTY => Ok(StrSlot::Static("")),
            BINARY_8 | BINARY_20 | BINARY_32 => {
                let len = self.blob_len(tag)?;
                let bytes = self.take(len)?;
                match std::str::from_utf8(bytes) {
                    Ok(text) => Ok(StrSlot::Input(text)),
                    Err(_) => self.fail(at, DecodeProblem::NotUtf8),
                }
            }
            NIBBLE_8 => self.packed(at, &NIBBLE_PAIRS),
            HEX_8 => self.packed(at, &HEX_PAIRS),
            JID_PAIR | AD_JID | FB_JID | INTEROP_JID => self.fail(at, DecodeProblem::JidWhereStringExpected),
            LIST_8 | LIST_16 => self.fail(at, DecodeProblem::ListWhereStringExpected),
            _ => self.fail(at, DecodeProblem::UnassignedTag(tag)),
        }
    }

    /// An attribute value or string content: a string or a JID.
    #[inline]
    fn value(&mut self) -> Result<ValueSlot<'a>> {
        let at = self.pos;
        let tag = self.byte()?;
        self.value_with_tag(tag, at)
    }

    #[inline]
    fn value_with_tag(&mut self, tag: u8, at: usize) -> Result<ValueSlot<'a>> {
        match tag {
            JID_PAIR => self.jid_pair(),
            AD_JID => {
                let domain = self.byte()?;
                let device = self.byte()?;
                let user = self.string()?;
                let (server, agent) = match Server::from_ad_domain(domain) {
                    Some(server) => (server, 0),
                    // whatsmeow keeps other domain bytes as a raw agent on s.whatsapp.net.
                    None => (Server::Whatsapp, domain),
                };
                Ok(ValueSlot::Jid(JidSlot {
                    user,
                    server,
                    agent,
                    device: u16::from(device),
                    integrator: 0,
                }))
            }
            FB_JID => {
                let user = self.string()?;
                let device = self.u16()?;
                self.expect_server(Server::Messenger)?;
                Ok(ValueSlot::Jid(JidSlot {
                    user,
                    server: Server::Messenger,
                    agent: 0,
                    device,
                    integrator: 0,
                }))
            }
            INTEROP_JID => {
                let user = self.string()?;
                let device = self.u16()?;
                let integrator = self.u16()?;
                self.expect_server(Server::Interop)?;
                Ok(ValueSlot::Jid(JidSlot {
                    user,
                    server: Server::Interop,
                    agent: 0,
                    device,
                    integrator,
                }))
            }
            _ => Ok(ValueSlot::Str(self.string_with_tag(tag, at)?)),
        }
    }

    fn jid_pair(&mut self) -> Result<ValueSlot<'a>> {
        let user = self.string()?;
        let server_at = self.pos;
        let server = self.string()?;
        let server_name = self.text(server);
        if server_name.is_empty() {
            return self.fail(server_at, DecodeProblem::JidWithoutServer);
        }
        match Server::from_name(server_name) {
            Some(server) => Ok(ValueSlot::Jid(JidSlot {
                user,
                server,
                agent: 0,
                device: 0,
                integrator: 0,
            })),
            // A server we do not know is kept as the text Baileys would show rather than failing the
            // whole stanza.
            None => {
                let start = self.arena.len();
                self.copy_to_arena(user);
                self.arena.push(b'@');
                self.copy_to_arena(server);
                Ok(ValueSlot::Str(StrSlot::Arena {
                    start: start as u32,
                    len: (self.arena.len() - start) as u32,
                }))
            }
        }
    }

    fn expect_server(&mut self, expected: Server) -> Result<()> {
        let at = self.pos;
        let server = self.string()?;
        if self.text(server) != expected.as_str() {
            return self.fail(at, DecodeProblem::WrongJidServer(expected));
        }
        Ok(())
    }

    /// The bytes of a string slot while decoding (the arena is still a byte vector).
    fn text_bytes(&self, slot: StrSlot<'a>) -> &[u8] {
        match slot {
            StrSlot::Static(text) => text.as_bytes(),
            StrSlot::Input(text) => text.as_bytes(),
            StrSlot::Arena { start, len } => self
                .arena
                .get(start as usize..(start + len) as usize)
                .unwrap_or_default(),
        }
    }

    fn text(&self, slot: StrSlot<'a>) -> &str {
        std::str::from_utf8(self.text_bytes(slot)).unwrap_or_default()
    }

    #[inline]
    fn text_len(&self, slot: StrSlot<'a>) -> usize {
        match slot {
            StrSlot::Static(text) => text.len(),
            StrSlot::Input(text) => text.len(),
            StrSlot::Arena { len, .. } => len as usize,
        }
    }

    fn copy_to_arena(&mut self, slot: StrSlot<'a>) {
        match slot {
            StrSlot::Static(text) => self.arena.extend_from_slice(text.as_bytes()),
            StrSlot::Input(text) => self.arena.extend_from_slice(text.as_bytes()),
            StrSlot::Arena { start, len } => {
                self.arena
                    .extend_from_within(start as usize..(start + len) as usize);
            }
        }
    }

    /// Unpacks a NIBBLE_8/HEX_8 string into the arena.
    fn packed(&mut self, at: usize, pairs: &[[u8; 2]; 256]) -> Result<StrSlot<'a>> {
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
        self.arena.resize(start + len, 0);
        let out = &mut self.arena[start..];
        let mut flags = 0u8;
        for (dst, &byte) in out.chunks_exact_mut(2).zip(full) {
            let pair = pairs[usize::from(byte)];
            flags |= pair[0] | pair[1];
            dst.copy_from_slice(&pair);
        }
        if let (Some(byte), Some(dst)) = (last, out.last_mut()) {
            // The low nibble of an odd-length string is padding and is dropped whatever it holds, as both
            // reference decoders do.
            let high = pairs[usize::from(byte)][0];
            flags |= high;
            *dst = high;
        }
        if flags & 0x80 != 0 {
            self.arena.truncate(start);
            return self.fail(at, packed_problem(bytes, odd, pairs));
        }
        Ok(StrSlot::Arena {
            start: start as u32,
            len: len as u32,
        })
    }
}

/// Which nibble of a packed string failed to unpack (slow path, only on error).
#[cold]
fn packed_problem(bytes: &[u8], odd: bool, pairs: &[[u8; 2]; 256]) -> DecodeProblem {
    let nibbles = bytes.iter().flat_map(|&byte| [byte >> 4, byte & 0x0F]);
    let kept = bytes.len() * 2 - usize::from(odd);
    for nibble in nibbles.take(kept) {
        // Byte 0xNN unpacks to the character of nibble N twice.
        match pairs[usize::from(nibble) * 0x11][0] {
            PADDING => return DecodeProblem::PaddingInsidePackedString,
            INVALID => return DecodeProblem::InvalidNibble(nibble),
            _ => {}
        }
    }
    DecodeProblem::InvalidNibble(0x0F)
}
