//! The owned node model and its builder: what the client and the simulator write.

use std::borrow::Cow;

use crate::jid::{Jid, JidRef};

/// An attribute value: a string or a typed JID. The encoder writes strings as strings and JIDs with the
/// JID tags; it never guesses that a string is a JID (transport guide B.4), so JID-valued attributes
/// (`to`, `from`, `jid`, `participant`, …) must be built from a [`Jid`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    /// A string (usually a literal, hence the `Cow`).
    Str(Cow<'static, str>),
    /// A JID.
    Jid(Jid),
}

/// One attribute of a [`Node`]. Attribute order carries no meaning on the wire, but it is kept so that
/// encoding is deterministic.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Attr {
    /// The key.
    pub key: Cow<'static, str>,
    /// The value.
    pub value: Value,
}

/// What a node holds after its attributes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Content {
    /// Nothing.
    #[default]
    None,
    /// Child nodes (possibly none: an empty list is written as LIST_EMPTY and read back as one).
    Nodes(Vec<Node>),
    /// Raw bytes (BINARY_8/20/32).
    Bytes(Vec<u8>),
    /// A string. Tokens and packable strings are read back as text; any other string travels as raw
    /// bytes and is read back as [`Content::Bytes`] (both reference decoders do the same).
    Text(Cow<'static, str>),
    /// A JID.
    Jid(Jid),
}

/// An owned binary node: `<tag attrs…>content</tag>`.
///
/// ```
/// use wasndr_core::binary::Node;
/// use wasndr_core::jid::Jid;
///
/// let ping = Node::new("iq")
///     .attr("id", "1234.5678-1")
///     .attr("to", Jid::server())
///     .attr("type", "get")
///     .attr("xmlns", "w:p")
///     .children([Node::new("ping")]);
/// assert_eq!(ping.to_string(), r#"<iq id="1234.5678-1" to=@s.whatsapp.net type="get" xmlns="w:p"><ping/></iq>"#);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Node {
    /// The tag (never empty on the wire).
    pub tag: Cow<'static, str>,
    /// The attributes, in wire order.
    pub attrs: Vec<Attr>,
    /// The content.
    pub content: Content,
}

impl Node {
    /// A node with this tag, no attributes and no content.
    pub fn new(tag: impl Into<Cow<'static, str>>) -> Node {
        Node {
            tag: tag.into(),
            attrs: Vec::new(),
            content: Content::None,
        }
    }

    /// Adds an attribute (builder style). Keys are not deduplicated: see [`Node::set_attr`].
    #[must_use]
    pub fn attr(mut self, key: impl Into<Cow<'static, str>>, value: impl Into<Value>) -> Node {
        self.attrs.push(Attr {
            key: key.into(),
            value: value.into(),
        });
        self
    }

    /// Adds an attribute when `value` is `Some` (builder style).
    #[must_use]
    pub fn attr_opt(self, key: impl Into<Cow<'static, str>>, value: Option<impl Into<Value>>) -> Node {
        match value {
            Some(value) => self.attr(key, value),
            None => self,
        }
    }

    /// Sets the child nodes (builder style).
    #[must_use]
    pub fn children(mut self, children: impl IntoIterator<Item = Node>) -> Node {
        self.content = Content::Nodes(children.into_iter().collect());
        self
    }

    /// Sets byte content (builder style).
    #[must_use]
    pub fn bytes(mut self, bytes: impl Into<Vec<u8>>) -> Node {
        self.content = Content::Bytes(bytes.into());
        self
    }

    /// Sets string content (builder style).
    #[must_use]
    pub fn text(mut self, text: impl Into<Cow<'static, str>>) -> Node {
        self.content = Content::Text(text.into());
        self
    }

    /// Replaces the value of `key`, or appends it if absent.
    pub fn set_attr(&mut self, key: impl Into<Cow<'static, str>>, value: impl Into<Value>) {
        let key = key.into();
        let value = value.into();
        match self.attrs.iter_mut().find(|attr| attr.key == key) {
            Some(attr) => attr.value = value,
            None => self.attrs.push(Attr { key, value }),
        }
    }

