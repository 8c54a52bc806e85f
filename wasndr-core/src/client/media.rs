//! Media through the client (messaging guide F.3–F.5): the `media_conn` grant (hosts and upload
//! token, cached for its `ttl`), encrypted uploads to the media hosts, and downloads checked against
//! the message's hashes and MAC before anything is decrypted.
//!
//! The media hosts speak HTTPS in production. A client whose chat socket is plain `ws://` (the
//! simulator, sandbox mode) talks plain `http://` to the media hosts too: the hosts a `media_conn`
//! names carry no scheme, and one connected over an unencrypted socket is by construction not
//! WhatsApp's.

use std::time::Duration;

use hyper::Method;
use rand_core::Rng as _;
use tokio::time::Instant;

use super::groups::unix_now;
use super::media_http;
use super::{Client, SentMessage, Shared};
use crate::error::{Error, Result};
use crate::jid::Jid;
use crate::media::{self, MEDIA_KEY_LEN, MEDIA_MAC_LEN, MediaDecryptor, MediaType};
use crate::message::{MediaDetails, UploadedMedia, media_message};
use crate::stanza::{self, MediaConn};
use crate::store::MediaInfo;

/// How long one upload or download may take, headers and body.
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(300);

/// The largest upload answer read: a small JSON object.
const UPLOAD_ANSWER_LIMIT: u64 = 64 * 1024;

/// The largest download accepted when the message does not say how large the file is.
const UNSIZED_DOWNLOAD_LIMIT: u64 = 256 * 1024 * 1024;

/// The cached `media_conn` of one client, shared by concurrent transfers so they ask once.
#[derive(Debug, Default)]
pub(super) struct MediaConnCache {
    grant: tokio::sync::Mutex<Option<(MediaConn, Instant)>>,
}

impl MediaConnCache {
    /// The cached grant if still fresh, else a new one from the server.
    async fn get(&self, shared: &Shared) -> Result<MediaConn> {
        let mut grant = self.grant.lock().await;
        if let Some((conn, expires)) = grant.as_ref()
            && Instant::now() < *expires
        {
            return Ok(conn.clone());
        }
        let answer = shared.send_iq(stanza::media_conn_query().into()).await?;
        let conn = stanza::parse_media_conn(&answer)?;
        if conn.hosts.is_empty() {
            return Err(Error::MediaHttp {
                status: None,
                message: "media_conn named no hosts".into(),
            });
        }
        let expires = Instant::now() + Duration::from_secs(conn.ttl);
        *grant = Some((conn.clone(), expires));
        Ok(conn)
    }

    /// Forgets the grant after the hosts refused it, so the next transfer asks again.
    async fn invalidate(&self) {
        *self.grant.lock().await = None;
    }
}

/// A file to send with [`Client::send_media`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingMedia {
    /// The plaintext file.
    pub data: Vec<u8>,
    /// Image, video, audio, voice note, document, sticker, ...
    pub kind: MediaType,
    /// The MIME type (`image/jpeg`, `video/mp4`, `audio/ogg; codecs=opus`, `application/pdf`, ...).
    pub mime: String,
    /// A caption (image, video, document).
    pub caption: Option<String>,
    /// The file name (documents).
    pub file_name: Option<String>,
}

/// `url` with its `https://` made `http://` when the chat socket is plain (see the module docs).
fn with_scheme(url: String, secure: bool) -> String {
    match url.strip_prefix("https://") {
        Some(rest) if !secure => format!("http://{rest}"),
        _ => url,
    }
}

/// The `url` and `direct_path` of an upload answer (JSON).
fn parse_upload_answer(body: &[u8]) -> Result<(String, String)> {
    let malformed = |message: &str| Error::MediaHttp {
        status: Some(200),
        message: message.to_owned(),
    };
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| malformed("the upload answer is not JSON"))?;
    let field = |name: &str| {
        value
            .get(name)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    let direct_path =
        field("direct_path").ok_or_else(|| malformed("the upload answer has no direct_path"))?;
    let url = field("url").unwrap_or_default();
    Ok((url, direct_path))
}

