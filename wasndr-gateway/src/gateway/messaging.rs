//! Sends and number checks: scope, session ownership, send rate limit, media, then the quota unit, then
//! the engine; a send that fails before reaching WhatsApp gives its unit back.

use base64::Engine as _;
use bytes::Bytes;

use crate::api::{CheckNumber, SendGroupMedia, SendGroupText, SendMedia, SendPoll, SendResult, SendText};
use crate::clock::{month_period, now_ms, to_rfc3339};
use crate::engine::{MediaType, NumberCheck, OutgoingContent, OutgoingMedia};
use crate::error::{GatewayError, Result};
use crate::fetch::FetchFailure;
use crate::phone::{ChatJid, normalise_phone};
use crate::rate_limit::RateDecision;
use crate::scope::Scope;

use super::{Caller, Gateway};

/// The outcome of a send, with the rate-limit figures for `X-RateLimit-*` headers (absent when the send
/// was refused before the limiter was consulted: bad input, missing scope, unknown session).
#[derive(Debug)]
pub struct Sent {
    /// The send limiter's decision for this request.
    pub rate: Option<RateDecision>,
    /// The result.
    pub result: Result<SendResult>,
}

const MAX_TEXT_CHARS: usize = 65_536;
const MAX_CAPTION_CHARS: usize = 4_096;

fn text_field(field: &str, text: &str, max: usize) -> Result<String> {
    if text.trim().is_empty() {
        return Err(GatewayError::invalid(field, "must not be empty"));
    }
    if text.chars().count() > max {
        return Err(GatewayError::invalid(
            field,
            format!("longer than {max} characters"),
        ));
    }
    Ok(text.to_owned())
}

fn optional_text(field: &str, text: Option<String>, max: usize) -> Result<Option<String>> {
    match text {
        Some(text) if !text.trim().is_empty() => text_field(field, &text, max).map(Some),
        _ => Ok(None),
    }
}

/// Parses `mediaType`.
pub(crate) fn media_type(field: &str, text: &str) -> Result<MediaType> {
    match text.trim().to_ascii_lowercase().as_str() {
        "image" => Ok(MediaType::Image),
        "video" => Ok(MediaType::Video),
        "audio" => Ok(MediaType::Audio),
        "document" => Ok(MediaType::Document),
        _ => Err(GatewayError::invalid(
            field,
            "must be image, video, audio or document",
        )),
    }
}

/// The media fields common to the two media sends.
struct MediaRequest {
    media_url: Option<String>,
    media_base64: Option<String>,
    media_type: String,
    caption: Option<String>,
    file_name: Option<String>,
    mimetype: Option<String>,
}

/// Media validated but not yet fetched (fetching happens after the rate limit).
struct PendingMedia {
    source: MediaSource,
    media_type: MediaType,
    caption: Option<String>,
    file_name: Option<String>,
    mimetype: Option<String>,
}

enum MediaSource {
    Url(String),
    Inline(Bytes),
}

/// What is sent, before media is fetched.
enum PendingContent {
    Ready(OutgoingContent),
    Media(PendingMedia),
}

