//! `wasndr serve --sandbox` as a user runs it, over a real socket: the seed's provisioning flow against
//! the embedded simulator (location → session → QR → a virtual phone scans it → connected), the
//! sandbox routes' tenancy, and a restart that brings a linked session back without a QR (against a
//! simulator that outlives the server, `--sandbox-url`).
#![allow(clippy::unwrap_used)]

mod common;

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
    let server = start_with(db, &["--sandbox"]);
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

    // The phone's side of the sandbox: it sends, and reads what it received.
    let sent = ok(
        &addr,
        "POST",
        &format!("/api/v1/sandbox/phones/{CONTACT}/send"),
        &key,
        Some(json!({"to": OWN, "text": "hello from a virtual phone"})),
        200,
    );
    assert!(!sent["messageId"].as_str().unwrap().is_empty(), "{sent}");
    let inbox = ok(
        &addr,
        "GET",
        &format!("/api/v1/sandbox/phones/{OWN}/messages"),
        &key,
        None,
        200,
    );
    assert!(inbox.is_array(), "{inbox}");
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
