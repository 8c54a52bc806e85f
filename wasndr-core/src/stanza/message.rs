//! The `<message>` stanza, outgoing (messaging guide D.6, D.9, E.6) and incoming (E.1).

use crate::binary::Node;
use crate::error::Result;
use crate::jid::{Jid, Server};

use super::StanzaProblem;
use super::read::{NodeView, Reader};

/// The `type` attribute of an `<enc>`: which kind of ciphertext it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EncType {
    /// A Signal message on an established session.
    Msg,
    /// A Signal prekey message: the sender started a session.
    PkMsg,
    /// A group sender-key message.
    SkMsg,
    /// A bot / message-secret payload (not decrypted here).
    MsMsg,
    /// A type this crate does not know.
    Unknown,
}

impl EncType {
    /// The attribute value (`"unknown"` for [`EncType::Unknown`], which is never sent).
    pub const fn as_str(self) -> &'static str {
        match self {
            EncType::Msg => "msg",
            EncType::PkMsg => "pkmsg",
            EncType::SkMsg => "skmsg",
            EncType::MsMsg => "msmsg",
            EncType::Unknown => "unknown",
        }
    }

    /// The type named by an attribute value.
    pub fn parse(value: &str) -> EncType {
        match value {
            "msg" => EncType::Msg,
            "pkmsg" => EncType::PkMsg,
            "skmsg" => EncType::SkMsg,
            "msmsg" => EncType::MsMsg,
            _ => EncType::Unknown,
        }
    }
}

/// One outgoing `<enc v="2">`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enc {
    /// msg, pkmsg or skmsg.
    pub enc_type: EncType,
    /// The Signal ciphertext.
    pub ciphertext: Vec<u8>,
    /// The `mediatype` attribute.
    pub media_type: Option<&'static str>,
    /// `decrypt-fail="hide"`.
    pub hide_decrypt_failure: bool,
    /// `count`: the resend number when answering a retry receipt.
    pub count: Option<u32>,
}

impl Enc {
    /// The `<enc>` node.
    pub fn to_node(&self) -> Node {
        self.clone().into_node()
    }

    /// The `<enc>` node, moving the ciphertext into it.
    pub fn into_node(self) -> Node {
        Node::new("enc")
            .attr_opt("count", self.count)
            .attr_opt("decrypt-fail", self.hide_decrypt_failure.then_some("hide"))
            .attr_opt("mediatype", self.media_type)
            .attr("type", self.enc_type.as_str())
            .attr("v", "2")
            .bytes(self.ciphertext)
    }
}

/// An outgoing `<message>`: a normal send (`participants` per device, plus `direct` skmsg in groups), a
/// resend after a retry receipt or a peer message (one `direct` pairwise enc). Attributes are written in
/// alphabetical order, which is the order the golden codec vectors use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutgoingMessage {
    /// The message id.
    pub id: String,
    /// The chat (user without device, group, `status@broadcast`), or the device a resend goes to.
    pub to: Option<Jid>,
    /// `text`, `media`, `reaction`, `poll`, `event`.
    pub message_type: &'static str,
    /// The `edit` attribute.
    pub edit: Option<&'static str>,
    /// `phash`, on group sends.
    pub phash: Option<String>,
    /// `addressing_mode` (`lid`/`pn`), on group sends.
    pub addressing_mode: Option<&'static str>,
    /// `category="peer"`, for messages to our own phone.
    pub peer: bool,
    /// `participant`, on resends of group messages.
    pub participant: Option<Jid>,
    /// `recipient`, on resends of our own DMs to our own devices.
    pub recipient: Option<Jid>,
    /// `peer_recipient_pn` (whatsmeow, DM sent to a LID).
    pub peer_recipient_pn: Option<Jid>,
    /// `t`: the original timestamp, on resends.
    pub timestamp: Option<u64>,
    /// `device_fanout="false"` on 1:1 resends.
    pub no_device_fanout: bool,
    /// One pairwise `<enc>` per device, inside `<participants><to jid=…>`.
    pub participants: Vec<(Jid, Enc)>,
    /// `<enc>` children of the message itself: the group skmsg, or the single enc of a resend or peer
    /// message.
    pub direct: Vec<Enc>,
    /// `<device-identity>`: our ADV signed device identity, needed when any enc is a pkmsg.
    pub device_identity: Option<Vec<u8>>,
    /// `<meta polltype=…/>` on poll messages.
    pub poll_type: Option<&'static str>,
}

