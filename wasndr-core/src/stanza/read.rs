//! Reading peer nodes with typed errors instead of panics.

use crate::binary::{ContentRef, NodeRef};
use crate::error::{Error, Result};
use crate::jid::Jid;

use super::StanzaProblem;

/// A node being parsed as part of the stanza named `stanza` (which errors report).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reader<'t> {
    pub(crate) node: NodeRef<'t>,
    stanza: &'static str,
}

impl<'t> Reader<'t> {
    /// Reads `node`, which must have tag `tag`; `tag` also names the stanza in errors.
    pub(crate) fn expect(node: NodeRef<'t>, tag: &'static str) -> Result<Reader<'t>> {
        if node.tag() != tag {
            return Err(Error::UnexpectedStanza {
                expected: tag,
                received: node.tag().to_owned(),
            });
        }
        Ok(Reader { node, stanza: tag })
    }

    /// Reads `node` whatever its tag, naming it `stanza` in errors.
    pub(crate) fn any(node: NodeRef<'t>, stanza: &'static str) -> Reader<'t> {
        Reader { node, stanza }
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
        if self.node.attr(key).is_none() {
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
            None if self.node.attr(key).is_none() => Ok(None),
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

    pub(crate) fn opt_child(&self, tag: &str) -> Option<Reader<'t>> {
        self.node.child(tag).map(|node| Reader {
            node,
            stanza: self.stanza,
        })
    }

    pub(crate) fn child(&self, tag: &'static str) -> Result<Reader<'t>> {
        self.opt_child(tag)
            .ok_or_else(|| self.fail(StanzaProblem::MissingChild(tag)))
    }

    pub(crate) fn children(&self) -> impl Iterator<Item = Reader<'t>> + 't {
        let stanza = self.stanza;
        self.node.children().map(move |node| Reader { node, stanza })
    }

    pub(crate) fn children_with_tag<'k>(&self, tag: &'k str) -> impl Iterator<Item = Reader<'t>> + 'k
    where
        't: 'k,
    {
        let stanza = self.stanza;
        self.node
            .children_with_tag(tag)
            .map(move |node| Reader { node, stanza })
    }

    /// Byte content (text content counts as its UTF-8 bytes); `tag` names the node in errors.
    pub(crate) fn bytes(&self, tag: &'static str) -> Result<&'t [u8]> {
        match self.node.content() {
            ContentRef::Bytes(bytes) => Ok(bytes),
            ContentRef::Text(text) => Ok(text.as_bytes()),
            _ => Err(self.fail(StanzaProblem::InvalidContent(tag))),
        }
    }

    /// Text content: a token or packed string, or UTF-8 bytes.
    pub(crate) fn text(&self, tag: &'static str) -> Result<&'t str> {
        match self.node.content() {
            ContentRef::Text(text) => Ok(text),
            ContentRef::Bytes(bytes) => {
                std::str::from_utf8(bytes).map_err(|_| self.fail(StanzaProblem::InvalidContent(tag)))
            }
            _ => Err(self.fail(StanzaProblem::InvalidContent(tag))),
        }
    }

    /// Free text chosen by a person (a subject, a description): invalid UTF-8 is replaced rather than
    /// refused, and no content reads as empty.
    pub(crate) fn text_lossy(&self) -> String {
        match self.node.content() {
            ContentRef::Text(text) => text.to_owned(),
            ContentRef::Bytes(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            _ => String::new(),
        }
    }

    /// Byte content of exactly `N` bytes.
    pub(crate) fn fixed<const N: usize>(&self, tag: &'static str) -> Result<[u8; N]> {
        self.bytes(tag)?
            .try_into()
            .map_err(|_| self.fail(StanzaProblem::InvalidContent(tag)))
    }
}
