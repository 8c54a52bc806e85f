//! `wasndr serve --sandbox` as a user runs it, over a real socket: the seed's provisioning flow against
//! the embedded simulator (location → session → QR → a virtual phone scans it → connected → a text
//! sent through the API reaches the phone and history), an incoming message in history, on the event
//! stream and at a signed webhook, the sandbox routes' tenancy, and a restart that brings a linked
//! session back without a QR (against a simulator that outlives the server, `--sandbox-url`).
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{http, run, start_with};
use serde_json::{Value, json};

const OWN: &str = "15550001111";
const CONTACT: &str = "15550002222";

/// How long anything that should happen may take on a loaded machine (nothing here measures speed).
const WAIT: Duration = Duration::from_secs(60);

/// A new account on `plan` with a full-access key, made with the operator CLI.
fn account(db: &str, name: &str, plan: &str) -> String {
    let created = run(&[
        "--database",
        db,
        "accounts",
        "create",
        "--name",
        name,
        "--plan",
        plan,
    ]);
    let account = created.split_whitespace().next().unwrap().to_owned();
    let printed = run(&["--database", db, "keys", "create", "--account", &account]);
    printed
        .split_whitespace()
        .find(|w| w.starts_with("wsndr_"))
        .unwrap()
        .to_owned()
}

/// A JSON request: (status, parsed body).
fn call(addr: &str, method: &str, path: &str, key: &str, body: Option<Value>) -> (u16, Value) {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let (status, text) = http(addr, method, path, addr, key, &body);
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: {e}: {text}"));
    (status, value)
}

/// A request that must succeed with `expected`; answers `data`.
fn ok(addr: &str, method: &str, path: &str, key: &str, body: Option<Value>, expected: u16) -> Value {
    let (status, value) = call(addr, method, path, key, body);
    assert_eq!(status, expected, "{method} {path}: {value}");
    assert_eq!(value["success"], true, "{value}");
    value["data"].clone()
}

