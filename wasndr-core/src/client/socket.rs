//! Opening the WebSocket (transport guide A.1): TCP, TLS for `wss://` with one rustls configuration
//! shared by every client in the process, and the upgrade with WhatsApp Web's Origin header.
//!
//! Buffers are kept small because an idle client should cost little memory: the WebSocket read buffer
//! is 4 KiB (it grows only while a large message is being read) and writes go out eagerly without a
//! write buffer.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::config::WHATSAPP_WEB_ORIGIN;
use crate::noise::MAX_FRAME_LEN;

/// A byte stream the WebSocket runs over: plain TCP or TLS over TCP. One trait object type keeps a
/// single copy of the WebSocket code in the binary.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// The client's WebSocket.
pub(crate) type Socket = WebSocketStream<Box<dyn Io>>;

/// The rustls client configuration with the webpki roots, built once per process.
pub(super) fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map(|builder| builder.with_root_certificates(roots).with_no_client_auth());
            // The ring provider supports the default protocol versions, so this cannot fail; if it ever
            // did, an empty-root config makes every wss:// connect fail loudly instead of panicking.
            Arc::new(config.unwrap_or_else(|_| {
                rustls::ClientConfig::builder()
                    .with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth()
            }))
        })
        .clone()
}

/// The WebSocket settings for a client connection.
fn websocket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(MAX_FRAME_LEN * 2)
        // A message carries whole frames; the largest legal one plus its length prefix is the bound.
        .max_message_size(Some(MAX_FRAME_LEN + 3))
        .max_frame_size(Some(MAX_FRAME_LEN + 3))
}

/// Connects to `url` within `timeout`.
pub(crate) async fn open(url: &str, timeout: Duration) -> Result<Socket, String> {
    tokio::time::timeout(timeout, open_inner(url))
        .await
        .map_err(|_| format!("connecting to {url} timed out after {timeout:?}"))?
}

async fn open_inner(url: &str) -> Result<Socket, String> {
    let mut request = url
        .into_client_request()
        .map_err(|error| format!("bad WebSocket URL {url}: {error}"))?;
    request
        .headers_mut()
        .insert("Origin", HeaderValue::from_static(WHATSAPP_WEB_ORIGIN));
    let uri = request.uri().clone();
    let secure = match uri.scheme_str() {
        Some("wss") => true,
        Some("ws") => false,
        other => return Err(format!("unsupported URL scheme {other:?} (ws or wss)")),
    };
    let host = uri.host().ok_or_else(|| format!("no host in {url}"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
    let tcp = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|error| format!("TCP connect to {host}:{port}: {error}"))?;
    // Stanzas are small and latency matters more than packet count.
    let _ = tcp.set_nodelay(true);
    let io: Box<dyn Io> = if secure {
        let name = rustls::pki_types::ServerName::try_from(host.clone())
            .map_err(|error| format!("bad TLS server name {host}: {error}"))?;
        let tls = tokio_rustls::TlsConnector::from(tls_config())
            .connect(name, tcp)
            .await
            .map_err(|error| format!("TLS handshake with {host}: {error}"))?;
        Box::new(tls)
    } else {
        Box::new(tcp)
    };
    let (socket, _response) =
        tokio_tungstenite::client_async_with_config(request, io, Some(websocket_config()))
            .await
            .map_err(|error| format!("WebSocket upgrade at {url}: {error}"))?;
    Ok(socket)
}
