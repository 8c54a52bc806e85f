//! Streamable HTTP at `/mcp`: rmcp's service, stateless (no MCP session outlives its HTTP request), behind
//! a layer that resolves each request's bearer key through the gateway and hands the resulting caller to
//! the tool in that request's extensions.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use wasndr_gateway::{Gateway, GatewayError};

use crate::credentials::Authenticated;
use crate::server::WasndrMcp;

/// Which `Host` headers `/mcp` answers (DNS-rebinding protection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedHosts {
    /// Any host (behind a proxy that already checks it).
    Any,
    /// Only these host names or `host:port` authorities; a name without a port allows every port.
    Only(Vec<String>),
}

impl AllowedHosts {
    /// The default: the public URL's host, and loopback names for local clients.
    pub fn for_public_url(public_url: &str) -> AllowedHosts {
        let mut hosts: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
        if let Some(host) = url_host(public_url)
            && !hosts.contains(&host)
        {
            hosts.push(host);
        }
        AllowedHosts::Only(hosts)
    }

    /// Parses an operator's list: `*` alone means any host; otherwise comma-separated names or
    /// `host:port` authorities (IPv6 in brackets, e.g. `[::1]:8080`).
    pub fn parse(list: &str) -> AllowedHosts {
        let hosts: Vec<String> = list
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        if hosts.iter().any(|h| h == "*") {
            AllowedHosts::Any
        } else {
            AllowedHosts::Only(hosts)
        }
    }
}

/// The host of an `http(s)://host[:port][/...]` URL, lower-case, without brackets.
fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => authority.split(':').next()?,
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Options of the HTTP transport.
#[derive(Debug, Clone)]
pub struct McpHttpOptions {
    /// Which `Host` headers are answered.
    pub allowed_hosts: AllowedHosts,
    /// Largest request body (tool calls may carry `mediaBase64`).
    pub max_body_bytes: usize,
}

impl McpHttpOptions {
    /// Defaults for `gateway`: hosts from its public URL plus loopback, bodies that fit its media cap
    /// once base64-encoded.
    pub fn for_gateway(gateway: &Gateway) -> McpHttpOptions {
        let media = gateway.config().max_media_bytes as usize;
        McpHttpOptions {
            allowed_hosts: AllowedHosts::for_public_url(&gateway.config().public_url),
            max_body_bytes: media / 3 * 4 + 64 * 1024,
        }
    }
}

/// The `/mcp` route, to merge into the server's router.
pub fn router(gateway: Arc<Gateway>, options: McpHttpOptions) -> Router {
    let mut config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_max_request_body_bytes(options.max_body_bytes);
    config = match options.allowed_hosts {
        AllowedHosts::Any => config.disable_allowed_hosts(),
        AllowedHosts::Only(hosts) => config.with_allowed_hosts(hosts),
    };
    let for_tools = gateway.clone();
    let service = StreamableHttpService::new(
        move || Ok(WasndrMcp::per_request(for_tools.clone())),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    Router::new()
        .route_service("/mcp", service)
        .layer(axum::middleware::from_fn_with_state(gateway, authenticate))
}

/// Resolves this request's key; refuses the request before MCP sees it when the key is missing,
/// unknown or revoked (401) or the account's request limit is used up (429).
async fn authenticate(State(gateway): State<Arc<Gateway>>, mut request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::to_owned);
    match gateway.authenticate(presented.as_deref()).await {
        Ok(caller) => {
            request.extensions_mut().insert(Authenticated(caller));
            next.run(request).await
        }
        Err(error) => refusal(&error),
    }
}

/// A refusal in the REST error envelope.
fn refusal(error: &GatewayError) -> Response {
    let (status, message) = match error {
        GatewayError::Unauthorized => (
            StatusCode::UNAUTHORIZED,
            "missing, unknown or revoked API key: send Authorization: Bearer wsndr_...".to_owned(),
        ),
        GatewayError::ReadRateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, error.to_string()),
        other => {
            tracing::error!(error = %other, "authenticating an MCP request failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the server failed to complete the request".to_owned(),
            )
        }
    };
    let body = json!({ "success": false, "error": { "code": error.code(), "message": message } });
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    match error {
        GatewayError::Unauthorized => {
            headers.insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"wasndr\""),
            );
        }
        GatewayError::ReadRateLimited { retry_after_secs, .. } => {
            headers.insert(RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        _ => {}
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_hosts_are_the_public_host_and_loopback() {
        let AllowedHosts::Only(hosts) = AllowedHosts::for_public_url("https://WA.example.com:8443/base")
        else {
            panic!("expected a list");
        };
        assert_eq!(hosts, ["localhost", "127.0.0.1", "::1", "wa.example.com"]);
        let AllowedHosts::Only(hosts) = AllowedHosts::for_public_url("http://[::1]:9000") else {
            panic!("expected a list");
        };
        assert_eq!(hosts, ["localhost", "127.0.0.1", "::1"]);
    }

    #[test]
    fn operator_lists() {
        assert_eq!(AllowedHosts::parse(" * "), AllowedHosts::Any);
        assert_eq!(
            AllowedHosts::parse("wa.example.com, proxy.internal:8080,"),
            AllowedHosts::Only(vec!["wa.example.com".into(), "proxy.internal:8080".into()])
        );
    }
}