/// Polls `check` until it answers `Some`, every 100 ms, for at most [`WAIT`].
fn poll<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET /api/v1/events` read on a thread; every line goes to a channel.
struct EventStream {
    lines: mpsc::Receiver<String>,
}

impl EventStream {
    fn open(addr: &str, key: &str) -> EventStream {
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "GET /api/v1/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\nAccept: text/event-stream\r\n\r\n"
        )
        .unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        EventStream { lines }
    }

    /// The first line containing `text`.
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no event with {text:?} on the stream"));
            if line.contains(text) {
                return line;
            }
        }
    }
}

/// A webhook endpoint on loopback answering 200 to everything: each request's (headers, body).
struct WebhookReceiver {
    port: u16,
    requests: mpsc::Receiver<(String, String)>,
}

impl WebhookReceiver {
    fn start(port: u16) -> WebhookReceiver {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        let (tx, requests) = mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { break };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut headers = String::new();
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(value) = lower.strip_prefix("content-length:") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                    headers.push_str(&lower);
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let _ =
                    stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                if tx
                    .send((headers, String::from_utf8_lossy(&body).into_owned()))
                    .is_err()
                {
                    break;
                }
            }
        });
        WebhookReceiver { port, requests }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    /// The first delivery whose body contains `text`.
    fn wait_for(&self, text: &str) -> (String, String) {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let (headers, body) = self
                .requests
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no webhook delivery with {text:?}"));
            if body.contains(text) {
                return (headers, body);
            }
        }
    }
}

/// Creates a location and a session; answers the session id once its QR is shown.
fn session_with_qr(addr: &str, key: &str) -> String {
    let location = ok(
        addr,
        "POST",
        "/api/v1/locations",
        key,
        Some(json!({"name": "Shop"})),
        201,
    );
    let location = location["locationUuid"].as_str().unwrap().to_owned();
    let session = ok(
        addr,
        "POST",
        "/api/v1/sessions",
        key,
        Some(json!({"locationUuid": location, "name": "Front desk"})),
        201,
    );
    assert_eq!(session["status"], "starting", "{session}");
    let id = session["sessionId"].as_str().unwrap().to_owned();
    let qr = poll("the QR", || {
        let qr = ok(addr, "GET", &format!("/api/v1/sessions/{id}/qr"), key, None, 200);
        (qr["status"] == "qr_ready").then_some(qr)
    });
    assert!(
        qr["qr"].as_str().unwrap().starts_with("data:image/png;base64,"),
        "{qr}"
    );
    id
}

/// Waits until the session is connected to `phone`; answers its status.
fn until_connected(addr: &str, key: &str, id: &str, phone: &str) -> Value {
    let status = poll("the session to connect", || {
        let status = ok(
            addr,
            "GET",
            &format!("/api/v1/sessions/{id}/status"),
            key,
            None,
            200,
        );
        (status["status"] == "connected").then_some(status)
    });
    assert_eq!(status["phone"], phone, "{status}");
    assert!(
        status["jid"].as_str().unwrap().starts_with(&format!("{phone}:")),
        "a companion device JID: {status}"
    );
    status
}

#[test]
fn the_provisioning_flow_runs_against_the_embedded_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("wasndr.db");
    let db = db.to_str().unwrap();
    let key = account(db, "Agency", "standard");
    let other = account(db, "Someone else", "standard");
    // The webhook receiver listens on loopback, which outbound requests refuse unless allowed.
    let hook_port = free_port();
    let config = dir.path().join("wasndr.toml");
    let allow = format!("[fetch]\nallow = [\"127.0.0.1:{hook_port}\"]\n[webhooks]\nbase_delay_ms = 100\n");
    std::fs::write(&config, allow).unwrap();
    let server = start_with(db, &["--sandbox", "--config", config.to_str().unwrap()]);
    let addr = server.addr.clone();

    let info = ok(&addr, "GET", "/api/v1/sandbox/info", &key, None, 200);
    for field in ["wsUrl", "mediaUrl", "adminUrl", "rootPublicKey"] {
        assert!(
            info[field].as_str().is_some_and(|v| !v.is_empty()),
            "{field}: {info}"
        );
    }
    assert_eq!(info["rootPublicKey"].as_str().unwrap().len(), 64);
    assert_eq!(call(&addr, "GET", "/api/v1/sandbox/info", "", None).0, 401);

    let id = session_with_qr(&addr, &key);
    let phone = ok(
        &addr,
        "POST",
        "/api/v1/sandbox/phones",
        &key,
        Some(json!({"phone": OWN})),
        201,
    );
    assert_eq!(phone["jid"], format!("{OWN}@s.whatsapp.net"));
    // Creating it again answers the same phone, so a copy-pasted flow can be re-run.
    let again = ok(
        &addr,
        "POST",
        "/api/v1/sandbox/phones",
        &key,
        Some(json!({"phone": OWN})),
        200,
    );
    assert_eq!(again["phone"], OWN);
    ok(
        &addr,
        "POST",
        "/api/v1/sandbox/phones",
        &key,
        Some(json!({"phone": CONTACT})),
        201,
    );
    let (status, refused) = call(
        &addr,
        "POST",
        "/api/v1/sandbox/phones",
        &key,
        Some(json!({"phone": "12"})),
    );
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (400, Some("invalid_request")),
        "{refused}"
    );

    // Another account cannot scan this session's QR: it does not see the session at all.
    let scan = format!("/api/v1/sandbox/sessions/{id}/scan");
    let (status, body) = call(&addr, "POST", &scan, &other, Some(json!({"phone": CONTACT})));
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );

    let scanned = ok(&addr, "POST", &scan, &key, Some(json!({"phone": OWN})), 200);
    assert!(
        scanned["deviceJid"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{OWN}:")),
        "{scanned}"
    );
    until_connected(&addr, &key, &id, OWN);
    let listed = ok(&addr, "GET", "/api/v1/sessions", &key, None, 200);
    assert_eq!(
        listed[0]["status"], "connected",
        "the stored status follows: {listed}"
    );
    // Connected: no QR to scan any more.
    let (status, body) = call(&addr, "POST", &scan, &key, Some(json!({"phone": OWN})));
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("no_qr")),
        "{body}"
    );

    // Sending through the REST API reaches the virtual phone, and history lists it.
    let sent = ok(
        &addr,
        "POST",
        "/api/v1/messages/send",
        &key,
        Some(json!({"sessionId": id, "phone": CONTACT, "text": "Your order shipped"})),
        200,
    );
    let message_id = sent["messageId"].as_str().unwrap().to_owned();
    assert_eq!(sent["to"], format!("{CONTACT}@s.whatsapp.net"), "{sent}");
    let inbox = poll("the phone to receive the text", || {
        let inbox = ok(
            &addr,
            "GET",
            &format!("/api/v1/sandbox/phones/{CONTACT}/messages"),
            &key,
            None,
            200,
        );
        let arrived = inbox
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["text"] == "Your order shipped");
        arrived.then_some(inbox)
    });
    assert_eq!(inbox[0]["id"], message_id.as_str(), "{inbox}");
    assert_eq!(inbox[0]["from"], format!("{OWN}@s.whatsapp.net"), "{inbox}");
    let history = ok(
        &addr,
        "GET",
        &format!("/api/v1/messages/history?sessionId={id}&search=ORDER%20SHIPPED"),
        &key,
        None,
        200,
    );
    assert_eq!(history.as_array().unwrap().len(), 1, "{history}");
    assert_eq!(history[0]["messageId"], message_id.as_str());
    assert_eq!(history[0]["fromMe"], true);
    assert_eq!(history[0]["type"], "conversation");
    assert_eq!(history[0]["remoteJid"], format!("{CONTACT}@s.whatsapp.net"));

    // An incoming message: in history, on the event stream and at a signed webhook.
    let events = EventStream::open(&addr, &key);
    let hook = WebhookReceiver::start(hook_port);
    let webhook = ok(
        &addr,
        "POST",
        "/api/v1/webhooks",
        &key,
        Some(json!({"url": hook.url(), "events": ["message.received"]})),
        201,
    );
    assert!(!webhook["secret"].as_str().unwrap().is_empty(), "{webhook}");
    let phone_sent = ok(
        &addr,
        "POST",
        &format!("/api/v1/sandbox/phones/{CONTACT}/send"),
        &key,
        Some(json!({"to": OWN, "text": "Invoice 42 attached"})),
        200,
    );
    let incoming_id = phone_sent["messageId"].as_str().unwrap().to_owned();
    let found = poll("the incoming message in history", || {
        let found = ok(
            &addr,
            "GET",
            &format!("/api/v1/messages/history?sessionId={id}&search=invoice%2042"),
            &key,
            None,
            200,
        );
        (found.as_array().unwrap().len() == 1).then_some(found)
    });
    assert_eq!(found[0]["messageId"], incoming_id.as_str(), "{found}");
    assert_eq!(found[0]["fromMe"], false);
    assert_eq!(found[0]["text"], "Invoice 42 attached");
    assert_eq!(found[0]["remoteJid"], format!("{CONTACT}@s.whatsapp.net"));
    let streamed = events.wait_for("Invoice 42 attached");
    assert!(streamed.contains("message.received"), "{streamed}");
    let (headers, body) = hook.wait_for("Invoice 42 attached");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["event"], "message.received", "{body}");
    assert_eq!(body["sessionId"], id.as_str());
    assert_eq!(body["data"]["messageId"], incoming_id.as_str());
    assert!(
        headers.contains("x-wasndr-signature: sha256="),
        "signed: {headers}"
    );

    let (status, _) = call(
        &addr,
        "GET",
        "/api/v1/sandbox/phones/19998887777/messages",
        &key,
        None,
    );
    assert_eq!(status, 404);

    ok(
        &addr,
        "DELETE",
        &format!("/api/v1/sessions/{id}"),
        &key,
        None,
        200,
    );
    let (status, _) = call(&addr, "GET", &format!("/api/v1/sessions/{id}/status"), &key, None);
    assert_eq!(status, 404);
    server.terminate();
}

#[test]
fn a_linked_session_comes_back_connected_after_a_restart_without_a_qr() {
    // The simulator lives in this test process, so its phones and linked devices outlive the server.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = runtime
        .block_on(wasndr_sim::Simulator::start(wasndr_sim::SimConfig::default()))
        .unwrap();
    let sim_url = sim.info().media_url;
    let devices_of = |phone: &str| {
        sim.phones()
            .into_iter()
            .find(|p| p.phone == phone)
            .map(|p| p.devices)
            .unwrap_or_default()
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("wasndr.db");
    let db = db.to_str().unwrap();
    let key = account(db, "Agency", "standard");

    let server = start_with(db, &["--sandbox-url", &sim_url]);
    let addr = server.addr.clone();
    let id = session_with_qr(&addr, &key);
    ok(
        &addr,
        "POST",
        "/api/v1/sandbox/phones",
        &key,
        Some(json!({"phone": OWN})),
        201,
    );
    ok(
        &addr,
        "POST",
        &format!("/api/v1/sandbox/sessions/{id}/scan"),
        &key,
        Some(json!({"phone": OWN})),
        200,
    );
    let before = until_connected(&addr, &key, &id, OWN);
    let linked = devices_of(OWN);
    assert_eq!(linked.len(), 2, "the phone and one companion: {linked:?}");
    server.terminate();
    assert!(
        dir.path().join("wasndr-devices.db").exists(),
        "the device database beside the gateway's"
    );

    let server = start_with(db, &["--sandbox-url", &sim_url]);
    let addr = server.addr.clone();
    let mut seen = Vec::new();
    let after = poll("the restored session to connect", || {
        let status = ok(
            &addr,
            "GET",
            &format!("/api/v1/sessions/{id}/status"),
            &key,
            None,
            200,
        );
        seen.push(status["status"].as_str().unwrap().to_owned());
        (status["status"] == "connected").then_some(status)
    });
    assert!(
        !seen.iter().any(|s| s == "qr_ready"),
        "no QR on the way: {seen:?}"
    );
    assert_eq!(after["jid"], before["jid"], "the same device logged in again");
    assert_eq!(devices_of(OWN), linked, "no new device was paired");
    let device: u16 = linked[1];
    assert!(sim.is_connected(OWN, device));

    // Deleting the session unlinks the companion from the phone.
    ok(
        &addr,
        "DELETE",
        &format!("/api/v1/sessions/{id}"),
        &key,
        None,
        200,
    );
    poll("the phone to lose its companion", || {
        (devices_of(OWN) == vec![0]).then_some(())
    });
    server.terminate();
}

#[test]
fn after_a_restart_the_embedded_sandbox_ends_old_sessions_disconnected() {
    // The embedded simulator starts empty each time: a session linked to the previous one must end
    // `disconnected` (its device is unknown there), not retry forever.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("wasndr.db");
    let db = db.to_str().unwrap();
    let key = account(db, "Agency", "standard");
    let server = start_with(db, &["--sandbox"]);
    let addr = server.addr.clone();
    let id = session_with_qr(&addr, &key);
    ok(
        &addr,
        "POST",
        "/api/v1/sandbox/phones",
        &key,
        Some(json!({"phone": OWN})),
        201,
    );
    let scan = format!("/api/v1/sandbox/sessions/{id}/scan");
    ok(&addr, "POST", &scan, &key, Some(json!({"phone": OWN})), 200);
    until_connected(&addr, &key, &id, OWN);
    server.terminate();

    let server = start_with(db, &["--sandbox"]);
    let addr = server.addr.clone();
    poll("the old session to end disconnected", || {
        let status = ok(
            &addr,
            "GET",
            &format!("/api/v1/sessions/{id}/status"),
            &key,
            None,
            200,
        );
        (status["status"] == "disconnected").then_some(())
    });
    let listed = ok(&addr, "GET", "/api/v1/sessions", &key, None, 200);
    assert_eq!(listed[0]["status"], "disconnected", "{listed}");
    server.terminate();
}
