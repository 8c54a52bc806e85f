//! History rows for sent and received messages.

use wasndr_proto::e2e::Message;

use crate::jid::Jid;
use crate::message::{attachment, plain_text, poll_of, stanza_type, unwrap_content};
use crate::store::{MessageStatus, StoredMessage};

/// What kind of message this is, for history: the media type for media, else `text`, `poll`,
/// `poll_vote`, `reaction`, `protocol`, or `unknown` for content this crate does not model (kept raw).
pub(super) fn history_type(message: &Message) -> String {
    if let Some(media) = attachment(message) {
        return media.to_media_info().media_type;
    }
    let content = unwrap_content(message);
    let kind = if poll_of(message).is_some() {
        "poll"
    } else if content.poll_update_message.is_some() {
        "poll_vote"
    } else if stanza_type(message) == "reaction" {
        "reaction"
    } else if plain_text(message).is_some() {
        "text"
    } else if content.protocol_message.is_some() {
        "protocol"
    } else {
        "unknown"
    };
    kind.to_owned()
}

/// The history row of a message (status `sent`: for an incoming one that means received).
pub(super) fn stored_message(
    chat: &Jid,
    id: &str,
    sender: &Jid,
    from_me: bool,
    timestamp: u64,
    message: &Message,
    raw: Vec<u8>,
) -> StoredMessage {
    StoredMessage {
        chat: chat.clone(),
        id: id.to_owned(),
        sender: sender.to_non_ad(),
        from_me,
        timestamp,
        status: MessageStatus::Sent,
        message_type: history_type(message),
        text: plain_text(message)
            .map(str::to_owned)
            .or_else(|| poll_of(message).and_then(|poll| poll.name.clone())),
        raw,
        media: attachment(message).map(|media| media.to_media_info()),
    }
}