impl OutgoingMessage {
    /// The stanza.
    pub fn to_node(&self) -> Node {
        self.clone().into_node()
    }

    /// The stanza, moving the ciphertexts into it.
    pub fn into_node(self) -> Node {
        let mut node = Node::new("message")
            .attr_opt("addressing_mode", self.addressing_mode)
            .attr_opt("category", self.peer.then_some("peer"))
            .attr_opt("device_fanout", self.no_device_fanout.then_some("false"))
            .attr_opt("edit", self.edit)
            .attr("id", self.id)
            .attr_opt("participant", self.participant)
            .attr_opt("peer_recipient_pn", self.peer_recipient_pn)
            .attr_opt("phash", self.phash)
            .attr_opt("recipient", self.recipient)
            .attr_opt("t", self.timestamp)
            .attr_opt("to", self.to)
            .attr("type", self.message_type);
        let mut children = Vec::with_capacity(4);
        if self.peer {
            children.push(Node::new("meta").attr("appdata", "default"));
        }
        if !self.participants.is_empty() {
            children.push(
                Node::new("participants").children(
                    self.participants
                        .into_iter()
                        .map(|(jid, enc)| Node::new("to").attr("jid", jid).children([enc.into_node()])),
                ),
            );
        }
        children.extend(self.direct.into_iter().map(Enc::into_node));
        if let Some(identity) = self.device_identity {
            children.push(Node::new("device-identity").bytes(identity));
        }
        if let Some(poll_type) = self.poll_type {
            children.push(Node::new("meta").attr("polltype", poll_type));
        }
        node.content = crate::binary::Content::Nodes(children);
        node
    }
}

/// One `<enc>` of an incoming message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncomingEnc {
    /// `v`: 2 for WhatsApp's padded `Message`, 3 for Messenger's transport format.
    pub version: u32,
    /// `type`.
    pub enc_type: EncType,
    /// The ciphertext.
    pub ciphertext: Vec<u8>,
    /// `count`: this is the N-th resend after a retry receipt (0 when absent).
    pub count: u32,
    /// `mediatype`.
    pub media_type: Option<String>,
    /// `decrypt-fail` (`hide`: show no placeholder if it cannot be decrypted).
    pub decrypt_fail: Option<String>,
}

/// An incoming `<message>` (messaging guide E.1), as the server delivers it: each device sees only its
/// own pairwise enc, plus the group's skmsg.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncomingMessage {
    /// `id`.
    pub id: String,
    /// `from`: the sender device in a DM, the group or broadcast otherwise.
    pub from: Jid,
    /// `t`, unix seconds.
    pub timestamp: u64,
    /// `type` (`text`, `media`, `reaction`, `poll`, …).
    pub message_type: String,
    /// `participant`: the sender device in groups and broadcasts.
    pub participant: Option<Jid>,
    /// `recipient`: set when our own other device sent this DM; it is the chat.
    pub recipient: Option<Jid>,
    /// `notify`: the sender's push name.
    pub push_name: Option<String>,
    /// `category` (`peer` for messages from our own phone to us).
    pub category: Option<String>,
    /// `offline`: delivered from the offline queue.
    pub offline: bool,
    /// `addressing_mode` (`lid`/`pn`).
    pub addressing_mode: Option<String>,
    /// `edit`.
    pub edit: Option<String>,
    /// `sender_lid`, `sender_pn`, `participant_lid`, `participant_pn`, `peer_recipient_lid`,
    /// `peer_recipient_pn`: the other identity of the sender or chat.
    pub alternates: Alternates,
    /// The `<enc>` children in document order.
    pub encs: Vec<IncomingEnc>,
    /// `<unavailable type>`: the server has no ciphertext for us (ask our phone to resend).
    pub unavailable: Option<String>,
}

/// The LID/PN alternates a message stanza carries (messaging guide 0).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Alternates {
    /// `sender_lid`.
    pub sender_lid: Option<Jid>,
    /// `sender_pn`.
    pub sender_pn: Option<Jid>,
    /// `participant_lid`.
    pub participant_lid: Option<Jid>,
    /// `participant_pn`.
    pub participant_pn: Option<Jid>,
    /// `peer_recipient_lid`.
    pub peer_recipient_lid: Option<Jid>,
    /// `peer_recipient_pn`.
    pub peer_recipient_pn: Option<Jid>,
}