/// Whether a message's `url` may be fetched: it comes from the sender, so only a media host is
/// accepted (one the `media_conn` grant names, or under `whatsapp.net`), over https unless the chat
/// socket is plain. Anything else could point the download at a private address of the machine the
/// client runs on.
fn media_host_url(url: &str, conn: &MediaConn, secure: bool) -> bool {
    let (scheme, rest) = match url.split_once("://") {
        Some(parts) => parts,
        None => return false,
    };
    if scheme != "https" && (secure || scheme != "http") {
        return false;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return false;
    }
    let host = authority
        .rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(authority, |(host, _)| host)
        .to_ascii_lowercase();
    conn.hosts
        .iter()
        .any(|known| known.hostname.eq_ignore_ascii_case(authority))
        || host == "whatsapp.net"
        || host.ends_with(".whatsapp.net")
}

/// What a download needs from a message's media fields.
struct Wanted<'a> {
    media_type: MediaType,
    media_key: &'a [u8],
    file_sha256: &'a [u8],
    file_enc_sha256: &'a [u8],
}

fn wanted(info: &MediaInfo) -> Result<Wanted<'_>> {
    let media_type = MediaType::from_name(&info.media_type)
        .filter(|kind| kind.mms_type().is_some())
        .ok_or(Error::InvalidArgument("unknown media type"))?;
    let media_key = info
        .media_key
        .as_deref()
        .filter(|key| key.len() == MEDIA_KEY_LEN)
        .ok_or(Error::InvalidArgument("the media has no 32-byte media key"))?;
    let file_sha256 = info
        .file_sha256
        .as_deref()
        .ok_or(Error::InvalidArgument("the media has no fileSha256"))?;
    let file_enc_sha256 = info
        .file_enc_sha256
        .as_deref()
        .ok_or(Error::InvalidArgument("the media has no fileEncSha256"))?;
    Ok(Wanted {
        media_type,
        media_key,
        file_sha256,
        file_enc_sha256,
    })
}

/// The largest body a file of `file_length` bytes encrypts to: PKCS#7 adds 1..=16 bytes, then the MAC.
fn download_limit(file_length: Option<u64>) -> u64 {
    file_length.map_or(UNSIZED_DOWNLOAD_LIMIT, |length| {
        length.saturating_add(16 + MEDIA_MAC_LEN as u64)
    })
}

/// Notes a failed attempt unless an earlier host's HTTP answer already says more (a 404 from one host
/// explains a failure better than another host being unreachable).
fn keep_most_telling(last: &mut Option<Error>, error: Error) {
    let answered = matches!(last, Some(Error::MediaHttp { status: Some(_), .. }));
    if !answered {
        *last = Some(error);
    }
}

fn status_error(status: u16, what: &str) -> Error {
    Error::MediaHttp {
        status: Some(status),
        message: format!("the media host refused the {what}"),
    }
}

impl Client {
    fn media_timeouts(&self) -> media_http::Timeouts {
        media_http::Timeouts {
            connect: self.config().connect_timeout,
            total: TRANSFER_TIMEOUT,
        }
    }

    fn media_secure(&self) -> bool {
        !self.config().url.starts_with("ws://")
    }

    /// Encrypts `data` under a fresh media key and uploads it to a media host (trying each host the
    /// `media_conn` grant names in turn). The result goes into a message with
    /// [`crate::message::media_message`].
    pub async fn upload_media(&self, data: &[u8], kind: MediaType) -> Result<UploadedMedia> {
        if kind.mms_type().is_none() {
            return Err(Error::InvalidArgument("that media type cannot be uploaded"));
        }
        let mut media_key = [0u8; MEDIA_KEY_LEN];
        let mut rng: rand::rngs::StdRng = rand::make_rng();
        rng.fill_bytes(&mut media_key);
        let media_key_timestamp = i64::try_from(unix_now()).unwrap_or(i64::MAX);
        let encrypted = media::encrypt(&media_key, kind, data);
        let hashes = encrypted.hashes;
        let body = hyper::body::Bytes::from(encrypted.body);
        let shared = self.shared();
        let conn = shared.media.get(shared).await?;
        let mut last = None;
        for host in &conn.hosts {
            if host.max_content_length.is_some_and(|max| body.len() as u64 > max) {
                last = Some(Error::MediaHttp {
                    status: None,
                    message: format!("the file is larger than {} allows", host.hostname),
                });
                continue;
            }
            let Some(url) = media::upload_url(&host.hostname, kind, &hashes.file_enc_sha256, &conn.auth)
            else {
                return Err(Error::InvalidArgument("that media type cannot be uploaded"));
            };
            let url = with_scheme(url, self.media_secure());
            let answer = media_http::request(
                Method::POST,
                &url,
                Some(body.clone()),
                UPLOAD_ANSWER_LIMIT,
                self.media_timeouts(),
                None,
            )
            .await;
            match answer {
                Ok(answer) if answer.status == 200 => {
                    let (url, direct_path) = parse_upload_answer(&answer.body)?;
                    return Ok(UploadedMedia {
                        media_key,
                        hashes,
                        direct_path,
                        url,
                        media_key_timestamp,
                    });
                }
                Ok(answer) => {
                    if matches!(answer.status, 401 | 403) {
                        shared.media.invalidate().await;
                    }
                    last = Some(status_error(answer.status, "upload"));
                }
                Err(error) => keep_most_telling(&mut last, error),
            }
        }
        Err(last.unwrap_or_else(|| status_error(0, "upload")))
    }

