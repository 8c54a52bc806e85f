//! Media messages: building one around an uploaded file (messaging guide C.3, F.4), and finding the
//! file of a received one to download it or list it (F.5).

use wasndr_proto::e2e::{AudioMessage, DocumentMessage, ImageMessage, Message, StickerMessage, VideoMessage};

use super::content::unwrap_content;
use crate::error::{Error, Result};
use crate::media::{MediaHashes, MediaType};
use crate::store::MediaInfo;

/// An encrypted file after its upload: what the message must carry to let recipients fetch it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadedMedia {
    /// The media key the file was encrypted under.
    pub media_key: [u8; 32],
    /// Its hashes and plaintext length.
    pub hashes: MediaHashes,
    /// `direct_path` from the upload response.
    pub direct_path: String,
    /// `url` from the upload response.
    pub url: String,
    /// When the key was made, unix seconds.
    pub media_key_timestamp: i64,
}

/// What describes the file beside the upload.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MediaDetails {
    /// The MIME type (`image/jpeg`, `video/mp4`, `audio/ogg; codecs=opus`, `application/pdf`,
    /// `image/webp`).
    pub mimetype: String,
    /// A caption (image, video, document).
    pub caption: Option<String>,
    /// The file name (document).
    pub file_name: Option<String>,
    /// Duration in seconds (audio, video).
    pub seconds: Option<u32>,
    /// Pixel size (image, video, sticker).
    pub width: Option<u32>,
    /// Pixel size (image, video, sticker).
    pub height: Option<u32>,
    /// A small JPEG preview (image, video, document).
    pub jpeg_thumbnail: Option<Vec<u8>>,
}

/// The message for an uploaded file of `media_type`: image, video, gif (a looping video), round video
/// (`Ptv`), audio, voice note (`Ptt`), document or sticker. Other media types are not messages.
pub fn media_message(
    media_type: MediaType,
    details: &MediaDetails,
    uploaded: &UploadedMedia,
) -> Result<Message> {
    let key = Some(uploaded.media_key.to_vec());
    let sha = Some(uploaded.hashes.file_sha256.to_vec());
    let enc_sha = Some(uploaded.hashes.file_enc_sha256.to_vec());
    let length = Some(uploaded.hashes.file_length);
    let url = Some(uploaded.url.clone());
    let path = Some(uploaded.direct_path.clone());
    let timestamp = Some(uploaded.media_key_timestamp);
    let mimetype = Some(details.mimetype.clone());
    let mut message = Message::default();
    match media_type {
        MediaType::Image => {
            message.image_message = Some(Box::new(ImageMessage {
                url,
                mimetype,
                caption: details.caption.clone(),
                file_sha256: sha,
                file_length: length,
                height: details.height,
                width: details.width,
                media_key: key,
                file_enc_sha256: enc_sha,
                direct_path: path,
                media_key_timestamp: timestamp,
                jpeg_thumbnail: details.jpeg_thumbnail.clone(),
                ..Default::default()
            }));
        }
        MediaType::Video | MediaType::Gif | MediaType::Ptv => {
            let video = Box::new(VideoMessage {
                url,
                mimetype,
                file_sha256: sha,
                file_length: length,
                seconds: details.seconds,
                media_key: key,
                caption: details.caption.clone(),
                gif_playback: (media_type == MediaType::Gif).then_some(true),
                height: details.height,
                width: details.width,
                file_enc_sha256: enc_sha,
                direct_path: path,
                media_key_timestamp: timestamp,
                jpeg_thumbnail: details.jpeg_thumbnail.clone(),
                ..Default::default()
            });
            if media_type == MediaType::Ptv {
                message.ptv_message = Some(video);
            } else {
                message.video_message = Some(video);
            }
        }
        MediaType::Audio | MediaType::Ptt => {
            message.audio_message = Some(Box::new(AudioMessage {
                url,
                mimetype,
                file_sha256: sha,
                file_length: length,
                seconds: details.seconds,
                ptt: (media_type == MediaType::Ptt).then_some(true),
                media_key: key,
                file_enc_sha256: enc_sha,
                direct_path: path,
                media_key_timestamp: timestamp,
                ..Default::default()
            }));
        }
        MediaType::Document => {
            message.document_message = Some(Box::new(DocumentMessage {
                url,
                mimetype,
                title: details.file_name.clone(),
                file_sha256: sha,
                file_length: length,
                media_key: key,
                file_name: details.file_name.clone(),
                file_enc_sha256: enc_sha,
                direct_path: path,
                media_key_timestamp: timestamp,
                jpeg_thumbnail: details.jpeg_thumbnail.clone(),
                caption: details.caption.clone(),
                ..Default::default()
            }));
        }
        MediaType::Sticker => {
            message.sticker_message = Some(Box::new(StickerMessage {
                url,
                file_sha256: sha,
                file_enc_sha256: enc_sha,
                media_key: key,
                mimetype,
                height: details.height,
                width: details.width,
                direct_path: path,
                file_length: length,
                media_key_timestamp: timestamp,
                ..Default::default()
            }));
        }
        _ => return Err(Error::InvalidArgument("that media type is not a message")),
    }
    Ok(message)
}