impl IncomingMessage {
    /// Parses a `<message>` node.
    pub fn parse<'t, N: NodeView<'t>>(node: N) -> Result<IncomingMessage> {
        let message = Reader::expect(node, "message")?;
        let mut encs = Vec::with_capacity(2);
        let mut unavailable = None;
        for child in message.children() {
            match child.tag() {
                "enc" => encs.push(IncomingEnc {
                    version: child.opt_u32("v")?.unwrap_or(2),
                    enc_type: EncType::parse(child.str("type")?),
                    ciphertext: child.bytes("enc")?.to_vec(),
                    count: child.opt_u32("count")?.unwrap_or(0),
                    media_type: child.opt_string("mediatype"),
                    decrypt_fail: child.opt_string("decrypt-fail"),
                }),
                "unavailable" => unavailable = Some(child.opt_string("type").unwrap_or_default()),
                _ => {}
            }
        }
        let parsed = IncomingMessage {
            id: message.str("id")?.to_owned(),
            from: message.jid("from")?,
            timestamp: message.opt_u64("t")?.unwrap_or(0),
            message_type: message.opt_string("type").unwrap_or_default(),
            participant: message.opt_jid("participant")?,
            recipient: message.opt_jid("recipient")?,
            push_name: message.opt_string("notify"),
            category: message.opt_string("category"),
            offline: message.has_attr("offline"),
            addressing_mode: message.opt_string("addressing_mode"),
            edit: message.opt_string("edit"),
            alternates: Alternates {
                sender_lid: message.opt_jid("sender_lid")?,
                sender_pn: message.opt_jid("sender_pn")?,
                participant_lid: message.opt_jid("participant_lid")?,
                participant_pn: message.opt_jid("participant_pn")?,
                peer_recipient_lid: message.opt_jid("peer_recipient_lid")?,
                peer_recipient_pn: message.opt_jid("peer_recipient_pn")?,
            },
            encs,
            unavailable,
        };
        if parsed.is_group_or_broadcast() && parsed.participant.is_none() {
            return Err(message.fail(StanzaProblem::MissingAttr("participant")));
        }
        Ok(parsed)
    }

    /// Whether `from` is a group or a broadcast list (so `participant` is the sender).
    pub fn is_group_or_broadcast(&self) -> bool {
        matches!(self.from.server_kind(), Server::Group | Server::Broadcast)
    }

    /// The sending device: `participant` in groups and broadcasts, else `from`.
    pub fn sender(&self) -> &Jid {
        match (&self.participant, self.is_group_or_broadcast()) {
            (Some(participant), true) => participant,
            _ => &self.from,
        }
    }

    /// The chat the message belongs to: the group or broadcast, the `recipient` of a DM our own other
    /// device sent, else the sender's account.
    pub fn chat(&self) -> Jid {
        if self.is_group_or_broadcast() {
            self.from.clone()
        } else if let Some(recipient) = &self.recipient {
            recipient.to_non_ad()
        } else {
            self.from.to_non_ad()
        }
    }

