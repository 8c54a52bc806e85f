//! The one outbound HTTP client of the gateway (media URLs, webhook deliveries). It resolves names itself,
//! checks every resolved address against the address policy, and connects to the checked address, so a
//! name that resolves differently a moment later (DNS rebinding) cannot slip through. Redirects are
//! followed by hand, each hop checked the same way.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, LOCATION, USER_AGENT};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::address::{AllowEntry, check_address};

/// Limits and the allowlist for outbound requests.
#[derive(Debug, Clone)]
pub struct FetchPolicy {
    /// Addresses the operator allows even though they are private (tests: a local file server).
    pub allow: Vec<AllowEntry>,
    /// Largest response body accepted, in bytes.
    pub max_bytes: u64,
    /// Time to connect (per address tried).
    pub connect_timeout: Duration,
    /// Time for one whole request, headers and body.
    pub request_timeout: Duration,
    /// Redirects followed for GET.
    pub max_redirects: u32,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy {
            allow: Vec::new(),
            max_bytes: 64 * 1024 * 1024,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_redirects: 5,
        }
    }
}

/// A fetched response.
#[derive(Debug, Clone)]
pub struct FetchResponse {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body (at most the policy's `max_bytes`).
    pub body: Bytes,
}

/// Why an outbound request failed. The text is safe to show a caller (it names addresses it refused,
/// never secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchFailure {
    /// The URL or an address was refused by policy.
    Refused(String),
    /// The body was over the cap.
    TooLarge(u64),
    /// Network failure, timeout, bad response.
    Failed(String),
}

impl std::fmt::Display for FetchFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchFailure::Refused(why) | FetchFailure::Failed(why) => f.write_str(why),
            FetchFailure::TooLarge(limit) => write!(f, "larger than the limit of {limit} bytes"),
        }
    }
}

/// Outbound HTTP under a [`FetchPolicy`].
#[derive(Debug, Clone)]
pub struct OutboundClient {
    policy: FetchPolicy,
    #[cfg(feature = "https")]
    tls: std::sync::Arc<rustls::ClientConfig>,
}

struct Target {
    uri: Uri,
    https: bool,
    host: String,
    port: u16,
}

impl OutboundClient {
    /// A client applying `policy`.
    pub fn new(policy: FetchPolicy) -> Result<OutboundClient, crate::GatewayError> {
        Ok(OutboundClient {
            policy,
            #[cfg(feature = "https")]
            tls: std::sync::Arc::new(tls_config()?),
        })
    }

    /// The policy in force.
    pub fn policy(&self) -> &FetchPolicy {
        &self.policy
    }

    /// GETs `url`, following redirects, each hop checked.
    pub async fn get(&self, url: &str) -> Result<FetchResponse, FetchFailure> {
        let mut target = parse_target(url)?;
        for _ in 0..=self.policy.max_redirects {
            let response = self.send_once(&target, Method::GET, &[], Bytes::new()).await?;
            if let (300..=399, Some(location)) = (response.0.status, response.1.as_deref()) {
                target = parse_target(&resolve_location(&target, location))?;
                continue;
            }
            return Ok(response.0);
        }
        Err(FetchFailure::Failed(format!(
            "more than {} redirects",
            self.policy.max_redirects
        )))
    }

