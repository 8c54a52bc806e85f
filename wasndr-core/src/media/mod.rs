//! Media files: key expansion, encryption with the truncated MAC, hashes, and the upload/download
//! addresses (messaging guide F). Pure: the caller draws the media key and does the HTTP.
//!
//! Sending: draw a 32-byte media key, [`encrypt`] (or stream through [`MediaEncryptor`]), upload
//! `body` to [`upload_url`], then put the key, [`MediaHashes`] and the returned `direct_path`/`url` in
//! the message. Receiving: download from [`download_url`] and [`decrypt`] (or [`MediaDecryptor`]) with
//! the message's key and hashes.

mod cipher;
mod keys;
mod kind;
mod url;

pub use cipher::{
    EncryptedMedia, MEDIA_MAC_LEN, MediaDecryptor, MediaEncryptor, MediaHashes, MediaProblem, decrypt,
    encrypt,
};
pub use keys::{MEDIA_KEY_LEN, MediaKeys};
pub use kind::MediaType;
pub use url::{download_url, media_token, upload_url};
