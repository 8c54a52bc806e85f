//! The media host over HTTPS, on a second port beside the plain one. Baileys only ever builds
//! `https://` media URLs, so without this it can neither upload to nor download from the simulator.
//! The certificate is a fixed test one (`media_tls/README.md`); clients trust it by adding
//! [`MEDIA_CA_PEM`] to their roots.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::server::TlsStream;

use crate::error::SimError;

/// The test CA that signed the media host's certificate, PEM. Trust it to reach the HTTPS media host
/// (Node: write it to a file named by `NODE_EXTRA_CA_CERTS`).
pub const MEDIA_CA_PEM: &str = include_str!("media_tls/ca.pem");

const HOST_CERT: &[u8] = include_bytes!("media_tls/host.der");
const HOST_KEY: &[u8] = include_bytes!("media_tls/host.key.der");

/// How long a client may take over its TLS handshake before the listener moves on.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A TCP listener that hands out TLS streams, for `axum::serve`.
pub(crate) struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl TlsListener {
    pub(crate) fn new(tcp: TcpListener) -> Result<TlsListener, SimError> {
        let cert = rustls::pki_types::CertificateDer::from(HOST_CERT.to_vec());
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(HOST_KEY.to_vec().into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|builder| builder.with_no_client_auth().with_single_cert(vec![cert], key))
            .map_err(|error| SimError::Tls(error.to_string()))?;
        Ok(TlsListener {
            tcp,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // Connections that fail their handshake (a plain-HTTP client, a scanner) are dropped and the
        // next one is taken; handshakes run one at a time, which a test host can afford.
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            if let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, self.acceptor.accept(tcp)).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}
