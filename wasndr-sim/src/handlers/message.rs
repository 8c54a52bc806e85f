//! Message routing (messaging guide D.6, D.8, E.1): a sender's `<message>` carries one `<enc>` per target
//! device inside `<participants>` (and, for groups, one shared `skmsg`); each target device gets a
//! stanza with only its own `enc`, now or from its offline queue, and the sender gets a server ack.

use wasndr_core::binary::{Content, Node};
use wasndr_core::jid::Jid;

use crate::network::{DeviceId, Network, Outbound, Outbox};
use crate::shared::{Shared, unix_now};

/// Routes `node`, sent by `sender`; acks it on `ack_to` (the sender's connection; virtual phones pass
/// `None`).
pub(crate) fn route(shared: &Shared, sender: &DeviceId, node: &Node, ack_to: Option<&Outbox>) {
    let Some(id) = node.attr_str("id").map(str::to_owned) else {
        return;
    };
    let Some(to) = node.attr_jid("to").map(|jid| jid.to_owned()) else {
        return;
    };
    let t = unix_now();
    let mut net = shared.net();
    let error = if to.is_group() {
        route_group(&mut net, sender, node, &to, t)
    } else {
        route_direct(&mut net, sender, node, &to, t)
    };
    if let Some(outbox) = ack_to {
        let ack = Node::new("ack")
            .attr("class", "message")
            .attr("id", id)
            .attr("from", to)
            .attr("t", t.to_string())
            .attr_opt("error", error.map(|code: u16| code.to_string()));
        let _ = outbox.send(Outbound::Node(ack));
    }
}

/// The per-device `enc` children of `<participants>`, resolved to simulator devices. A stanza without
/// `<participants>` is a resend to one device (the answer to a retry receipt): its direct `enc`s go to
/// the `participant` in a group, else to the `to` device.
fn addressed_encs(net: &Network, node: &Node) -> Vec<(DeviceId, Vec<Node>)> {
    let mut out = Vec::new();
    let Some(participants) = node.child("participants") else {
        let target = node
            .attr_jid("participant")
            .or_else(|| node.attr_jid("to"))
            .map(|jid| jid.to_owned());
        if let Some(target) = target.filter(|jid| !jid.is_group())
            && let Some(phone) = net.account_of(&target)
        {
            let encs: Vec<Node> = node
                .children_with_tag("enc")
                .filter(|enc| enc.attr_str("type") != Some("skmsg"))
                .cloned()
                .collect();
            out.push(((phone.to_owned(), target.device()), encs));
        }
        return out;
    };
    for to in participants.children_with_tag("to") {
        let Some(jid) = to.attr_jid("jid").map(|jid| jid.to_owned()) else {
            continue;
        };
        let Some(phone) = net.account_of(&jid) else {
            continue;
        };
        let encs = to.children_with_tag("enc").cloned().collect();
        out.push(((phone.to_owned(), jid.device()), encs));
    }
    out
}

/// Attributes every delivered copy keeps from the original.
fn copied_attrs(original: &Node, mut out: Node) -> Node {
    for key in ["type", "edit", "category", "mediatype"] {
        if let Some(value) = original.attr_value(key) {
            out.set_attr(key, value.clone());
        }
    }
    out
}

fn push_name(net: &Network, sender: &DeviceId) -> Option<String> {
    net.accounts
        .get(&sender.0)?
        .devices
        .get(&sender.1)?
        .push_name
        .clone()
}

fn route_direct(net: &mut Network, sender: &DeviceId, node: &Node, to: &Jid, t: u64) -> Option<u16> {
    net.account_of(to)?;
    let from = Network::device_jid(&sender.0, sender.1);
    let id = node.attr_str("id").unwrap_or_default().to_owned();
    let identity = node.child("device-identity").cloned();
    let notify = push_name(net, sender);
    for (device, encs) in addressed_encs(net, node) {
        if device == *sender || encs.is_empty() {
            continue;
        }
        let mut out = Node::new("message")
            .attr("from", from.clone())
            .attr("id", id.clone())
            .attr("t", t.to_string());
        out = copied_attrs(node, out);
        if device.0 == sender.0 {
            // A copy for the sender's own other device names the chat (a resend names it itself).
            let chat = node
                .attr_jid("recipient")
                .map_or_else(|| to.to_non_ad(), |jid| jid.to_owned());
            out.set_attr("recipient", chat);
        }
        if let Some(name) = &notify {
            out.set_attr("notify", name.clone());
        }
        let mut children = encs;
        if let Some(identity) = &identity {
            children.push(identity.clone());
        }
        out.content = Content::Nodes(children);
        net.deliver(&device, out);
    }
    None
}

fn route_group(net: &mut Network, sender: &DeviceId, node: &Node, to: &Jid, t: u64) -> Option<u16> {
    let group = net.groups.get(to.user())?;
    if group.role_of(&sender.0).is_none() {
        return Some(403);
    }
    let members: Vec<String> = group
        .participants
        .iter()
        .map(|(phone, _)| phone.clone())
        .collect();
    let addressed = addressed_encs(net, node);
    let skmsg = node
        .children_with_tag("enc")
        .find(|enc| enc.attr_str("type") == Some("skmsg"))
        .cloned();
    let identity = node.child("device-identity").cloned();
    let id = node.attr_str("id").unwrap_or_default().to_owned();
    let participant = Network::device_jid(&sender.0, sender.1);
    let notify = push_name(net, sender);
    for phone in members {
        for device in net.devices_of(&phone) {
            if device == *sender {
                continue;
            }
            let mut children: Vec<Node> = addressed
                .iter()
                .filter(|(target, _)| *target == device)
                .flat_map(|(_, encs)| encs.iter().cloned())
                .collect();
            let pairwise = !children.is_empty();
            if let Some(skmsg) = &skmsg {
                children.push(skmsg.clone());
            }
            if children.is_empty() {
                continue;
            }
            if pairwise && let Some(identity) = &identity {
                children.push(identity.clone());
            }
            let mut out = Node::new("message")
                .attr("from", to.clone())
                .attr("participant", participant.clone())
                .attr("id", id.clone())
                .attr("t", t.to_string())
                .attr("addressing_mode", "pn");
            out = copied_attrs(node, out);
            if let Some(name) = &notify {
                out.set_attr("notify", name.clone());
            }
            out.content = Content::Nodes(children);
            net.deliver(&device, out);
        }
    }
    None
}