/// The file a message carries, found through its wrappers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attachment<'a> {
    /// Which keys and path type it uses.
    pub media_type: MediaType,
    /// `mediaKey`.
    pub media_key: Option<&'a [u8]>,
    /// `directPath`.
    pub direct_path: Option<&'a str>,
    /// `url`.
    pub url: Option<&'a str>,
    /// `fileSha256`.
    pub file_sha256: Option<&'a [u8]>,
    /// `fileEncSha256`.
    pub file_enc_sha256: Option<&'a [u8]>,
    /// `fileLength`.
    pub file_length: Option<u64>,
    /// `mimetype`.
    pub mimetype: Option<&'a str>,
    /// `fileName` (documents).
    pub file_name: Option<&'a str>,
}

/// The attachment of an image, video, round video, audio, document or sticker message.
pub fn attachment(message: &Message) -> Option<Attachment<'_>> {
    let m = unwrap_content(message);
    let base = |media_type| Attachment {
        media_type,
        media_key: None,
        direct_path: None,
        url: None,
        file_sha256: None,
        file_enc_sha256: None,
        file_length: None,
        mimetype: None,
        file_name: None,
    };
    if let Some(x) = &m.image_message {
        Some(Attachment {
            media_key: x.media_key.as_deref(),
            direct_path: x.direct_path.as_deref(),
            url: x.url.as_deref(),
            file_sha256: x.file_sha256.as_deref(),
            file_enc_sha256: x.file_enc_sha256.as_deref(),
            file_length: x.file_length,
            mimetype: x.mimetype.as_deref(),
            ..base(MediaType::Image)
        })
    } else if let Some((x, media_type)) = m
        .video_message
        .as_ref()
        .map(|x| {
            (
                x,
                if x.gif_playback() {
                    MediaType::Gif
                } else {
                    MediaType::Video
                },
            )
        })
        .or_else(|| m.ptv_message.as_ref().map(|x| (x, MediaType::Ptv)))
    {
        Some(Attachment {
            media_key: x.media_key.as_deref(),
            direct_path: x.direct_path.as_deref(),
            url: x.url.as_deref(),
            file_sha256: x.file_sha256.as_deref(),
            file_enc_sha256: x.file_enc_sha256.as_deref(),
            file_length: x.file_length,
            mimetype: x.mimetype.as_deref(),
            ..base(media_type)
        })
    } else if let Some(x) = &m.audio_message {
        Some(Attachment {
            media_key: x.media_key.as_deref(),
            direct_path: x.direct_path.as_deref(),
            url: x.url.as_deref(),
            file_sha256: x.file_sha256.as_deref(),
            file_enc_sha256: x.file_enc_sha256.as_deref(),
            file_length: x.file_length,
            mimetype: x.mimetype.as_deref(),
            ..base(if x.ptt() { MediaType::Ptt } else { MediaType::Audio })
        })
    } else if let Some(x) = &m.document_message {
        Some(Attachment {
            media_key: x.media_key.as_deref(),
            direct_path: x.direct_path.as_deref(),
            url: x.url.as_deref(),
            file_sha256: x.file_sha256.as_deref(),
            file_enc_sha256: x.file_enc_sha256.as_deref(),
            file_length: x.file_length,
            mimetype: x.mimetype.as_deref(),
            file_name: x.file_name.as_deref(),
            ..base(MediaType::Document)
        })
    } else {
        m.sticker_message.as_ref().map(|x| Attachment {
            media_key: x.media_key.as_deref(),
            direct_path: x.direct_path.as_deref(),
            url: x.url.as_deref(),
            file_sha256: x.file_sha256.as_deref(),
            file_enc_sha256: x.file_enc_sha256.as_deref(),
            file_length: x.file_length,
            mimetype: x.mimetype.as_deref(),
            ..base(MediaType::Sticker)
        })
    }
}