    /// Downloads the file a received message describes (see
    /// [`Attachment::to_media_info`](crate::message::Attachment::to_media_info)) and decrypts it as it
    /// arrives. Nothing is returned unless the body hashes to `fileEncSha256`, its MAC verifies and the
    /// plaintext hashes to `fileSha256`; otherwise [`Error::InvalidMedia`] says which check failed.
    pub async fn download_media(&self, info: &MediaInfo) -> Result<Vec<u8>> {
        let wanted = wanted(info)?;
        let limit = download_limit(info.file_length);
        let shared = self.shared();
        let conn = shared.media.get(shared).await?;
        let mut urls = Vec::new();
        if let Some(direct_path) = info.direct_path.as_deref() {
            for host in &conn.hosts {
                if let Some(url) = media::download_url(
                    &host.hostname,
                    direct_path,
                    wanted.media_type,
                    wanted.file_enc_sha256,
                ) {
                    urls.push(with_scheme(url, self.media_secure()));
                }
            }
        }
        if let Some(url) = info.url.as_deref().filter(|url| !url.is_empty()) {
            if media_host_url(url, &conn, self.media_secure()) {
                urls.push(url.to_owned());
            } else if urls.is_empty() {
                return Err(Error::InvalidArgument(
                    "the media URL is not on a WhatsApp media host",
                ));
            }
        }
        if urls.is_empty() {
            return Err(Error::InvalidArgument("the media has no direct path or URL"));
        }
        let capacity = usize::try_from(info.file_length.unwrap_or(0).min(limit)).unwrap_or(0);
        let mut last = None;
        for url in urls {
            // Decrypted as it arrives, so a large file is held once, as plaintext. What the decryptor
            // releases is untrusted until `finish` has checked the hashes and the MAC.
            let mut decryptor = MediaDecryptor::new(
                wanted.media_key,
                wanted.media_type,
                wanted.file_enc_sha256,
                wanted.file_sha256,
            );
            let mut plaintext = Vec::with_capacity(capacity);
            let mut sink = |chunk: &[u8]| decryptor.update(chunk, &mut plaintext);
            let answer = media_http::request(
                Method::GET,
                &url,
                None,
                limit,
                self.media_timeouts(),
                Some(&mut sink),
            )
            .await;
            match answer {
                Ok(answer) if answer.status == 200 => {
                    decryptor.finish(&mut plaintext)?;
                    return Ok(plaintext);
                }
                Ok(answer) => last = Some(status_error(answer.status, "download")),
                Err(error) => keep_most_telling(&mut last, error),
            }
        }
        Err(last.unwrap_or_else(|| status_error(0, "download")))
    }
}

impl Client {
    /// Uploads `media.data` (see [`Client::upload_media`]) and sends it to `to` (a user or a group) as
    /// an image, video, audio, voice note, document or sticker message with its MIME type, caption and
    /// file name (see [`Client::send_message`] for delivery and storage).
    pub async fn send_media(&self, to: &Jid, media: OutgoingMedia) -> Result<SentMessage> {
        // Checked before the upload, so a type that is no message costs no transfer.
        if !is_message_type(media.kind) {
            return Err(Error::InvalidArgument("that media type is not a message"));
        }
        let uploaded = self.upload_media(&media.data, media.kind).await?;
        let details = MediaDetails {
            mimetype: media.mime,
            caption: media.caption,
            file_name: media.file_name,
            ..MediaDetails::default()
        };
        let message = media_message(media.kind, &details, &uploaded)?;
        self.send_message(to, message).await
    }
}

