//! The binary node codec ("WABinary"): the XML-like stanzas of the WhatsApp Web protocol in their
//! compact binary form (transport guide, section B).
//!
//! - [`Node`] is the owned, buildable form; [`encode`] writes it as a frame payload (flags byte `00` +
//!   node).
//! - [`unpack`] strips a received payload's flags byte (inflating zlib bodies, with a size cap), and
//!   [`decode_node`] reads the body into a [`Decoded`] tree: flat arrays with copyable [`NodeRef`]
//!   handles. Tokens point into the static dictionaries, byte content borrows the input, and other text
//!   is copied once into the tree's arena. [`decode_owned`] does both steps and returns an owned [`Node`].
//! - Decoding never panics, never allocates more than the input can hold, and stops at [`MAX_DEPTH`];
//!   every failure is `Error::MalformedNode` with the byte offset and a [`DecodeProblem`].
//! - Attribute values are strings or typed JIDs ([`Value`]): the encoder never guesses a JID from text,
//!   and a JID tag decodes as a JID.
//!
//! ```
//! use wasndr_core::binary::{self, Node};
//! use wasndr_core::jid::Jid;
//!
//! let node = Node::new("iq").attr("id", "1.2-3").attr("to", Jid::server()).attr("type", "get")
//!     .attr("xmlns", "w:p").children([Node::new("ping")]);
//! let payload = binary::encode(&node)?;
//! assert_eq!(payload[..3], [0x00, 0xF8, 0x0A]);
//!
//! let body = binary::unpack(&payload)?;
//! let tree = binary::decode_node(&body)?;
//! let iq = tree.root();
//! assert_eq!(iq.attr_str("type"), Some("get"));
//! assert_eq!(iq.attr_jid("to").map(|jid| jid.to_string()).as_deref(), Some("@s.whatsapp.net"));
//! assert!(iq.child("ping").is_some());
//! assert_eq!(iq.to_owned(), node);
//! # Ok::<(), wasndr_core::Error>(())
//! ```

mod decoder;
mod encoder;
mod frame;
mod node;
mod node_ref;
mod packed;
mod problem;
mod reader;
mod render;
pub mod tags;
mod tokens;

pub use decoder::{MAX_BODY_LEN, MAX_DEPTH, decode_node};
pub use encoder::{encode, encode_into};
pub use frame::{MAX_INFLATED_LEN, decode_owned, unpack, unpack_with_limit};
pub use node::{Attr, Content, Node, Value};
pub use node_ref::{Children, ContentRef, Decoded, NodeRef, ValueRef};
pub use problem::DecodeProblem;
pub use render::BYTES_SHOWN;
pub use tokens::{DICT_VERSION, Token, double_byte_token, single_byte_token, token_index};

#[cfg(test)]
mod tests;
