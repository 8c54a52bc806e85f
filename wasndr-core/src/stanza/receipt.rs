//! `<receipt>`: delivery, read and retry receipts we send (messaging guide E.4, E.5), and the receipts we
//! receive.

use crate::binary::Node;
use crate::crypto::PublicKey;
use crate::error::Result;
use crate::jid::Jid;
use crate::signal::PreKeyBundle;

use super::message::IncomingMessage;
use super::prekeys::{key_type_node, parse_bundle, prekey_node, signed_prekey_node};
use super::read::{NodeView, Reader};

/// The `type` of a delivery receipt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeliveryType {
    /// No type: an ordinary delivery, once we are "available".
    Active,
    /// `inactive`: delivered while we are not "available" (whatsmeow's default until presence is sent).
    Inactive,
    /// `sender`: the message came from our own other device.
    Sender,
    /// `peer_msg`: a `category="peer"` message from our own phone.
    PeerMsg,
    /// `hist_sync`: acknowledges a history-sync notification.
    HistSync,
}

impl DeliveryType {
    const fn attr(self) -> Option<&'static str> {
        match self {
            DeliveryType::Active => None,
            DeliveryType::Inactive => Some("inactive"),
            DeliveryType::Sender => Some("sender"),
            DeliveryType::PeerMsg => Some("peer_msg"),
            DeliveryType::HistSync => Some("hist_sync"),
        }
    }
}

/// The delivery receipt of a message we decrypted (or recognised as a duplicate):
/// `<receipt id to [participant] [recipient] [type]/>`, which is also its acknowledgement.
pub fn delivery_receipt(message: &IncomingMessage, delivery: DeliveryType) -> Node {
    base_receipt(message).attr_opt("type", delivery.attr())
}

/// `id`, `participant`, `recipient` and `to` of a receipt answering `message`, in alphabetical order.
fn base_receipt(message: &IncomingMessage) -> Node {
    Node::new("receipt")
        .attr("id", message.id.clone())
        .attr_opt("participant", message.participant.clone())
        .attr_opt("recipient", message.recipient.clone())
        .attr("to", message.from.clone())
}

/// The `type` of a read receipt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReadType {
    /// `read`: the sender sees blue ticks.
    Read,
    /// `read-self`: syncs to our own devices only (read receipts turned off).
    ReadSelf,
    /// `played`: a voice note or video was played.
    Played,
    /// `played-self`.
    PlayedSelf,
}

impl ReadType {
    const fn as_str(self) -> &'static str {
        match self {
            ReadType::Read => "read",
            ReadType::ReadSelf => "read-self",
            ReadType::Played => "played",
            ReadType::PlayedSelf => "played-self",
        }
    }
}

/// A read (or played) receipt for `ids`, all sent by one sender in `chat`: the first id on the
/// receipt, the rest in `<list><item id/></list>`. `sender` is set in groups only. `None` when `ids` is
/// empty.
pub fn read_receipt(
    chat: &Jid,
    sender: Option<&Jid>,
    ids: &[&str],
    read: ReadType,
    now: u64,
) -> Option<Node> {
    let (first, rest) = ids.split_first()?;
    let mut node = Node::new("receipt")
        .attr("id", (*first).to_owned())
        .attr_opt("participant", sender.filter(|_| chat.is_group()).cloned())
        .attr("t", now)
        .attr("to", chat.clone())
        .attr("type", read.as_str());
    if !rest.is_empty() {
        node.push_child(
            Node::new("list").children(
                rest.iter()
                    .map(|id| Node::new("item").attr("id", (*id).to_owned())),
            ),
        );
    }
    Some(node)
}

/// Our keys, sent in a retry receipt so the sender can start a fresh session with us: a fresh one-time
/// prekey (which must be stored before the receipt is sent), our signed prekey and our ADV identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryKeys {
    /// Our identity key.
    pub identity: PublicKey,
    /// A fresh one-time prekey: id and public key.
    pub prekey: (u32, PublicKey),
    /// Our signed prekey id.
    pub signed_prekey_id: u32,
    /// Our signed prekey.
    pub signed_prekey: PublicKey,
    /// Its signature.
    pub signed_prekey_signature: [u8; 64],
    /// Our serialized ADV signed device identity.
    pub device_identity: Vec<u8>,
}

/// The retry receipt for a message we could not decrypt (messaging guide E.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryReceipt {
    /// The retry number, from 1.
    pub count: u32,
    /// Our registration id.
    pub registration_id: u32,
    /// Our keys, from the second retry on or when forced.
    pub keys: Option<RetryKeys>,
}