    /// Whether `category="peer"`.
    pub fn is_peer(&self) -> bool {
        self.category.as_deref() == Some("peer")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary;

    fn hex_of_case(name: &str) -> String {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/vectors/binary-node.json"
        );
        let vectors: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        vectors["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|case| case["name"] == name)
            .unwrap()["hex"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn enc(enc_type: EncType, ciphertext: &str) -> Enc {
        Enc {
            enc_type,
            ciphertext: hex::decode(ciphertext).unwrap(),
            media_type: None,
            hide_decrypt_failure: false,
            count: None,
        }
    }

    /// The codec vector's 1:1 stanza has its enc directly under the message (a resend's layout).
    #[test]
    fn direct_enc_matches_the_codec_vector() {
        let message = OutgoingMessage {
            id: "3EB0A1B2C3D4E5F60718".into(),
            to: Some(Jid::pn("15551234567")),
            message_type: "text",
            direct: vec![enc(
                EncType::PkMsg,
                "9bb8edeecb753b8189df7304b83603f848bba4c7b2f428b3ea64902000beda232ce16e8c42ef53590b17d175fa44bc42daf05c0ca3f098d6490cd322183666ec94bc31adf411c0dc910dedce17b70d9a6a137d9780cb9a1e5419b9fcc4e1ee35b9723920da2d0983ff36ef692f202b33e323cf063a72c901",
            )],
            ..Default::default()
        };
        assert_eq!(
            hex::encode(binary::encode(&message.to_node()).unwrap()),
            hex_of_case("stanza_message_pkmsg")
        );
    }

    #[test]
    fn group_send_matches_the_codec_vector() {
        let message = OutgoingMessage {
            id: "3EB0FFEEDDCCBBAA9988".into(),
            to: Some(Jid::group("120363025246125888")),
            message_type: "text",
            participants: vec![(
                Jid::pn("15551234567").with_device(2),
                enc(
                    EncType::PkMsg,
                    "c35db9c2fdbf09ce50f377a86a6188c255e9c462702a7846fc835e07fc2b26217ca8be08364aaa2f",
                ),
            )],
            direct: vec![enc(
                EncType::SkMsg,
                "31c12ce289867eb874da7e946d462f91cbe44cc0867a24bf01d5ffc8c0514274c9e6169ee22779eef52c6c348f9fd7f2d39e5db6247826ca6c2c0b389efdb43c0cd0db52a8473ef6aa4baef15601df0371eee370f3df301621cb",
            )],
            ..Default::default()
        };
        let bytes = binary::encode(&message.to_node()).unwrap();
        assert_eq!(hex::encode(&bytes), hex_of_case("stanza_group_message_skmsg"));
    }

    #[test]
    fn incoming_parse() {
        let node = Node::new("message")
            .attr("addressing_mode", "lid")
            .attr("from", Jid::group("120363025246125888"))
            .attr("id", "3EB0AA")
            .attr("notify", "Bob")
            .attr("offline", "1")
            .attr("participant", Jid::lid("123").with_device(2))
            .attr("participant_pn", Jid::pn("15551234567").with_device(2))
            .attr("t", "1700000000")
            .attr("type", "text")
            .children([
                Node::new("enc")
                    .attr("type", "pkmsg")
                    .attr("v", "2")
                    .bytes(vec![1, 2]),
                Node::new("enc")
                    .attr("count", "2")
                    .attr("mediatype", "image")
                    .attr("type", "skmsg")
                    .attr("v", "2")
                    .bytes(vec![3]),
            ]);
        let bytes = binary::encode(&node).unwrap();
        let tree = binary::decode_node(&bytes[1..]).unwrap();
        let message = IncomingMessage::parse(tree.root()).unwrap();
        // The owned form of the same node parses the same.
        assert_eq!(IncomingMessage::parse(&tree.root().to_owned()).unwrap(), message);
        assert_eq!(message.sender(), &Jid::lid("123").with_device(2));
        assert_eq!(message.chat(), Jid::group("120363025246125888"));
        assert_eq!(
            message.alternates.participant_pn,
            Some(Jid::pn("15551234567").with_device(2))
        );
        assert!(message.offline);
        assert_eq!(message.push_name.as_deref(), Some("Bob"));
        assert_eq!(
            message
                .encs
                .iter()
                .map(|e| (e.enc_type, e.count))
                .collect::<Vec<_>>(),
            vec![(EncType::PkMsg, 0), (EncType::SkMsg, 2)]
        );
        assert_eq!(message.encs[1].media_type.as_deref(), Some("image"));

        // A group message without participant, and bad attributes, are errors, not panics.
        for broken in [
            Node::new("message").attr("from", Jid::group("1")).attr("id", "x"),
            Node::new("message").attr("id", "x"),
            Node::new("message")
                .attr("from", Jid::pn("1"))
                .attr("id", "x")
                .attr("t", "soon"),
            Node::new("message")
                .attr("from", Jid::pn("1"))
                .attr("id", "x")
                .children([Node::new("enc").attr("v", "2")]),
            Node::new("receipt"),
        ] {
            let bytes = binary::encode(&broken).unwrap();
            let tree = binary::decode_node(&bytes[1..]).unwrap();
            assert!(IncomingMessage::parse(tree.root()).is_err(), "{broken}");
        }
    }
}
