//! What `GET /admin/info` returns and the binary prints on start.

use serde::Serialize;

/// Where the simulator listens and the root clients must trust (`GET /admin/info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimInfo {
    /// `ws://HOST:PORT/ws/chat`.
    pub ws_url: String,
    /// Base URL of the media host (`http://HOST:PORT`); uploads go to `/mms/...`.
    pub media_url: String,
    /// The same media host over HTTPS (`https://127.0.0.1:PORT`), with a test certificate: trust
    /// [`MEDIA_CA_PEM`](crate::MEDIA_CA_PEM) to use it. `media_conn` names both hosts, plain first.
    pub media_tls_url: String,
    /// Base URL of the admin API (`http://HOST:PORT/admin`).
    pub admin_url: String,
    /// The trust root's public key, 64 hex digits (what Baileys' `WA_CERT_DETAILS.PUBLIC_KEY` must be).
    pub root_public_key: String,
    /// The root's serial (intermediates name it as issuer).
    pub root_serial: u32,
}
