//! What the decoder found wrong, carried by `Error::MalformedNode` with the byte offset.

use crate::jid::Server;

/// The problem inside a malformed frame payload or node body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeProblem {
    /// The frame payload has no flags byte.
    EmptyPayload,
    /// The input ended inside an item.
    Truncated,
    /// Tag bytes 240–244 are unassigned.
    UnassignedTag(u8),
    /// A node must start with LIST_8 or LIST_16; this byte is neither.
    NotANode(u8),
    /// A node's list header announced zero items (or was LIST_EMPTY).
    EmptyNode,
    /// A node's tag decoded to the empty string.
    EmptyTag,
    /// A JID tag where the tag, an attribute key, a JID's user or a JID's server must be a string.
    JidWhereStringExpected,
    /// A list where a string or value was expected.
    ListWhereStringExpected,
    /// A NIBBLE_8 nibble of 12, 13 or 14.
    InvalidNibble(u8),
    /// The padding nibble 15 before the end of a NIBBLE_8 string.
    PaddingInsidePackedString,
    /// A packed string with the odd-length flag but no bytes.
    OddEmptyPackedString,
    /// Raw bytes used as a string (tag, key, attribute value, JID part) are not UTF-8.
    NotUtf8,
    /// A JID_PAIR whose server is empty.
    JidWithoutServer,
    /// An FB_JID or INTEROP_JID whose server is not the one its tag implies.
    WrongJidServer(Server),
    /// A list claims more items than the remaining input could hold (each node takes at least 3 bytes,
    /// each attribute 2).
    OversizedList {
        /// Items the header claims.
        claimed: usize,
        /// Bytes left in the input.
        remaining: usize,
    },
    /// Nodes nested deeper than [`MAX_DEPTH`](super::MAX_DEPTH).
    TooDeep,
    /// Bytes left after the root node.
    TrailingBytes(usize),
    /// The node body is larger than [`MAX_BODY_LEN`](super::MAX_BODY_LEN).
    BodyTooLarge,
    /// The compressed body is not a valid zlib stream (RFC 1950), or is followed by other bytes.
    BadZlib,
    /// The compressed body inflates to more than the limit.
    InflatedTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

impl std::fmt::Display for DecodeProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeProblem::EmptyPayload => f.write_str("empty frame payload (no flags byte)"),
            DecodeProblem::Truncated => f.write_str("input ends inside an item"),
            DecodeProblem::UnassignedTag(tag) => write!(f, "unassigned tag byte {tag}"),
            DecodeProblem::NotANode(tag) => write!(f, "tag byte {tag} cannot start a node (expected a list)"),
            DecodeProblem::EmptyNode => f.write_str("node with an empty list header"),
            DecodeProblem::EmptyTag => f.write_str("node with an empty tag"),
            DecodeProblem::JidWhereStringExpected => f.write_str("JID where a string is required"),
            DecodeProblem::ListWhereStringExpected => f.write_str("list where a string or value is required"),
            DecodeProblem::InvalidNibble(nibble) => write!(f, "invalid nibble {nibble} in a packed number"),
            DecodeProblem::PaddingInsidePackedString => f.write_str("padding nibble inside a packed string"),
            DecodeProblem::OddEmptyPackedString => f.write_str("packed string flagged odd with no bytes"),
            DecodeProblem::NotUtf8 => f.write_str("string bytes are not UTF-8"),
            DecodeProblem::JidWithoutServer => f.write_str("JID without a server"),
            DecodeProblem::WrongJidServer(server) => write!(f, "this JID tag requires server {server}"),
            DecodeProblem::OversizedList { claimed, remaining } => {
                write!(f, "list claims {claimed} items but only {remaining} bytes remain")
            }
            DecodeProblem::TooDeep => write!(f, "nodes nested deeper than {}", super::MAX_DEPTH),
            DecodeProblem::TrailingBytes(count) => write!(f, "{count} bytes after the root node"),
            DecodeProblem::BodyTooLarge => write!(f, "node body larger than {} bytes", super::MAX_BODY_LEN),
            DecodeProblem::BadZlib => f.write_str("compressed body is not one complete zlib stream"),
            DecodeProblem::InflatedTooLarge { limit } => {
                write!(f, "compressed body inflates past {limit} bytes")
            }
        }
    }
}
