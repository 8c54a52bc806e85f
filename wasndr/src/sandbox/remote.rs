//! A simulator in another process, driven through its admin API (`/admin/...`) over plain HTTP/1.1.
//! Used by `--sandbox-url`; the simulator is expected on a trusted address (loopback, a test network).

use axum::http::StatusCode;
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use super::SandboxError;

type Body = http_body_util::Full<hyper::body::Bytes>;

/// The admin API of a simulator at `http://HOST:PORT`.
#[derive(Debug, Clone)]
pub(crate) struct RemoteSim {
    /// `HOST:PORT`.
    authority: String,
}

fn unreachable_sim(error: impl std::fmt::Display) -> SandboxError {
    SandboxError::Sim {
        status: StatusCode::BAD_GATEWAY,
        code: "simulator_unreachable",
        message: format!("the sandbox simulator did not answer: {error}"),
    }
}

impl RemoteSim {
    /// Checks that `base` answers `/admin/info`.
    pub(crate) async fn new(base: &str) -> anyhow::Result<RemoteSim> {
        let authority = base
            .trim_end_matches('/')
            .trim_end_matches("/admin")
            .strip_prefix("http://")
            .ok_or_else(|| anyhow::anyhow!("--sandbox-url must be http://HOST:PORT (got {base})"))?
            .to_owned();
        let remote = RemoteSim { authority };
        remote
            .info()
            .await
            .map_err(|_| anyhow::anyhow!("no simulator answers at {base}/admin/info"))?;
        Ok(remote)
    }

    /// One request; answers the status and the JSON body (`Null` when empty or not JSON).
    async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<(StatusCode, Value), SandboxError> {
        let stream = tokio::net::TcpStream::connect(&self.authority)
            .await
            .map_err(unreachable_sim)?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(unreachable_sim)?;
        tokio::spawn(connection);
        let payload = body.map(|b| b.to_string()).unwrap_or_default();
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", &self.authority)
            .header("content-type", "application/json")
            .body(Body::from(payload))
            .map_err(unreachable_sim)?;
        let response = sender.send_request(request).await.map_err(unreachable_sim)?;
        let status = response.status();
        let bytes = http_body_util::BodyExt::collect(response.into_body())
            .await
            .map_err(unreachable_sim)?
            .to_bytes();
        Ok((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
    }

    /// A call that must succeed; the simulator's own error otherwise, with its status.
    async fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, SandboxError> {
        let (status, value) = self.call(method, path, body).await?;
        if status.is_success() {
            return Ok(value);
        }
        let code = match status {
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::BAD_REQUEST => "invalid_request",
            StatusCode::CONFLICT => "conflict",
            StatusCode::GATEWAY_TIMEOUT => "simulator_timeout",
            _ => "simulator_error",
        };
        Err(SandboxError::Sim {
            status,
            code,
            message: value["error"]
                .as_str()
                .unwrap_or("the simulator refused")
                .to_owned(),
        })
    }

    pub(crate) async fn info(&self) -> Result<Value, SandboxError> {
        self.ok("GET", "/admin/info", None).await
    }

    pub(crate) async fn phones(&self) -> Result<Value, SandboxError> {
        self.ok("GET", "/admin/phones", None).await
    }

    /// The new phone, or `None` when it already existed.
    pub(crate) async fn create_phone(&self, phone: &str) -> Result<Option<Value>, SandboxError> {
        let (status, value) = self
            .call("POST", "/admin/phones", Some(json!({ "phone": phone })))
            .await?;
        if status == StatusCode::CONFLICT {
            return Ok(None);
        }
        if status.is_success() {
            return Ok(Some(value));
        }
        Err(SandboxError::Sim {
            status,
            code: "invalid_request",
            message: value["error"]
                .as_str()
                .unwrap_or("the simulator refused")
                .to_owned(),
        })
    }

    pub(crate) async fn scan(&self, phone: &str, qr: &str) -> Result<String, SandboxError> {
        let path = format!("/admin/phones/{}/scan", digits(phone));
        let answer = self.ok("POST", &path, Some(json!({ "qr": qr }))).await?;
        Ok(answer["deviceJid"].as_str().unwrap_or_default().to_owned())
    }

    pub(crate) async fn send(&self, phone: &str, to: &str, text: &str) -> Result<String, SandboxError> {
        let path = format!("/admin/phones/{}/send", digits(phone));
        let answer = self
            .ok("POST", &path, Some(json!({ "to": to, "text": text })))
            .await?;
        Ok(answer["id"].as_str().unwrap_or_default().to_owned())
    }

    pub(crate) async fn messages(&self, phone: &str) -> Result<Value, SandboxError> {
        self.ok("GET", &format!("/admin/phones/{}/messages", digits(phone)), None)
            .await
    }
}

/// A phone as a path segment: its digits only, so nothing else reaches the URL.
fn digits(phone: &str) -> String {
    phone
        .split('@')
        .next()
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}
