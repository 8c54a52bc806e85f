//! IQ dispatch by namespace, and the answers to the queries clients send at login that need no state
//! (transport guide F.3: abt props, blocklist, privacy, dirty, ...).

use wasndr_core::binary::Node;

use super::{encrypt, groups, pairing, usync};
use crate::conn::{ConnCtx, Peer};
use crate::network::{Network, Outbound};
use crate::shared::{Shared, unix_now};
use crate::stanzas::{iq_error, iq_result, server};

/// The answer to an IQ: children of a `result`, or an error code and text.
pub(crate) type IqAnswer = Result<Vec<Node>, (u16, &'static str)>;

pub(crate) fn handle(shared: &Shared, ctx: &ConnCtx, node: Node) {
    let Some(id) = node.attr_str("id").map(str::to_owned) else {
        return;
    };
    let kind = node.attr_str("type").unwrap_or_default();
    if kind == "result" || kind == "error" {
        if node.child("pair-device-sign").is_some() {
            pairing::on_pair_device_sign(shared, ctx, &node);
        }
        return;
    }
    // Replies come from whatever the request was addressed to (the server, or a group for w:g2).
    let from = node.attr_value("to").cloned().unwrap_or_else(server);
    let xmlns = node.attr_str("xmlns").unwrap_or_default();
    let answer: IqAnswer = match (&ctx.peer, xmlns) {
        (_, "w:p") => Ok(Vec::new()),
        (Peer::Registering, "md") => pairing::link_code_iq(shared, ctx, &node),
        (Peer::Device(device), xmlns) => {
            let mut net = shared.net();
            match xmlns {
                "encrypt" => encrypt::handle(&mut net, device, &node),
                "passive" => passive(&mut net, device, &node),
                "usync" => usync::handle(&mut net, device, &node),
                "w:g2" => groups::handle(&mut net, device, &node),
                "w:m" => media_conn(shared, &node),
                "md" => remove_companion(&mut net, device, &node),
                "abt" => Ok(vec![
                    Node::new("props").attr("protocol", "1").attr("ab_key", "sim"),
                ]),
                "w" => Ok(vec![Node::new("props").attr("protocol", "2").attr("hash", "sim")]),
                "blocklist" => Ok(vec![Node::new("list")]),
                "privacy" => Ok(privacy(&node)),
                "w:profile:picture" => Err((404, "item-not-found")),
                _ => Ok(Vec::new()),
            }
        }
        _ => Err((401, "not-authorized")),
    };
    let reply = match answer {
        Ok(children) => iq_result(&id, from, children),
        Err((code, text)) => iq_error(&id, from, code, text),
    };
    let _ = ctx.outbox.send(Outbound::Node(reply));
    // The answer to `<active/>` goes out before the offline queue it releases.
    if let Peer::Device(device) = &ctx.peer
        && xmlns == "passive"
        && node.child("active").is_some()
    {
        shared.net().activate(device);
    }
}

/// `<passive/>` stops deliveries; `<active/>` (handled after the answer is sent) releases the offline
/// queue, then `<ib><offline/></ib>`.
fn passive(net: &mut Network, device: &(String, u16), node: &Node) -> IqAnswer {
    if node.child("passive").is_some()
        && let Some(session) = net.sessions.get_mut(device)
    {
        session.active = false;
    }
    Ok(Vec::new())
}

fn privacy(node: &Node) -> Vec<Node> {
    if node.attr_str("type") == Some("set") {
        return Vec::new();
    }
    let categories = [
        ("last", "all"),
        ("online", "all"),
        ("profile", "all"),
        ("status", "all"),
        ("readreceipts", "all"),
        ("groupadd", "all"),
        ("calladd", "all"),
    ];
    vec![
        Node::new("privacy").children(
            categories
                .into_iter()
                .map(|(name, value)| Node::new("category").attr("name", name).attr("value", value)),
        ),
    ]
}

/// `media_conn`: one host (this simulator) and an auth token (messaging guide F.3).
fn media_conn(shared: &Shared, node: &Node) -> IqAnswer {
    if node.child("media_conn").is_none() {
        return Ok(Vec::new());
    }
    // The plain host first (clients on a plain socket use it over http), then the same host over
    // HTTPS for clients that only speak https to media hosts (Baileys), which skip the first.
    let plain = shared.info.media_url.trim_start_matches("http://").to_owned();
    let tls = shared
        .info
        .media_tls_url
        .trim_start_matches("https://")
        .to_owned();
    Ok(vec![
        Node::new("media_conn")
            .attr("auth", format!("sim-{}", unix_now()))
            .attr("ttl", "300")
            .attr("auth_ttl", "21600")
            .attr("max_buckets", "12")
            .children([
                Node::new("host")
                    .attr("hostname", plain)
                    .attr("maxContentLengthBytes", crate::media::MAX_UPLOAD.to_string()),
                Node::new("host")
                    .attr("hostname", tls)
                    .attr("maxContentLengthBytes", crate::media::MAX_UPLOAD.to_string()),
            ]),
    ])
}

/// `<remove-companion-device jid=…/>`: the device is unlinked; it is told so and later logins get 401.
fn remove_companion(net: &mut Network, device: &(String, u16), node: &Node) -> IqAnswer {
    let Some(target) = node
        .child("remove-companion-device")
        .and_then(|child| child.attr_jid("jid"))
    else {
        return Ok(Vec::new());
    };
    if target.user() != device.0 || target.device() == 0 {
        return Err((403, "forbidden"));
    }
    remove_device(net, &device.0, target.device());
    Ok(Vec::new())
}

/// Unlinks a companion device: forgets it and ends its connection with `401 device_removed`.
pub(crate) fn remove_device(net: &mut Network, phone: &str, device: u16) -> bool {
    let removed = net
        .accounts
        .get_mut(phone)
        .and_then(|account| account.devices.remove(&device))
        .is_some();
    if let Some(account) = net.accounts.get_mut(phone) {
        account.devices_changed = unix_now();
    }
    if removed {
        super::notify_devices(net, phone, super::DeviceChange::Remove, device);
    }
    if let Some(session) = net.sessions.remove(&(phone.to_owned(), device)) {
        let error = Node::new("stream:error")
            .attr("code", "401")
            .children([Node::new("conflict").attr("type", "device_removed")]);
        let _ = session.outbox.send(Outbound::Close(Some(error)));
    }
    removed
}
