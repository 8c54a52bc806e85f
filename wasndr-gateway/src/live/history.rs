//! Stored messages (wasndr-core's `StoredMessage`) in the gateway's terms: history entries, attachment
//! listings, and the query translation between the two.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use wasndr_core::jid::Jid;
use wasndr_core::message::unwrap_content;
use wasndr_core::store::{self as core_store, MessageStatus, StoredMessage};
use wasndr_proto::Message as _;
use wasndr_proto::e2e::Message;

use crate::engine::{
    AttachmentInfo, AttachmentQuery, DeliveryStatus, HistoryMessage, HistoryQuery, MediaType,
};
use crate::error::{GatewayError, Result};

/// The core history query for a gateway one. `None` when the time range is empty (an end before the
/// epoch), so the caller answers an empty page without asking the store.
pub(crate) fn history_query(query: &HistoryQuery) -> Result<Option<core_store::HistoryQuery>> {
    // Stored times are whole seconds; the gateway's range is inclusive milliseconds, so a message at
    // second `t` matches when `start_ms <= t * 1000 <= end_ms`.
    let since = query
        .start_ms
        .map(|ms| u64::try_from(ms.max(0)).unwrap_or(0).div_ceil(1000));
    let until = match query.end_ms {
        Some(ms) if ms < 0 => return Ok(None),
        Some(ms) => Some(u64::try_from(ms).unwrap_or(0) / 1000),
        None => None,
    };
    Ok(Some(core_store::HistoryQuery {
        chat: query.remote_jid.as_deref().map(chat).transpose()?,
        since,
        until,
        search: query.search.clone().filter(|s| !s.is_empty()),
        limit: query.limit,
        offset: query.offset,
        order: core_store::Order::NewestFirst,
    }))
}

/// The core attachments query for a gateway one.
pub(crate) fn attachment_query(query: &AttachmentQuery) -> Result<core_store::AttachmentQuery> {
    Ok(core_store::AttachmentQuery {
        chat: query.remote_jid.as_deref().map(chat).transpose()?,
        media_type: query.media_type.map(|t| t.as_str().to_owned()),
        limit: query.limit,
        offset: query.offset,
        order: core_store::Order::NewestFirst,
    })
}

fn chat(text: &str) -> Result<Jid> {
    Jid::parse(text).map_err(|_| GatewayError::invalid("remoteJid", format!("{text:?} is not a JID")))
}

/// A stored message as history shows it.
pub(crate) fn history_message(stored: &StoredMessage) -> HistoryMessage {
    let decoded = Message::decode(stored.raw.as_slice()).ok();
    let message_type = decoded
        .as_ref()
        .and_then(|m| content_type(unwrap_content(m)))
        .map_or_else(|| stored.message_type.clone(), str::to_owned);
    HistoryMessage {
        message_id: stored.id.clone(),
        remote_jid: stored.chat.to_string(),
        sender_jid: (stored.chat.is_group() && !stored.from_me)
            .then(|| stored.sender.to_non_ad().to_string()),
        from_me: stored.from_me,
        timestamp: i64::try_from(stored.timestamp).unwrap_or(i64::MAX),
        message_type,
        text: stored.text.clone(),
        status: stored.from_me.then(|| delivery_status(stored.status)),
        raw: decoded.as_ref().map_or(Value::Null, raw_json),
    }
}

/// A message the client just received (stored before the event), as history shows it.
pub(crate) fn received_message(event: &wasndr_core::client::MessageEvent) -> HistoryMessage {
    let info = &event.info;
    let text = event
        .message
        .as_ref()
        .and_then(wasndr_core::message::plain_text)
        .map(str::to_owned);
    history_message(&StoredMessage {
        chat: info.chat.clone(),
        id: info.id.clone(),
        sender: info.sender.clone(),
        from_me: info.from_me,
        timestamp: info.timestamp,
        status: MessageStatus::Sent,
        message_type: "unknown".to_owned(),
        text,
        raw: event.raw.to_vec(),
        media: None,
    })
}

/// The gateway's name for a stored delivery status.
pub(crate) fn delivery_status(status: MessageStatus) -> DeliveryStatus {
    match status {
        MessageStatus::Pending => DeliveryStatus::Pending,
        MessageStatus::Failed => DeliveryStatus::Failed,
        MessageStatus::Sent => DeliveryStatus::Sent,
        MessageStatus::Delivered => DeliveryStatus::Delivered,
        MessageStatus::Read => DeliveryStatus::Read,
        MessageStatus::Played => DeliveryStatus::Played,
        // A status added to core later: report the nearest one that is surely reached.
        _ => DeliveryStatus::Sent,
    }
}

