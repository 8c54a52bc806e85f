//! Reading peer nodes with typed errors instead of panics, over either node form.

use crate::binary::{Content, ContentRef, Node, NodeRef};
use crate::error::{Error, Result};
use crate::jid::{Jid, JidRef};

use super::StanzaProblem;

mod sealed {
    pub trait Sealed {}
    impl Sealed for &crate::binary::Node {}
    impl Sealed for crate::binary::NodeRef<'_> {}
}

/// A received node the parsers read: a borrowed [`NodeRef`] of a decoded tree (the fast path), or an
/// owned [`Node`] (what `decode_owned` gives). Implemented for both, and only for them.
pub trait NodeView<'t>: Copy + sealed::Sealed {
    /// The tag.
    fn tag(self) -> &'t str;
    /// Whether attribute `key` is present, whatever its kind.
    fn has_attr(self, key: &str) -> bool;
    /// Attribute `key` if it is a string.
    fn attr_str(self, key: &str) -> Option<&'t str>;
    /// Attribute `key` as a JID (a JID value, or a string that parses as one).
    fn attr_jid(self, key: &str) -> Option<JidRef<'t>>;
    /// The byte or text content.
    fn payload(self) -> Payload<'t>;
    /// The child nodes.
    fn child_views(self) -> impl Iterator<Item = Self> + 't;
}

/// A node's content as the parsers see it.
#[derive(Clone, Copy, Debug)]
pub enum Payload<'t> {
    /// No content, or child nodes.
    None,
    /// Raw bytes.
    Bytes(&'t [u8]),
    /// A token or packed string.
    Text(&'t str),
    /// A JID.
    Jid,
}

impl<'t> NodeView<'t> for NodeRef<'t> {
    fn tag(self) -> &'t str {
        NodeRef::tag(&self)
    }
    fn has_attr(self, key: &str) -> bool {
        self.attr(key).is_some()
    }
    fn attr_str(self, key: &str) -> Option<&'t str> {
        NodeRef::attr_str(&self, key)
    }
    fn attr_jid(self, key: &str) -> Option<JidRef<'t>> {
        NodeRef::attr_jid(&self, key)
    }
    fn payload(self) -> Payload<'t> {
        match self.content() {
            ContentRef::Bytes(bytes) => Payload::Bytes(bytes),
            ContentRef::Text(text) => Payload::Text(text),
            ContentRef::Jid(_) => Payload::Jid,
            ContentRef::None | ContentRef::Nodes(_) => Payload::None,
        }
    }
    fn child_views(self) -> impl Iterator<Item = Self> + 't {
        self.children()
    }
}

impl<'t> NodeView<'t> for &'t Node {
    fn tag(self) -> &'t str {
        &self.tag
    }
    fn has_attr(self, key: &str) -> bool {
        self.attr_value(key).is_some()
    }
    fn attr_str(self, key: &str) -> Option<&'t str> {
        Node::attr_str(self, key)
    }
    fn attr_jid(self, key: &str) -> Option<JidRef<'t>> {
        Node::attr_jid(self, key)
    }
    fn payload(self) -> Payload<'t> {
        match &self.content {
            Content::Bytes(bytes) => Payload::Bytes(bytes),
            Content::Text(text) => Payload::Text(text),
            Content::Jid(_) => Payload::Jid,
            Content::None | Content::Nodes(_) => Payload::None,
        }
    }
    fn child_views(self) -> impl Iterator<Item = Self> + 't {
        self.child_nodes().iter()
    }
}

/// A node being parsed as part of the stanza named `stanza` (which errors report).
#[derive(Clone, Copy)]
pub(crate) struct Reader<'t, N: NodeView<'t>> {
    pub(crate) node: N,
    stanza: &'static str,
    _tree: std::marker::PhantomData<&'t ()>,
}

