//! Upload and download addresses of media (messaging guide F.4, F.5).
//!
//! Only strings are built here; the HTTP request is the caller's.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;

use super::MediaType;

/// The upload token: URL-safe base64 of `fileEncSha256`, keeping the `=` padding as whatsmeow does
/// (Baileys strips it; the server evidently accepts both).
pub fn media_token(file_enc_sha256: &[u8]) -> String {
    URL_SAFE.encode(file_enc_sha256)
}

/// The upload URL `https://<host>/mms/<mms type>/<token>?auth=<auth>&token=<token>`, with the query
/// values percent-encoded. `None` for media types without an MMS path type.
pub fn upload_url(host: &str, media_type: MediaType, file_enc_sha256: &[u8], auth: &str) -> Option<String> {
    let mms_type = media_type.mms_type()?;
    let token = media_token(file_enc_sha256);
    Some(format!(
        "https://{host}/mms/{mms_type}/{token}?auth={}&token={}",
        query_escape(auth),
        query_escape(&token)
    ))
}

/// whatsmeow's download URL: `https://<host><directPath>&hash=<token>&mms-type=<type>&__wa-mms=`.
/// `None` when `direct_path` does not start with `/` or does not already carry a query string (the
/// suffix begins with `&`), or the media type has no MMS path type.
pub fn download_url(
    host: &str,
    direct_path: &str,
    media_type: MediaType,
    file_enc_sha256: &[u8],
) -> Option<String> {
    if !direct_path.starts_with('/') || !direct_path.contains('?') {
        return None;
    }
    let mms_type = media_type.mms_type()?;
    Some(format!(
        "https://{host}{direct_path}&hash={}&mms-type={mms_type}&__wa-mms=",
        query_escape(&media_token(file_enc_sha256))
    ))
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn query_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// fileEncSha256 of messaging guide F.2.
    const ENC_SHA: &str = "8b415a2a18fc728ab93e7f42c516449ca38d62ed2e50456b5a3ee5b11f8472d8";

    #[test]
    fn token_is_url_safe_base64_with_padding() {
        assert_eq!(
            media_token(&hex::decode(ENC_SHA).unwrap()),
            "i0FaKhj8coq5Pn9CxRZEnKONYu0uUEVrWj7lsR-Ectg="
        );
    }

    #[test]
    fn urls() {
        let hash = hex::decode(ENC_SHA).unwrap();
        assert_eq!(
            upload_url("mmg.whatsapp.net", MediaType::Ptt, &hash, "a/b+c").unwrap(),
            "https://mmg.whatsapp.net/mms/audio/i0FaKhj8coq5Pn9CxRZEnKONYu0uUEVrWj7lsR-Ectg=\
             ?auth=a%2Fb%2Bc&token=i0FaKhj8coq5Pn9CxRZEnKONYu0uUEVrWj7lsR-Ectg%3D"
        );
        assert_eq!(
            download_url(
                "mmg.whatsapp.net",
                "/v/t62.7118-24/1.enc?ccb=11-4",
                MediaType::Image,
                &hash
            )
            .unwrap(),
            "https://mmg.whatsapp.net/v/t62.7118-24/1.enc?ccb=11-4\
             &hash=i0FaKhj8coq5Pn9CxRZEnKONYu0uUEVrWj7lsR-Ectg%3D&mms-type=image&__wa-mms="
        );
        assert_eq!(download_url("h", "v/1.enc?x", MediaType::Image, &hash), None);
        assert_eq!(upload_url("h", MediaType::ProfilePicture, &hash, "a"), None);
    }
}
