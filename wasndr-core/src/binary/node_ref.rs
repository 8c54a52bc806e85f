//! The decoded, borrowed form of a node tree.
//!
//! Decoding does not build one heap object per node. It fills three flat arrays — nodes, attributes, and
//! a text arena — and [`NodeRef`] is a copyable handle (tree, index) into them. A node's children sit next
//! to each other in the node array, so a child list is a range. Tokens are references into the static
//! dictionaries; every other string (unpacked NIBBLE_8/HEX_8 text, raw UTF-8) is copied into the arena,
//! which is validated as UTF-8 once for the whole tree instead of string by string. Byte content borrows
//! the input.
//!
//! The slots are small plain structs (no enums with payloads), so the decoder writes them field by field.

use std::borrow::Cow;

use super::node::{Attr, Content, Node, Value};
use super::tokens::{DOUBLE_BYTE, SINGLE_BYTE};
use crate::jid::{Jid, JidRef, Server};

/// A decoded string: a dictionary token, or a range of the arena. One `u64` (low half: arena offset, or
/// `TOKEN | code` with code = single-byte index or 256 + 256·dict + index; high half: length) so that it
/// is written with one store and returned in a register.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct StrSlot(u64);

impl StrSlot {
    const TOKEN: u32 = 1 << 31;

    const fn new(start: u32, len: u32) -> StrSlot {
        StrSlot(start as u64 | ((len as u64) << 32))
    }

    fn start(self) -> u32 {
        self.0 as u32
    }

    fn len(self) -> u32 {
        (self.0 >> 32) as u32
    }

    /// The empty string (single-byte slot 0 holds `""`).
    pub(crate) const EMPTY: StrSlot = StrSlot::new(StrSlot::TOKEN, 0);

    #[inline]
    pub(crate) fn single(index: u8) -> StrSlot {
        StrSlot::new(StrSlot::TOKEN | u32::from(index), 1)
    }

    #[inline]
    pub(crate) fn double(dict: u8, index: u8) -> StrSlot {
        StrSlot::new(
            StrSlot::TOKEN | (256 + 256 * u32::from(dict & 3) + u32::from(index)),
            1,
        )
    }

    #[inline]
    pub(crate) fn arena(start: usize, len: usize) -> StrSlot {
        StrSlot::new(start as u32, len as u32)
    }

    /// A range of the input or of the node slots (byte content and child lists, which are never text).
    #[inline]
    pub(crate) fn input(start: usize, len: usize) -> StrSlot {
        StrSlot::new(start as u32, len as u32)
    }

    /// Whether the string is empty (only token 0 and empty ranges are).
    #[inline]
    pub(crate) fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The dictionary token, if this is one.
    #[inline]
    pub(crate) fn token(self) -> Option<&'static str> {
        if self.start() & StrSlot::TOKEN == 0 {
            return None;
        }
        let code = (self.start() & !StrSlot::TOKEN) as usize;
        Some(if code < 256 {
            SINGLE_BYTE[code]
        } else {
            DOUBLE_BYTE[((code >> 8) - 1) & 3][code & 0xFF]
        })
    }

    /// The range, if this is not a token.
    #[inline]
    pub(crate) fn range(self) -> Option<std::ops::Range<usize>> {
        let start = self.start() as usize;
        (self.start() & StrSlot::TOKEN == 0).then(|| start..start + self.len() as usize)
    }
}

/// [`ValueSlot::kind`] of a string; JIDs use `1 +` their index in [`Server::ALL`].
pub(crate) const VALUE_STR: u8 = 0;

/// An attribute value or string content: a string (`kind == VALUE_STR`) or a JID whose user is `text`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ValueSlot {
    pub(crate) text: StrSlot,
    pub(crate) kind: u8,
    pub(crate) agent: u8,
    pub(crate) device: u16,
    pub(crate) integrator: u16,
}

impl ValueSlot {
    #[inline]
    pub(crate) fn str(text: StrSlot) -> ValueSlot {
        ValueSlot {
            text,
            kind: VALUE_STR,
            agent: 0,
            device: 0,
            integrator: 0,
        }
    }

    #[inline]
    pub(crate) fn jid(user: StrSlot, server: Server, agent: u8, device: u16, integrator: u16) -> ValueSlot {
        ValueSlot {
            text: user,
            kind: server as u8 + 1,
            agent,
            device,
            integrator,
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct AttrSlot {
    pub(crate) key: StrSlot,
    pub(crate) value: ValueSlot,
}

/// [`NodeSlot::content_kind`] (0, the default, is no content). Children: `content.text` is the range of node slots.
pub(crate) const CONTENT_NODES: u8 = 1;
/// Bytes: `content.text` is the range of the input.
pub(crate) const CONTENT_BYTES: u8 = 2;
/// A string or JID in `content`.
pub(crate) const CONTENT_VALUE: u8 = 3;

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct NodeSlot {
    pub(crate) tag: StrSlot,
    pub(crate) attrs_start: u32,
    pub(crate) attrs_len: u32,
    pub(crate) content: ValueSlot,
    pub(crate) content_kind: u8,
}

/// A decoded node tree borrowing the buffer it was decoded from. Get the root with [`Decoded::root`].
#[derive(Debug)]
pub struct Decoded<'a> {
    pub(crate) input: &'a [u8],
    pub(crate) nodes: Vec<NodeSlot>,
    pub(crate) attrs: Vec<AttrSlot>,
    pub(crate) arena: String,
}

impl Decoded<'_> {
    /// The root node.
    pub fn root(&self) -> NodeRef<'_> {
        NodeRef { tree: self, index: 0 }
    }