impl<'t, N: NodeView<'t>> Reader<'t, N> {
    /// Reads `node`, which must have tag `tag`; `tag` also names the stanza in errors.
    pub(crate) fn expect(node: N, tag: &'static str) -> Result<Reader<'t, N>> {
        if node.tag() != tag {
            return Err(Error::UnexpectedStanza {
                expected: tag,
                received: node.tag().to_owned(),
            });
        }
        Ok(Reader::any(node, tag))
    }

    /// Reads `node` whatever its tag, naming it `stanza` in errors.
    pub(crate) fn any(node: N, stanza: &'static str) -> Reader<'t, N> {
        Reader {
            node,
            stanza,
            _tree: std::marker::PhantomData,
        }
    }

    pub(crate) fn fail(&self, problem: StanzaProblem) -> Error {
        Error::MalformedStanza {
            stanza: self.stanza,
            problem,
        }
    }

    pub(crate) fn tag(&self) -> &'t str {
        self.node.tag()
    }

    /// A string attribute; a JID-valued one reads as its text form.
    pub(crate) fn opt_str(&self, key: &'static str) -> Option<&'t str> {
        self.node.attr_str(key)
    }

    pub(crate) fn str(&self, key: &'static str) -> Result<&'t str> {
        self.opt_str(key)
            .ok_or_else(|| self.fail(StanzaProblem::MissingAttr(key)))
    }

    pub(crate) fn opt_string(&self, key: &'static str) -> Option<String> {
        self.opt_str(key).map(str::to_owned)
    }

    /// A JID attribute; absent is `None`, present but unparsable is an error.
    pub(crate) fn opt_jid(&self, key: &'static str) -> Result<Option<Jid>> {
        if !self.node.has_attr(key) {
            return Ok(None);
        }
        self.node
            .attr_jid(key)
            .map(|jid| Some(jid.to_owned()))
            .ok_or_else(|| self.fail(StanzaProblem::InvalidAttr(key)))
    }

    pub(crate) fn jid(&self, key: &'static str) -> Result<Jid> {
        self.opt_jid(key)?
            .ok_or_else(|| self.fail(StanzaProblem::MissingAttr(key)))
    }

    pub(crate) fn opt_u64(&self, key: &'static str) -> Result<Option<u64>> {
        match self.opt_str(key) {
            None if !self.node.has_attr(key) => Ok(None),
            None => Err(self.fail(StanzaProblem::InvalidAttr(key))),
            Some(text) => text
                .parse()
                .map(Some)
                .map_err(|_| self.fail(StanzaProblem::InvalidAttr(key))),
        }
    }

    pub(crate) fn u64(&self, key: &'static str) -> Result<u64> {
        self.opt_u64(key)?
            .ok_or_else(|| self.fail(StanzaProblem::MissingAttr(key)))
    }

    pub(crate) fn opt_u32(&self, key: &'static str) -> Result<Option<u32>> {
        match self.opt_u64(key)? {
            None => Ok(None),
            Some(value) => u32::try_from(value)
                .map(Some)
                .map_err(|_| self.fail(StanzaProblem::InvalidAttr(key))),
        }
    }

    pub(crate) fn u32(&self, key: &'static str) -> Result<u32> {
        self.opt_u32(key)?
            .ok_or_else(|| self.fail(StanzaProblem::MissingAttr(key)))
    }

    /// A boolean attribute written `true`/`false`; absent is false.
    pub(crate) fn flag(&self, key: &'static str) -> bool {
        self.opt_str(key) == Some("true")
    }

    pub(crate) fn has_attr(&self, key: &str) -> bool {
        self.node.has_attr(key)
    }

    pub(crate) fn opt_child(&self, tag: &str) -> Option<Reader<'t, N>> {
        self.children().find(|child| child.tag() == tag)
    }

    pub(crate) fn child(&self, tag: &'static str) -> Result<Reader<'t, N>> {
        self.opt_child(tag)
            .ok_or_else(|| self.fail(StanzaProblem::MissingChild(tag)))
    }

    pub(crate) fn children(&self) -> impl Iterator<Item = Reader<'t, N>> + 't {
        let stanza = self.stanza;
        self.node.child_views().map(move |node| Reader::any(node, stanza))
    }

    pub(crate) fn children_with_tag<'k>(&self, tag: &'k str) -> impl Iterator<Item = Reader<'t, N>> + 'k
    where
        't: 'k,
    {
        self.children().filter(move |child| child.tag() == tag)
    }

    /// Whether the node has no byte or text content.
    pub(crate) fn is_empty(&self) -> bool {
        matches!(self.node.payload(), Payload::None)
    }

    /// Byte content (text content counts as its UTF-8 bytes); `tag` names the node in errors.
    pub(crate) fn bytes(&self, tag: &'static str) -> Result<&'t [u8]> {
        match self.node.payload() {
            Payload::Bytes(bytes) => Ok(bytes),
            Payload::Text(text) => Ok(text.as_bytes()),
            _ => Err(self.fail(StanzaProblem::InvalidContent(tag))),
        }
    }

    /// Text content: a token or packed string, or UTF-8 bytes.
    pub(crate) fn text(&self, tag: &'static str) -> Result<&'t str> {
        match self.node.payload() {
            Payload::Text(text) => Ok(text),
            Payload::Bytes(bytes) => {
                std::str::from_utf8(bytes).map_err(|_| self.fail(StanzaProblem::InvalidContent(tag)))
            }
            _ => Err(self.fail(StanzaProblem::InvalidContent(tag))),
        }
    }

    /// Free text chosen by a person (a subject, a description): invalid UTF-8 is replaced rather than
    /// refused, and no content reads as empty.
    pub(crate) fn text_lossy(&self) -> String {
        match self.node.payload() {
            Payload::Text(text) => text.to_owned(),
            Payload::Bytes(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            _ => String::new(),
        }
    }

    /// Byte content of exactly `LEN` bytes.
    pub(crate) fn fixed<const LEN: usize>(&self, tag: &'static str) -> Result<[u8; LEN]> {
        self.bytes(tag)?
            .try_into()
            .map_err(|_| self.fail(StanzaProblem::InvalidContent(tag)))
    }
}
