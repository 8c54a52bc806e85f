//! `<ack>`: ours for what we receive (messaging guide E.3), and the server's for what we send (D.8).

use crate::binary::Node;
use crate::error::Result;
use crate::jid::Jid;

use super::message::IncomingMessage;
use super::read::{NodeView, Reader};

/// Error codes of a negative ack (whatsmeow's list, plus Baileys' 463).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NackCode {
    /// 463: sender reach-out timelocked (Baileys).
    ReachoutTimelocked,
    /// 487: the stanza did not parse.
    ParsingError,
    /// 488: unrecognised stanza.
    UnrecognizedStanza,
    /// 489: unrecognised stanza class.
    UnrecognizedStanzaClass,
    /// 490: unrecognised stanza type.
    UnrecognizedStanzaType,
    /// 491: invalid protobuf.
    InvalidProtobuf,
    /// 493: invalid hosted companion stanza.
    InvalidHostedCompanionStanza,
    /// 495: missing message secret.
    MissingMessageSecret,
    /// 496: Signal old counter.
    SignalOldCounter,
    /// 499: message deleted on the peer.
    MessageDeletedOnPeer,
    /// 500: unhandled error.
    UnhandledError,
    /// 550: unsupported admin revoke.
    UnsupportedAdminRevoke,
    /// 551: unsupported LID group.
    UnsupportedLidGroup,
    /// 552: a database operation failed.
    DbOperationFailed,
}

impl NackCode {
    /// The numeric code.
    pub const fn code(self) -> u16 {
        match self {
            NackCode::ReachoutTimelocked => 463,
            NackCode::ParsingError => 487,
            NackCode::UnrecognizedStanza => 488,
            NackCode::UnrecognizedStanzaClass => 489,
            NackCode::UnrecognizedStanzaType => 490,
            NackCode::InvalidProtobuf => 491,
            NackCode::InvalidHostedCompanionStanza => 493,
            NackCode::MissingMessageSecret => 495,
            NackCode::SignalOldCounter => 496,
            NackCode::MessageDeletedOnPeer => 499,
            NackCode::UnhandledError => 500,
            NackCode::UnsupportedAdminRevoke => 550,
            NackCode::UnsupportedLidGroup => 551,
            NackCode::DbOperationFailed => 552,
        }
    }
}

/// Our `<ack>` of an incoming `message`, `receipt`, `notification` or `call` stanza.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ack {
    /// `class`: the tag of the acknowledged stanza.
    pub class: String,
    /// `id` of the acknowledged stanza.
    pub id: String,
    /// `to`: its `from`.
    pub to: Jid,
    /// Copied `participant`.
    pub participant: Option<Jid>,
    /// Copied `recipient`.
    pub recipient: Option<Jid>,
    /// Copied `type`, for every class but `message` (whatsmeow; Baileys copies it for messages too).
    pub ack_type: Option<String>,
    /// `error`: a negative ack.
    pub error: Option<u16>,
}

impl Ack {
    /// The ack of any incoming stanza, following whatsmeow's copying rules.
    pub fn for_stanza<'t, N: NodeView<'t>>(node: N) -> Result<Ack> {
        let tag = node.tag();
        let stanza = Reader::any(node, "ack");
        Ok(Ack {
            class: tag.to_owned(),
            id: stanza.str("id")?.to_owned(),
            to: stanza.jid("from")?,
            participant: stanza.opt_jid("participant")?,
            recipient: stanza.opt_jid("recipient")?,
            ack_type: if tag == "message" {
                None
            } else {
                stanza.opt_string("type")
            },
            error: None,
        })
    }

    /// The ack of a parsed incoming message: sent, with no error, when it could not be decrypted (a
    /// retry receipt goes first), or with an error to refuse it. A message that decrypted is
    /// acknowledged by its delivery receipt instead.
    pub fn for_message(message: &IncomingMessage) -> Ack {
        Ack {
            class: "message".to_owned(),
            id: message.id.clone(),
            to: message.from.clone(),
            participant: message.participant.clone(),
            recipient: message.recipient.clone(),
            ack_type: None,
            error: None,
        }
    }