    /// The whole tree as an owned [`Node`].
    pub fn to_owned_node(&self) -> Node {
        self.root().to_owned()
    }

    /// Number of nodes in the tree, root included.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    fn str(&self, slot: StrSlot) -> &str {
        match slot.token() {
            Some(token) => token,
            // Ranges come from the decoder, inside the arena and on character boundaries; `get` keeps
            // that a non-panicking fact.
            None => slot
                .range()
                .and_then(|range| self.arena.get(range))
                .unwrap_or_default(),
        }
    }

    fn cow(&self, slot: StrSlot) -> Cow<'static, str> {
        match slot.token() {
            Some(token) => Cow::Borrowed(token),
            None => Cow::Owned(self.str(slot).to_owned()),
        }
    }

    fn bytes(&self, slot: StrSlot) -> &[u8] {
        slot.range()
            .and_then(|range| self.input.get(range))
            .unwrap_or_default()
    }

    fn value(&self, slot: ValueSlot) -> ValueRef<'_> {
        match Server::ALL.get(usize::from(slot.kind).wrapping_sub(1)) {
            None => ValueRef::Str(self.str(slot.text)),
            Some(&server) => ValueRef::Jid(JidRef {
                user: self.str(slot.text),
                server,
                agent: slot.agent,
                device: slot.device,
                integrator: slot.integrator,
            }),
        }
    }

    /// The owned value, keeping tokens borrowed from the dictionaries.
    fn owned_value(&self, slot: ValueSlot) -> Value {
        match self.value(slot) {
            ValueRef::Str(_) => Value::Str(self.cow(slot.text)),
            ValueRef::Jid(jid) => Value::Jid(jid.to_owned()),
        }
    }
}

/// A node of a [`Decoded`] tree. `Copy`; all accessors return data that lives as long as the tree.
#[derive(Clone, Copy)]
pub struct NodeRef<'t> {
    tree: &'t Decoded<'t>,
    index: u32,
}

