//! The IQ envelope (messaging guide 0): requests are built here, ids and correlation are the caller's.

use crate::binary::Node;
use crate::error::{Error, Result};
use crate::jid::Jid;

use super::read::{NodeView, Reader};

/// `get` or `set`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IqType {
    /// A query.
    Get,
    /// A change.
    Set,
}

impl IqType {
    /// The attribute value.
    pub const fn as_str(self) -> &'static str {
        match self {
            IqType::Get => "get",
            IqType::Set => "set",
        }
    }
}

/// An IQ request without its id: `<iq xmlns type to [target]>content</iq>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Iq {
    /// The namespace (`usync`, `encrypt`, `w:g2`, `w:m`, …).
    pub xmlns: &'static str,
    /// Get or set.
    pub iq_type: IqType,
    /// Where it goes: the server, a group, or `@g.us`.
    pub to: Jid,
    /// The `target` attribute some namespaces use.
    pub target: Option<Jid>,
    /// The child nodes.
    pub content: Vec<Node>,
}

impl Iq {
    /// An IQ to `to` with one child.
    pub fn new(xmlns: &'static str, iq_type: IqType, to: Jid, child: Node) -> Iq {
        Iq {
            xmlns,
            iq_type,
            to,
            target: None,
            content: vec![child],
        }
    }

    /// The node to send, with the request id the caller correlates the reply by (see also the
    /// `From<Iq> for Node` form without an id, for a sender that assigns ids itself). A bare server `to`
    /// (`s.whatsapp.net`, `g.us`) is written as its name, a one-byte token, as Baileys does; whatsmeow
    /// writes the same address as an empty-user JID, and the server takes both.
    pub fn into_node(self, id: impl Into<String>) -> Node {
        let to: crate::binary::Value = if self.to.is_bare_server() {
            self.to.server_kind().as_str().into()
        } else {
            self.to.into()
        };
        Node::new("iq")
            .attr("id", id.into())
            .attr_opt("target", self.target)
            .attr("to", to)
            .attr("type", self.iq_type.as_str())
            .attr("xmlns", self.xmlns)
            .children(self.content)
    }
}

/// The node without an `id`, for a sender that assigns one (the Client's `send_iq` does).
impl From<Iq> for Node {
    fn from(iq: Iq) -> Node {
        let mut node = iq.into_node(String::new());
        node.attrs.retain(|attr| attr.key != "id");
        node
    }
}

/// Checks a reply: `type="result"` gives the `<iq>` back for the operation's parser;
/// `type="error"` gives [`Error::IqError`] with the `<error code text>` child.
pub fn iq_result<'t, N: NodeView<'t>>(node: N) -> Result<N> {
    let iq = Reader::expect(node, "iq")?;
    match iq.str("type")? {
        "result" => Ok(node),
        "error" => {
            let error = iq.child("error")?;
            let code = match error.opt_u32("code")? {
                Some(code) => {
                    u16::try_from(code).map_err(|_| error.fail(super::StanzaProblem::InvalidAttr("code")))?
                }
                None => 0,
            };
            Err(Error::IqError {
                code,
                text: error.opt_string("text").unwrap_or_default(),
            })
        }
        _ => Err(iq.fail(super::StanzaProblem::InvalidAttr("type"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary;

    #[test]
    fn envelope_and_errors() {
        let node = Iq::new("w:p", IqType::Get, Jid::server(), Node::new("ping")).into_node("1234.5678-1");
        // The vector `stanza_iq_ping` of binary-node.json.
        assert_eq!(
            hex::encode(binary::encode(&node).unwrap()),
            "00f80a1908ff861234b5678a1f110304291657f801f80156"
        );
        let without_id = Node::from(Iq::new("w:p", IqType::Get, Jid::server(), Node::new("ping")));
        assert_eq!(without_id.attr_str("id"), None);
        assert_eq!(without_id.attr_str("xmlns"), Some("w:p"));
        let error = Node::new("iq")
            .attr("id", "1")
            .attr("type", "error")
            .children([Node::new("error")
                .attr("code", "404")
                .attr("text", "item-not-found")]);
        let bytes = binary::encode(&error).unwrap();
        let tree = binary::decode_node(&bytes[1..]).unwrap();
        assert_eq!(
            iq_result(tree.root()).unwrap_err(),
            Error::IqError {
                code: 404,
                text: "item-not-found".into()
            }
        );
    }
}
