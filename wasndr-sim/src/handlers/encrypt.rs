//! The `encrypt` namespace: prekey count, upload, digest, signed-prekey rotation and bundle fetches
//! (transport guide E.3, messaging guide D.4).

use wasndr_core::binary::Node;
use wasndr_core::crypto::PublicKey;
use wasndr_core::jid::Jid;

use super::iq::IqAnswer;
use crate::network::{DeviceId, DeviceKeys, Network, SignedPreKeyPublic};
use crate::stanzas::{be_id, u24};

pub(crate) fn handle(net: &mut Network, device: &DeviceId, node: &Node) -> IqAnswer {
    let kind = node.attr_str("type").unwrap_or_default();
    if kind == "get" {
        if node.child("count").is_some() {
            let count = keys_of(net, device)
                .map(|keys| keys.prekeys.len())
                .unwrap_or_default();
            return Ok(vec![Node::new("count").attr("value", count.to_string())]);
        }
        if node.child("digest").is_some() {
            return digest(net, device);
        }
        if let Some(key) = node.child("key") {
            return Ok(vec![bundles(net, key)]);
        }
        return Ok(Vec::new());
    }
    if let Some(rotate) = node.child("rotate") {
        let skey = rotate.child("skey").ok_or((400, "bad-request"))?;
        let signed = signed_prekey(skey).ok_or((400, "bad-request"))?;
        let keys = keys_of(net, device).ok_or((404, "item-not-found"))?;
        keys.signed_prekey = signed;
        return Ok(Vec::new());
    }
    upload(net, device, node)
}

fn keys_of<'n>(net: &'n mut Network, device: &DeviceId) -> Option<&'n mut DeviceKeys> {
    net.accounts
        .get_mut(&device.0)?
        .devices
        .get_mut(&device.1)
        .map(|device| &mut device.keys)
}

/// `<registration/><type/><identity/><list><key><id/><value/></key>…</list><skey>…</skey>`.
fn upload(net: &mut Network, device: &DeviceId, node: &Node) -> IqAnswer {
    let bad = (400, "bad-request");
    let identity = node
        .child("identity")
        .and_then(Node::content_bytes)
        .and_then(|bytes| PublicKey::from_slice(bytes).ok())
        .ok_or(bad)?;
    let registration_id = node
        .child("registration")
        .and_then(Node::content_bytes)
        .and_then(be_id)
        .ok_or(bad)?;
    let signed = node.child("skey").and_then(signed_prekey).ok_or(bad)?;
    if !identity.verify(&signed.public.serialize(), &signed.signature) {
        return Err((406, "not-acceptable"));
    }
    let mut prekeys = Vec::new();
    for key in node.child("list").map(Node::child_nodes).unwrap_or_default() {
        let id = key
            .child("id")
            .and_then(Node::content_bytes)
            .and_then(be_id)
            .ok_or(bad)?;
        let value = key
            .child("value")
            .and_then(Node::content_bytes)
            .and_then(|bytes| PublicKey::from_slice(bytes).ok())
            .ok_or(bad)?;
        prekeys.push((id, value));
    }
    let keys = keys_of(net, device).ok_or((404, "item-not-found"))?;
    if !keys.identity.ct_eq(&identity) {
        return Err((406, "not-acceptable"));
    }
    keys.registration_id = registration_id;
    keys.signed_prekey = signed;
    for (id, value) in prekeys {
        if !keys.prekeys.iter().any(|(known, _)| *known == id) {
            keys.prekeys.push_back((id, value));
        }
    }
    Ok(Vec::new())
}

fn signed_prekey(skey: &Node) -> Option<SignedPreKeyPublic> {
    Some(SignedPreKeyPublic {
        id: be_id(skey.child("id")?.content_bytes()?)?,
        public: PublicKey::from_slice(skey.child("value")?.content_bytes()?).ok()?,
        signature: skey.child("signature")?.content_bytes()?.try_into().ok()?,
    })
}

/// A summary of what the server holds for the device; clients only check that `<digest>` exists.
fn digest(net: &mut Network, device: &DeviceId) -> IqAnswer {
    let keys = keys_of(net, device).ok_or((404, "item-not-found"))?;
    let ids = keys.prekeys.iter().map(|(id, _)| Node::new("id").bytes(u24(*id)));
    Ok(vec![Node::new("digest").children([
        Node::new("type").bytes(vec![5]),
        Node::new("registration").bytes(keys.registration_id.to_be_bytes().to_vec()),
        Node::new("identity").bytes(keys.identity.as_bytes().to_vec()),
        skey_node(&keys.signed_prekey),
        Node::new("list").children(ids.collect::<Vec<_>>()),
    ])])
}

fn skey_node(signed: &SignedPreKeyPublic) -> Node {
    Node::new("skey").children([
        Node::new("id").bytes(u24(signed.id)),
        Node::new("value").bytes(signed.public.as_bytes().to_vec()),
        Node::new("signature").bytes(signed.signature.to_vec()),
    ])
}

/// One `<user>` per requested device with its bundle, handing out (and removing) one one-time prekey
/// each; `<error code=404>` for devices that do not exist.
fn bundles(net: &mut Network, key: &Node) -> Node {
    let mut users = Vec::new();
    for user in key.children_with_tag("user") {
        let Some(jid) = user.attr_jid("jid").map(|jid| jid.to_owned()) else {
            continue;
        };
        users.push(bundle_for(net, &jid));
    }
    Node::new("list").children(users)
}

/// The bundle node of one device (also used by virtual phones).
pub(crate) fn bundle_for(net: &mut Network, jid: &Jid) -> Node {
    let device = net.account_of(jid).map(str::to_owned).and_then(|phone| {
        let keys = net.accounts.get_mut(&phone)?.devices.get_mut(&jid.device())?;
        Some(&mut keys.keys)
    });
    let Some(keys) = device else {
        return Node::new("user")
            .attr("jid", jid.clone())
            .children([Node::new("error")
                .attr("code", "404")
                .attr("text", "item-not-found")]);
    };
    let mut children = vec![
        Node::new("registration").bytes(keys.registration_id.to_be_bytes().to_vec()),
        Node::new("type").bytes(vec![5]),
        Node::new("identity").bytes(keys.identity.as_bytes().to_vec()),
    ];
    if let Some((id, value)) = keys.prekeys.pop_front() {
        children.push(Node::new("key").children([
            Node::new("id").bytes(u24(id)),
            Node::new("value").bytes(value.as_bytes().to_vec()),
        ]));
    }
    children.push(skey_node(&keys.signed_prekey));
    Node::new("user").attr("jid", jid.clone()).children(children)
}
