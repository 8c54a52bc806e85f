//! The QR string a companion shows while waiting to be paired (transport guide D.1).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::ADV_SECRET_LEN;
use crate::crypto::PublicKey;
use crate::error::{Error, Result};

/// What the current clients put in front of the comma-separated fields.
pub const QR_URL_PREFIX: &str = "https://wa.me/settings/linked_devices#";

/// The content of a pairing QR code: `REF,NOISE,IDENTITY,ADV[,TYPE]`, by default behind
/// [`QR_URL_PREFIX`].
///
/// The ADV secret is a shared secret between the companion and the phone that scans the code, so
/// `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct QrCode {
    /// One of the refs from the server's `pair-device` stanza, verbatim.
    pub reference: String,
    /// The companion's Noise static public key.
    pub noise_public: PublicKey,
    /// The companion's Signal identity public key.
    pub identity_public: PublicKey,
    /// The companion's ADV secret, which authenticates `pair-success`.
    pub adv_secret: [u8; ADV_SECRET_LEN],
    /// The companion client type (`1` Chrome … `9` other web client; whatsmeow adds `c`, `e`), absent
    /// in the older bare form.
    pub client_type: Option<String>,
}

impl fmt::Debug for QrCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QrCode")
            .field("reference", &self.reference)
            .field("noise_public", &self.noise_public)
            .field("identity_public", &self.identity_public)
            .field("adv_secret", &"<redacted>")
            .field("client_type", &self.client_type)
            .finish()
    }
}

impl QrCode {
    /// The comma-separated fields without the URL prefix (the form older clients showed).
    pub fn to_bare_string(&self) -> String {
        let mut out = format!(
            "{},{},{},{}",
            self.reference,
            STANDARD.encode(self.noise_public.as_bytes()),
            STANDARD.encode(self.identity_public.as_bytes()),
            STANDARD.encode(self.adv_secret),
        );
        if let Some(client_type) = &self.client_type {
            out.push(',');
            out.push_str(client_type);
        }
        out
    }

    /// Parses either form: with a URL (anything up to the first `#` is dropped) or bare. The three keys
    /// must be standard base64 of 32 bytes.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        let fields = match text.split_once('#') {
            Some((_, fields)) => fields,
            None => text,
        };
        let mut parts = fields.split(',');
        let mut next = |what| parts.next().ok_or(Error::InvalidQrCode(what));
        let reference = next("no ref")?;
        let noise = next("no Noise key")?;
        let identity = next("no identity key")?;
        let adv = next("no ADV secret")?;
        let client_type = parts.next().map(str::to_owned);
        if parts.next().is_some() {
            return Err(Error::InvalidQrCode("more than five comma-separated fields"));
        }
        if reference.is_empty() {
            return Err(Error::InvalidQrCode("empty ref"));
        }
        Ok(Self {
            reference: reference.to_owned(),
            noise_public: PublicKey::from_bytes(decode32(noise, "Noise key is not base64 of 32 bytes")?),
            identity_public: PublicKey::from_bytes(decode32(
                identity,
                "identity key is not base64 of 32 bytes",
            )?),
            adv_secret: decode32(adv, "ADV secret is not base64 of 32 bytes")?,
            client_type,
        })
    }
}

/// The URL form, `https://wa.me/settings/linked_devices#REF,NOISE,IDENTITY,ADV[,TYPE]`.
impl fmt::Display for QrCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{QR_URL_PREFIX}{}", self.to_bare_string())
    }
}

impl std::str::FromStr for QrCode {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        Self::parse(text)
    }
}

fn decode32(field: &str, what: &'static str) -> Result<[u8; 32]> {
    STANDARD
        .decode(field)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(Error::InvalidQrCode(what))
}