    /// This ack with a nack code.
    #[must_use]
    pub fn with_error(mut self, code: NackCode) -> Ack {
        self.error = Some(code.code());
        self
    }

    /// The `<ack>` node (attributes in alphabetical order).
    pub fn to_node(&self) -> Node {
        Node::new("ack")
            .attr("class", self.class.clone())
            .attr_opt("error", self.error)
            .attr("id", self.id.clone())
            .attr_opt("participant", self.participant.clone())
            .attr_opt("recipient", self.recipient.clone())
            .attr("to", self.to.clone())
            .attr_opt("type", self.ack_type.clone())
    }
}

/// The server's `<ack>` of a stanza we sent (messaging guide D.8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerAck {
    /// `class` (`message`, `receipt`, …).
    pub class: String,
    /// The id of our stanza.
    pub id: String,
    /// `from`.
    pub from: Option<Jid>,
    /// `t`: the server's timestamp of the message.
    pub timestamp: Option<u64>,
    /// `phash`: the server's device-list hash; when it differs from ours, drop the device caches.
    pub phash: Option<String>,
    /// `error`: the message was refused (463: missing privacy token, 479: token on a peer message, …).
    pub error: Option<u32>,
    /// `server_id` (newsletters).
    pub server_id: Option<String>,
}

impl ServerAck {
    /// Parses an incoming `<ack>`.
    pub fn parse<'t, N: NodeView<'t>>(node: N) -> Result<ServerAck> {
        let ack = Reader::expect(node, "ack")?;
        Ok(ServerAck {
            class: ack.str("class")?.to_owned(),
            id: ack.str("id")?.to_owned(),
            from: ack.opt_jid("from")?,
            timestamp: ack.opt_u64("t")?,
            phash: ack.opt_string("phash"),
            error: ack.opt_u32("error")?,
            server_id: ack.opt_string("server_id"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary;
    use crate::binary::NodeRef;

    fn decode_then<T>(node: &Node, f: impl FnOnce(NodeRef<'_>) -> T) -> T {
        let bytes = binary::encode(node).unwrap();
        let tree = binary::decode_node(&bytes[1..]).unwrap();
        f(tree.root())
    }

    /// The `stanza_ack` vector of binary-node.json.
    #[test]
    fn matches_the_codec_vector() {
        let incoming = Node::new("message")
            .attr("from", Jid::group("120363025246125888"))
            .attr("id", "ABCDEF0123456789")
            .attr("participant", Jid::lid("123456789012345").with_device(4))
            .attr("type", "text");
        let ack = decode_then(&incoming, |node| Ack::for_stanza(node).unwrap());
        assert_eq!(ack.ack_type, None, "type is not copied on message acks");
        assert_eq!(
            hex::encode(binary::encode(&ack.to_node()).unwrap()),
            "00f8091b151308fb08abcdef012345678905f70104ff88123456789012345f11faff091203630252461258881c"
        );
    }

    #[test]
    fn copies_type_for_other_classes_and_nacks() {
        let receipt = Node::new("receipt")
            .attr("from", Jid::pn("1").with_device(2))
            .attr("id", "X")
            .attr("type", "read");
        let ack = decode_then(&receipt, |node| Ack::for_stanza(node).unwrap());
        assert_eq!(
            (ack.class.as_str(), ack.ack_type.as_deref()),
            ("receipt", Some("read"))
        );
        let nack = ack.with_error(NackCode::InvalidProtobuf).to_node();
        assert_eq!(nack.attr_str("error"), Some("491"));
        assert!(decode_then(&Node::new("receipt").attr("id", "X"), |node| {
            Ack::for_stanza(node).is_err()
        }));
    }

    #[test]
    fn server_ack() {
        let node = Node::new("ack")
            .attr("class", "message")
            .attr("from", Jid::pn("1"))
            .attr("id", "3EB0X")
            .attr("phash", "2:abcdefgh")
            .attr("t", "1700000000");
        let ack = decode_then(&node, |node| ServerAck::parse(node).unwrap());
        assert_eq!(ack.timestamp, Some(1_700_000_000));
        assert_eq!(ack.phash.as_deref(), Some("2:abcdefgh"));
        assert_eq!(ack.error, None);
    }
}
