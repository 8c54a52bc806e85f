//! Reactions and message keys (messaging guide C.5).

use wasndr_proto::common::MessageKey;
use wasndr_proto::e2e::{Message, ReactionMessage};

use crate::jid::Jid;

/// The key of a message: its chat, id, whether we sent it and, in groups, who did when it was not us.
pub fn message_key(chat: &Jid, id: &str, from_me: bool, sender: Option<&Jid>) -> MessageKey {
    let participant = if chat.is_group() && !from_me {
        sender.map(|jid| jid.to_non_ad().to_string())
    } else {
        None
    };
    MessageKey {
        remote_jid: Some(chat.to_string()),
        from_me: Some(from_me),
        id: Some(id.to_owned()),
        participant,
    }
}

/// A reaction with `emoji` to the message `target`; an empty `emoji` removes our reaction.
pub fn reaction(target: MessageKey, emoji: &str, sender_timestamp_ms: i64) -> Message {
    Message {
        reaction_message: Some(ReactionMessage {
            key: Some(target),
            text: Some(emoji.to_owned()),
            grouping_key: None,
            sender_timestamp_ms: Some(sender_timestamp_ms),
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::classify::{edit_attribute, stanza_type};

    #[test]
    fn keys_and_reactions() {
        let group = Jid::group("120363000000000000");
        let bob = Jid::pn("15551234567").with_device(2);
        let key = message_key(&group, "3EB0X", false, Some(&bob));
        assert_eq!(key.participant.as_deref(), Some("15551234567@s.whatsapp.net"));
        assert_eq!(message_key(&group, "3EB0X", true, Some(&bob)).participant, None);
        assert_eq!(
            message_key(&bob.to_non_ad(), "3EB0X", false, Some(&bob)).participant,
            None
        );
        let like = reaction(key.clone(), "👍", 5);
        assert_eq!(stanza_type(&like), "reaction");
        assert_eq!(edit_attribute(&like), None);
        assert_eq!(edit_attribute(&reaction(key, "", 6)), Some("7"));
    }
}
