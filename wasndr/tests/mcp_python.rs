//! The MCP server driven by a client nobody here wrote: the official MCP Python SDK (`mcp` from PyPI,
//! pinned in interop/python/requirements.txt), against the real `wasndr` binary on a temporary SQLite
//! database. The checks themselves are in interop/python/mcp_checks.py.
//!
//! Accounts and keys are made with the operator CLI. The session engine is not wired into `wasndr
//! serve` yet, so no session can be linked through the product; the sessions these tests need (one per
//! account, recorded as connected) and a used-up quota are written into the database through the
//! gateway's store before the server starts.
//!
//! Python availability follows the interop rule: with WASNDR_REQUIRE_INTEROP=1 (CI) a missing
//! interpreter or package fails the test; otherwise the test tries once to create
//! interop/python/.venv and install the requirements, and if that is impossible prints why and returns.
#![cfg(feature = "mcp")]
#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Value, json};
use wasndr_gateway::clock::{month_period, now_ms};
use wasndr_gateway::engine::SessionStatus;
use wasndr_gateway::store::{LocationRecord, SessionInsert, SessionRecord};
use wasndr_gateway::{GatewayStore, SqliteStore};

use common::{http, run, start_with, wasndr};

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../interop/python")
}

fn required() -> bool {
    std::env::var("WASNDR_REQUIRE_INTEROP").is_ok_and(|v| v == "1")
}

/// The interpreter of interop/python/.venv with `mcp` importable, or `None` when the test must skip.
fn python() -> Option<PathBuf> {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PYTHON.get_or_init(prepare_python) {
        Ok(path) => Some(path.clone()),
        Err(why) if required() => panic!(
            "WASNDR_REQUIRE_INTEROP=1 but the MCP Python SDK is not available: {why}. \
             Install it with: python3 -m venv interop/python/.venv && \
             interop/python/.venv/bin/python -m pip install -r interop/python/requirements.txt"
        ),
        Err(why) => {
            eprintln!("skipping the MCP Python SDK test: {why}");
            None
        }
    }
}

