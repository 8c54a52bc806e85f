//! Presence and chat state (messaging guide H.3, H.4). Neither is acknowledged.

use crate::binary::Node;
use crate::error::Result;
use crate::jid::Jid;

use super::StanzaProblem;
use super::read::{NodeView, Reader};

/// Our own availability, with our push name (required by both reference libraries):
/// `<presence name type="available|unavailable"/>`. Going available makes delivery receipts active.
pub fn own_presence(available: bool, push_name: &str) -> Node {
    Node::new("presence")
        .attr("name", push_name.to_owned())
        .attr("type", if available { "available" } else { "unavailable" })
}

/// A subscription to a contact's presence; without a privacy token the server may ignore it.
pub fn subscribe_presence(to: &Jid, privacy_token: Option<&[u8]>) -> Node {
    let node = Node::new("presence")
        .attr("to", to.to_non_ad())
        .attr("type", "subscribe");
    match privacy_token {
        Some(token) => node.children([Node::new("tctoken").bytes(token.to_vec())]),
        None => node,
    }
}

/// Typing state in a chat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChatState {
    /// `<composing/>`: typing.
    Composing,
    /// `<composing media="audio"/>`: recording a voice note.
    Recording,
    /// `<paused/>`: stopped.
    Paused,
}

/// `<chatstate to><composing/>|<paused/></chatstate>`.
pub fn chat_state(to: &Jid, state: ChatState) -> Node {
    let child = match state {
        ChatState::Composing => Node::new("composing"),
        ChatState::Recording => Node::new("composing").attr("media", "audio"),
        ChatState::Paused => Node::new("paused"),
    };
    Node::new("chatstate").attr("to", to.clone()).children([child])
}

/// When a contact was last online.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LastSeen {
    /// Unix seconds.
    At(u64),
    /// `last="deny"`: hidden.
    Hidden,
}

/// A contact's presence update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncomingPresence {
    /// Whose.
    pub from: Jid,
    /// Online (no `type`) or not (`type="unavailable"`).
    pub available: bool,
    /// `last`.
    pub last_seen: Option<LastSeen>,
}

impl IncomingPresence {
    /// Parses a `<presence>` node.
    pub fn parse<'t, N: NodeView<'t>>(node: N) -> Result<IncomingPresence> {
        let presence = Reader::expect(node, "presence")?;
        let last_seen = match presence.opt_str("last") {
            None => None,
            Some("deny") => Some(LastSeen::Hidden),
            Some(_) => presence.opt_u64("last")?.map(LastSeen::At),
        };
        Ok(IncomingPresence {
            from: presence.jid("from")?,
            available: presence.opt_str("type") != Some("unavailable"),
            last_seen,
        })
    }
}

/// A typing update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncomingChatState {
    /// The chat.
    pub chat: Jid,
    /// Who types, in groups.
    pub participant: Option<Jid>,
    /// The state.
    pub state: ChatState,
}

impl IncomingChatState {
    /// Parses a `<chatstate>` node.
    pub fn parse<'t, N: NodeView<'t>>(node: N) -> Result<IncomingChatState> {
        let chatstate = Reader::expect(node, "chatstate")?;
        let state = if let Some(composing) = chatstate.opt_child("composing") {
            if composing.opt_str("media") == Some("audio") {
                ChatState::Recording
            } else {
                ChatState::Composing
            }
        } else if chatstate.opt_child("paused").is_some() {
            ChatState::Paused
        } else {
            return Err(chatstate.fail(StanzaProblem::MissingChild("composing")));
        };
        Ok(IncomingChatState {
            chat: chatstate.jid("from")?,
            participant: chatstate.opt_jid("participant")?,
            state,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary;
    use crate::binary::NodeRef;

    /// The `stanza_presence` vector of binary-node.json.
    #[test]
    fn own_presence_matches_the_codec_vector() {
        assert_eq!(
            hex::encode(binary::encode(&own_presence(true, "Alice")).unwrap()),
            "00f8051f89fc05416c6963650488"
        );
    }

    fn parse<T>(node: Node, f: impl FnOnce(NodeRef<'_>) -> Result<T>) -> Result<T> {
        let bytes = binary::encode(&node).unwrap();
        let tree = binary::decode_node(&bytes[1..]).unwrap();
        f(tree.root())
    }

    #[test]
    fn incoming() {
        let online = parse(Node::new("presence").attr("from", Jid::pn("1")), |n| {
            IncomingPresence::parse(n)
        })
        .unwrap();
        assert!(online.available);
        let away = parse(
            Node::new("presence")
                .attr("from", Jid::pn("1"))
                .attr("last", "deny")
                .attr("type", "unavailable"),
            |n| IncomingPresence::parse(n),
        )
        .unwrap();
        assert_eq!((away.available, away.last_seen), (false, Some(LastSeen::Hidden)));
        let typing = parse(
            Node::new("chatstate")
                .attr("from", Jid::group("1"))
                .attr("participant", Jid::pn("2"))
                .children([Node::new("composing").attr("media", "audio")]),
            |n| IncomingChatState::parse(n),
        )
        .unwrap();
        assert_eq!(typing.state, ChatState::Recording);
        assert!(
            parse(Node::new("chatstate").attr("from", Jid::pn("1")), |n| {
                IncomingChatState::parse(n)
            })
            .is_err()
        );
        let out = chat_state(&Jid::pn("1"), ChatState::Paused);
        assert!(out.child("paused").is_some());
        let subscribe = subscribe_presence(&Jid::pn("1").with_device(2), Some(b"tok"));
        assert_eq!(subscribe.attr_str("type"), Some("subscribe"));
        assert!(subscribe.child("tctoken").is_some());
    }
}