impl RetryReceipt {
    /// The receipt answering `message`.
    pub fn to_node(&self, message: &IncomingMessage) -> Node {
        let mut node = base_receipt(message).attr("type", "retry");
        if message.is_peer() {
            node.set_attr("category", "peer");
        }
        let mut children = vec![
            Node::new("retry")
                .attr("count", self.count)
                .attr("id", message.id.clone())
                .attr("t", message.timestamp)
                .attr("v", "1"),
            Node::new("registration").bytes(self.registration_id.to_be_bytes().to_vec()),
        ];
        if let Some(keys) = &self.keys {
            children.push(Node::new("keys").children([
                key_type_node(),
                Node::new("identity").bytes(keys.identity.as_bytes().to_vec()),
                prekey_node(keys.prekey.0, &keys.prekey.1),
                signed_prekey_node(
                    keys.signed_prekey_id,
                    &keys.signed_prekey,
                    &keys.signed_prekey_signature,
                ),
                Node::new("device-identity").bytes(keys.device_identity.clone()),
            ]));
        }
        node.children(children)
    }
}

/// The `<retry>` child of an incoming retry receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryInfo {
    /// Which retry this is, from 1.
    pub count: u32,
    /// The message id.
    pub id: String,
    /// The original message's timestamp.
    pub timestamp: Option<u64>,
    /// The retry receipt's `error`, if any.
    pub error: Option<u32>,
}

/// A receipt the server delivers to us.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncomingReceipt {
    /// The first (or only) message id.
    pub id: String,
    /// `from`: the chat, or the device that sent the receipt in a DM.
    pub from: Jid,
    /// `participant`: who sent it in a group.
    pub participant: Option<Jid>,
    /// `recipient`.
    pub recipient: Option<Jid>,
    /// `type`; empty for a delivery receipt.
    pub receipt_type: String,
    /// `t`.
    pub timestamp: Option<u64>,
    /// `category`.
    pub category: Option<String>,
    /// Every message id it covers: `id` plus the `<list><item id>` entries.
    pub ids: Vec<String>,
    /// A grouped group receipt (no `participant`): the members it reports, with their times.
    pub grouped: Vec<(Jid, Option<u64>)>,
    /// The `<retry>` child of a retry receipt.
    pub retry: Option<RetryInfo>,
    /// The sender's registration id, on retry receipts.
    pub registration_id: Option<u32>,
    /// The sender's bundle, when a retry receipt carries `<keys>`. Its signature is not checked here.
    pub bundle: Option<PreKeyBundle>,
}

impl IncomingReceipt {
    /// Parses a `<receipt>` node.
    pub fn parse<'t, N: NodeView<'t>>(node: N) -> Result<IncomingReceipt> {
        let receipt = Reader::expect(node, "receipt")?;
        let id = receipt.str("id")?.to_owned();
        let mut ids = vec![id.clone()];
        if let Some(list) = receipt.opt_child("list") {
            for item in list.children_with_tag("item") {
                ids.push(item.str("id")?.to_owned());
            }
        }
        let mut grouped = Vec::new();
        for participants in receipt.children_with_tag("participants") {
            for user in participants.children_with_tag("user") {
                grouped.push((user.jid("jid")?, user.opt_u64("t")?));
            }
        }
        let retry = match receipt.opt_child("retry") {
            Some(retry) => Some(RetryInfo {
                count: retry.u32("count")?,
                id: retry.opt_string("id").unwrap_or_else(|| id.clone()),
                timestamp: retry.opt_u64("t")?,
                error: retry.opt_u32("error")?,
            }),
            None => None,
        };
        let registration_id = match receipt.opt_child("registration") {
            Some(registration) => Some(u32::from_be_bytes(registration.fixed::<4>("registration")?)),
            None => None,
        };
        let bundle = match receipt.opt_child("keys") {
            Some(_) => Some(parse_bundle(receipt)?),
            None => None,
        };
        Ok(IncomingReceipt {
            id,
            from: receipt.jid("from")?,
            participant: receipt.opt_jid("participant")?,
            recipient: receipt.opt_jid("recipient")?,
            receipt_type: receipt.opt_string("type").unwrap_or_default(),
            timestamp: receipt.opt_u64("t")?,
            category: receipt.opt_string("category"),
            ids,
            grouped,
            retry,
            registration_id,
            bundle,
        })
    }

