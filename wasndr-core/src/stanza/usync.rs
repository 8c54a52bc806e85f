//! usync queries: device lists (messaging guide D.3) and "is this number on WhatsApp" (H.1).

use crate::binary::Node;
use crate::error::Result;
use crate::jid::{Jid, Server};
use crate::store::{DeviceList, ListedDevice};

use super::iq::{Iq, IqType, iq_result};
use super::read::{NodeView, Reader};

fn usync(sid: &str, context: &'static str, query: Vec<Node>, users: Vec<Node>) -> Iq {
    Iq::new(
        "usync",
        IqType::Get,
        Jid::server(),
        Node::new("usync")
            .attr("context", context)
            .attr("index", "0")
            .attr("last", "true")
            .attr("mode", "query")
            .attr("sid", sid.to_owned())
            .children([
                Node::new("query").children(query),
                Node::new("list").children(users),
            ]),
    )
}

/// The device lists of `users` (accounts, no device), optionally with their LIDs. `sid` is a request id
/// of the caller's choosing.
pub fn device_query(sid: &str, users: &[Jid], with_lid: bool) -> Iq {
    let mut query = vec![Node::new("devices").attr("version", "2")];
    if with_lid {
        query.push(Node::new("lid"));
    }
    let users = users
        .iter()
        .map(|user| Node::new("user").attr("jid", user.to_non_ad()))
        .collect();
    usync(sid, "message", query, users)
}

/// One device of a device-list reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceEntry {
    /// The device number (0 is the phone).
    pub id: u16,
    /// `key-index`: the ADV key index vouching for a companion.
    pub key_index: Option<u32>,
    /// `is_hosted="true"`: a Cloud API device on the hosted servers.
    pub hosted: bool,
}

/// One user of a device-list reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserDevices {
    /// The account queried.
    pub user: Jid,
    /// Its devices, when the server listed them.
    pub devices: Vec<DeviceEntry>,
    /// `<key-index-list ts>`: the signed ADV key-index list bytes and its timestamp.
    pub key_index_list: Option<(Option<u64>, Vec<u8>)>,
    /// `<lid val>`, if asked for.
    pub lid: Option<Jid>,
    /// An `<error code text>` in place of the devices.
    pub error: Option<(u32, String)>,
}

impl UserDevices {
    /// The device JIDs to encrypt for: `user:N@server`, device 0 without `:0`, hosted devices on the
    /// hosted servers; companions without a `key-index` are left out, because the server refuses sends
    /// to them (Baileys). Our own sending device is the caller's to drop.
    pub fn device_jids(&self) -> Vec<Jid> {
        self.devices
            .iter()
            .filter(|device| device.id == 0 || device.key_index.is_some())
            .map(|device| {
                let server = match (device.hosted, self.user.server_kind()) {
                    (true, Server::Lid) => Server::HostedLid,
                    (true, _) => Server::Hosted,
                    (false, server) => server,
                };
                Jid::new(self.user.user(), server).with_device(device.id)
            })
            .collect()
    }
}

impl UserDevices {
    /// The device-list cache entry for this answer, fetched at `fetched_at` (unix seconds). Only the
    /// devices [`UserDevices::device_jids`] keeps are listed.
    pub fn to_device_list(&self, fetched_at: u64) -> DeviceList {
        DeviceList {
            user: self.user.clone(),
            devices: self
                .devices
                .iter()
                .filter(|device| device.id == 0 || device.key_index.is_some())
                .map(|device| ListedDevice {
                    device: device.id,
                    key_index: device.key_index,
                })
                .collect(),
            fetched_at,
        }
    }
}

fn reply_users<'t, N: NodeView<'t>>(reply: N) -> Result<Vec<Reader<'t, N>>> {
    let iq = Reader::expect(iq_result(reply)?, "iq")?;
    Ok(iq
        .child("usync")?
        .child("list")?
        .children_with_tag("user")
        .collect())
}

fn lid_of<'t, N: NodeView<'t>>(user: Reader<'t, N>) -> Result<Option<Jid>> {
    match user.opt_child("lid") {
        Some(lid) => lid.opt_jid("val"),
        None => Ok(None),
    }
}

/// Parses the reply to [`device_query`].
pub fn parse_device_reply<'t, N: NodeView<'t>>(reply: N) -> Result<Vec<UserDevices>> {
    let mut users = Vec::new();
    for user in reply_users(reply)? {
        let jid = user.jid("jid")?;
        let mut entry = UserDevices {
            user: jid.to_non_ad(),
            devices: Vec::new(),
            key_index_list: None,
            lid: lid_of(user)?,
            error: None,
        };
        if let Some(devices) = user.opt_child("devices") {
            if let Some(error) = devices.opt_child("error") {
                entry.error = Some((
                    error.opt_u32("code")?.unwrap_or(0),
                    error.opt_string("text").unwrap_or_default(),
                ));
            }
            if let Some(list) = devices.opt_child("device-list") {
                for device in list.children_with_tag("device") {
                    let id = device.u32("id")?;
                    entry.devices.push(DeviceEntry {
                        id: u16::try_from(id)
                            .map_err(|_| device.fail(super::StanzaProblem::InvalidAttr("id")))?,
                        key_index: device.opt_u32("key-index")?,
                        hosted: device.flag("is_hosted"),
                    });
                }
            }
            if let Some(key_index) = devices.opt_child("key-index-list") {
                let signed = if key_index.is_empty() {
                    Vec::new()
                } else {
                    key_index.bytes("key-index-list")?.to_vec()
                };
                entry.key_index_list = Some((key_index.opt_u64("ts")?, signed));
            }
        }
        users.push(entry);
    }
    Ok(users)
}