impl Gateway {
    fn check_media(&self, request: MediaRequest) -> Result<PendingMedia> {
        let media_type = media_type("mediaType", &request.media_type)?;
        let source = match (request.media_url, request.media_base64) {
            (Some(url), None) if !url.trim().is_empty() => MediaSource::Url(url.trim().to_owned()),
            (None, Some(data)) if !data.trim().is_empty() => {
                let cleaned: String = data.split_whitespace().collect();
                let cleaned = cleaned
                    .split_once(";base64,")
                    .map_or(cleaned.as_str(), |(_, b64)| b64);
                if cleaned.len() as u64 / 4 * 3 > self.config.max_media_bytes + 3 {
                    return Err(GatewayError::PayloadTooLarge {
                        what: "mediaBase64",
                        limit: self.config.max_media_bytes,
                    });
                }
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(cleaned)
                    .map_err(|_| {
                        GatewayError::invalid("mediaBase64", "not valid base64 (standard alphabet)")
                    })?;
                if bytes.is_empty() {
                    return Err(GatewayError::invalid("mediaBase64", "the file is empty"));
                }
                MediaSource::Inline(Bytes::from(bytes))
            }
            (Some(_), Some(_)) => {
                return Err(GatewayError::invalid(
                    "mediaUrl",
                    "give either mediaUrl or mediaBase64, not both",
                ));
            }
            _ => return Err(GatewayError::invalid("mediaUrl", "required (or mediaBase64)")),
        };
        let mimetype = request
            .mimetype
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty());
        if let Some(mimetype) = &mimetype
            && (!mimetype.contains('/') || mimetype.len() > 255 || mimetype.chars().any(char::is_control))
        {
            return Err(GatewayError::invalid(
                "mimetype",
                "expected a mimetype like image/jpeg",
            ));
        }
        Ok(PendingMedia {
            source,
            media_type,
            caption: optional_text("caption", request.caption, MAX_CAPTION_CHARS)?,
            file_name: optional_text("fileName", request.file_name, 255)?,
            mimetype,
        })
    }

    async fn resolve_media(&self, media: PendingMedia) -> Result<OutgoingMedia> {
        let (data, fetched_type) = match media.source {
            MediaSource::Inline(bytes) => (bytes, None),
            MediaSource::Url(url) => match self.client.get(&url).await {
                Ok(response) if (200..300).contains(&response.status) => {
                    (response.body, response.content_type)
                }
                Ok(response) => {
                    return Err(GatewayError::MediaFetch(format!(
                        "the server answered HTTP {}",
                        response.status
                    )));
                }
                Err(FetchFailure::TooLarge(limit)) => {
                    return Err(GatewayError::PayloadTooLarge {
                        what: "mediaUrl",
                        limit,
                    });
                }
                Err(failure) => return Err(GatewayError::MediaFetch(failure.to_string())),
            },
        };
        if data.len() as u64 > self.config.max_media_bytes {
            return Err(GatewayError::PayloadTooLarge {
                what: "media file",
                limit: self.config.max_media_bytes,
            });
        }
        if data.is_empty() {
            return Err(GatewayError::MediaFetch("the file is empty".to_owned()));
        }
        let mimetype = media
            .mimetype
            .or_else(|| fetched_type.filter(|t| t.contains('/') && !t.starts_with("text/html")))
            .unwrap_or_else(|| media.media_type.fallback_mimetype().to_owned());
        Ok(OutgoingMedia {
            media_type: media.media_type,
            data,
            mimetype,
            caption: media.caption,
            file_name: media.file_name,
        })
    }

    /// Sends what passed validation; a request that failed it is answered before the rate limit or the
    /// quota is touched.
    async fn send_checked(
        &self,
        caller: &Caller,
        session_id: &str,
        checked: Result<(ChatJid, PendingContent)>,
    ) -> Sent {
        match checked {
            Ok((to, content)) => self.send(caller, session_id, to, content).await,
            Err(error) => Sent {
                rate: None,
                result: Err(error),
            },
        }
    }

    /// The shared tail of every send.
    async fn send(&self, caller: &Caller, session_id: &str, to: ChatJid, content: PendingContent) -> Sent {
        let record = match self.own_session(caller, session_id).await {
            Ok(record) => record,
            Err(error) => {
                return Sent {
                    rate: None,
                    result: Err(error),
                };
            }
        };
        let rate = self
            .send_limiter
            .check(&caller.account.id, caller.plan.sends_per_minute);
        if !rate.allowed {
            let error = GatewayError::RateLimited {
                limit: rate.limit,
                retry_after_secs: rate.retry_after_secs,
            };
            return Sent {
                rate: Some(rate),
                result: Err(error),
            };
        }
        let result = async {
            let content = match content {
                PendingContent::Ready(content) => content,
                PendingContent::Media(media) => OutgoingContent::Media(self.resolve_media(media).await?),
            };
            let (period, next_period) = month_period(now_ms());
            let limit = caller.plan.messages_per_month;
            // Committed (with other sends' units, in one transaction) before the message goes out.
            if self
                .quota
                .consume(&caller.account.id, &period, limit)
                .await?
                .is_none()
            {
                return Err(GatewayError::QuotaExceeded {
                    limit,
                    resets_at: to_rfc3339(next_period),
                });
            }
            match self.engine.send_message(&record.id, &to, content).await {
                Ok(sent) => Ok(SendResult {
                    message_id: sent.message_id,
                    to: to.as_str().to_owned(),
                    status: "sent".to_owned(),
                    timestamp: sent.timestamp,
                }),
                Err(error) => {
                    if !error.may_have_reached_whatsapp()
                        && let Err(refund) = self.quota.refund(&caller.account.id, &period).await
                    {
                        tracing::error!(%refund, "refunding a quota unit failed");
                    }
                    Err(error)
                }
            }
        }
        .await;
        Sent {
            rate: Some(rate),
            result,
        }
    }

    /// `POST /messages/send` (`messages:send`).
    pub async fn send_text(&self, caller: &Caller, request: SendText) -> Sent {
        let checked = (|| {
            caller.require(Scope::MessagesSend)?;
            let to = ChatJid::user(&normalise_phone("phone", &request.phone)?);
            let text = text_field("text", &request.text, MAX_TEXT_CHARS)?;
            Ok((to, OutgoingContent::Text { text }))
        })();
        let checked = checked.map(|(to, content)| (to, PendingContent::Ready(content)));
        self.send_checked(caller, &request.session_id, checked).await
    }

    /// `POST /messages/send-group` (`messages:send`; every plan).
    pub async fn send_group_text(&self, caller: &Caller, request: SendGroupText) -> Sent {
        let checked = (|| {
            caller.require(Scope::MessagesSend)?;
            let to = ChatJid::parse_group("groupJid", &request.group_jid)?;
            let text = text_field("text", &request.text, MAX_TEXT_CHARS)?;
            Ok((to, OutgoingContent::Text { text }))
        })();
        let checked = checked.map(|(to, content)| (to, PendingContent::Ready(content)));
        self.send_checked(caller, &request.session_id, checked).await
    }

    /// `POST /messages/send-media` (`messages:send`).
    pub async fn send_media(&self, caller: &Caller, request: SendMedia) -> Sent {
        let checked = (|| {
            caller.require(Scope::MessagesSend)?;
            let to = ChatJid::user(&normalise_phone("phone", &request.phone)?);
            let media = self.check_media(MediaRequest {
                media_url: request.media_url,
                media_base64: request.media_base64,
                media_type: request.media_type,
                caption: request.caption,
                file_name: request.file_name,
                mimetype: request.mimetype,
            })?;
            Ok((to, media))
        })();
        let checked = checked.map(|(to, media)| (to, PendingContent::Media(media)));
        self.send_checked(caller, &request.session_id, checked).await
    }

    /// `POST /messages/send-group-media` (`messages:send`; every plan).
    pub async fn send_group_media(&self, caller: &Caller, request: SendGroupMedia) -> Sent {
        let checked = (|| {
            caller.require(Scope::MessagesSend)?;
            let to = ChatJid::parse_group("groupJid", &request.group_jid)?;
            let media = self.check_media(MediaRequest {
                media_url: request.media_url,
                media_base64: request.media_base64,
                media_type: request.media_type,
                caption: request.caption,
                file_name: request.file_name,
                mimetype: request.mimetype,
            })?;
            Ok((to, media))
        })();
        let checked = checked.map(|(to, media)| (to, PendingContent::Media(media)));
        self.send_checked(caller, &request.session_id, checked).await
    }

    /// `POST /messages/send-poll` (`messages:send`): to `phone` or `groupJid`.
    pub async fn send_poll(&self, caller: &Caller, request: SendPoll) -> Sent {
        let checked = (|| {
            caller.require(Scope::MessagesSend)?;
            let to = match (&request.phone, &request.group_jid) {
                (Some(phone), None) => ChatJid::user(&normalise_phone("phone", phone)?),
                (None, Some(group)) => ChatJid::parse_group("groupJid", group)?,
                (Some(_), Some(_)) => {
                    return Err(GatewayError::invalid(
                        "phone",
                        "give either phone or groupJid, not both",
                    ));
                }
                (None, None) => return Err(GatewayError::invalid("phone", "required (or groupJid)")),
            };
            let question = text_field("question", &request.question, 255)?;
            if !(2..=12).contains(&request.options.len()) {
                return Err(GatewayError::invalid("options", "give 2 to 12 options"));
            }
            let mut options: Vec<String> = Vec::with_capacity(request.options.len());
            for option in &request.options {
                let option = text_field("options", option.trim(), 100)?;
                if options.contains(&option) {
                    return Err(GatewayError::invalid(
                        "options",
                        format!("{option:?} is repeated; options must differ"),
                    ));
                }
                options.push(option);
            }
            let selectable_count = request.selectable_count.unwrap_or(1);
            if selectable_count as usize > options.len() {
                return Err(GatewayError::invalid(
                    "selectableCount",
                    "must be between 0 (any number) and the number of options",
                ));
            }
            Ok((
                to,
                OutgoingContent::Poll {
                    question,
                    options,
                    selectable_count,
                },
            ))
        })();
        let checked = checked.map(|(to, content)| (to, PendingContent::Ready(content)));
        self.send_checked(caller, &request.session_id, checked).await
    }

    /// `POST /check-number` (`messages:send`): not a send, so neither quota nor send limit applies.
    pub async fn check_numbers(&self, caller: &Caller, request: CheckNumber) -> Result<Vec<NumberCheck>> {
        caller.require(Scope::MessagesSend)?;
        let phones: Vec<String> = match (request.phone, request.phones) {
            (Some(phone), None) => vec![normalise_phone("phone", &phone)?],
            (None, Some(phones)) if !phones.is_empty() && phones.len() <= 50 => phones
                .iter()
                .map(|p| normalise_phone("phones", p))
                .collect::<Result<_>>()?,
            (None, Some(_)) => return Err(GatewayError::invalid("phones", "give 1 to 50 phone numbers")),
            (Some(_), Some(_)) => {
                return Err(GatewayError::invalid(
                    "phone",
                    "give either phone or phones, not both",
                ));
            }
            (None, None) => return Err(GatewayError::invalid("phone", "required (or phones)")),
        };
        let record = self.own_session(caller, &request.session_id).await?;
        self.engine.check_numbers(&record.id, &phones).await
    }
}
