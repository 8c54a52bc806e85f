//! Webhooks: signature checked by an independent receiver, retried after failures with the same delivery
//! id, still delivered after a server restart; the SSE stream delivers an event.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use bytes::Bytes;
use common::TestServer;
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use sha2::Sha256;

#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Debug, Default)]
struct Receiver {
    received: Mutex<Vec<Received>>,
    /// Answer 500 to this many more requests.
    fail: AtomicU32,
}

async fn hook(State(receiver): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    receiver.received.lock().unwrap().push(Received { headers, body });
    let failing = receiver.fail.load(Ordering::SeqCst);
    if failing > 0 {
        receiver.fail.store(failing - 1, Ordering::SeqCst);
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    }
}

async fn receiver() -> (Arc<Receiver>, std::net::SocketAddr) {
    let receiver = Arc::new(Receiver::default());
    let addr = common::serve(
        Router::new()
            .route("/hook", post(hook))
            .with_state(receiver.clone()),
    )
    .await;
    (receiver, addr)
}

fn header<'a>(received: &'a Received, name: &str) -> &'a str {
    received
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The receiver's own check, written from the documentation: HMAC-SHA256(secret, timestamp + "." + body).
fn signature_ok(secret: &str, received: &Received) -> bool {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(header(received, "x-wasndr-timestamp").as_bytes());
    mac.update(b".");
    mac.update(&received.body);
    header(received, "x-wasndr-signature") == format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn wait_for(receiver: &Receiver, count: usize) -> Vec<Received> {
    for _ in 0..200 {
        let received = receiver.received.lock().unwrap().clone();
        if received.len() >= count {
            return received;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the receiver got {} requests, wanted {count}",
        receiver.received.lock().unwrap().len()
    );
}

fn config_allowing(addr: std::net::SocketAddr) -> wasndr_gateway::GatewayConfig {
    let mut config = common::test_config();
    config.fetch.allow = vec![format!("127.0.0.1:{}", addr.port()).parse().unwrap()];
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_are_signed_and_retried_with_the_same_delivery_id() {
    let (receiver, addr) = receiver().await;
    let server = TestServer::start_with(config_allowing(addr)).await;
    let key = server.key("standard").await;
    let session = server.connected_session(&key, "14155550001").await;
    let created = server
        .post(
            "/api/v1/webhooks",
            &key,
            json!({"url": format!("http://127.0.0.1:{}/hook", addr.port()), "events": ["message.received"]}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let secret = created.data()["secret"].as_str().unwrap().to_owned();
    assert_eq!(
        server
            .get("/api/v1/webhooks", &key)
            .await
            .data()
            .as_array()
            .unwrap()
            .len(),
        1
    );

    receiver.fail.store(2, Ordering::SeqCst);
    server
        .engine
        .receive_text(&session, "14155550002", "Invoice #42 attached")
        .await
        .unwrap();
    let received = wait_for(&receiver, 3).await;
    assert_eq!(
        received.len(),
        3,
        "two failures, then delivered, then nothing more"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        receiver.received.lock().unwrap().len(),
        3,
        "no attempt after a 2xx"
    );
    let delivery = header(&received[0], "x-wasndr-delivery").to_owned();
    assert!(wasndr_gateway::ids::is_uuid(&delivery));
    for attempt in &received {
        assert!(signature_ok(&secret, attempt), "signature of {attempt:?}");
        assert!(!signature_ok("whsec_wrong", attempt));
        assert_eq!(
            header(attempt, "x-wasndr-delivery"),
            delivery,
            "retries carry the same delivery id"
        );
        assert_eq!(header(attempt, "x-wasndr-event"), "message.received");
        assert_eq!(header(attempt, "content-type"), "application/json");
        assert_eq!(
            attempt.body, received[0].body,
            "every attempt sends the same bytes"
        );
    }
    let body: Value = serde_json::from_slice(&received[2].body).unwrap();
    assert_eq!(body["event"], json!("message.received"));
    assert_eq!(body["sessionId"], json!(session));
    assert_eq!(body["data"]["text"], json!("Invoice #42 attached"));
    assert_eq!(body["data"]["fromMe"], json!(false));
    assert_eq!(body["data"]["remoteJid"], json!("14155550002@s.whatsapp.net"));

    // Events the webhook did not subscribe to are not delivered.
    let sent = server
        .post(
            "/api/v1/messages/send",
            &key,
            json!({"sessionId": session, "phone": "14155550002", "text": "x"}),
        )
        .await;
    assert_eq!(sent.status, 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received.lock().unwrap().len(), 3);

    // Another account's events never reach this account's webhook.
    let other = server.key("standard").await;
    let other_session = server.connected_session(&other, "14155550009").await;
    server
        .engine
        .receive_text(&other_session, "14155550002", "not yours")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received.lock().unwrap().len(), 3);

    let hook_id = created.data()["uuid"].as_str().unwrap();
    assert_eq!(
        server
            .call("DELETE", &format!("/api/v1/webhooks/{hook_id}"), Some(&key), None)
            .await
            .status,
        200
    );
    server
        .engine
        .receive_text(&session, "14155550002", "after delete")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received.lock().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_deliveries_survive_a_server_restart() {
    let (receiver, addr) = receiver().await;
    let config = config_allowing(addr);
    let engine = wasndr_gateway::testing::RecordingEngine::new();
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let mut server = TestServer::start_in(dir.clone(), config.clone(), engine.clone()).await;
    let key = server.key("standard").await;
    let session = server.connected_session(&key, "14155550001").await;
    let url = format!("http://127.0.0.1:{}/hook", addr.port());
    let created = server
        .post(
            "/api/v1/webhooks",
            &key,
            json!({"url": url, "events": ["message.received"]}),
        )
        .await;
    let secret = created.data()["secret"].as_str().unwrap().to_owned();

    // The receiver is down (500) while the server runs; the delivery stays queued.
    receiver.fail.store(u32::MAX, Ordering::SeqCst);
    engine
        .receive_text(&session, "14155550002", "while the receiver is down")
        .await
        .unwrap();
    let failed = wait_for(&receiver, 1).await;
    let delivery = header(&failed[0], "x-wasndr-delivery").to_owned();
    server.stop().await;
    let attempts_before_restart = receiver.received.lock().unwrap().len();

    receiver.fail.store(0, Ordering::SeqCst);
    let server = TestServer::start_in(dir, config, engine.clone()).await;
    let received = wait_for(&receiver, attempts_before_restart + 1).await;
    let last = received.last().unwrap();
    assert_eq!(
        header(last, "x-wasndr-delivery"),
        delivery,
        "the same delivery, after the restart"
    );
    assert!(signature_ok(&secret, last));
    let body: Value = serde_json::from_slice(&last.body).unwrap();
    assert_eq!(body["data"]["text"], json!("while the receiver is down"));
    // The restart restored the linked session, which reported its status (a session.status event).
    assert_eq!(
        server
            .get(&format!("/api/v1/sessions/{session}/status"), &key)
            .await
            .data()["status"],
        json!("connected")
    );
}

/// Reads the SSE stream until an event whose data contains `needle`; returns the event text.
async fn read_sse_until(
    addr: std::net::SocketAddr,
    key: &str,
    needle: &str,
    trigger: impl std::future::Future<Output = ()>,
) -> String {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let request = hyper::Request::get("/api/v1/events")
        .header("host", addr.to_string())
        .header("authorization", format!("Bearer {key}"))
        .body(http_body_util::Empty::<Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut body = response.into_body();
    trigger.await;
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let frame = tokio::time::timeout_at(deadline, body.frame())
            .await
            .expect("no event within 10 s")
            .unwrap()
            .unwrap();
        if let Ok(data) = frame.into_data() {
            text.push_str(&String::from_utf8_lossy(&data));
        }
        if let Some(end) = text.find(needle) {
            let start = text[..end].rfind("event:").unwrap_or(0);
            return text[start..].to_owned();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_delivers_the_callers_events() {
    let server = TestServer::start().await;
    let key = server.key("standard").await;
    let other = server.key("standard").await;
    let session = server.connected_session(&key, "14155550001").await;
    let other_session = server.connected_session(&other, "14155550003").await;
    let engine = server.engine.clone();
    let event = read_sse_until(server.addr, &key, "hello over SSE", async {
        // The other account's message is sent first; the stream must skip it.
        engine
            .receive_text(&other_session, "14155550002", "not for this stream")
            .await
            .unwrap();
        engine
            .receive_text(&session, "14155550002", "hello over SSE")
            .await
            .unwrap();
    })
    .await;
    assert!(event.starts_with("event: message.received"), "{event}");
    assert!(!event.contains("not for this stream"));
    let data = event.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
    let body: Value = serde_json::from_str(data).unwrap();
    assert_eq!(body["sessionId"], json!(session));
    assert_eq!(body["data"]["text"], json!("hello over SSE"));
}
