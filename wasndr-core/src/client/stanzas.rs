//! The stanzas of the connection itself (transport guide D–E): the pairing error reply, keepalive
//! pings, `<active/>`, dirty-clean, the offline batch request and logout. Messaging stanzas (prekey
//! count and upload, acks, …) are [`crate::stanza`]'s; pairing stanzas are [`crate::pair::stanza`]'s.

use crate::binary::Node;
use crate::jid::Jid;
use crate::stanza::{Iq, IqType};

/// `<iq to=@s.whatsapp.net type=error id=ID><error code text/></iq>`.
pub(crate) fn iq_error(id: &str, code: &'static str, text: &'static str) -> Node {
    Node::new("iq")
        .attr("to", Jid::server())
        .attr("type", "error")
        .attr("id", id.to_owned())
        .children([Node::new("error").attr("code", code).attr("text", text)])
}

/// Keepalive `<iq xmlns=w:p type=get><ping/></iq>` (E.4).
pub(crate) fn ping(id: String) -> Node {
    Iq::new("w:p", IqType::Get, Jid::server(), Node::new("ping")).into_node(id)
}

/// `<iq xmlns=passive type=set><active/></iq>`: switch from passive to active after login (E.2).
pub(crate) fn set_active() -> Node {
    Iq::new("passive", IqType::Set, Jid::server(), Node::new("active")).into()
}

/// `<iq xmlns=urn:xmpp:whatsapp:dirty type=set><clean type=T [timestamp=TS]/></iq>` (E.7).
pub(crate) fn clean_dirty(kind: &str, timestamp: Option<&str>) -> Node {
    let clean = Node::new("clean")
        .attr("type", kind.to_owned())
        .attr_opt("timestamp", timestamp.map(str::to_owned));
    Iq::new("urn:xmpp:whatsapp:dirty", IqType::Set, Jid::server(), clean).into()
}

/// `<ib><offline_batch count=100/></ib>`: ask for the offline backlog in batches.
pub(crate) fn offline_batch() -> Node {
    Node::new("ib").children([Node::new("offline_batch").attr("count", "100")])
}

/// `<iq xmlns=md type=set><remove-companion-device jid=OURS reason=user_initiated/></iq>`: unlink
/// ourselves.
pub(crate) fn remove_companion_device(own: &Jid) -> Node {
    let remove = Node::new("remove-companion-device")
        .attr("jid", own.clone())
        .attr("reason", "user_initiated");
    Iq::new("md", IqType::Set, Jid::server(), remove).into()
}