    /// POSTs `body` to `url` with extra headers; redirects are not followed (a webhook must answer 2xx).
    pub async fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: Bytes,
    ) -> Result<FetchResponse, FetchFailure> {
        let target = parse_target(url)?;
        Ok(self.send_once(&target, Method::POST, headers, body).await?.0)
    }

    async fn send_once(
        &self,
        target: &Target,
        method: Method,
        headers: &[(&str, String)],
        body: Bytes,
    ) -> Result<(FetchResponse, Option<String>), FetchFailure> {
        let work = async {
            let stream = self.connect(target).await?;
            let mut request = Request::builder()
                .method(method)
                .uri(target.uri.path_and_query().map_or("/", |p| p.as_str()))
                .header(HOST, host_header(target))
                .header(USER_AGENT, concat!("wasndr/", env!("CARGO_PKG_VERSION")));
            for (name, value) in headers {
                request = request.header(*name, value);
            }
            let request = request
                .header(CONTENT_LENGTH, body.len())
                .body(Full::new(body))
                .map_err(|e| FetchFailure::Failed(format!("bad request: {e}")))?;
            if target.https {
                #[cfg(feature = "https")]
                {
                    let name =
                        rustls::pki_types::ServerName::try_from(target.host.clone()).map_err(|_| {
                            FetchFailure::Refused(format!("invalid TLS server name {}", target.host))
                        })?;
                    let tls = tokio_rustls::TlsConnector::from(self.tls.clone())
                        .connect(name, stream)
                        .await
                        .map_err(|e| FetchFailure::Failed(format!("TLS handshake failed: {e}")))?;
                    return self.exchange(TokioIo::new(tls), request).await;
                }
                #[cfg(not(feature = "https"))]
                {
                    drop(stream);
                    return Err(FetchFailure::Refused(
                        "https is not enabled in this build".to_owned(),
                    ));
                }
            }
            self.exchange(TokioIo::new(stream), request).await
        };
        tokio::time::timeout(self.policy.request_timeout, work)
            .await
            .map_err(|_| FetchFailure::Failed(format!("timed out after {:?}", self.policy.request_timeout)))?
    }

    async fn connect(&self, target: &Target) -> Result<TcpStream, FetchFailure> {
        let host = target.host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<SocketAddr> = match host.parse::<std::net::IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, target.port)],
            Err(_) => tokio::time::timeout(
                self.policy.connect_timeout,
                tokio::net::lookup_host((host, target.port)),
            )
            .await
            .map_err(|_| FetchFailure::Failed(format!("resolving {host} timed out")))?
            .map_err(|e| FetchFailure::Failed(format!("cannot resolve {host}: {e}")))?
            .collect(),
        };
        // Every address must pass: a name that mixes public and private addresses is refused outright.
        for addr in &addrs {
            check_address(*addr, &self.policy.allow)
                .map_err(|why| FetchFailure::Refused(format!("{host}: {why}")))?;
        }
        let mut last_error = format!("{host} has no addresses");
        for addr in addrs {
            match tokio::time::timeout(self.policy.connect_timeout, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => return Ok(stream),
                Ok(Err(e)) => last_error = format!("cannot connect to {addr}: {e}"),
                Err(_) => last_error = format!("connecting to {addr} timed out"),
            }
        }
        Err(FetchFailure::Failed(last_error))
    }

    async fn exchange<S>(
        &self,
        io: TokioIo<S>,
        request: Request<Full<Bytes>>,
    ) -> Result<(FetchResponse, Option<String>), FetchFailure>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(|e| FetchFailure::Failed(format!("HTTP handshake failed: {e}")))?;
        let driver = tokio::spawn(connection);
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| FetchFailure::Failed(format!("request failed: {e}")));
        let response = match response {
            Ok(response) => response,
            Err(e) => {
                driver.abort();
                return Err(e);
            }
        };
        let status = response.status().as_u16();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &hyper::header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(CONTENT_TYPE);
        let location = header(LOCATION);
        let declared: Option<u64> = header(CONTENT_LENGTH).and_then(|v| v.parse().ok());
        if declared.is_some_and(|len| len > self.policy.max_bytes) {
            driver.abort();
            return Err(FetchFailure::TooLarge(self.policy.max_bytes));
        }
        let mut body = response.into_body();
        let mut data = BytesMut::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| FetchFailure::Failed(format!("reading the body failed: {e}")))?;
            if let Ok(chunk) = frame.into_data() {
                if data.len() as u64 + chunk.len() as u64 > self.policy.max_bytes {
                    driver.abort();
                    return Err(FetchFailure::TooLarge(self.policy.max_bytes));
                }
                data.extend_from_slice(&chunk);
            }
        }
        driver.abort();
        Ok((
            FetchResponse {
                status,
                content_type,
                body: data.freeze(),
            },
            location,
        ))
    }
}

fn parse_target(url: &str) -> Result<Target, FetchFailure> {
    let lower = url.trim().get(..8).unwrap_or(url).to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) && lower.contains(':') {
        return Err(FetchFailure::Refused(
            "only http and https URLs are fetched".to_owned(),
        ));
    }
    let uri: Uri = url
        .trim()
        .parse()
        .map_err(|_| FetchFailure::Refused(format!("{url:?} is not a URL")))?;
    let https = match uri.scheme_str() {
        Some("http") => false,
        Some("https") => true,
        _ => {
            return Err(FetchFailure::Refused(
                "only http and https URLs are fetched".to_owned(),
            ));
        }
    };
    let host = uri
        .host()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| FetchFailure::Refused("the URL has no host".to_owned()))?;
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err(FetchFailure::Refused(
            "URLs with credentials are not fetched".to_owned(),
        ));
    }
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    Ok(Target {
        host: host.to_owned(),
        port,
        https,
        uri,
    })
}

fn host_header(target: &Target) -> String {
    match target.uri.port_u16() {
        Some(port) => format!("{}:{port}", target.host),
        None => target.host.clone(),
    }
}

/// Resolves a `Location` header against the URL that answered it.
fn resolve_location(base: &Target, location: &str) -> String {
    let scheme = if base.https { "https" } else { "http" };
    let authority = base.uri.authority().map_or(base.host.as_str(), |a| a.as_str());
    if location.contains("://") {
        location.to_owned()
    } else if let Some(rest) = location.strip_prefix("//") {
        format!("{scheme}://{rest}")
    } else if location.starts_with('/') {
        format!("{scheme}://{authority}{location}")
    } else {
        let path = base.uri.path();
        let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
        format!("{scheme}://{authority}{dir}{location}")
    }
}

#[cfg(feature = "https")]
fn tls_config() -> Result<rustls::ClientConfig, crate::GatewayError> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| crate::GatewayError::Internal(format!("TLS set-up: {e}")))?;
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_before_any_connection() {
        for (url, expect) in [
            ("ftp://example.com/a", "only http"),
            ("file:///etc/passwd", "only http"),
            ("http://user:pw@example.com/", "credentials"),
            ("not a url", "not a URL"),
        ] {
            match parse_target(url) {
                Err(FetchFailure::Refused(why)) => assert!(why.contains(expect), "{url}: {why}"),
                other => panic!("{url}: {:?}", other.map(|t| t.host)),
            }
        }
    }

    #[test]
    fn redirects_resolve_against_the_current_url() {
        let base = parse_target("http://a.example:8080/x/y?q=1").unwrap();
        assert_eq!(resolve_location(&base, "/z"), "http://a.example:8080/z");
        assert_eq!(resolve_location(&base, "z"), "http://a.example:8080/x/z");
        assert_eq!(resolve_location(&base, "//b.example/z"), "http://b.example/z");
        assert_eq!(
            resolve_location(&base, "https://c.example/"),
            "https://c.example/"
        );
    }
}