impl Attachment<'_> {
    /// The attachment-list entry; `media_type` is the kind of message (`image`, `video`, `audio`,
    /// `document`, `sticker`), gifs and round videos counting as video and voice notes as audio.
    pub fn to_media_info(&self) -> MediaInfo {
        let kind = match self.media_type {
            MediaType::Gif | MediaType::Ptv => MediaType::Video,
            MediaType::Ptt => MediaType::Audio,
            other => other,
        };
        MediaInfo {
            media_type: kind.name().to_owned(),
            mimetype: self.mimetype.map(str::to_owned),
            file_name: self.file_name.map(str::to_owned),
            file_length: self.file_length,
            file_sha256: self.file_sha256.map(<[u8]>::to_vec),
            file_enc_sha256: self.file_enc_sha256.map(<[u8]>::to_vec),
            media_key: self.media_key.map(<[u8]>::to_vec),
            direct_path: self.direct_path.map(str::to_owned),
            url: self.url.map(str::to_owned),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media;
    use crate::message::{enc_media_type, plain_text, stanza_type};

    fn uploaded(plaintext: &[u8], media_type: MediaType) -> UploadedMedia {
        let media_key = [7u8; 32];
        let encrypted = media::encrypt(&media_key, media_type, plaintext);
        UploadedMedia {
            media_key,
            hashes: encrypted.hashes,
            direct_path: "/v/t62.7118-24/1.enc?ccb=11-4".into(),
            url: "https://mmg.whatsapp.net/v/t62.7118-24/1.enc".into(),
            media_key_timestamp: 1_700_000_000,
        }
    }

    #[test]
    fn built_messages_classify_and_round_trip_their_attachment() {
        let details = MediaDetails {
            mimetype: "application/pdf".into(),
            caption: Some("the contract".into()),
            file_name: Some("contract.pdf".into()),
            ..Default::default()
        };
        for (media_type, expected_mediatype) in [
            (MediaType::Image, "image"),
            (MediaType::Video, "video"),
            (MediaType::Gif, "gif"),
            (MediaType::Audio, "audio"),
            (MediaType::Ptt, "ptt"),
            (MediaType::Document, "document"),
            (MediaType::Sticker, "sticker"),
        ] {
            let upload = uploaded(b"file bytes", media_type);
            let message = media_message(media_type, &details, &upload).unwrap();
            assert_eq!(stanza_type(&message), "media");
            assert_eq!(enc_media_type(&message), Some(expected_mediatype));
            let found = attachment(&message).unwrap();
            assert_eq!(found.media_type, media_type);
            assert_eq!(found.media_key, Some(&upload.media_key[..]));
            assert_eq!(found.file_enc_sha256, Some(&upload.hashes.file_enc_sha256[..]));
            assert_eq!(found.file_length, Some(10));
            assert_eq!(found.direct_path, Some(upload.direct_path.as_str()));
        }
        let document = media_message(
            MediaType::Document,
            &details,
            &uploaded(b"%PDF", MediaType::Document),
        )
        .unwrap();
        assert_eq!(plain_text(&document), Some("the contract"));
        let info = attachment(&document).unwrap().to_media_info();
        assert_eq!(info.media_type, "document");
        assert_eq!(info.file_name.as_deref(), Some("contract.pdf"));
        let voice = media_message(MediaType::Ptt, &details, &uploaded(b"ogg", MediaType::Ptt)).unwrap();
        assert_eq!(attachment(&voice).unwrap().to_media_info().media_type, "audio");
        assert!(media_message(MediaType::History, &details, &uploaded(b"x", MediaType::History)).is_err());
        assert_eq!(attachment(&Message::default()), None);
    }

    #[test]
    fn the_attachment_decrypts_with_what_the_message_says() {
        let plaintext = b"\x89PNG pretend image";
        let upload = uploaded(plaintext, MediaType::Image);
        let message = media_message(MediaType::Image, &MediaDetails::default(), &upload).unwrap();
        let found = attachment(&message).unwrap();
        let body = media::encrypt(&upload.media_key, MediaType::Image, plaintext).body;
        let decrypted = media::decrypt(
            found.media_key.unwrap(),
            found.media_type,
            &body,
            found.file_enc_sha256.unwrap(),
            found.file_sha256.unwrap(),
        )
        .unwrap();
        assert_eq!(decrypted, plaintext);
    }
}
