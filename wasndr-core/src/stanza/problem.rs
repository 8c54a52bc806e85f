//! What can be wrong with a peer's stanza.

/// The reason a stanza was refused by a parser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StanzaProblem {
    /// A required attribute is absent.
    MissingAttr(&'static str),
    /// An attribute is present but does not parse (a JID, a number, an enumerated value).
    InvalidAttr(&'static str),
    /// A required child node is absent.
    MissingChild(&'static str),
    /// A node's content has the wrong kind or length; names the node.
    InvalidContent(&'static str),
}

impl std::fmt::Display for StanzaProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StanzaProblem::MissingAttr(name) => write!(f, "missing attribute {name}"),
            StanzaProblem::InvalidAttr(name) => write!(f, "invalid attribute {name}"),
            StanzaProblem::MissingChild(tag) => write!(f, "missing child <{tag}>"),
            StanzaProblem::InvalidContent(tag) => write!(f, "invalid content of <{tag}>"),
        }
    }
}
