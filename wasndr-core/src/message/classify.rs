//! What kind of message a `Message` is, as the stanza says it (messaging guide D.6).

use wasndr_proto::e2e::{Message, protocol_message};

use super::content::unwrap_display;

/// The reaction text that removes a reaction.
const REMOVE_REACTION: &str = "";

/// The `type` attribute of the `<message>` stanza: `reaction`, `poll`, `media` or `text` (protocol
/// messages and everything unrecognised are `text`), looking through the display wrappers as both
/// reference libraries do.
pub fn stanza_type(message: &Message) -> &'static str {
    let m = unwrap_display(message);
    if m.reaction_message.is_some() || m.enc_reaction_message.is_some() {
        "reaction"
    } else if is_poll_creation(m) || m.poll_update_message.is_some() {
        "poll"
    } else if enc_media_type(m).is_some() {
        "media"
    } else {
        "text"
    }
}

fn is_poll_creation(m: &Message) -> bool {
    m.poll_creation_message.is_some()
        || m.poll_creation_message_v2.is_some()
        || m.poll_creation_message_v3.is_some()
        || m.poll_creation_message_v5.is_some()
        || m.poll_creation_message_v6.is_some()
}

/// The `mediatype` attribute of the `<enc>` nodes, for the kinds this crate's schema declares:
/// `url` (extended text with a title, as whatsmeow), `image`, `sticker`, `document`, `audio`/`ptt`,
/// `video`/`gif`, `list_response`, `buttons_response` and `native_flow_response`.
pub fn enc_media_type(message: &Message) -> Option<&'static str> {
    let m = unwrap_display(message);
    if m.extended_text_message
        .as_ref()
        .is_some_and(|x| x.title.is_some())
    {
        Some("url")
    } else if m.image_message.is_some() {
        Some("image")
    } else if m.sticker_message.is_some() {
        Some("sticker")
    } else if m.document_message.is_some() {
        Some("document")
    } else if let Some(audio) = &m.audio_message {
        Some(if audio.ptt() { "ptt" } else { "audio" })
    } else if let Some(video) = &m.video_message {
        Some(if video.gif_playback() { "gif" } else { "video" })
    } else if m.list_response_message.is_some() {
        Some("list_response")
    } else if m.buttons_response_message.is_some() {
        Some("buttons_response")
    } else if m.interactive_response_message.is_some() {
        Some("native_flow_response")
    } else {
        None
    }
}

/// The `edit` attribute of the stanza (whatsmeow's rules): `1` for an edit, `7` for revoking our own
/// message or removing a reaction, `8` for an admin revoking someone else's message.
pub fn edit_attribute(message: &Message) -> Option<&'static str> {
    if let Some(inner) = message
        .edited_message
        .as_deref()
        .and_then(|w| w.message.as_deref())
    {
        return edit_attribute(inner);
    }
    if let Some(protocol) = message.protocol_message.as_deref()
        && let Some(key) = &protocol.key
    {
        return match protocol.r#type() {
            protocol_message::Type::Revoke if key.from_me() => Some("7"),
            protocol_message::Type::Revoke => Some("8"),
            protocol_message::Type::MessageEdit if protocol.edited_message.is_some() => Some("1"),
            _ => None,
        };
    }
    if message
        .reaction_message
        .as_ref()
        .is_some_and(|r| r.text.as_deref() == Some(REMOVE_REACTION))
    {
        return Some("7");
    }
    None
}

/// Whether the `<enc>` nodes carry `decrypt-fail="hide"`: anything with an `edit` attribute,
/// reactions and poll votes (whatsmeow), so a recipient that cannot decrypt shows no placeholder.
pub fn hides_decrypt_failure(message: &Message) -> bool {
    edit_attribute(message).is_some()
        || stanza_type(message) == "reaction"
        || unwrap_display(message).poll_update_message.is_some()
}

