//! Presence and chat state relays (messaging guide H.3, H.4).

use wasndr_core::binary::{Content, Node};
use wasndr_core::jid::Jid;

use crate::network::DeviceId;
use crate::shared::{Shared, unix_now};

/// `<presence type=available|unavailable [name]/>` is fanned out to subscribers;
/// `<presence type=subscribe to=JID/>` subscribes and answers with the current state.
pub(crate) fn presence(shared: &Shared, device: &DeviceId, node: &Node) {
    let mut net = shared.net();
    match node.attr_str("type") {
        Some("subscribe") => {
            let Some(target) = node.attr_jid("to").map(|jid| jid.to_owned()) else {
                return;
            };
            let Some(phone) = net.account_of(&target).map(str::to_owned) else {
                return;
            };
            let subscribers = net.presence_subscribers.entry(phone.clone()).or_default();
            if !subscribers.contains(device) {
                subscribers.push(device.clone());
            }
            // The virtual primary is always online.
            let current = Node::new("presence").attr("from", Jid::pn(&phone));
            net.send_if_online(device, current);
        }
        Some(kind @ ("available" | "unavailable")) => {
            if let Some(name) = node.attr_str("name").map(str::to_owned)
                && let Some(record) = net
                    .accounts
                    .get_mut(&device.0)
                    .and_then(|account| account.devices.get_mut(&device.1))
            {
                record.push_name = Some(name);
            }
            let mut update = Node::new("presence").attr("from", Jid::pn(&device.0));
            if kind == "unavailable" {
                update.set_attr("type", "unavailable");
                update.set_attr("last", unix_now().to_string());
            }
            let subscribers = net
                .presence_subscribers
                .get(&device.0)
                .cloned()
                .unwrap_or_default();
            for subscriber in subscribers {
                net.send_if_online(&subscriber, update.clone());
            }
        }
        _ => {}
    }
}

/// `<chatstate to=CHAT><composing/>|<paused/></chatstate>` goes to the chat's other devices, online only.
pub(crate) fn chatstate(shared: &Shared, device: &DeviceId, node: &Node) {
    let Some(to) = node.attr_jid("to").map(|jid| jid.to_owned()) else {
        return;
    };
    let net = shared.net();
    let (targets, from, participant): (Vec<String>, Jid, Option<Jid>) = if to.is_group() {
        let Some(group) = net.groups.get(to.user()) else {
            return;
        };
        let members = group
            .participants
            .iter()
            .map(|(phone, _)| phone.clone())
            .collect();
        (members, to.clone(), Some(Jid::pn(&device.0)))
    } else {
        let Some(phone) = net.account_of(&to) else {
            return;
        };
        (vec![phone.to_owned()], Jid::pn(&device.0), None)
    };
    let mut out = Node::new("chatstate")
        .attr("from", from)
        .attr_opt("participant", participant);
    if let Content::Nodes(children) = &node.content {
        out.content = Content::Nodes(children.clone());
    }
    for phone in targets {
        for target in net.devices_of(&phone) {
            if target != *device {
                net.send_if_online(&target, out.clone());
            }
        }
    }
}