/// Which of `phones` (international numbers as digits, as [`crate::jid::normalize_phone_number`]
/// gives them) are on WhatsApp, optionally with their LIDs (Baileys' query form, `+<digits>`).
pub fn contact_query(sid: &str, phones: &[&str], with_lid: bool) -> Iq {
    let mut query = vec![Node::new("contact")];
    if with_lid {
        query.push(Node::new("lid"));
    }
    let users = phones
        .iter()
        .map(|phone| Node::new("user").children([Node::new("contact").text(format!("+{phone}"))]))
        .collect();
    usync(sid, "interactive", query, users)
}

/// One number of a contact-query reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactLookup {
    /// The number as the reply echoes it (`+<digits>`).
    pub query: String,
    /// `contact type="in"`: the number is registered.
    pub registered: bool,
    /// The account's JID (phone-number or LID form).
    pub jid: Option<Jid>,
    /// `pn_jid`, when `jid` is a LID.
    pub pn_jid: Option<Jid>,
    /// `<lid val>`, if asked for.
    pub lid: Option<Jid>,
}

/// Parses the reply to [`contact_query`].
pub fn parse_contact_reply<'t, N: NodeView<'t>>(reply: N) -> Result<Vec<ContactLookup>> {
    let mut lookups = Vec::new();
    for user in reply_users(reply)? {
        let contact = user.child("contact")?;
        let query = if contact.is_empty() {
            String::new()
        } else {
            contact.text("contact")?.to_owned()
        };
        lookups.push(ContactLookup {
            query,
            registered: contact.opt_str("type") == Some("in"),
            jid: user.opt_jid("jid")?,
            pn_jid: user.opt_jid("pn_jid")?,
            lid: lid_of(user)?,
        });
    }
    Ok(lookups)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary;

    fn reply(users: Vec<Node>) -> Vec<u8> {
        let node = Node::new("iq")
            .attr("from", Jid::server())
            .attr("id", "1")
            .attr("type", "result")
            .children([Node::new("usync").children([Node::new("list").children(users)])]);
        binary::encode(&node).unwrap()
    }

    #[test]
    fn device_query_layout() {
        let node = device_query("sid-1", &[Jid::pn("1").with_device(3)], true).into_node("7");
        let usync = node.child("usync").unwrap();
        assert_eq!(usync.attr_str("context"), Some("message"));
        let query: Vec<&str> = usync
            .child("query")
            .unwrap()
            .child_nodes()
            .iter()
            .map(|n| n.tag.as_ref())
            .collect();
        assert_eq!(query, ["devices", "lid"]);
        let user = &usync.child("list").unwrap().child_nodes()[0];
        assert_eq!(user.attr_jid("jid").map(|j| j.to_owned()), Some(Jid::pn("1")));
    }

    #[test]
    fn device_reply() {
        let bytes = reply(vec![
            Node::new("user").attr("jid", Jid::pn("1")).children([
                Node::new("devices").children([
                    Node::new("device-list").children([
                        Node::new("device").attr("id", "0"),
                        Node::new("device").attr("id", "3").attr("key-index", "2"),
                        Node::new("device").attr("id", "4"),
                        Node::new("device")
                            .attr("id", "99")
                            .attr("key-index", "5")
                            .attr("is_hosted", "true"),
                    ]),
                    Node::new("key-index-list").attr("ts", "1700").bytes(vec![9, 9]),
                ]),
                Node::new("lid").attr("val", Jid::lid("555")),
            ]),
            Node::new("user")
                .attr("jid", Jid::pn("2"))
                .children([Node::new("devices")
                    .children([Node::new("error").attr("code", "404").attr("text", "not-found")])]),
        ]);
        let tree = binary::decode_node(&bytes[1..]).unwrap();
        let users = parse_device_reply(tree.root()).unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(users[0].lid, Some(Jid::lid("555")));
        assert_eq!(users[0].key_index_list, Some((Some(1700), vec![9, 9])));
        assert_eq!(
            users[0].device_jids(),
            vec![
                Jid::pn("1"),
                Jid::pn("1").with_device(3),
                Jid::new("1", Server::Hosted).with_device(99)
            ]
        );
        assert_eq!(users[0].to_device_list(5).devices.len(), 3);
        assert_eq!(users[1].error, Some((404, "not-found".into())));
        assert!(users[1].device_jids().is_empty());
    }

    #[test]
    fn contact_query_and_reply() {
        let node = contact_query("s", &["15551234567"], true).into_node("1");
        let contact = node.child("usync").unwrap().child("list").unwrap().child_nodes()[0]
            .child("contact")
            .unwrap()
            .content_text()
            .map(str::to_owned);
        assert_eq!(contact.as_deref(), Some("+15551234567"));
        let bytes = reply(vec![
            Node::new("user").attr("jid", Jid::pn("15551234567")).children([
                Node::new("contact").attr("type", "in").text("+15551234567"),
                Node::new("lid").attr("val", Jid::lid("777")),
            ]),
            Node::new("user").children([Node::new("contact").attr("type", "out").text("+15550000000")]),
        ]);
        let tree = binary::decode_node(&bytes[1..]).unwrap();
        let lookups = parse_contact_reply(tree.root()).unwrap();
        assert_eq!(
            lookups[0],
            ContactLookup {
                query: "+15551234567".into(),
                registered: true,
                jid: Some(Jid::pn("15551234567")),
                pn_jid: None,
                lid: Some(Jid::lid("777")),
            }
        );
        assert!(!lookups[1].registered);
        assert_eq!(lookups[1].jid, None);
    }
}
