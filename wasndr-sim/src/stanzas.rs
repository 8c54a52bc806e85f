//! Small server stanzas used all over the simulator.

use wasndr_core::binary::{Node, Value};
use wasndr_core::jid::Jid;

/// `<failure reason=N/>`, the answer to a refused login (E.1).
pub(crate) fn failure(reason: u16) -> Node {
    Node::new("failure").attr("reason", reason.to_string())
}

/// `<stream:error code=N/>`.
pub(crate) fn stream_error(code: u16) -> Node {
    Node::new("stream:error").attr("code", code.to_string())
}

/// `<iq from=FROM id=ID type=result>children</iq>`.
pub(crate) fn iq_result(id: &str, from: Value, children: Vec<Node>) -> Node {
    let node = Node::new("iq")
        .attr("from", from)
        .attr("id", id.to_owned())
        .attr("type", "result");
    if children.is_empty() {
        node
    } else {
        node.children(children)
    }
}

/// `<iq from=FROM id=ID type=error><error code text/></iq>`.
pub(crate) fn iq_error(id: &str, from: Value, code: u16, text: &'static str) -> Node {
    Node::new("iq")
        .attr("from", from)
        .attr("id", id.to_owned())
        .attr("type", "error")
        .children([Node::new("error")
            .attr("code", code.to_string())
            .attr("text", text)])
}

/// The bare server JID as an attribute value.
pub(crate) fn server() -> Value {
    Value::Jid(Jid::server())
}

/// A 3-byte big-endian id (prekey ids on the wire).
pub(crate) fn u24(id: u32) -> Vec<u8> {
    id.to_be_bytes()[1..].to_vec()
}

/// Reads a big-endian id of up to 4 bytes.
pub(crate) fn be_id(bytes: &[u8]) -> Option<u32> {
    (bytes.len() <= 4).then(|| bytes.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
}

/// A message or stanza id in the format clients use (`3EB0` + 18 hex digits).
pub(crate) fn message_id() -> String {
    use rand::Rng;
    let mut bytes = [0u8; 9];
    crate::shared::rng().fill_bytes(&mut bytes);
    format!("3EB0{}", hex::encode_upper(bytes))
}