fn sdk_importable(python: &Path) -> bool {
    python.exists()
        && Command::new(python)
            .args(["-c", "import mcp, httpx2"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

fn prepare_python() -> Result<PathBuf, String> {
    let dir = interop_dir();
    let python = dir.join(".venv/bin/python");
    if sdk_importable(&python) {
        return Ok(python);
    }
    if required() {
        return Err(format!("{} cannot import mcp", python.display()));
    }
    // Outside CI: one attempt to install the pinned SDK into the project's venv.
    let venv = Command::new("python3")
        .args(["-m", "venv"])
        .arg(dir.join(".venv"))
        .status()
        .map_err(|e| format!("python3 is not available ({e})"))?;
    if !venv.success() {
        return Err("python3 -m venv failed".to_owned());
    }
    let install = Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "-r"])
        .arg(dir.join("requirements.txt"))
        .status()
        .map_err(|e| format!("pip could not run ({e})"))?;
    if !install.success() || !sdk_importable(&python) {
        return Err("pip install -r interop/python/requirements.txt failed".to_owned());
    }
    Ok(python)
}

/// Runs one scenario of mcp_checks.py; panics with its output when it fails.
fn scenario(python: &Path, name: &str, config: &Value) {
    let output = Command::new(python)
        .arg(interop_dir().join("mcp_checks.py"))
        .arg(name)
        .env("WASNDR_MCP_TEST", config.to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "scenario {name} failed ({})\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    eprint!("{stdout}");
}

/// One tenant as the scenarios see it.
struct Tenant {
    account: String,
    plan: &'static str,
    key: String,
    location: String,
    session: String,
}

fn key_of(issued: &str) -> String {
    issued
        .split_whitespace()
        .find(|w| w.starts_with("wsndr_"))
        .unwrap()
        .to_owned()
}

fn uuid_of(issued: &str) -> String {
    issued
        .split("uuid: ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

fn create_account(db: &str, name: &str, plan: &'static str) -> (String, String) {
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
    let key = key_of(&run(&["--database", db, "keys", "create", "--account", &account]));
    (account, key)
}

/// A location with one session recorded as connected, written through the gateway's store (see the
/// module documentation for why).
async fn linked_session(store: &SqliteStore, account: &str) -> (String, String) {
    let location = LocationRecord {
        id: new_id(),
        account_id: account.to_owned(),
        name: "Main".to_owned(),
        created_at: now_ms(),
        archived_at: None,
    };
    store.create_location(&location).await.unwrap();
    let session = SessionRecord {
        id: new_id(),
        account_id: account.to_owned(),
        location_id: location.id.clone(),
        name: "Main Device".to_owned(),
        status: SessionStatus::Connected,
        phone: Some("15550001111".to_owned()),
        jid: Some("15550001111:3@s.whatsapp.net".to_owned()),
        created_at: now_ms(),
    };
    assert!(matches!(
        store.create_session_within_limit(&session, 10).await.unwrap(),
        SessionInsert::Created
    ));
    (location.id, session.id)
}

fn new_id() -> String {
    wasndr_gateway::ids::new_uuid()
}

/// Two tenants: A on the free trial with its 50 messages used up, B on the standard plan.
fn tenants(db: &str) -> (Tenant, Tenant) {
    let (a_account, a_key) = create_account(db, "Alpha", "free_trial");
    let (b_account, b_key) = create_account(db, "Beta", "standard");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let ((a_location, a_session), (b_location, b_session)) = runtime.block_on(async {
        let store = SqliteStore::open(Path::new(db)).await.unwrap();
        store.migrate().await.unwrap();
        let a = linked_session(&store, &a_account).await;
        let b = linked_session(&store, &b_account).await;
        let (period, _) = month_period(now_ms());
        for _ in 0..50 {
            assert!(
                store
                    .try_consume_quota(&a_account, &period, 50)
                    .await
                    .unwrap()
                    .is_some()
            );
        }
        (a, b)
    });
    (
        Tenant {
            account: a_account,
            plan: "free_trial",
            key: a_key,
            location: a_location,
            session: a_session,
        },
        Tenant {
            account: b_account,
            plan: "standard",
            key: b_key,
            location: b_location,
            session: b_session,
        },
    )
}

fn tenant_json(tenant: &Tenant) -> Value {
    json!({
        "account": tenant.account,
        "plan": tenant.plan,
        "key": tenant.key,
        "location": tenant.location,
        "session": tenant.session,
    })
}

#[test]
fn streamable_http_with_the_python_sdk() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("wasndr.db");
    let db = db.to_str().unwrap();
    let (a, b) = tenants(db);
    let limited = run(&[
        "--database",
        db,
        "keys",
        "create",
        "--account",
        &a.account,
        "--scopes",
        "sessions:read",
    ]);
    let revoked = run(&["--database", db, "keys", "create", "--account", &a.account]);
    run(&[
        "--database",
        db,
        "keys",
        "revoke",
        "--account",
        &a.account,
        "--key",
        &uuid_of(&revoked),
    ]);

    let server = start_with(db, &["--public-url", "https://wa.example.com/"]);
    let addr = server.addr.clone();

    // The snippet of the seed, pointing at the configured public URL.
    let (status, body) = http(&addr, "GET", "/api/v1/mcp-config", &addr, &a.key, "");
    assert_eq!(status, 200, "{body}");
    let snippet: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        snippet["data"]["mcpServers"]["wasndr-whatsapp"],
        json!({"url": "https://wa.example.com/mcp",
               "headers": {"Authorization": "Bearer wsndr_your_key_here"}})
    );

    // Allowed hosts by default: the public URL's host and loopback, nothing else.
    let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    for (host, allowed) in [
        ("wa.example.com", true),
        (addr.as_str(), true),
        ("localhost", true),
        ("attacker.example", false),
    ] {
        let (status, body) = http(&addr, "POST", "/mcp", host, &a.key, list);
        assert_eq!(status == 200, allowed, "Host {host}: {status} {body}");
        if !allowed {
            assert!((400..500).contains(&status), "Host {host}: {status}");
        }
    }

    let mut a_json = tenant_json(&a);
    a_json["limited_key"] = json!(key_of(&limited));
    let config = json!({
        "url": format!("http://{addr}/mcp"),
        "binary": env!("CARGO_BIN_EXE_wasndr"),
        "database": db,
        "a": a_json,
        "b": tenant_json(&b),
        "revoked_key": key_of(&revoked),
    });
    for name in ["tools", "refusals", "every_tool", "two_callers", "unauthorized"] {
        scenario(&python, name, &config);
    }
    server.terminate();
}

#[test]
fn stdio_with_the_python_sdk() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("wasndr.db");
    let db = db.to_str().unwrap();
    let (a, b) = tenants(db);
    let config = json!({
        "url": "",
        "binary": env!("CARGO_BIN_EXE_wasndr"),
        "database": db,
        "a": tenant_json(&a),
        "b": tenant_json(&b),
    });
    scenario(&python, "stdio", &config);
}

/// stdout carries nothing but protocol: every line a JSON-RPC message, logs on stderr.
#[test]
fn stdio_writes_only_protocol_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("wasndr.db");
    let db = db.to_str().unwrap();
    let (_, key) = create_account(db, "Solo", "standard");
    let mut child = wasndr()
        .args(["--database", db, "mcp", "--stdio"])
        .env("WASNDR_API_KEY", &key)
        .env("WASNDR_LOG", "debug")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for message in [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "raw", "version": "0"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
               "params": {"name": "get_usage", "arguments": {}}}),
    ] {
        writeln!(stdin, "{message}").unwrap();
    }
    stdin.flush().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut answers: Vec<Value> = Vec::new();
    while answers.iter().filter(|m| m.get("id").is_some()).count() < 3 {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("no answer on stdout");
        let message: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("stdout line is not JSON-RPC ({e}): {line}"));
        assert_eq!(message["jsonrpc"], "2.0", "{line}");
        answers.push(message);
    }
    drop(stdin);
    let status = child.wait().unwrap();
    assert!(status.success(), "exit {status}");
    for line in rx.try_iter() {
        let message: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("stdout line is not JSON-RPC ({e}): {line}"));
        assert_eq!(message["jsonrpc"], "2.0", "{line}");
    }
    let tools = answers.iter().find(|m| m["id"] == 2).unwrap();
    assert_eq!(tools["result"]["tools"].as_array().unwrap().len(), 20);
    let usage = answers.iter().find(|m| m["id"] == 3).unwrap();
    assert_eq!(usage["result"]["structuredContent"]["data"]["plan"], "standard");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.contains("serving MCP on stdio"),
        "logs go to stderr: {stderr}"
    );
}

