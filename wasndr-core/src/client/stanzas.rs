//! The few stanzas the connection itself sends (transport guide D–E): IQ replies, keepalive pings,
//! acks, `<active/>`, dirty-clean, prekey count and upload, logout.
//!
//! Interim for the prekey and ack nodes: the messaging engineer's `crate::stanza` is to own every
//! messaging stanza builder; these move there (or call it) once it lands.

use crate::binary::Node;
use crate::jid::Jid;
use crate::signal::{IdentityKeyPair, PreKeyRecord, SignedPreKeyRecord};

/// The 3-byte big-endian form prekey ids travel in.
fn id3(id: u32) -> Vec<u8> {
    id.to_be_bytes()[1..].to_vec()
}

/// `<iq to=@s.whatsapp.net type=result id=ID/>`.
pub(crate) fn iq_result(id: &str) -> Node {
    Node::new("iq")
        .attr("to", Jid::server())
        .attr("type", "result")
        .attr("id", id.to_owned())
}

/// `<iq to=@s.whatsapp.net type=error id=ID><error code text/></iq>`.
pub(crate) fn iq_error(id: &str, code: &'static str, text: &'static str) -> Node {
    Node::new("iq")
        .attr("to", Jid::server())
        .attr("type", "error")
        .attr("id", id.to_owned())
        .children([Node::new("error").attr("code", code).attr("text", text)])
}

/// A server-addressed iq without an id (the sender assigns one).
fn server_iq(xmlns: &'static str, kind: &'static str) -> Node {
    Node::new("iq")
        .attr("to", Jid::server())
        .attr("type", kind)
        .attr("xmlns", xmlns)
}

/// Keepalive `<iq xmlns=w:p type=get><ping/></iq>` (E.4).
pub(crate) fn ping(id: String) -> Node {
    let mut node = server_iq("w:p", "get").children([Node::new("ping")]);
    node.set_attr("id", id);
    node
}

/// `<iq xmlns=passive type=set><active/></iq>`: switch from passive to active after login (E.2).
pub(crate) fn set_active() -> Node {
    server_iq("passive", "set").children([Node::new("active")])
}

/// `<iq xmlns=encrypt type=get><count/></iq>`: how many of our prekeys the server still holds.
pub(crate) fn prekey_count() -> Node {
    server_iq("encrypt", "get").children([Node::new("count")])
}

/// The prekey upload (E.3): registration id, key type, identity, the one-time prekeys, the signed prekey.
pub(crate) fn prekey_upload(
    registration_id: u32,
    identity: &IdentityKeyPair,
    prekeys: &[PreKeyRecord],
    signed: &SignedPreKeyRecord,
) -> Node {
    let keys = prekeys.iter().map(|prekey| {
        Node::new("key").children([
            Node::new("id").bytes(id3(prekey.id)),
            Node::new("value").bytes(prekey.key_pair.public.as_bytes().to_vec()),
        ])
    });
    server_iq("encrypt", "set").children([
        Node::new("registration").bytes(registration_id.to_be_bytes().to_vec()),
        Node::new("type").bytes(vec![crate::login::KEY_TYPE_DJB]),
        Node::new("identity").bytes(identity.public().as_bytes().to_vec()),
        Node::new("list").children(keys),
        Node::new("skey").children([
            Node::new("id").bytes(id3(signed.id)),
            Node::new("value").bytes(signed.key_pair.public.as_bytes().to_vec()),
            Node::new("signature").bytes(signed.signature.to_vec()),
        ]),
    ])
}

/// `<iq xmlns=urn:xmpp:whatsapp:dirty type=set><clean type=T [timestamp=TS]/></iq>` (E.7).
pub(crate) fn clean_dirty(kind: &str, timestamp: Option<&str>) -> Node {
    server_iq("urn:xmpp:whatsapp:dirty", "set").children([Node::new("clean")
        .attr("type", kind.to_owned())
        .attr_opt("timestamp", timestamp.map(str::to_owned))])
}

/// `<ib><offline_batch count=100/></ib>`: ask for the offline backlog in batches.
pub(crate) fn offline_batch() -> Node {
    Node::new("ib").children([Node::new("offline_batch").attr("count", "100")])
}

/// `<ack class=TAG id=ID to=FROM [participant] [type]/>` for a received stanza (E.7).
pub(crate) fn ack(received: &Node) -> Option<Node> {
    let id = received.attr_str("id")?;
    let from = received.attr_value("from")?.clone();
    let mut ack = Node::new("ack")
        .attr("class", received.tag.clone())
        .attr("id", id.to_owned())
        .attr("to", from);
    if let Some(participant) = received.attr_value("participant") {
        ack = ack.attr("participant", participant.clone());
    }
    if received.tag != "message"
        && let Some(kind) = received.attr_str("type")
    {
        ack = ack.attr("type", kind.to_owned());
    }
    Some(ack)
}

/// `<iq xmlns=md type=set><remove-companion-device jid=OURS reason=user_initiated/></iq>`: unlink
/// ourselves.
pub(crate) fn remove_companion_device(own: &Jid) -> Node {
    server_iq("md", "set").children([Node::new("remove-companion-device")
        .attr("jid", own.clone())
        .attr("reason", "user_initiated")])
}
