//! `usync` queries: device lists (with key indexes), contact lookups by phone number (registered or
//! not), LIDs and status (messaging guide D.3, H.1).

use wasndr_core::binary::Node;
use wasndr_core::jid::Jid;

use super::iq::IqAnswer;
use crate::network::{DeviceId, Network};

pub(crate) fn handle(net: &mut Network, asker: &DeviceId, node: &Node) -> IqAnswer {
    let usync = node.child("usync").ok_or((400, "bad-request"))?;
    let protocols: Vec<&str> = usync
        .child("query")
        .map(|query| {
            query
                .child_nodes()
                .iter()
                .map(|child| child.tag.as_ref())
                .collect()
        })
        .unwrap_or_default();
    let mut users = Vec::new();
    for user in usync.child("list").map(Node::child_nodes).unwrap_or_default() {
        let (answer, phone) = answer_user(net, &protocols, user);
        // Whoever learns a device list is told when it changes (E.8).
        if let Some(phone) = phone
            && protocols.contains(&"devices")
        {
            net.device_watchers
                .entry(phone)
                .or_default()
                .insert(asker.0.clone());
        }
        users.push(answer);
    }
    let mut echoed = Node::new("usync");
    for key in ["sid", "mode", "context", "index", "last"] {
        if let Some(value) = usync.attr_value(key) {
            echoed.set_attr(key, value.clone());
        }
    }
    let mut result = Node::new("result");
    for protocol in &protocols {
        result.push_child(Node::new(protocol.to_string()));
    }
    Ok(vec![echoed.children([result, Node::new("list").children(users)])])
}

/// The `<user>` answer, and the account it names if it exists.
fn answer_user(net: &Network, protocols: &[&str], user: &Node) -> (Node, Option<String>) {
    // A user is named by `jid`, or (contact lookups) by a `<contact>+digits</contact>` child.
    let by_contact = user.child("contact").and_then(|contact| {
        let text = contact.content_text().map(str::to_owned).or_else(|| {
            contact
                .content_bytes()
                .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
        })?;
        let digits: String = text
            .split('@')
            .next()?
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        Some((text, digits))
    });
    let jid = user
        .attr_jid("jid")
        .map(|jid| jid.to_owned())
        .or_else(|| by_contact.as_ref().map(|(_, digits)| Jid::pn(digits)));
    let Some(jid) = jid else {
        return (Node::new("user"), None);
    };
    let phone = net.account_of(&jid).map(str::to_owned);
    let mut children = Vec::new();
    for protocol in protocols {
        match *protocol {
            "devices" => children.push(devices(net, phone.as_deref())),
            "contact" => {
                let kind = if phone.is_some() { "in" } else { "out" };
                let text = by_contact
                    .as_ref()
                    .map(|(text, _)| text.clone())
                    .unwrap_or_else(|| format!("+{}", jid.user()));
                children.push(Node::new("contact").attr("type", kind).text(text));
            }
            // Baileys 7 fetches prekey bundles only for LIDs it has a mapping for, so every known
            // account answers with its LID.
            "lid" => {
                if let Some(account) = phone.as_deref().and_then(|phone| net.accounts.get(phone)) {
                    children.push(Node::new("lid").attr("val", Jid::lid(&account.lid)));
                }
            }
            "status" => children.push(
                Node::new("status")
                    .attr("t", "0")
                    .text("Hey there! I am using WhatsApp."),
            ),
            _ => {}
        }
    }
    let jid = match &phone {
        Some(phone) => Jid::pn(phone),
        None => jid.to_non_ad(),
    };
    (Node::new("user").attr("jid", jid).children(children), phone)
}

/// `<devices><device-list><device id=N [key-index=K]/>…</device-list><key-index-list ts=T/></devices>`.
fn devices(net: &Network, phone: Option<&str>) -> Node {
    let Some(account) = phone.and_then(|phone| net.accounts.get(phone)) else {
        return Node::new("devices").children([Node::new("device-list")]);
    };
    let list = account.devices.iter().map(|(id, device)| {
        let node = Node::new("device").attr("id", id.to_string());
        if *id == 0 {
            node
        } else {
            node.attr("key-index", device.key_index.to_string())
        }
    });
    Node::new("devices").children([
        Node::new("device-list").children(list.collect::<Vec<_>>()),
        Node::new("key-index-list").attr("ts", account.devices_changed.to_string()),
    ])
}
