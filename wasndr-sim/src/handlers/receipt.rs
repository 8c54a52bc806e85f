//! Receipts (delivery, read, played, retry, …) are relayed to the devices of the account they are
//! addressed to (messaging guide E.4–E.6).

use wasndr_core::binary::{Content, Node};

use crate::network::{DeviceId, Network};
use crate::shared::{Shared, unix_now};

/// Relays a receipt `sender` sent.
pub(crate) fn relay(shared: &Shared, sender: &DeviceId, node: &Node) {
    let Some(to) = node.attr_jid("to").map(|jid| jid.to_owned()) else {
        return;
    };
    let mut net = shared.net();
    let from_device = Network::device_jid(&sender.0, sender.1);
    // In a group the receipt goes to the original sender (`participant`), from the group.
    let (target, from, participant) = if to.is_group() {
        let Some(original) = node.attr_jid("participant").map(|jid| jid.to_owned()) else {
            return;
        };
        (original, to.clone(), Some(from_device))
    } else {
        (to.clone(), from_device, None)
    };
    let Some(phone) = net.account_of(&target).map(str::to_owned) else {
        return;
    };
    let mut out = Node::new("receipt")
        .attr("from", from)
        .attr_opt("participant", participant);
    for key in ["id", "type", "recipient"] {
        if let Some(value) = node.attr_value(key) {
            out.set_attr(key, value.clone());
        }
    }
    out.set_attr(
        "t",
        node.attr_str("t")
            .map_or_else(|| unix_now().to_string(), str::to_owned),
    );
    if let Content::Nodes(children) = &node.content {
        out.content = Content::Nodes(children.clone());
    }
    for device in net.devices_of(&phone) {
        if device != *sender {
            net.deliver(&device, out.clone());
        }
    }
}
