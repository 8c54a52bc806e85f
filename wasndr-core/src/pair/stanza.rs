//! The pairing stanzas (transport guide D.1, D.2, F.4): `pair-device` with its refs, the companion's
//! acknowledgement, `pair-success`, and the `pair-device-sign` answer. JIDs are typed, binary payloads
//! travel as bytes.

use crate::binary::{Node, NodeRef};
use crate::error::{Error, Result};
use crate::jid::Jid;

/// The namespace of pairing IQs.
pub const PAIRING_XMLNS: &str = "md";

/// `<iq from=@s.whatsapp.net type=set id=ID xmlns=md><pair-device><ref>…</ref>…</pair-device></iq>`.
pub fn pair_device(id: &str, refs: &[String]) -> Node {
    Node::new("iq")
        .attr("from", Jid::server())
        .attr("id", id.to_owned())
        .attr("type", "set")
        .attr("xmlns", PAIRING_XMLNS)
        .children([Node::new("pair-device").children(
            refs.iter()
                .map(|reference| Node::new("ref").bytes(reference.as_bytes().to_vec())),
        )])
}

/// The refs of a `pair-device` iq (in order), or an error if the node is not one.
pub fn parse_pair_device(node: &NodeRef<'_>) -> Result<Vec<String>> {
    if node.tag() != "iq" || node.attr_str("type") != Some("set") {
        return Err(Error::MalformedPairing("pair-device is not an iq of type set"));
    }
    let pair_device = node
        .child("pair-device")
        .ok_or(Error::MalformedPairing("iq has no pair-device child"))?;
    let refs: Vec<String> = pair_device
        .children_with_tag("ref")
        .filter_map(|reference| reference.bytes().or_else(|| reference.text().map(str::as_bytes)))
        .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
        .collect();
    if refs.is_empty() {
        return Err(Error::MalformedPairing("pair-device has no ref"));
    }
    Ok(refs)
}

/// The empty result a client sends for a server iq it accepted: `<iq to=@s.whatsapp.net type=result
/// id=ID/>`.
pub fn iq_result_to_server(id: &str) -> Node {
    Node::new("iq")
        .attr("to", Jid::server())
        .attr("type", "result")
        .attr("id", id.to_owned())
}

/// `<iq from=@s.whatsapp.net id t type=set xmlns=md><pair-success>…</pair-success></iq>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairSuccess {
    /// The iq id, echoed by `pair-device-sign`.
    pub id: String,
    /// Server time, unix seconds (`t`).
    pub timestamp: Option<u64>,
    /// The `ADVSignedDeviceIdentityHMAC` bytes.
    pub device_identity: Vec<u8>,
    /// The companion's own device JID (`PHONE:N@s.whatsapp.net`).
    pub jid: Jid,
    /// The companion's device LID (`LID:N@lid`).
    pub lid: Option<Jid>,
    /// The primary's platform (`android`, `smba`, …).
    pub platform: Option<String>,
    /// The business name, for business accounts.
    pub business_name: Option<String>,
}

impl PairSuccess {
    /// The stanza, with children in the order the phone simulator of the pairing vectors used.
    pub fn to_node(&self) -> Node {
        let mut children = vec![Node::new("device-identity").bytes(self.device_identity.clone())];
        if let Some(platform) = &self.platform {
            children.push(Node::new("platform").attr("name", platform.clone()));
        }
        children.push(
            Node::new("device")
                .attr("jid", self.jid.clone())
                .attr_opt("lid", self.lid.clone()),
        );
        if let Some(name) = &self.business_name {
            children.push(Node::new("biz").attr("name", name.clone()));
        }
        Node::new("iq")
            .attr("from", Jid::server())
            .attr("id", self.id.clone())
            .attr_opt("t", self.timestamp.map(|t| t.to_string()))
            .attr("type", "set")
            .attr("xmlns", PAIRING_XMLNS)
            .children([Node::new("pair-success").children(children)])
    }