/// A decoded attribute value or string content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueRef<'t> {
    /// A string (token, packed string or raw UTF-8).
    Str(&'t str),
    /// A value written with a JID tag.
    Jid(JidRef<'t>),
}

/// Decoded content.
#[derive(Clone, Debug)]
pub enum ContentRef<'t> {
    /// No content.
    None,
    /// Child nodes.
    Nodes(Children<'t>),
    /// Raw bytes, borrowed from the input.
    Bytes(&'t [u8]),
    /// A string written as a token or packed string.
    Text(&'t str),
    /// A JID.
    Jid(JidRef<'t>),
}

impl<'t> NodeRef<'t> {
    fn slot(&self) -> &'t NodeSlot {
        // `index` always comes from the tree itself (root 0 or a child range it recorded).
        &self.tree.nodes[self.index as usize]
    }

    /// The tag.
    pub fn tag(&self) -> &'t str {
        self.tree.str(self.slot().tag)
    }

    /// The attributes in wire order.
    pub fn attrs(&self) -> impl ExactSizeIterator<Item = (&'t str, ValueRef<'t>)> + 't {
        let tree = self.tree;
        self.attr_slots()
            .iter()
            .map(move |attr| (tree.str(attr.key), tree.value(attr.value)))
    }

    fn attr_slots(&self) -> &'t [AttrSlot] {
        let slot = self.slot();
        let start = slot.attrs_start as usize;
        self.tree
            .attrs
            .get(start..start + slot.attrs_len as usize)
            .unwrap_or_default()
    }

    /// Number of attributes.
    pub fn attr_count(&self) -> usize {
        self.slot().attrs_len as usize
    }

    /// The value of the first attribute named `key`.
    pub fn attr(&self, key: &str) -> Option<ValueRef<'t>> {
        let tree = self.tree;
        self.attr_slots()
            .iter()
            .find(|attr| tree.str(attr.key) == key)
            .map(|attr| tree.value(attr.value))
    }

    /// The attribute `key` if it is a string (not a JID).
    pub fn attr_str(&self, key: &str) -> Option<&'t str> {
        match self.attr(key)? {
            ValueRef::Str(text) => Some(text),
            ValueRef::Jid(_) => None,
        }
    }

    /// The attribute `key` as a JID: a JID value, or a string that parses as one (lenient towards peers
    /// that send JIDs as text).
    pub fn attr_jid(&self, key: &str) -> Option<JidRef<'t>> {
        match self.attr(key)? {
            ValueRef::Jid(jid) => Some(jid),
            ValueRef::Str(text) => JidRef::parse(text).ok(),
        }
    }

    /// The content.
    pub fn content(&self) -> ContentRef<'t> {
        let tree = self.tree;
        let slot = self.slot();
        match slot.content_kind {
            CONTENT_NODES => ContentRef::Nodes(self.children()),
            CONTENT_BYTES => ContentRef::Bytes(tree.bytes(slot.content.text)),
            CONTENT_VALUE => match tree.value(slot.content) {
                ValueRef::Str(text) => ContentRef::Text(text),
                ValueRef::Jid(jid) => ContentRef::Jid(jid),
            },
            _ => ContentRef::None,
        }
    }

    /// The child nodes (empty unless the content is a child list).
    pub fn children(&self) -> Children<'t> {
        let slot = self.slot();
        let range = match slot.content_kind {
            CONTENT_NODES => slot.content.text.range().unwrap_or_default(),
            _ => 0..0,
        };
        Children {
            tree: self.tree,
            next: range.start as u32,
            end: range.end as u32,
        }
    }

    /// The first child with this tag.
    pub fn child(&self, tag: &str) -> Option<NodeRef<'t>> {
        self.children().find(|child| child.tag() == tag)
    }

    /// Every child with this tag.
    pub fn children_with_tag<'k>(&self, tag: &'k str) -> impl Iterator<Item = NodeRef<'t>> + 'k
    where
        't: 'k,
    {
        self.children().filter(move |child| child.tag() == tag)
    }

    /// The byte content, if the content is bytes.
    pub fn bytes(&self) -> Option<&'t [u8]> {
        let slot = self.slot();
        (slot.content_kind == CONTENT_BYTES).then(|| self.tree.bytes(slot.content.text))
    }

    /// The string content, if the content is a token or packed string.
    pub fn text(&self) -> Option<&'t str> {
        match self.content() {
            ContentRef::Text(text) => Some(text),
            _ => None,
        }
    }

    /// This node and everything below it as an owned [`Node`]. Tags, keys and values that were tokens
    /// stay borrowed from the static dictionaries.
    pub fn to_owned(&self) -> Node {
        let tree = self.tree;
        let slot = self.slot();
        let attrs = self
            .attr_slots()
            .iter()
            .map(|attr| Attr {
                key: tree.cow(attr.key),
                value: tree.owned_value(attr.value),
            })
            .collect();
        let content = match self.content() {
            ContentRef::None => Content::None,
            ContentRef::Nodes(children) => Content::Nodes(children.map(|child| child.to_owned()).collect()),
            ContentRef::Bytes(bytes) => Content::Bytes(bytes.to_vec()),
            ContentRef::Text(_) => Content::Text(tree.cow(slot.content.text)),
            ContentRef::Jid(jid) => Content::Jid(jid.to_owned()),
        };
        Node {
            tag: tree.cow(slot.tag),
            attrs,
            content,
        }
    }
}

impl std::fmt::Debug for NodeRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// XML-like rendering, as for [`Node`].
impl std::fmt::Display for NodeRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Debug output only: going through the owned form keeps one renderer.
        self.to_owned().fmt(f)
    }
}

impl<'t> ValueRef<'t> {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&'t str> {
        match self {
            ValueRef::Str(text) => Some(text),
            ValueRef::Jid(_) => None,
        }
    }

    /// The JID, if this is one.
    pub fn as_jid(&self) -> Option<JidRef<'t>> {
        match self {
            ValueRef::Jid(jid) => Some(*jid),
            ValueRef::Str(_) => None,
        }
    }

    /// The owned value.
    pub fn to_owned(&self) -> Value {
        match self {
            ValueRef::Str(text) => Value::Str(Cow::Owned((*text).to_owned())),
            ValueRef::Jid(jid) => Value::Jid(Jid::from(*jid)),
        }
    }
}

impl std::fmt::Display for ValueRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ValueRef::Str(text) => f.write_str(text),
            ValueRef::Jid(jid) => jid.fmt(f),
        }
    }
}

/// The children of a [`NodeRef`], in wire order.
#[derive(Clone)]
pub struct Children<'t> {
    tree: &'t Decoded<'t>,
    next: u32,
    end: u32,
}

impl std::fmt::Debug for Children<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

impl<'t> Iterator for Children<'t> {
    type Item = NodeRef<'t>;

    fn next(&mut self) -> Option<NodeRef<'t>> {
        (self.next < self.end).then(|| {
            let node = NodeRef {
                tree: self.tree,
                index: self.next,
            };
            self.next += 1;
            node
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.end - self.next) as usize;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Children<'_> {}

impl<'t> DoubleEndedIterator for Children<'t> {
    fn next_back(&mut self) -> Option<NodeRef<'t>> {
        (self.next < self.end).then(|| {
            self.end -= 1;
            NodeRef {
                tree: self.tree,
                index: self.end,
            }
        })
    }
}