/// The `polltype` of the stanza's `<meta>` child: `creation` or `vote` for poll messages.
pub fn poll_type(message: &Message) -> Option<&'static str> {
    let m = unwrap_display(message);
    if m.poll_update_message.is_some() {
        Some("vote")
    } else if is_poll_creation(m) {
        Some("creation")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use wasndr_proto::common::MessageKey;
    use wasndr_proto::e2e::{
        AudioMessage, ExtendedTextMessage, FutureProofMessage, ImageMessage, PollCreationMessage,
        PollUpdateMessage, ProtocolMessage, ReactionMessage, VideoMessage,
    };

    use super::*;

    fn key(from_me: bool) -> Option<MessageKey> {
        Some(MessageKey {
            remote_jid: Some("1@s.whatsapp.net".into()),
            from_me: Some(from_me),
            id: Some("3EB0AA".into()),
            participant: None,
        })
    }

    #[test]
    fn types_and_media_types() {
        let text = Message {
            conversation: Some("hi".into()),
            ..Default::default()
        };
        assert_eq!((stanza_type(&text), enc_media_type(&text)), ("text", None));
        let link = Message {
            extended_text_message: Some(Box::new(ExtendedTextMessage {
                text: Some("see https://x".into()),
                title: Some("X".into()),
                ..Default::default()
            })),
            ..Default::default()
        };
        assert_eq!(
            (stanza_type(&link), enc_media_type(&link)),
            ("media", Some("url"))
        );
        let ptt = Message {
            audio_message: Some(Box::new(AudioMessage {
                ptt: Some(true),
                ..Default::default()
            })),
            ..Default::default()
        };
        assert_eq!(enc_media_type(&ptt), Some("ptt"));
        let gif = Message {
            video_message: Some(Box::new(VideoMessage {
                gif_playback: Some(true),
                ..Default::default()
            })),
            ..Default::default()
        };
        assert_eq!(enc_media_type(&gif), Some("gif"));
        let view_once_image = Message {
            view_once_message_v2: Some(Box::new(FutureProofMessage {
                message: Some(Box::new(Message {
                    image_message: Some(Box::new(ImageMessage::default())),
                    ..Default::default()
                })),
            })),
            ..Default::default()
        };
        assert_eq!(
            (stanza_type(&view_once_image), enc_media_type(&view_once_image)),
            ("media", Some("image"))
        );
        let poll = Message {
            poll_creation_message_v3: Some(Box::new(PollCreationMessage::default())),
            ..Default::default()
        };
        assert_eq!((stanza_type(&poll), poll_type(&poll)), ("poll", Some("creation")));
        let vote = Message {
            poll_update_message: Some(PollUpdateMessage::default()),
            ..Default::default()
        };
        assert_eq!((stanza_type(&vote), poll_type(&vote)), ("poll", Some("vote")));
        assert!(hides_decrypt_failure(&vote));
        assert!(!hides_decrypt_failure(&poll));
    }

    #[test]
    fn edit_attributes() {
        let revoke = |from_me| Message {
            protocol_message: Some(Box::new(ProtocolMessage {
                key: key(from_me),
                r#type: Some(protocol_message::Type::Revoke as i32),
                ..Default::default()
            })),
            ..Default::default()
        };
        assert_eq!(edit_attribute(&revoke(true)), Some("7"));
        assert_eq!(edit_attribute(&revoke(false)), Some("8"));
        let edit = Message {
            edited_message: Some(Box::new(FutureProofMessage {
                message: Some(Box::new(Message {
                    protocol_message: Some(Box::new(ProtocolMessage {
                        key: key(true),
                        r#type: Some(protocol_message::Type::MessageEdit as i32),
                        edited_message: Some(Box::new(Message::default())),
                        ..Default::default()
                    })),
                    ..Default::default()
                })),
            })),
            ..Default::default()
        };
        assert_eq!(edit_attribute(&edit), Some("1"));
        assert_eq!(stanza_type(&edit), "text");
        let reaction = |text: &str| Message {
            reaction_message: Some(ReactionMessage {
                key: key(false),
                text: Some(text.into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(edit_attribute(&reaction("")), Some("7"));
        assert_eq!(edit_attribute(&reaction("👍")), None);
        assert!(hides_decrypt_failure(&reaction("👍")));
        assert_eq!(stanza_type(&reaction("👍")), "reaction");
    }
}
