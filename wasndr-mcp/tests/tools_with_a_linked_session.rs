//! The MCP shell over the gateway with linked sessions: all twenty tools succeed, sends reach the engine
//! and use quota, `sessionId` can be omitted with one connected session and must be given with two.
//!
//! The session engine here is the gateway's in-process stand-in (`RecordingEngine`): this tests the
//! shell's semantics; the interop test (wasndr/tests/mcp_python.rs) drives the real binary with the
//! official Python SDK. JSON-RPC goes over an in-memory pipe to rmcp's server, as stdio would.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use rmcp::ServiceExt;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines, ReadHalf, WriteHalf};
use wasndr_gateway::api::{CreateLocation, CreateSession};
use wasndr_gateway::testing::RecordingEngine;
use wasndr_gateway::{Gateway, GatewayConfig, GatewayStore, ScopeSet, SqliteStore};
use wasndr_mcp::{ApiKey, WasndrMcp};

/// A JSON-RPC client on an in-memory pipe to one MCP server acting with one key.
struct Pipe {
    lines: Lines<BufReader<ReadHalf<DuplexStream>>>,
    writer: WriteHalf<DuplexStream>,
    next_id: u64,
}

impl Pipe {
    async fn open(gateway: Arc<Gateway>, key: &str) -> Pipe {
        let (client, server) = tokio::io::duplex(1 << 20);
        let mcp = WasndrMcp::with_key(gateway, ApiKey::new(key));
        tokio::spawn(async move {
            if let Ok(running) = mcp.serve(tokio::io::split(server)).await {
                let _ = running.waiting().await;
            }
        });
        let (read, writer) = tokio::io::split(client);
        let mut pipe = Pipe {
            lines: BufReader::new(read).lines(),
            writer,
            next_id: 1,
        };
        pipe.request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "test", "version": "0"}}),
        )
        .await;
        pipe.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        pipe
    }

    async fn send(&mut self, message: Value) {
        let mut line = message.to_string();
        line.push('\n');
        self.writer.write_all(line.as_bytes()).await.unwrap();
    }

    async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        loop {
            let line = self.lines.next_line().await.unwrap().unwrap();
            let message: Value = serde_json::from_str(&line).unwrap();
            if message["id"] == id {
                return message;
            }
        }
    }

    /// A tool's result (`isError` or not); panics on a JSON-RPC error.
    async fn call(&mut self, tool: &str, arguments: Value) -> Value {
        let answer = self
            .request("tools/call", json!({"name": tool, "arguments": arguments}))
            .await;
        assert!(answer.get("error").is_none(), "{tool}: {answer}");
        answer["result"].clone()
    }

    /// The `structuredContent` of a successful call.
    async fn ok(&mut self, tool: &str, arguments: Value) -> Value {
        let result = self.call(tool, arguments).await;
        assert_eq!(result["isError"], false, "{tool}: {result}");
        result["structuredContent"].clone()
    }

    /// The error code of a refused call.
    async fn refused(&mut self, tool: &str, arguments: Value) -> String {
        let result = self.call(tool, arguments).await;
        assert_eq!(result["isError"], true, "{tool}: {result}");
        result["structuredContent"]["error"]["code"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// A gateway on SQLite with the stand-in engine, and a standard-plan account with a full key.
async fn setup() -> (Arc<Gateway>, Arc<RecordingEngine>, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("g.db")).await.unwrap();
    store.migrate().await.unwrap();
    let engine = RecordingEngine::new();
    let gateway = Arc::new(Gateway::new(Arc::new(store), engine.clone(), GatewayConfig::default()).unwrap());
    let account = gateway.create_account("Acme", Some("standard")).await.unwrap();
    let key = gateway
        .issue_key(&account.id, "agent", ScopeSet::all())
        .await
        .unwrap()
        .key;
    (gateway, engine, key, dir)
}

/// A session of the key's account, linked to `phone`.
async fn linked_session(gateway: &Gateway, engine: &RecordingEngine, key: &str, phone: &str) -> String {
    let caller = gateway.authenticate(Some(key)).await.unwrap();
    let location = gateway
        .create_location(&caller, CreateLocation { name: "Main".into() })
        .await
        .unwrap();
    let session = gateway
        .create_session(
            &caller,
            CreateSession {
                location_uuid: location.location_uuid,
                name: phone.into(),
            },
        )
        .await
        .unwrap();
    engine.link(&session.session_id, phone).await.unwrap();
    session.session_id
}

#[tokio::test]
async fn every_tool_succeeds_through_a_linked_session() {
    let (gateway, engine, key, _dir) = setup().await;
    let session = linked_session(&gateway, &engine, &key, "15550001111").await;
    engine.register_numbers(&["14155551234"]);
    engine
        .receive_text(&session, "14155551234", "the invoice is attached")
        .await
        .unwrap();
    let mut mcp = Pipe::open(gateway.clone(), &key).await;
    let listed = mcp.request("tools/list", json!({})).await;
    assert_eq!(listed["result"]["tools"].as_array().unwrap().len(), 20);

    let png =
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
    let mut called = Vec::new();
    // sessionId omitted throughout: the account has one connected session.
    let group = mcp
        .ok(
            "create_group",
            json!({"subject": "Team", "participants": ["14155551234"]}),
        )
        .await;
    let group = group["data"]["jid"].as_str().unwrap().to_owned();
    called.push("create_group");
    for (tool, args) in [
        (
            "send_whatsapp_message",
            json!({"phone": "+1 415 555 1234", "text": "hi"}),
        ),
        (
            "send_whatsapp_media",
            json!({"phone": "14155551234", "mediaType": "image", "mediaBase64": png, "caption": "dot"}),
        ),
        ("send_group_message", json!({"groupJid": group, "text": "hi all"})),
        (
            "send_group_media",
            json!({"groupJid": group, "mediaType": "document", "mediaBase64": png, "fileName": "d.png"}),
        ),
        (
            "send_poll",
            json!({"groupJid": group, "question": "Lunch?", "options": ["yes", "no"]}),
        ),
    ] {
        let sent = mcp.ok(tool, args).await;
        assert_eq!(sent["data"]["status"], "sent", "{tool}: {sent}");
        called.push(tool);
    }
    let sends = engine.sends();
    assert_eq!(sends.len(), 5);
    assert_eq!(sends[0].to, "14155551234@s.whatsapp.net");
    assert!(sends.iter().all(|s| s.session_id == session));

    let checked = mcp
        .ok(
            "check_whatsapp_number",
            json!({"phones": ["14155551234", "447700900123"]}),
        )
        .await;
    assert_eq!(checked["data"][0]["exists"], true);
    assert_eq!(checked["data"][1]["exists"], false);
    called.push("check_whatsapp_number");

    let history = mcp
        .ok("get_message_history", json!({"search": "INVOICE", "limit": 5}))
        .await;
    assert_eq!(history["meta"]["total"], 1, "{history}");
    assert_eq!(history["data"][0]["text"], "the invoice is attached");
    called.push("get_message_history");

    let groups = mcp.ok("list_groups", json!({})).await;
    assert_eq!(groups["data"][0]["jid"], group.as_str());
    called.push("list_groups");
    let info = mcp.ok("get_group_info", json!({"groupJid": group})).await;
    assert_eq!(info["data"]["subject"], "Team");
    called.push("get_group_info");
    let added = mcp
        .ok(
            "add_group_participants",
            json!({"groupJid": group, "participants": ["447700900123"]}),
        )
        .await;
    assert_eq!(added["data"][0]["status"], "200", "{added}");
    called.push("add_group_participants");
    let members = mcp.ok("get_group_participants", json!({"groupJid": group})).await;
    assert_eq!(members["data"].as_array().unwrap().len(), 2, "{members}");
    called.push("get_group_participants");
    let removed = mcp
        .ok(
            "remove_group_participants",
            json!({"groupJid": group, "participants": ["447700900123"]}),
        )
        .await;
    assert_eq!(removed["data"][0]["status"], "200", "{removed}");
    called.push("remove_group_participants");
    let exported = mcp.ok("export_group_members", json!({"groupJid": group})).await;
    assert_eq!(
        exported["data"],
        json!([{"jid": "14155551234@s.whatsapp.net", "phone": "14155551234", "role": "member"}])
    );
    called.push("export_group_members");

    let status = mcp.ok("get_session_status", json!({})).await;
    assert_eq!(status["data"]["status"], "connected");
    assert_eq!(status["data"]["phone"], "15550001111");
    called.push("get_session_status");
    let sessions = mcp.ok("list_sessions", json!({})).await;
    assert_eq!(sessions["data"][0]["sessionId"], session.as_str());
    called.push("list_sessions");
    let created = mcp.ok("create_api_account", json!({"name": "Customer 2"})).await;
    let location = created["data"]["locationUuid"].as_str().unwrap().to_owned();
    called.push("create_api_account");
    let accounts = mcp.ok("list_api_accounts", json!({})).await;
    assert_eq!(accounts["meta"]["total"], 2);
    called.push("list_api_accounts");
    mcp.ok("archive_api_account", json!({"locationUuid": location}))
        .await;
    called.push("archive_api_account");
    let usage = mcp.ok("get_usage", json!({})).await;
    assert_eq!(usage["data"]["messagesUsed"], 5, "one unit per send: {usage}");
    called.push("get_usage");

    called.sort_unstable();
    let mut names = WasndrMcp::tool_names();
    names.sort_unstable();
    assert_eq!(called, names);
}

#[tokio::test]
async fn session_id_is_needed_with_two_connected_sessions() {
    let (gateway, engine, key, _dir) = setup().await;
    let first = linked_session(&gateway, &engine, &key, "15550001111").await;
    let mut mcp = Pipe::open(gateway.clone(), &key).await;
    mcp.ok(
        "send_whatsapp_message",
        json!({"phone": "14155551234", "text": "one"}),
    )
    .await;
    linked_session(&gateway, &engine, &key, "15550002222").await;
    let result = mcp
        .call(
            "send_whatsapp_message",
            json!({"phone": "14155551234", "text": "two"}),
        )
        .await;
    assert_eq!(result["isError"], true);
    let error = &result["structuredContent"]["error"];
    assert_eq!(error["field"], "sessionId");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("2 connected sessions"),
        "{error}"
    );
    assert!(
        result["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("list_sessions")
    );
    // The operation's own checks come first: a bad phone is named even without a session.
    assert_eq!(
        mcp.refused("send_whatsapp_message", json!({"phone": "12", "text": "x"}))
            .await,
        "invalid_request"
    );
    mcp.ok(
        "send_whatsapp_message",
        json!({"sessionId": first, "phone": "14155551234", "text": "three"}),
    )
    .await;
    assert_eq!(engine.sends().len(), 2);
}

#[tokio::test]
async fn a_revoked_key_stops_working_on_its_next_call() {
    let (gateway, _engine, key, _dir) = setup().await;
    let mut mcp = Pipe::open(gateway.clone(), &key).await;
    mcp.ok("get_usage", json!({})).await;
    let caller = gateway.authenticate(Some(&key)).await.unwrap();
    gateway
        .store()
        .revoke_key(&caller.account.id, &caller.key_id, 0)
        .await
        .unwrap();
    assert_eq!(mcp.refused("get_usage", json!({})).await, "unauthorized");
}