/// A stored media message as the attachments list shows it; `None` for a message without media or with
/// a kind the API does not list (stickers).
pub(crate) fn attachment_info(stored: &StoredMessage) -> Option<AttachmentInfo> {
    let media = stored.media.as_ref()?;
    let media_type = match media.media_type.as_str() {
        "image" => MediaType::Image,
        "video" | "ptv" | "gif" => MediaType::Video,
        "audio" | "ptt" => MediaType::Audio,
        "document" => MediaType::Document,
        _ => return None,
    };
    Some(AttachmentInfo {
        id: attachment_id(&stored.chat, &stored.id),
        message_id: stored.id.clone(),
        remote_jid: stored.chat.to_string(),
        media_type,
        mimetype: media.mimetype.clone(),
        file_name: media.file_name.clone(),
        size: media.file_length.unwrap_or(0),
        sha256: media.file_sha256.as_deref().map(hex::encode).unwrap_or_default(),
        timestamp: i64::try_from(stored.timestamp).unwrap_or(i64::MAX),
    })
}

/// An attachment's id: its chat and message id, reversibly and URL-safely encoded, so a download needs
/// no lookup table.
pub(crate) fn attachment_id(chat: &Jid, message_id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{chat}\n{message_id}"))
}

/// The chat and message id an [`attachment_id`] names; `None` for text that is not one.
pub(crate) fn parse_attachment_id(id: &str) -> Option<(Jid, String)> {
    let bytes = URL_SAFE_NO_PAD.decode(id).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (chat, message_id) = text.split_once('\n')?;
    Some((Jid::parse(chat).ok()?, message_id.to_owned()))
}

/// The name of the content field a message carries (`conversation`, `imageMessage`, …), as Baileys
/// reports a message's type.
fn content_type(m: &Message) -> Option<&'static str> {
    let set = [
        (m.conversation.is_some(), "conversation"),
        (m.extended_text_message.is_some(), "extendedTextMessage"),
        (m.image_message.is_some(), "imageMessage"),
        (m.video_message.is_some(), "videoMessage"),
        (m.ptv_message.is_some(), "ptvMessage"),
        (m.audio_message.is_some(), "audioMessage"),
        (m.document_message.is_some(), "documentMessage"),
        (m.sticker_message.is_some(), "stickerMessage"),
        (m.reaction_message.is_some(), "reactionMessage"),
        (m.poll_creation_message.is_some(), "pollCreationMessage"),
        (m.poll_creation_message_v2.is_some(), "pollCreationMessageV2"),
        (m.poll_creation_message_v3.is_some(), "pollCreationMessageV3"),
        (m.poll_update_message.is_some(), "pollUpdateMessage"),
        (m.protocol_message.is_some(), "protocolMessage"),
        (m.buttons_response_message.is_some(), "buttonsResponseMessage"),
        (m.list_response_message.is_some(), "listResponseMessage"),
        (
            m.template_button_reply_message.is_some(),
            "templateButtonReplyMessage",
        ),
        (
            m.interactive_response_message.is_some(),
            "interactiveResponseMessage",
        ),
    ];
    set.into_iter()
        .find_map(|(present, name)| present.then_some(name))
}

