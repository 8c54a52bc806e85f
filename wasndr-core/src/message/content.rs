//! Finding the content inside a `Message`'s wrappers.

use wasndr_proto::e2e::{FutureProofMessage, Message, protocol_message};

/// How deep wrappers are followed. prost already refuses deeper nesting than this when decoding; the
/// bound keeps a caller-built message from looping.
const MAX_WRAPPERS: usize = 16;

fn inner(wrapper: Option<&FutureProofMessage>) -> Option<&Message> {
    wrapper.and_then(|w| w.message.as_deref())
}

/// The message one display wrapper holds: ephemeral, view-once (all three versions),
/// document-with-caption or the poll V4 wrapper. These are what whatsmeow's and Baileys' message
/// classification looks through.
fn display_wrapped(message: &Message) -> Option<&Message> {
    inner(message.ephemeral_message.as_deref())
        .or_else(|| inner(message.view_once_message.as_deref()))
        .or_else(|| inner(message.view_once_message_v2.as_deref()))
        .or_else(|| inner(message.view_once_message_v2_extension.as_deref()))
        .or_else(|| inner(message.document_with_caption_message.as_deref()))
        .or_else(|| inner(message.poll_creation_message_v4.as_deref()))
}

/// The message inside the display wrappers (ephemeral, view-once, document-with-caption, poll V4): what
/// decides a message's stanza type and media type.
pub fn unwrap_display(message: &Message) -> &Message {
    let mut current = message;
    for _ in 0..MAX_WRAPPERS {
        match display_wrapped(current) {
            Some(next) => current = next,
            None => break,
        }
    }
    current
}

/// The message shown to a reader: inside the display wrappers, a device-sent copy
/// (`deviceSentMessage.message`), and an edit (`editedMessage` → its `MESSAGE_EDIT` protocol message's
/// `editedMessage`, or a bare `MESSAGE_EDIT` protocol message), in any nesting.
pub fn unwrap_content(message: &Message) -> &Message {
    let mut current = message;
    for _ in 0..MAX_WRAPPERS {
        let next = display_wrapped(current)
            .or_else(|| {
                current
                    .device_sent_message
                    .as_deref()
                    .and_then(|dsm| dsm.message.as_deref())
            })
            .or_else(|| inner(current.edited_message.as_deref()))
            .or_else(|| {
                current
                    .protocol_message
                    .as_deref()
                    .filter(|p| p.r#type() == protocol_message::Type::MessageEdit)
                    .and_then(|p| p.edited_message.as_deref())
            });
        match next {
            Some(next) => current = next,
            None => break,
        }
    }
    current
}

#[cfg(test)]
mod tests {
    use wasndr_proto::e2e::{DeviceSentMessage, ProtocolMessage};

    use super::*;

    fn wrap(message: Message) -> Option<Box<FutureProofMessage>> {
        Some(Box::new(FutureProofMessage {
            message: Some(Box::new(message)),
        }))
    }

    #[test]
    fn looks_through_nested_wrappers() {
        let text = Message {
            conversation: Some("hi".into()),
            ..Default::default()
        };
        let view_once = Message {
            view_once_message_v2: wrap(text.clone()),
            ..Default::default()
        };
        let ephemeral = Message {
            ephemeral_message: wrap(view_once),
            ..Default::default()
        };
        assert_eq!(unwrap_display(&ephemeral), &text);
        let dsm = Message {
            device_sent_message: Some(Box::new(DeviceSentMessage {
                destination_jid: Some("1@s.whatsapp.net".into()),
                message: Some(Box::new(ephemeral.clone())),
                phash: None,
            })),
            ..Default::default()
        };
        assert_eq!(unwrap_display(&dsm), &dsm, "display unwrapping stops at a DSM");
        assert_eq!(unwrap_content(&dsm), &text);
        let edit = Message {
            edited_message: wrap(Message {
                protocol_message: Some(Box::new(ProtocolMessage {
                    r#type: Some(protocol_message::Type::MessageEdit as i32),
                    edited_message: Some(Box::new(text.clone())),
                    ..Default::default()
                })),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(unwrap_content(&edit), &text);
        let revoke = Message {
            protocol_message: Some(Box::new(ProtocolMessage {
                r#type: Some(protocol_message::Type::Revoke as i32),
                edited_message: Some(Box::new(text.clone())),
                ..Default::default()
            })),
            ..Default::default()
        };
        assert_eq!(
            unwrap_content(&revoke),
            &revoke,
            "only MESSAGE_EDIT carries replacement content"
        );
    }
}
