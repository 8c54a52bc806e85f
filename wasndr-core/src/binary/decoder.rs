//! Node body → [`Decoded`] tree.
//!
//! Every read is bounds-checked and every failure is an `Error::MalformedNode` with the offset. Nothing is
//! allocated on the strength of a length or count the input merely claims: a list must fit in the bytes
//! that remain before any slot is reserved, byte blobs are borrowed, and the arena grows with the bytes
//! actually read. Nesting is limited to [`MAX_DEPTH`]; JID parts cannot nest at all.

use super::node_ref::{AttrSlot, CONTENT_BYTES, CONTENT_NODES, CONTENT_VALUE, Decoded, NodeSlot, StrSlot};
use super::problem::DecodeProblem;
use super::reader::{Reader, Step};
use super::tags::*;
use crate::error::{Error, Result};

/// Deepest nesting the decoder (and encoder) accepts; the root is depth 0. Real stanzas stay below 10.
pub const MAX_DEPTH: usize = 64;

/// Largest node body the decoder accepts (its offsets are 31-bit). Frames are at most 16 MiB.
pub const MAX_BODY_LEN: usize = 1 << 28;

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
    match Decoder::new(body, false).run() {
        Err(Error::MalformedNode {
            problem: DecodeProblem::NotUtf8,
            ..
        }) => {
            // The fast pass validates all text at once and cannot say where the bad string was; a second
            // pass that checks string by string finds its offset.
            Decoder::new(body, true).run()
        }
        result => result,
    }
}

struct Decoder<'a> {
    reader: Reader<'a>,
    nodes: Vec<NodeSlot>,
    attrs: Vec<AttrSlot>,
}

impl<'a> Decoder<'a> {
    fn new(input: &'a [u8], locate_utf8: bool) -> Decoder<'a> {
        Decoder {
            reader: Reader {
                input,
                pos: 0,
                arena: Vec::with_capacity(input.len().min(1 << 14)),
                locate_utf8,
                problem: (0, DecodeProblem::Truncated),
            },
            // Sized so that dense stanzas (a node per 6 bytes, an attribute per 4) never reallocate;
            // capped so that a large blob does not reserve room for nodes it cannot contain.
            nodes: Vec::with_capacity((input.len() / 6 + 1).min(1024)),
            attrs: Vec::with_capacity((input.len() / 4 + 1).min(1024)),
        }
    }

    fn run(mut self) -> Result<Decoded<'a>> {
        self.nodes.push(NodeSlot::default());
        let input = self.reader.input;
        let complete = self.read_node(0, 0).and_then(|()| {
            let pos = self.reader.pos;
            if pos == input.len() {
                Ok(())
            } else {
                self.reader
                    .fail(pos, DecodeProblem::TrailingBytes(input.len() - pos))
            }
        });
        if complete.is_err() {
            let (offset, problem) = self.reader.problem;
            return Err(Error::MalformedNode { offset, problem });
        }
        // One validation for every string of the tree. Unpacked text is ASCII, so a failure is always
        // in a raw string, which the caller then locates.
        let arena = String::from_utf8(self.reader.arena).map_err(|_| Error::MalformedNode {
            offset: 0,
            problem: DecodeProblem::NotUtf8,
        })?;
        Ok(Decoded {
            input,
            nodes: self.nodes,
            attrs: self.attrs,
            arena,
        })
    }

    fn read_node(&mut self, slot: usize, depth: usize) -> Step<()> {
        let r = &mut self.reader;
        let at = r.pos;
        let size = match r.byte()? {
            LIST_8 => usize::from(r.byte()?),
            LIST_16 => usize::from(r.u16()?),
            LIST_EMPTY => return r.fail(at, DecodeProblem::EmptyNode),
            other => return r.fail(at, DecodeProblem::NotANode(other)),
        };
        if size == 0 {
            return r.fail(at, DecodeProblem::EmptyNode);
        }
        let tag_at = r.pos;
        let tag = r.string()?;
        if tag.is_empty() {
            return r.fail(tag_at, DecodeProblem::EmptyTag);
        }

        let attr_count = (size - 1) / 2;
        if attr_count * MIN_ATTR_LEN > r.remaining() {
            let remaining = r.remaining();
            return r.fail(
                r.pos,
                DecodeProblem::OversizedList {
                    claimed: attr_count,
                    remaining,
                },
            );
        }
        let attrs_start = self.attrs.len();
        self.attrs.resize(attrs_start + attr_count, AttrSlot::default());
        for attr in &mut self.attrs[attrs_start..] {
            attr.key = self.reader.string()?;
            self.reader.value_into(&mut attr.value)?;
        }

        let node = &mut self.nodes[slot];
        node.tag = tag;
        node.attrs_start = attrs_start as u32;
        node.attrs_len = attr_count as u32;
        if size % 2 == 0 {
            self.content(slot, depth)?;
        }
        Ok(())
    }

    fn content(&mut self, slot: usize, depth: usize) -> Step<()> {
        let r = &mut self.reader;
        let at = r.pos;
        let tag = r.byte()?;
        match tag {
            LIST_EMPTY => self.nodes[slot].content_kind = CONTENT_NODES,
            LIST_8 | LIST_16 => {
                let count = if tag == LIST_8 {
                    usize::from(r.byte()?)
                } else {
                    usize::from(r.u16()?)
                };
                let start = self.children(at, count, depth + 1)?;
                let node = &mut self.nodes[slot];
                node.content_kind = CONTENT_NODES;
                node.content.text = StrSlot::input(start, count);
            }
            BINARY_8 | BINARY_20 | BINARY_32 => {
                let len = r.blob_len(tag)?;
                let start = r.pos;
                r.take(len)?;
                let node = &mut self.nodes[slot];
                node.content_kind = CONTENT_BYTES;
                node.content.text = StrSlot::input(start, len);
            }
            _ => {
                let node = &mut self.nodes[slot];
                node.content_kind = CONTENT_VALUE;
                r.value_with_tag_into(tag, at, &mut node.content)?;
            }
        }
        Ok(())
    }

    /// Decodes `count` children into adjacent slots; returns the first slot's index.
    fn children(&mut self, at: usize, count: usize, depth: usize) -> Step<usize> {
        if depth > MAX_DEPTH {
            return self.reader.fail(at, DecodeProblem::TooDeep);
        }
        if count * MIN_NODE_LEN > self.reader.remaining() {
            let remaining = self.reader.remaining();
            return self.reader.fail(
                at,
                DecodeProblem::OversizedList {
                    claimed: count,
                    remaining,
                },
            );
        }
        let start = self.nodes.len();
        self.nodes.resize(start + count, NodeSlot::default());
        for index in start..start + count {
            self.read_node(index, depth)?;
        }
        Ok(start)
    }
}