/// The message as JSON with Baileys' camelCase names, for the fields an API user reads: text, media
/// metadata (never keys), polls, reactions, and the wrappers around them. Fields outside that set are
/// not shown.
fn raw_json(m: &Message) -> Value {
    let mut out = Map::new();
    if let Some(text) = &m.conversation {
        out.insert("conversation".into(), json!(text));
    }
    if let Some(x) = &m.extended_text_message {
        out.insert("extendedTextMessage".into(), json!({ "text": x.text }));
    }
    let media = |mimetype: &Option<String>,
                 caption: Option<&String>,
                 file_name: Option<&String>,
                 length: Option<u64>| {
        let mut fields = Map::new();
        for (key, value) in [
            ("mimetype", mimetype.as_ref().map(|v| json!(v))),
            ("caption", caption.map(|v| json!(v))),
            ("fileName", file_name.map(|v| json!(v))),
            ("fileLength", length.map(|v| json!(v))),
        ] {
            if let Some(value) = value {
                fields.insert(key.into(), value);
            }
        }
        Value::Object(fields)
    };
    if let Some(x) = &m.image_message {
        out.insert(
            "imageMessage".into(),
            media(&x.mimetype, x.caption.as_ref(), None, x.file_length),
        );
    }
    if let Some(x) = &m.video_message {
        out.insert(
            "videoMessage".into(),
            media(&x.mimetype, x.caption.as_ref(), None, x.file_length),
        );
    }
    if let Some(x) = &m.audio_message {
        out.insert(
            "audioMessage".into(),
            media(&x.mimetype, None, None, x.file_length),
        );
    }
    if let Some(x) = &m.document_message {
        out.insert(
            "documentMessage".into(),
            media(
                &x.mimetype,
                x.caption.as_ref(),
                x.file_name.as_ref(),
                x.file_length,
            ),
        );
    }
    if let Some(x) = &m.sticker_message {
        out.insert(
            "stickerMessage".into(),
            media(&x.mimetype, None, None, x.file_length),
        );
    }
    for (name, poll) in [
        ("pollCreationMessage", &m.poll_creation_message),
        ("pollCreationMessageV2", &m.poll_creation_message_v2),
        ("pollCreationMessageV3", &m.poll_creation_message_v3),
    ] {
        if let Some(x) = poll {
            let options: Vec<Value> = x
                .options
                .iter()
                .map(|o| json!({ "optionName": o.option_name }))
                .collect();
            out.insert(
                name.into(),
                json!({ "name": x.name, "options": options, "selectableOptionsCount": x.selectable_options_count }),
            );
        }
    }
    if let Some(x) = &m.reaction_message {
        let key = x.key.as_ref().map(|k| {
            json!({ "remoteJid": k.remote_jid, "fromMe": k.from_me, "id": k.id, "participant": k.participant })
        });
        out.insert("reactionMessage".into(), json!({ "key": key, "text": x.text }));
    }
    for (name, wrapper) in [
        ("ephemeralMessage", &m.ephemeral_message),
        ("viewOnceMessage", &m.view_once_message),
        ("viewOnceMessageV2", &m.view_once_message_v2),
        ("documentWithCaptionMessage", &m.document_with_caption_message),
        ("editedMessage", &m.edited_message),
    ] {
        if let Some(inner) = wrapper.as_ref().and_then(|w| w.message.as_deref()) {
            out.insert(name.into(), json!({ "message": raw_json(inner) }));
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use wasndr_proto::e2e::{FutureProofMessage, ImageMessage};

    use super::*;

    fn stored(chat: &str, message: &Message, from_me: bool) -> StoredMessage {
        StoredMessage {
            chat: Jid::parse(chat).unwrap(),
            id: "3EB0ABC".into(),
            sender: Jid::parse("15550002222:3@s.whatsapp.net").unwrap(),
            from_me,
            timestamp: 1_700_000_000,
            status: MessageStatus::Delivered,
            message_type: "text".into(),
            text: wasndr_core::message::plain_text(message).map(str::to_owned),
            raw: message.encode_to_vec(),
            media: None,
        }
    }

    #[test]
    fn a_stored_message_reads_as_baileys_shows_it() {
        let image = Message {
            ephemeral_message: Some(Box::new(FutureProofMessage {
                message: Some(Box::new(Message {
                    image_message: Some(Box::new(ImageMessage {
                        caption: Some("Invoice".into()),
                        mimetype: Some("image/png".into()),
                        media_key: Some(vec![7; 32]),
                        ..Default::default()
                    })),
                    ..Default::default()
                })),
            })),
            ..Default::default()
        };
        let shown = history_message(&stored("120363000000000001@g.us", &image, false));
        assert_eq!(shown.message_type, "imageMessage", "the type inside the wrapper");
        assert_eq!(shown.text.as_deref(), Some("Invoice"));
        assert_eq!(shown.sender_jid.as_deref(), Some("15550002222@s.whatsapp.net"));
        assert_eq!(shown.status, None, "received messages carry no delivery status");
        assert_eq!(
            shown.raw["ephemeralMessage"]["message"]["imageMessage"]["caption"],
            "Invoice"
        );
        assert!(
            !shown.raw.to_string().contains("mediaKey"),
            "keys never leave the engine"
        );

        let text = Message {
            conversation: Some("hi".into()),
            ..Default::default()
        };
        let shown = history_message(&stored("15550002222@s.whatsapp.net", &text, true));
        assert_eq!(shown.message_type, "conversation");
        assert_eq!(shown.sender_jid, None);
        assert_eq!(shown.status, Some(DeliveryStatus::Delivered));
        assert_eq!(shown.raw, json!({ "conversation": "hi" }));
    }

    #[test]
    fn millisecond_ranges_are_inclusive_over_whole_seconds() {
        let query = HistoryQuery {
            start_ms: Some(1_700_000_000_001),
            end_ms: Some(1_700_000_009_999),
            limit: 10,
            ..Default::default()
        };
        let core = history_query(&query).unwrap().unwrap();
        assert_eq!(core.since, Some(1_700_000_001));
        assert_eq!(core.until, Some(1_700_000_009));
        let before_epoch = HistoryQuery {
            end_ms: Some(-1),
            ..Default::default()
        };
        assert!(history_query(&before_epoch).unwrap().is_none());
        let bad = HistoryQuery {
            remote_jid: Some("not a jid".into()),
            ..Default::default()
        };
        assert!(matches!(
            history_query(&bad),
            Err(GatewayError::InvalidRequest { .. })
        ));
    }

    #[test]
    fn attachment_ids_round_trip_and_refuse_junk() {
        let chat = Jid::parse("15550002222@s.whatsapp.net").unwrap();
        let id = attachment_id(&chat, "3EB0ABC");
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(parse_attachment_id(&id), Some((chat, "3EB0ABC".to_owned())));
        assert_eq!(parse_attachment_id("%%%"), None);
        assert_eq!(parse_attachment_id(&URL_SAFE_NO_PAD.encode("no newline")), None);
    }
}
