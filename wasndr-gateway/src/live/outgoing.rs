//! Sends: the gateway's content as a WhatsApp message (media uploaded first), and the errors of a send
//! in the terms the gateway's quota refunds go by.

use wasndr_core::client::Client;
use wasndr_core::jid::Jid;
use wasndr_core::media::MediaType as CoreMediaType;
use wasndr_core::message::{MediaDetails, media_message};

use crate::engine::{MediaType, OutgoingContent, OutgoingMedia};
use crate::error::GatewayError;

use super::errors::core_error;

/// Sends `content` to `to`; answers WhatsApp's id and the server's time.
pub(crate) async fn send(
    client: &Client,
    to: &Jid,
    content: OutgoingContent,
) -> Result<wasndr_core::client::SentMessage, GatewayError> {
    let field = if to.is_group() { "groupJid" } else { "phone" };
    let sent = match content {
        OutgoingContent::Text { text } => client.send_text(to, &text).await,
        OutgoingContent::Poll {
            question,
            options,
            selectable_count,
        } => client.send_poll(to, &question, &options, selectable_count).await,
        OutgoingContent::Media(media) => {
            let message = upload(client, media).await?;
            client.send_message(to, message).await
        }
    };
    sent.map_err(|error| send_error(error, field))
}

/// Encrypts and uploads the file; the message that carries it. Nothing has reached the chat yet when
/// this fails, so its errors are ones the gateway refunds the quota unit for. (`Client::send_media`
/// does the same in one call, but its errors do not say whether the upload or the send failed.)
async fn upload(client: &Client, media: OutgoingMedia) -> Result<wasndr_proto::e2e::Message, GatewayError> {
    let kind = match media.media_type {
        MediaType::Image => CoreMediaType::Image,
        MediaType::Video => CoreMediaType::Video,
        MediaType::Audio => CoreMediaType::Audio,
        MediaType::Document => CoreMediaType::Document,
    };
    let uploaded = client
        .upload_media(&media.data, kind)
        .await
        .map_err(|error| match error {
            wasndr_core::Error::NotConnected => GatewayError::SessionNotConnected,
            other => GatewayError::EngineUnavailable(format!("uploading the media failed: {other}")),
        })?;
    let details = MediaDetails {
        mimetype: media.mimetype,
        caption: media.caption,
        file_name: media.file_name,
        ..MediaDetails::default()
    };
    media_message(kind, &details, &uploaded).map_err(|error| GatewayError::Internal(error.to_string()))
}

/// A send's error. The server refusing the message is `WhatsApp` with its code; nobody to deliver to
/// (no devices: the number has no WhatsApp) is the caller's mistake and reached nobody; a missing ack
/// (timeout) may still have delivered, so it is `Internal` and the quota unit is kept.
fn send_error(error: wasndr_core::Error, field: &str) -> GatewayError {
    match error {
        wasndr_core::Error::MessageRefused { code, .. } => GatewayError::WhatsApp {
            code: code.to_string(),
            message: "the server refused the message".to_owned(),
        },
        wasndr_core::Error::NoDevices(who) => {
            GatewayError::invalid(field, format!("{who} has no WhatsApp devices to deliver to"))
        }
        wasndr_core::Error::InvalidArgument(why) => GatewayError::invalid(field, why),
        other => core_error(other),
    }
}
