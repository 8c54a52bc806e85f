//! The decoded, borrowed form of a node tree.
//!
//! Decoding does not build one heap object per node. It fills three flat arrays — nodes, attributes, and
//! an arena for the strings that had to be unpacked (NIBBLE_8/HEX_8) — and [`NodeRef`] is a copyable
//! handle (tree, index) into them. A node's children sit next to each other in the node array, so a child
//! list is a range. Raw strings and byte blobs borrow the input; tokens borrow the static dictionaries.

use std::borrow::Cow;

use super::node::{Attr, Content, Node, Value};
use crate::jid::{Jid, JidRef, Server};

/// Where a decoded string lives.
#[derive(Clone, Copy, Debug)]
pub(crate) enum StrSlot<'a> {
    /// A dictionary token (or the empty string).
    Static(&'static str),
    /// Raw bytes of the input (validated UTF-8).
    Input(&'a str),
    /// Unpacked text in the tree's arena.
    Arena { start: u32, len: u32 },
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct JidSlot<'a> {
    pub(crate) user: StrSlot<'a>,
    pub(crate) server: Server,
    pub(crate) agent: u8,
    pub(crate) device: u16,
    pub(crate) integrator: u16,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum ValueSlot<'a> {
    Str(StrSlot<'a>),
    Jid(JidSlot<'a>),
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct AttrSlot<'a> {
    pub(crate) key: StrSlot<'a>,
    pub(crate) value: ValueSlot<'a>,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum ContentSlot<'a> {
    None,
    Nodes { start: u32, len: u32 },
    Bytes(&'a [u8]),
    Value(ValueSlot<'a>),
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct NodeSlot<'a> {
    pub(crate) tag: StrSlot<'a>,
    pub(crate) attrs_start: u32,
    pub(crate) attrs_len: u32,
    pub(crate) content: ContentSlot<'a>,
}

impl NodeSlot<'_> {
    /// What a child slot holds between being reserved and being decoded.
    pub(crate) const RESERVED: NodeSlot<'static> = NodeSlot {
        tag: StrSlot::Static(""),
        attrs_start: 0,
        attrs_len: 0,
        content: ContentSlot::None,
    };
}

/// A decoded node tree borrowing the buffer it was decoded from. Get the root with [`Decoded::root`].
#[derive(Debug)]
pub struct Decoded<'a> {
    pub(crate) nodes: Vec<NodeSlot<'a>>,
    pub(crate) attrs: Vec<AttrSlot<'a>>,
    pub(crate) arena: String,
}

impl<'a> Decoded<'a> {
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

    fn str(&self, slot: StrSlot<'a>) -> &str {
        match slot {
            StrSlot::Static(text) => text,
            StrSlot::Input(text) => text,
            // In range and on ASCII boundaries by construction; `get` keeps that a non-panicking fact.
            StrSlot::Arena { start, len } => self
                .arena
                .get(start as usize..(start + len) as usize)
                .unwrap_or_default(),
        }
    }

    fn cow(&self, slot: StrSlot<'a>) -> Cow<'static, str> {
        match slot {
            StrSlot::Static(text) => Cow::Borrowed(text),
            other => Cow::Owned(self.str(other).to_owned()),
        }
    }

    fn jid(&self, slot: JidSlot<'a>) -> JidRef<'_> {
        JidRef {
            user: self.str(slot.user),
            server: slot.server,
            agent: slot.agent,
            device: slot.device,
            integrator: slot.integrator,
        }
    }

    fn value(&self, slot: ValueSlot<'a>) -> ValueRef<'_> {
        match slot {
            ValueSlot::Str(text) => ValueRef::Str(self.str(text)),
            ValueSlot::Jid(jid) => ValueRef::Jid(self.jid(jid)),
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
    fn slot(&self) -> &'t NodeSlot<'t> {
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

    fn attr_slots(&self) -> &'t [AttrSlot<'t>] {
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
        match self.slot().content {
            ContentSlot::None => ContentRef::None,
            ContentSlot::Nodes { start, len } => ContentRef::Nodes(Children {
                tree,
                next: start,
                end: start + len,
            }),
            ContentSlot::Bytes(bytes) => ContentRef::Bytes(bytes),
            ContentSlot::Value(ValueSlot::Str(text)) => ContentRef::Text(tree.str(text)),
            ContentSlot::Value(ValueSlot::Jid(jid)) => ContentRef::Jid(tree.jid(jid)),
        }
    }

    /// The child nodes (empty unless the content is a child list).
    pub fn children(&self) -> Children<'t> {
        match self.slot().content {
            ContentSlot::Nodes { start, len } => Children {
                tree: self.tree,
                next: start,
                end: start + len,
            },
            _ => Children {
                tree: self.tree,
                next: 0,
                end: 0,
            },
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
        match self.slot().content {
            ContentSlot::Bytes(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// The string content, if the content is a token or packed string.
    pub fn text(&self) -> Option<&'t str> {
        match self.content() {
            ContentRef::Text(text) => Some(text),
            _ => None,
        }
    }

    /// This node and everything below it as an owned [`Node`]. Tags and keys that were tokens stay
    /// borrowed from the static dictionaries.
    pub fn to_owned(&self) -> Node {
        let tree = self.tree;
        let slot = self.slot();
        let attrs = self
            .attr_slots()
            .iter()
            .map(|attr| Attr {
                key: tree.cow(attr.key),
                value: tree.value(attr.value).to_owned(),
            })
            .collect();
        let content = match slot.content {
            ContentSlot::None => Content::None,
            ContentSlot::Nodes { .. } => {
                Content::Nodes(self.children().map(|child| child.to_owned()).collect())
            }
            ContentSlot::Bytes(bytes) => Content::Bytes(bytes.to_vec()),
            ContentSlot::Value(ValueSlot::Str(text)) => Content::Text(tree.cow(text)),
            ContentSlot::Value(ValueSlot::Jid(jid)) => Content::Jid(tree.jid(jid).to_owned()),
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