#[test]
fn stdio_refuses_a_missing_or_unknown_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("wasndr.db");
    let db = db.to_str().unwrap();
    create_account(db, "Solo", "standard");
    for key in [None, Some("wsndr_unknown0000000000000000000000000000")] {
        let mut command = wasndr();
        command
            .args(["--database", db, "mcp", "--stdio"])
            .stdin(Stdio::null());
        if let Some(key) = key {
            command.env("WASNDR_API_KEY", key);
        }
        let output = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{key:?} accepted");
        assert!(output.stdout.is_empty(), "nothing but protocol on stdout");
        assert!(
            stderr.contains("WASNDR_API_KEY") || stderr.contains("refused"),
            "{stderr}"
        );
    }
}

/// All twenty tools through a session linked to a virtual phone of the embedded simulator.
#[test]
fn every_tool_against_the_sandbox() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("wasndr.db");
    let db = db.to_str().unwrap();
    let (_, key) = create_account(db, "Sandbox", "standard");
    let server = start_with(db, &["--sandbox"]);
    let addr = server.addr.clone();
    let config = json!({
        "url": format!("http://{addr}/mcp"),
        "rest": format!("http://{addr}/api/v1"),
        "b": {"key": key},
    });
    scenario(&python, "sandbox_every_tool", &config);
    server.terminate();
}
