//! A wasndr server on a real socket (127.0.0.1:0) over SQLite in a temp dir, with the stand-in engine,
//! and a small HTTP client. Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use wasndr_gateway::testing::RecordingEngine;
use wasndr_gateway::{Gateway, GatewayConfig, GatewayStore, Plan, PlanCatalog, ScopeSet, SqliteStore};

/// A running server.
pub struct TestServer {
    pub addr: SocketAddr,
    pub gateway: Arc<Gateway>,
    pub engine: Arc<RecordingEngine>,
    pub dir: Arc<tempfile::TempDir>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// Plans for tests: the seed's five, plus `tight` (20 messages, fast sends) for quota races.
pub fn test_plans() -> PlanCatalog {
    let mut plans = PlanCatalog::seed_defaults().plans().to_vec();
    plans.push(Plan {
        name: "tight".into(),
        messages_per_month: 20,
        sessions: 5,
        sends_per_minute: 1000,
        history_groups_attachments: true,
    });
    PlanCatalog::new(plans, "free_trial").unwrap()
}

pub fn test_config() -> GatewayConfig {
    let mut config = GatewayConfig {
        plans: test_plans(),
        ..GatewayConfig::default()
    };
    config.webhooks.base_delay = Duration::from_millis(100);
    config.webhooks.max_delay = Duration::from_millis(400);
    config
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(test_config()).await
    }

    pub async fn start_with(config: GatewayConfig) -> TestServer {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        Self::start_in(dir, config, RecordingEngine::new()).await
    }

    /// A server over the database in `dir` (a restart keeps the data).
    pub async fn start_in(
        dir: Arc<tempfile::TempDir>,
        mut config: GatewayConfig,
        engine: Arc<RecordingEngine>,
    ) -> TestServer {
        let store = SqliteStore::open(&dir.path().join("gateway.db")).await.unwrap();
        store.migrate().await.unwrap();
        let store: Arc<dyn GatewayStore> = Arc::new(store);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        config.public_url = format!("http://{addr}");
        let gateway = Arc::new(Gateway::new(store, engine.clone(), config).unwrap());
        gateway.start().await.unwrap();
        let app = wasndr_http::router(gateway.clone(), wasndr_http::HttpOptions::for_gateway(&gateway));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let stopping = gateway.clone();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                    stopping.begin_shutdown();
                })
                .await
                .unwrap();
        });
        TestServer {
            addr,
            gateway,
            engine,
            dir,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Graceful stop: requests finish, the webhook worker stops, queued deliveries stay queued.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
        self.gateway.shutdown().await;
    }

    /// A new account on `plan` and a key with `scopes`.
    pub async fn account_with(&self, plan: &str, scopes: ScopeSet) -> (String, String) {
        let account = self
            .gateway
            .create_account("test account", Some(plan))
            .await
            .unwrap();
        let key = self
            .gateway
            .issue_key(&account.id, "test key", scopes)
            .await
            .unwrap();
        (account.id, key.key)
    }

    /// A new account on `plan` and a full-access key.
    pub async fn key(&self, plan: &str) -> String {
        self.account_with(plan, ScopeSet::all()).await.1
    }

    pub async fn call(&self, method: &str, path: &str, key: Option<&str>, body: Option<Value>) -> Reply {
        let raw = body.map(|b| ("application/json", Bytes::from(b.to_string())));
        self.raw(method, path, key, raw).await
    }

    pub async fn get(&self, path: &str, key: &str) -> Reply {
        self.call("GET", path, Some(key), None).await
    }

    pub async fn post(&self, path: &str, key: &str, body: Value) -> Reply {
        self.call("POST", path, Some(key), Some(body)).await
    }

    /// Any request with an optional `(content-type, body)`.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<(&str, Bytes)>,
    ) -> Reply {
        request(self.addr, method, path, key, body, &[]).await
    }

    /// Creates a location and a session and links it as `phone`: the session id.
    pub async fn connected_session(&self, key: &str, phone: &str) -> String {
        let location = self.post("/api/v1/locations", key, json!({"name": "loc"})).await;
        assert_eq!(location.status, 201, "{}", location.body);
        let session = self
            .post(
                "/api/v1/sessions",
                key,
                json!({"locationUuid": location.data()["locationUuid"], "name": "device"}),
            )
            .await;
        assert_eq!(session.status, 201, "{}", session.body);
        let id = session.data()["sessionId"].as_str().unwrap().to_owned();
        self.engine.link(&id, phone).await.unwrap();
        id
    }
}

/// A response.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub bytes: Bytes,
    pub body: Value,
}

impl Reply {
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }

    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts an error reply: status, code, the envelope's shape.
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!((self.status, self.code()), (status, code), "{}", self.body);
        assert_eq!(self.body["success"], json!(false), "{}", self.body);
        assert!(
            self.body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{}",
            self.body
        );
    }
}

/// One HTTP/1.1 request over a fresh connection.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<(&str, Bytes)>,
    headers: &[(&str, &str)],
) -> Reply {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut builder = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(path)
        .header("host", addr.to_string());
    if let Some(key) = key {
        builder = builder.header("authorization", format!("Bearer {key}"));
    }
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let payload = match body {
        Some((content_type, bytes)) => {
            builder = builder.header("content-type", content_type);
            bytes
        }
        None => Bytes::new(),
    };
    let response = sender
        .send_request(builder.body(Full::new(payload)).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        bytes,
        body,
    }
}

/// Serves `router` on 127.0.0.1:0 until the test ends: its address.
pub async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}
