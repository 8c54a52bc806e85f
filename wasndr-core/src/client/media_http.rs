//! The HTTP requests of media transfers: one HTTP/1.1 exchange per request over plain TCP or TLS
//! (rustls with the webpki roots, the WebSocket's configuration), with WhatsApp Web's Origin and
//! Referer headers (whatsmeow and Baileys send both to the media hosts). Bodies are bounded so a
//! hostile host cannot make us buffer without end.

use std::time::Duration;

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, ORIGIN, REFERER};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::config::WHATSAPP_WEB_ORIGIN;
use crate::error::{Error, Result};

/// A response: status and body (empty when the body went to a sink).
#[derive(Debug)]
pub(super) struct Response {
    pub(super) status: u16,
    pub(super) body: Vec<u8>,
}

/// Where the body of a `200 OK` answer goes chunk by chunk, instead of being collected; the body of
/// any other answer is not read.
pub(super) type Sink<'a> = &'a mut (dyn FnMut(&[u8]) + Send);

fn failed(message: impl Into<String>) -> Error {
    Error::MediaHttp {
        status: None,
        message: message.into(),
    }
}

/// How long each phase of a request may take.
#[derive(Clone, Copy, Debug)]
pub(super) struct Timeouts {
    /// TCP connect and TLS handshake: an unreachable host is given up on quickly, so the next is tried.
    pub(super) connect: Duration,
    /// The whole request, body included.
    pub(super) total: Duration,
}

/// Sends `method url` with `body` (POST; shared, so retrying another host copies nothing) and reads at
/// most `limit` bytes of the answer, into `sink` if one is given.
pub(super) async fn request(
    method: Method,
    url: &str,
    body: Option<Bytes>,
    limit: u64,
    timeouts: Timeouts,
    sink: Option<Sink<'_>>,
) -> Result<Response> {
    let total = timeouts.total;
    tokio::time::timeout(
        total,
        exchange_url(method, url, body, limit, timeouts.connect, sink),
    )
    .await
    .map_err(|_| failed(format!("no answer within {total:?}")))?
}

async fn exchange_url(
    method: Method,
    url: &str,
    body: Option<Bytes>,
    limit: u64,
    connect_timeout: Duration,
    sink: Option<Sink<'_>>,
) -> Result<Response> {
    let uri: Uri = url.parse().map_err(|_| failed("invalid media URL"))?;
    let secure = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err(failed("media URLs are http or https")),
    };
    let authority = uri
        .authority()
        .ok_or_else(|| failed("no host in the media URL"))?
        .clone();
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = authority.port_u16().unwrap_or(if secure { 443 } else { 80 });
    let body = body.unwrap_or_default();
    let request = Request::builder()
        .method(method)
        .uri(uri.path_and_query().map_or("/", |p| p.as_str()))
        .header(HOST, authority.as_str())
        .header(ORIGIN, WHATSAPP_WEB_ORIGIN)
        .header(REFERER, format!("{WHATSAPP_WEB_ORIGIN}/"))
        .header(CONTENT_TYPE, "application/octet-stream")
        .header(CONTENT_LENGTH, body.len())
        .body(Full::new(body))
        .map_err(|error| failed(format!("bad request: {error}")))?;
    let too_slow = || {
        failed(format!(
            "connecting to {host}:{port} took longer than {connect_timeout:?}"
        ))
    };
    let tcp = tokio::time::timeout(connect_timeout, TcpStream::connect((host.as_str(), port)))
        .await
        .map_err(|_| too_slow())?
        .map_err(|error| failed(format!("connecting to {host}:{port}: {error}")))?;
    if secure {
        let name = rustls::pki_types::ServerName::try_from(host.clone())
            .map_err(|_| failed(format!("invalid TLS server name {host}")))?;
        let handshake = tokio_rustls::TlsConnector::from(super::socket::tls_config()).connect(name, tcp);
        let tls = tokio::time::timeout(connect_timeout, handshake)
            .await
            .map_err(|_| too_slow())?
            .map_err(|error| failed(format!("TLS handshake with {host}: {error}")))?;
        exchange(TokioIo::new(tls), request, limit, sink).await
    } else {
        exchange(TokioIo::new(tcp), request, limit, sink).await
    }
}

async fn exchange<S>(
    io: TokioIo<S>,
    request: Request<Full<Bytes>>,
    limit: u64,
    mut sink: Option<Sink<'_>>,
) -> Result<Response>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|error| failed(format!("HTTP handshake: {error}")))?;
    // The connection future drives the socket; it ends when the exchange is over or is dropped.
    let driver = tokio::spawn(connection);
    let outcome = async {
        let response = sender
            .send_request(request)
            .await
            .map_err(|error| failed(format!("request failed: {error}")))?;
        let status = response.status().as_u16();
        let declared = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        if sink.is_some() && status != 200 {
            return Ok(Response {
                status,
                body: Vec::new(),
            });
        }
        if declared.is_some_and(|length| length > limit) {
            return Err(failed(format!("the answer is larger than {limit} bytes")));
        }
        let mut body = response.into_body();
        let collect = if sink.is_some() {
            0
        } else {
            declared.unwrap_or(0).min(limit)
        };
        let mut data = Vec::with_capacity(usize::try_from(collect).unwrap_or(0));
        let mut seen = 0u64;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|error| failed(format!("reading the answer: {error}")))?;
            if let Ok(chunk) = frame.into_data() {
                seen += chunk.len() as u64;
                if seen > limit {
                    return Err(failed(format!("the answer is larger than {limit} bytes")));
                }
                match sink.as_mut() {
                    Some(sink) => sink(&chunk),
                    None => data.extend_from_slice(&chunk),
                }
            }
        }
        Ok(Response { status, body: data })
    }
    .await;
    driver.abort();
    outcome
}
