//! The plain text of any message, for history search and previews.

use wasndr_proto::e2e::{Message, buttons_response_message};

use super::content::unwrap_content;

/// The plain text a reader sees in `message`, or `None` when it has none (a sticker, a reaction, an
/// uncaptioned image, a protocol message other than an edit, …).
///
/// Looks through every wrapper [`unwrap_content`] knows (ephemeral, view-once, document-with-caption,
/// device-sent copies, edits), then takes, in this order: `conversation`, extended text, the caption of
/// an image, video, round video or document, the displayed text of a buttons, template-button or
/// interactive reply, the title of a list reply, or the name of a poll (any version). Empty strings
/// count as no text.
pub fn plain_text(message: &Message) -> Option<&str> {
    let m = unwrap_content(message);
    let candidates = [
        m.conversation.as_deref(),
        m.extended_text_message.as_ref().and_then(|x| x.text.as_deref()),
        m.image_message.as_ref().and_then(|x| x.caption.as_deref()),
        m.video_message.as_ref().and_then(|x| x.caption.as_deref()),
        m.ptv_message.as_ref().and_then(|x| x.caption.as_deref()),
        m.document_message.as_ref().and_then(|x| x.caption.as_deref()),
        m.buttons_response_message
            .as_ref()
            .and_then(|x| x.response.as_ref())
            .map(|buttons_response_message::Response::SelectedDisplayText(text)| text.as_str()),
        m.template_button_reply_message
            .as_ref()
            .and_then(|x| x.selected_display_text.as_deref()),
        m.interactive_response_message
            .as_ref()
            .and_then(|x| x.body.as_ref())
            .and_then(|body| body.text.as_deref()),
        m.list_response_message.as_ref().and_then(|x| x.title.as_deref()),
        m.poll_creation_message
            .as_ref()
            .or(m.poll_creation_message_v2.as_ref())
            .or(m.poll_creation_message_v3.as_ref())
            .or(m.poll_creation_message_v5.as_ref())
            .or(m.poll_creation_message_v6.as_ref())
            .and_then(|x| x.name.as_deref()),
    ];
    candidates.into_iter().flatten().find(|text| !text.is_empty())
}

#[cfg(test)]
mod tests {
    use wasndr_proto::e2e::{
        ButtonsResponseMessage, DeviceSentMessage, DocumentMessage, ExtendedTextMessage, FutureProofMessage,
        ImageMessage, InteractiveResponseMessage, ListResponseMessage, PollCreationMessage, ProtocolMessage,
        ReactionMessage, StickerMessage, TemplateButtonReplyMessage, VideoMessage,
        interactive_response_message, protocol_message,
    };

    use super::*;

    fn wrap(message: Message) -> Option<Box<FutureProofMessage>> {
        Some(Box::new(FutureProofMessage {
            message: Some(Box::new(message)),
        }))
    }

    fn text(t: &str) -> Message {
        Message {
            conversation: Some(t.into()),
            ..Default::default()
        }
    }

    #[test]
    fn every_kind_of_text() {
        let cases: Vec<(Message, Option<&str>)> = vec![
            (text("plain"), Some("plain")),
            (
                Message {
                    extended_text_message: Some(Box::new(ExtendedTextMessage {
                        text: Some("extended".into()),
                        ..Default::default()
                    })),
                    ..Default::default()
                },
                Some("extended"),
            ),
            (
                Message {
                    image_message: Some(Box::new(ImageMessage {
                        caption: Some("image caption".into()),
                        ..Default::default()
                    })),
                    ..Default::default()
                },
                Some("image caption"),
            ),
            (
                Message {
                    video_message: Some(Box::new(VideoMessage {
                        caption: Some("video caption".into()),
                        ..Default::default()
                    })),
                    ..Default::default()
                },
                Some("video caption"),
            ),
            (
                Message {
                    document_with_caption_message: wrap(Message {
                        document_message: Some(Box::new(DocumentMessage {
                            caption: Some("doc caption".into()),
                            file_name: Some("a.pdf".into()),
                            ..Default::default()
                        })),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                Some("doc caption"),
            ),
            (
                Message {
                    buttons_response_message: Some(Box::new(ButtonsResponseMessage {
                        selected_button_id: Some("id-1".into()),
                        response: Some(buttons_response_message::Response::SelectedDisplayText(
                            "Yes".into(),
                        )),
                        ..Default::default()
                    })),
                    ..Default::default()
                },
                Some("Yes"),
            ),
            (
                Message {
                    list_response_message: Some(Box::new(ListResponseMessage {
                        title: Some("Row title".into()),
                        ..Default::default()
                    })),
                    ..Default::default()
                },
                Some("Row title"),
            ),
            (
                Message {
                    template_button_reply_message: Some(Box::new(TemplateButtonReplyMessage {
                        selected_display_text: Some("Template reply".into()),
                        ..Default::default()
                    })),
                    ..Default::default()
                },
                Some("Template reply"),
            ),
            (
                Message {
                    interactive_response_message: Some(Box::new(InteractiveResponseMessage {
                        body: Some(interactive_response_message::Body {
                            text: Some("Interactive".into()),
                            format: None,
                        }),
                        ..Default::default()
                    })),
                    ..Default::default()
                },
                Some("Interactive"),
            ),
            (
                Message {
                    poll_creation_message_v3: Some(Box::new(PollCreationMessage {
                        name: Some("Lunch?".into()),
                        ..Default::default()
                    })),
                    ..Default::default()
                },
                Some("Lunch?"),
            ),
            (
                Message {
                    ephemeral_message: wrap(Message {
                        view_once_message_v2_extension: wrap(Message {
                            image_message: Some(Box::new(ImageMessage {
                                caption: Some("secret".into()),
                                ..Default::default()
                            })),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                Some("secret"),
            ),
            (
                Message {
                    view_once_message: wrap(text("v1")),
                    ..Default::default()
                },
                Some("v1"),
            ),
            (
                Message {
                    view_once_message_v2: wrap(text("v2")),
                    ..Default::default()
                },
                Some("v2"),
            ),
            (
                Message {
                    device_sent_message: Some(Box::new(DeviceSentMessage {
                        destination_jid: Some("1@s.whatsapp.net".into()),
                        message: Some(Box::new(text("from my phone"))),
                        phash: None,
                    })),
                    ..Default::default()
                },
                Some("from my phone"),
            ),
            (
                Message {
                    edited_message: wrap(Message {
                        protocol_message: Some(Box::new(ProtocolMessage {
                            r#type: Some(protocol_message::Type::MessageEdit as i32),
                            edited_message: Some(Box::new(text("fixed typo"))),
                            ..Default::default()
                        })),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                Some("fixed typo"),
            ),
            (
                Message {
                    sticker_message: Some(Box::new(StickerMessage::default())),
                    ..Default::default()
                },
                None,
            ),
            (
                Message {
                    reaction_message: Some(ReactionMessage {
                        text: Some("👍".into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                None,
            ),
            (text(""), None),
            (Message::default(), None),
        ];
        for (message, expected) in &cases {
            assert_eq!(plain_text(message), *expected, "{message:?}");
        }
    }
}