    /// Appends a child, turning empty content into a child list.
    pub fn push_child(&mut self, child: Node) {
        match &mut self.content {
            Content::Nodes(children) => children.push(child),
            other => *other = Content::Nodes(vec![child]),
        }
    }

    /// The value of the first attribute named `key`.
    pub fn attr_value(&self, key: &str) -> Option<&Value> {
        self.attrs
            .iter()
            .find(|attr| attr.key == key)
            .map(|attr| &attr.value)
    }

    /// The attribute `key` if it is a string.
    pub fn attr_str(&self, key: &str) -> Option<&str> {
        self.attr_value(key).and_then(Value::as_str)
    }

    /// The attribute `key` as a JID: a JID value, or a string that parses as one.
    pub fn attr_jid(&self, key: &str) -> Option<JidRef<'_>> {
        match self.attr_value(key)? {
            Value::Jid(jid) => Some(jid.as_ref()),
            Value::Str(text) => JidRef::parse(text).ok(),
        }
    }

    /// The child nodes (empty unless the content is a child list).
    pub fn child_nodes(&self) -> &[Node] {
        match &self.content {
            Content::Nodes(children) => children,
            _ => &[],
        }
    }

    /// The first child with this tag.
    pub fn child(&self, tag: &str) -> Option<&Node> {
        self.child_nodes().iter().find(|child| child.tag == tag)
    }

    /// Every child with this tag.
    pub fn children_with_tag<'n>(&'n self, tag: &'n str) -> impl Iterator<Item = &'n Node> + 'n {
        self.child_nodes().iter().filter(move |child| child.tag == tag)
    }

    /// The byte content, if the content is bytes.
    pub fn content_bytes(&self) -> Option<&[u8]> {
        match &self.content {
            Content::Bytes(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// The string content, if the content is a string.
    pub fn content_text(&self) -> Option<&str> {
        match &self.content {
            Content::Text(text) => Some(text),
            _ => None,
        }
    }
}

impl Value {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(text) => Some(text),
            Value::Jid(_) => None,
        }
    }

    /// The JID, if this is one.
    pub fn as_jid(&self) -> Option<&Jid> {
        match self {
            Value::Jid(jid) => Some(jid),
            Value::Str(_) => None,
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Str(text) => f.write_str(text),
            Value::Jid(jid) => jid.fmt(f),
        }
    }
}

impl From<&'static str> for Value {
    fn from(text: &'static str) -> Value {
        Value::Str(Cow::Borrowed(text))
    }
}

impl From<String> for Value {
    fn from(text: String) -> Value {
        Value::Str(Cow::Owned(text))
    }
}

impl From<&String> for Value {
    fn from(text: &String) -> Value {
        Value::Str(Cow::Owned(text.clone()))
    }
}

impl From<Cow<'static, str>> for Value {
    fn from(text: Cow<'static, str>) -> Value {
        Value::Str(text)
    }
}

impl From<Jid> for Value {
    fn from(jid: Jid) -> Value {
        Value::Jid(jid)
    }
}

impl From<&Jid> for Value {
    fn from(jid: &Jid) -> Value {
        Value::Jid(jid.clone())
    }
}

impl From<JidRef<'_>> for Value {
    fn from(jid: JidRef<'_>) -> Value {
        Value::Jid(jid.to_owned())
    }
}

impl From<bool> for Value {
    fn from(flag: bool) -> Value {
        Value::Str(Cow::Borrowed(if flag { "true" } else { "false" }))
    }
}

macro_rules! value_from_integer {
    ($($int:ty),*) => {$(
        impl From<$int> for Value {
            fn from(number: $int) -> Value {
                Value::Str(Cow::Owned(number.to_string()))
            }
        }
    )*};
}
value_from_integer!(u8, u16, u32, u64, usize, i32, i64);