/// The media types [`media_message`] makes a message of.
fn is_message_type(kind: MediaType) -> bool {
    matches!(
        kind,
        MediaType::Image
            | MediaType::Video
            | MediaType::Gif
            | MediaType::Ptv
            | MediaType::Audio
            | MediaType::Ptt
            | MediaType::Document
            | MediaType::Sticker
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_sockets_use_plain_media_urls() {
        assert_eq!(with_scheme("https://h/mms/x".into(), false), "http://h/mms/x");
        assert_eq!(with_scheme("https://h/mms/x".into(), true), "https://h/mms/x");
    }

    #[test]
    fn only_media_host_urls_are_fetched() {
        let conn = MediaConn {
            auth: "a".into(),
            ttl: 300,
            auth_ttl: None,
            max_buckets: None,
            hosts: vec![crate::stanza::MediaHost {
                hostname: "127.0.0.1:8080".into(),
                max_content_length: None,
            }],
        };
        assert!(media_host_url(
            "https://mmg.whatsapp.net/v/t62/1.enc?x",
            &conn,
            true
        ));
        assert!(media_host_url(
            "https://media.fxx1-1.fna.whatsapp.net/v/1.enc",
            &conn,
            true
        ));
        assert!(media_host_url(
            "https://127.0.0.1:8080/v/media/1.enc",
            &conn,
            true
        ));
        assert!(media_host_url(
            "http://127.0.0.1:8080/v/media/1.enc",
            &conn,
            false
        ));
        assert!(
            !media_host_url("http://mmg.whatsapp.net/v/1.enc", &conn, true),
            "plain http in production"
        );
        assert!(!media_host_url("https://169.254.169.254/latest", &conn, true));
        assert!(
            !media_host_url("https://127.0.0.1:9999/v/1.enc", &conn, true),
            "another port"
        );
        assert!(!media_host_url("https://evilwhatsapp.net/v/1.enc", &conn, true));
        assert!(!media_host_url(
            "https://mmg.whatsapp.net@10.0.0.1/v/1.enc",
            &conn,
            true
        ));
        assert!(!media_host_url("https://whatsapp.net.evil.com/v", &conn, true));
        assert!(!media_host_url("file:///etc/passwd", &conn, false));
        assert!(!media_host_url("mmg.whatsapp.net/v/1.enc", &conn, true));
    }

    #[test]
    fn upload_answers() {
        let (url, path) =
            parse_upload_answer(br#"{"url":"https://mmg/v/1.enc","direct_path":"/v/1.enc?ccb=11-4"}"#)
                .unwrap();
        assert_eq!(
            (url.as_str(), path.as_str()),
            ("https://mmg/v/1.enc", "/v/1.enc?ccb=11-4")
        );
        assert!(parse_upload_answer(br#"{"url":"x"}"#).is_err());
        assert!(parse_upload_answer(b"<html>").is_err());
    }

    #[test]
    fn downloads_need_keys_and_hashes_and_are_bounded() {
        let mut info = MediaInfo {
            media_type: "image".into(),
            mimetype: None,
            file_name: None,
            file_length: Some(100),
            file_sha256: Some(vec![1; 32]),
            file_enc_sha256: Some(vec![2; 32]),
            media_key: Some(vec![3; 32]),
            direct_path: Some("/v/1.enc?x".into()),
            url: None,
        };
        assert_eq!(wanted(&info).map(|w| w.media_type).ok(), Some(MediaType::Image));
        info.media_key = Some(vec![3; 31]);
        assert!(wanted(&info).is_err());
        info.media_key = Some(vec![3; 32]);
        info.media_type = "ppic".into();
        assert!(wanted(&info).is_err());
        assert_eq!(download_limit(Some(100)), 126);
        assert_eq!(download_limit(None), UNSIZED_DOWNLOAD_LIMIT);
    }
}