    /// Reads a `pair-success` iq. Requires `device-identity` bytes and a `device` with a user JID (typed,
    /// or as text from an encoder that guesses JIDs).
    pub fn from_node(node: &NodeRef<'_>) -> Result<Self> {
        if node.tag() != "iq" {
            return Err(Error::MalformedPairing("pair-success is not an iq"));
        }
        let id = node
            .attr_str("id")
            .ok_or(Error::MalformedPairing("pair-success iq has no id"))?;
        let success = node
            .child("pair-success")
            .ok_or(Error::MalformedPairing("iq has no pair-success child"))?;
        let device_identity = success
            .child("device-identity")
            .and_then(|child| child.bytes())
            .ok_or(Error::MalformedPairing(
                "pair-success has no device-identity bytes",
            ))?;
        let device = success
            .child("device")
            .ok_or(Error::MalformedPairing("pair-success has no device"))?;
        let jid =
            jid_attr(&device, "jid")?.ok_or(Error::MalformedPairing("pair-success device has no jid"))?;
        if !jid.is_user() || jid.user().is_empty() {
            return Err(Error::MalformedPairing(
                "pair-success device jid is not a phone-number JID",
            ));
        }
        let timestamp = match node.attr_str("t") {
            Some(t) => Some(
                t.parse()
                    .map_err(|_| Error::MalformedPairing("pair-success t is not a number"))?,
            ),
            None => None,
        };
        Ok(Self {
            id: id.to_owned(),
            timestamp,
            device_identity: device_identity.to_vec(),
            jid,
            lid: jid_attr(&device, "lid")?,
            platform: success
                .child("platform")
                .and_then(|platform| platform.attr_str("name"))
                .map(str::to_owned),
            business_name: success
                .child("biz")
                .and_then(|biz| biz.attr_str("name"))
                .map(str::to_owned),
        })
    }
}

/// A JID attribute, typed or (from encoders that guess) as text.
fn jid_attr(node: &NodeRef<'_>, key: &str) -> Result<Option<Jid>> {
    if let Some(jid) = node.attr_jid(key) {
        return Ok(Some(jid.to_owned()));
    }
    match node.attr_str(key) {
        Some(text) => Jid::parse(text)
            .map(Some)
            .map_err(|_| Error::MalformedPairing("pair-success device attribute is not a JID")),
        None => Ok(None),
    }
}

/// The companion's answer to `pair-success`:
/// `<iq to=@s.whatsapp.net type=result id=ID><pair-device-sign><device-identity key-index=K>…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairDeviceSign {
    /// The `pair-success` id.
    pub id: String,
    /// The key index the primary assigned.
    pub key_index: u32,
    /// The `ADVSignedDeviceIdentity` without the account key.
    pub device_identity: Vec<u8>,
}

impl PairDeviceSign {
    /// The stanza, attributes in Baileys' order.
    pub fn to_node(&self) -> Node {
        Node::new("iq")
            .attr("to", Jid::server())
            .attr("type", "result")
            .attr("id", self.id.clone())
            .children([
                Node::new("pair-device-sign").children([Node::new("device-identity")
                    .attr("key-index", self.key_index.to_string())
                    .bytes(self.device_identity.clone())]),
            ])
    }

    /// Reads the answer.
    pub fn from_node(node: &NodeRef<'_>) -> Result<Self> {
        if node.tag() != "iq" || node.attr_str("type") != Some("result") {
            return Err(Error::MalformedPairing(
                "pair-device-sign is not an iq of type result",
            ));
        }
        let id = node
            .attr_str("id")
            .ok_or(Error::MalformedPairing("pair-device-sign iq has no id"))?;
        let identity = node
            .child("pair-device-sign")
            .and_then(|sign| sign.child("device-identity"))
            .ok_or(Error::MalformedPairing("pair-device-sign has no device-identity"))?;
        let key_index = identity
            .attr_str("key-index")
            .and_then(|index| index.parse().ok())
            .ok_or(Error::MalformedPairing(
                "device-identity key-index is not a number",
            ))?;
        let device_identity = identity
            .bytes()
            .ok_or(Error::MalformedPairing("device-identity has no bytes"))?;
        Ok(Self {
            id: id.to_owned(),
            key_index,
            device_identity: device_identity.to_vec(),
        })
    }
}