    /// Who sent the receipt: `participant` in groups, else `from`.
    pub fn sender(&self) -> &Jid {
        self.participant.as_ref().unwrap_or(&self.from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary;
    use crate::crypto::KeyPair;
    use crate::signal::{IdentityKeyPair, SignedPreKeyRecord};

    fn incoming() -> IncomingMessage {
        IncomingMessage {
            id: "3EB0AA".into(),
            from: Jid::group("120363025246125888"),
            timestamp: 1_700_000_000,
            message_type: "text".into(),
            participant: Some(Jid::lid("123").with_device(2)),
            recipient: None,
            push_name: None,
            category: None,
            offline: false,
            addressing_mode: None,
            edit: None,
            alternates: Default::default(),
            encs: Vec::new(),
            unavailable: None,
        }
    }

    /// The `stanza_receipt` vector of binary-node.json.
    #[test]
    fn read_receipt_matches_the_codec_vector() {
        let node = read_receipt(
            &Jid::pn("15551234567"),
            None,
            &["3EB0A1B2C3D4E5F60718"],
            ReadType::Read,
            1_700_000_123,
        )
        .unwrap();
        assert_eq!(
            hex::encode(binary::encode(&node).unwrap()),
            "00f8090708fb0a3eb0a1b2c3d4e5f607181aff05170000012311faff8615551234567f03042a"
        );
        let group = read_receipt(
            &Jid::group("1"),
            Some(&Jid::pn("2")),
            &["A", "B", "C"],
            ReadType::Played,
            5,
        )
        .unwrap();
        assert_eq!(group.attr_str("type"), Some("played"));
        assert_eq!(group.child("list").unwrap().child_nodes().len(), 2);
        assert!(read_receipt(&Jid::group("1"), None, &[], ReadType::Read, 5).is_none());
    }

    #[test]
    fn retry_receipt_round_trip() {
        let mut rng = rand::rng();
        let identity = IdentityKeyPair::generate(&mut rng);
        let spk = SignedPreKeyRecord::generate(&identity, 3, 0, &mut rng).unwrap();
        let opk = KeyPair::generate(&mut rng);
        let retry = RetryReceipt {
            count: 2,
            registration_id: 1234,
            keys: Some(RetryKeys {
                identity: *identity.public(),
                prekey: (99, opk.public),
                signed_prekey_id: 3,
                signed_prekey: spk.key_pair.public,
                signed_prekey_signature: spk.signature,
                device_identity: vec![1, 2, 3],
            }),
        };
        let message = incoming();
        let mut node = retry.to_node(&message);
        assert_eq!(node.attr_str("type"), Some("retry"));
        // The server delivers it with `from` instead of `to`.
        node.attrs.retain(|attr| attr.key != "to");
        node.set_attr("from", message.from.clone());
        let bytes = binary::encode(&node).unwrap();
        let tree = binary::decode_node(&bytes[1..]).unwrap();
        let parsed = IncomingReceipt::parse(tree.root()).unwrap();
        assert_eq!(parsed.receipt_type, "retry");
        assert_eq!(parsed.sender(), &Jid::lid("123").with_device(2));
        assert_eq!(
            parsed.retry,
            Some(RetryInfo {
                count: 2,
                id: "3EB0AA".into(),
                timestamp: Some(1_700_000_000),
                error: None
            })
        );
        assert_eq!(parsed.registration_id, Some(1234));
        let bundle = parsed.bundle.unwrap();
        assert_eq!(bundle.registration_id, 1234);
        assert_eq!(bundle.prekey, Some((99, opk.public)));
        bundle.verify_signature().unwrap();
    }

    #[test]
    fn incoming_lists_and_grouped() {
        let node = Node::new("receipt")
            .attr("from", Jid::group("1"))
            .attr("id", "A")
            .attr("type", "read")
            .children([
                Node::new("list").children([Node::new("item").attr("id", "B")]),
                Node::new("participants")
                    .attr("key", "A")
                    .children([Node::new("user").attr("jid", Jid::pn("2")).attr("t", "7")]),
            ]);
        let bytes = binary::encode(&node).unwrap();
        let tree = binary::decode_node(&bytes[1..]).unwrap();
        let parsed = IncomingReceipt::parse(tree.root()).unwrap();
        assert_eq!(parsed.ids, ["A", "B"]);
        assert_eq!(parsed.grouped, vec![(Jid::pn("2"), Some(7))]);
        let delivery = delivery_receipt(&incoming(), DeliveryType::Inactive);
        assert_eq!(delivery.attr_str("type"), Some("inactive"));
        assert_eq!(
            delivery_receipt(&incoming(), DeliveryType::Active).attr_str("type"),
            None
        );
    }
}
