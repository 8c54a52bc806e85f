//! The media host: clients upload encrypted blobs (`POST /mms/{type}/{token}`) and download them by
//! their direct path (messaging guide F.4, F.5). Blobs are kept as uploaded; the host never sees keys.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::HOST;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use wasndr_core::media::{MEDIA_KEY_LEN, MediaType, media_token};
use wasndr_core::message::UploadedMedia;

use crate::network::Network;
use crate::phone::ReceivedMedia;
use crate::shared::{Shared, rng, unix_now};

/// The largest upload accepted, bytes (WhatsApp's hosts announce 100 MiB as `maxContentLengthBytes`).
/// axum's 2 MB default body limit would otherwise refuse ordinary videos and documents.
pub(crate) const MAX_UPLOAD: usize = 100 * 1024 * 1024;

/// Stores the body under a fresh name and answers `{url, direct_path}`.
pub(crate) async fn upload(
    State(shared): State<Arc<Shared>>,
    Path((_kind, token)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if body.is_empty() {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "empty body"}))).into_response();
    }
    let file = {
        let mut net = shared.net();
        let file = file_name(&mut net, &token);
        net.media.insert(file.clone(), Arc::new(body.to_vec()));
        file
    };
    let direct_path = direct_path(&file);
    // The URL names the host the file came in through: a client that uploaded over HTTPS downloads
    // from the host in the URL over HTTPS (Baileys does).
    let tls_host = shared.info.media_tls_url.trim_start_matches("https://");
    let came_by_tls = headers
        .get(HOST)
        .and_then(|host| host.to_str().ok())
        .is_some_and(|host| host == tls_host);
    let base = if came_by_tls {
        &shared.info.media_tls_url
    } else {
        &shared.info.media_url
    };
    Json(json!({
        "url": format!("{base}{direct_path}"),
        "direct_path": direct_path,
    }))
    .into_response()
}

/// A fresh blob name: unique by the network's counter, readable by the upload token's first letters.
fn file_name(net: &mut Network, token: &str) -> String {
    format!(
        "{}-{}.enc",
        net.next_number(),
        token
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(16)
            .collect::<String>()
    )
}

/// The path a blob downloads from, as the upload response gives it.
fn direct_path(file: &str) -> String {
    format!("/v/media/{file}?ccb=11-4")
}

/// A file a virtual phone sends, encrypted and named but not yet on the host: the phone builds its
/// message from [`uploaded`](Self::uploaded) first, so a file whose message cannot be built is never
/// stored.
pub(crate) struct PhoneUpload {
    /// What the message carries: key, hashes, direct path and plain-host URL.
    pub(crate) uploaded: UploadedMedia,
    file: String,
    body: Vec<u8>,
}

impl PhoneUpload {
    /// Encrypts `data` as `kind` under a fresh media key, as a phone does before uploading. The phone
    /// and the host are one process, so the blob goes straight into the host's store (no HTTP).
    pub(crate) fn encrypt(shared: &Shared, kind: MediaType, data: &[u8]) -> PhoneUpload {
        let mut media_key = [0u8; MEDIA_KEY_LEN];
        rand::Rng::fill_bytes(&mut rng(), &mut media_key);
        let encrypted = wasndr_core::media::encrypt(&media_key, kind, data);
        let token = media_token(&encrypted.hashes.file_enc_sha256);
        let file = file_name(&mut shared.net(), &token);
        let direct_path = direct_path(&file);
        let uploaded = UploadedMedia {
            media_key,
            hashes: encrypted.hashes,
            url: format!("{}{direct_path}", shared.info.media_url),
            direct_path,
            media_key_timestamp: i64::try_from(unix_now()).unwrap_or(i64::MAX),
        };
        PhoneUpload {
            uploaded,
            file,
            body: encrypted.body,
        }
    }

    /// Puts the blob on the host, where its direct path and URL now serve it.
    pub(crate) fn publish(self, shared: &Shared) {
        shared.net().media.insert(self.file, Arc::new(self.body));
    }
}

/// Serves a stored blob.
pub(crate) async fn download(State(shared): State<Arc<Shared>>, Path(file): Path<String>) -> Response {
    let blob = shared.net().media.get(&file).cloned();
    match blob {
        Some(blob) => (StatusCode::OK, Bytes::from(blob.as_ref().clone())).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The file a virtual phone received in `message`, read from the host's blobs (the phone and the host
/// are one process) and decrypted with the message's key, checked against its hashes and MAC. `None`
/// when the message carries no file.
pub(crate) fn fetch_and_decrypt(
    shared: &Shared,
    message: &wasndr_proto::e2e::Message,
) -> Option<ReceivedMedia> {
    let found = wasndr_core::message::attachment(message)?;
    let info = found.to_media_info();
    let caption = wasndr_core::message::plain_text(message)
        .filter(|text| !text.is_empty())
        .map(str::to_owned);
    let mut received = ReceivedMedia {
        kind: info.media_type.clone(),
        mimetype: info.mimetype.clone(),
        file_name: info.file_name.clone(),
        caption,
        size: 0,
        sha256: String::new(),
        error: None,
        data: Vec::new(),
    };
    match decrypt_blob(shared, &found) {
        Ok(data) => {
            received.size = data.len();
            received.sha256 = hex::encode(wasndr_core::crypto::sha256(&data));
            received.data = data;
        }
        Err(error) => received.error = Some(error),
    }
    Some(received)
}

fn decrypt_blob(shared: &Shared, found: &wasndr_core::message::Attachment<'_>) -> Result<Vec<u8>, String> {
    // `/v/media/<file>?…`, or the same path inside the full URL.
    let path = found
        .direct_path
        .or_else(|| {
            found
                .url
                .and_then(|url| url.find("/v/media/").map(|at| &url[at..]))
        })
        .ok_or("no direct path or URL")?;
    let file = path
        .strip_prefix("/v/media/")
        .and_then(|rest| rest.split(['?', '&']).next())
        .ok_or_else(|| format!("not a path of this host: {path}"))?;
    let blob = shared
        .net()
        .media
        .get(file)
        .cloned()
        .ok_or_else(|| format!("no such file: {file}"))?;
    let (Some(key), Some(enc_sha), Some(sha)) = (found.media_key, found.file_enc_sha256, found.file_sha256)
    else {
        return Err("the message lacks its media key or hashes".to_owned());
    };
    wasndr_core::media::decrypt(key, found.media_type, &blob, enc_sha, sha).map_err(|error| error.to_string())
}
