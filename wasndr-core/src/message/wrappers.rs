//! The two wrappers the send path puts around content: the copy for our own other devices, and the
//! carrier of a group sender key.

use wasndr_proto::e2e::{DeviceSentMessage, Message, SenderKeyDistributionMessage};

use crate::jid::Jid;
use crate::signal::wire;

/// What our own other devices receive for a 1:1 message (messaging guide C.4):
/// `{deviceSentMessage: {destinationJid: chat, message}, messageContextInfo: copied}`.
pub fn device_sent(message: &Message, chat: &Jid) -> Message {
    Message {
        device_sent_message: Some(Box::new(DeviceSentMessage {
            destination_jid: Some(chat.to_string()),
            message: Some(Box::new(message.clone())),
            phash: None,
        })),
        message_context_info: message.message_context_info.clone(),
        ..Default::default()
    }
}

/// The content of a device-sent copy and the chat it went to (`None` for any other message).
pub fn open_device_sent(message: &Message) -> Option<(&Message, Option<&str>)> {
    let dsm = message.device_sent_message.as_deref()?;
    Some((dsm.message.as_deref()?, dsm.destination_jid.as_deref()))
}

/// The pairwise message that hands a group member our sender key (messaging guide B):
/// `{senderKeyDistributionMessage: {groupId, axolotlSenderKeyDistributionMessage}}`.
pub fn sender_key_distribution(group: &Jid, distribution: &wire::SenderKeyDistributionMessage) -> Message {
    Message {
        sender_key_distribution_message: Some(SenderKeyDistributionMessage {
            group_id: Some(group.to_string()),
            axolotl_sender_key_distribution_message: Some(distribution.serialized().to_vec()),
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use wasndr_proto::e2e::MessageContextInfo;

    use super::*;
    use crate::crypto::PublicKey;

    #[test]
    fn device_sent_round_trip() {
        let original = Message {
            conversation: Some("hi".into()),
            message_context_info: Some(MessageContextInfo {
                message_secret: Some(vec![1; 32]),
                ..Default::default()
            }),
            ..Default::default()
        };
        let chat = Jid::pn("15551234567");
        let wrapped = device_sent(&original, &chat);
        assert_eq!(wrapped.message_context_info, original.message_context_info);
        assert_eq!(
            open_device_sent(&wrapped),
            Some((&original, Some("15551234567@s.whatsapp.net")))
        );
        assert_eq!(open_device_sent(&original), None);
    }

    #[test]
    fn distribution_carrier() {
        let distribution =
            wire::SenderKeyDistributionMessage::new(7, 3, [2; 32], PublicKey::from_bytes([9; 32]));
        let message = sender_key_distribution(&Jid::group("120363000000000000"), &distribution);
        let skdm = message.sender_key_distribution_message.unwrap();
        assert_eq!(skdm.group_id.as_deref(), Some("120363000000000000@g.us"));
        assert_eq!(
            skdm.axolotl_sender_key_distribution_message.as_deref(),
            Some(distribution.serialized())
        );
    }
}
