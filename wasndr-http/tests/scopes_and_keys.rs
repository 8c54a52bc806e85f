//! Every endpoint refused without its scope; keys created, listed and revoked over the API.
#![allow(clippy::unwrap_used)]

mod common;

use common::TestServer;
use serde_json::{Value, json};
use wasndr_gateway::{Scope, ScopeSet};

const U: &str = "3f1e9d4c-8b7a-4c6d-9e5f-0a1b2c3d4e5f";
const G: &str = "120363012345678901@g.us";

/// (method, path, body, the scope that grants it).
fn endpoints() -> Vec<(&'static str, String, Option<Value>, Scope)> {
    let send = json!({"sessionId": U, "phone": "14155551234", "text": "hi"});
    let media = json!({"sessionId": U, "phone": "14155551234", "mediaBase64": "aGk=", "mediaType": "image"});
    let group_media = json!({"sessionId": U, "groupJid": G, "mediaBase64": "aGk=", "mediaType": "image"});
    let poll = json!({"sessionId": U, "phone": "14155551234", "question": "q?", "options": ["a", "b"]});
    let session = json!({"sessionId": U});
    let members = json!({"sessionId": U, "participants": ["14155551234"]});
    vec![
        (
            "POST",
            "/api/v1/locations".into(),
            Some(json!({"name": "x"})),
            Scope::SessionsWrite,
        ),
        ("GET", "/api/v1/locations".into(), None, Scope::SessionsRead),
        (
            "DELETE",
            format!("/api/v1/locations/{U}"),
            None,
            Scope::SessionsWrite,
        ),
        (
            "POST",
            "/api/v1/sessions".into(),
            Some(json!({"locationUuid": U, "name": "x"})),
            Scope::SessionsWrite,
        ),
        ("GET", "/api/v1/sessions".into(), None, Scope::SessionsRead),
        (
            "GET",
            format!("/api/v1/sessions/{U}/qr"),
            None,
            Scope::SessionsRead,
        ),
        (
            "GET",
            format!("/api/v1/sessions/{U}/status"),
            None,
            Scope::SessionsRead,
        ),
        (
            "DELETE",
            format!("/api/v1/sessions/{U}"),
            None,
            Scope::SessionsWrite,
        ),
        (
            "POST",
            "/api/v1/messages/send".into(),
            Some(send),
            Scope::MessagesSend,
        ),
        (
            "POST",
            "/api/v1/messages/send-media".into(),
            Some(media),
            Scope::MessagesSend,
        ),
        (
            "POST",
            "/api/v1/messages/send-group".into(),
            Some(json!({"sessionId": U, "groupJid": G, "text": "hi"})),
            Scope::MessagesSend,
        ),
        (
            "POST",
            "/api/v1/messages/send-group-media".into(),
            Some(group_media),
            Scope::MessagesSend,
        ),
        (
            "POST",
            "/api/v1/messages/send-poll".into(),
            Some(poll),
            Scope::MessagesSend,
        ),
        (
            "POST",
            "/api/v1/check-number".into(),
            Some(json!({"sessionId": U, "phone": "14155551234"})),
            Scope::MessagesSend,
        ),
        (
            "GET",
            format!("/api/v1/messages/history?sessionId={U}"),
            None,
            Scope::MessagesRead,
        ),
        (
            "GET",
            format!("/api/v1/attachments?sessionId={U}"),
            None,
            Scope::MessagesRead,
        ),
        (
            "GET",
            format!("/api/v1/attachments/abc/download?sessionId={U}"),
            None,
            Scope::MessagesRead,
        ),
        (
            "GET",
            format!("/api/v1/groups?sessionId={U}"),
            None,
            Scope::GroupsRead,
        ),
        (
            "GET",
            format!("/api/v1/groups/{G}?sessionId={U}"),
            None,
            Scope::GroupsRead,
        ),
        (
            "GET",
            format!("/api/v1/groups/{G}/participants?sessionId={U}"),
            None,
            Scope::GroupsRead,
        ),
        (
            "GET",
            format!("/api/v1/groups/{G}/export-members?sessionId={U}"),
            None,
            Scope::GroupsRead,
        ),
        (
            "GET",
            format!("/api/v1/groups/{G}/invite-code?sessionId={U}"),
            None,
            Scope::GroupsRead,
        ),
        (
            "POST",
            "/api/v1/groups/create".into(),
            Some(json!({"sessionId": U, "subject": "s", "participants": ["14155551234"]})),
            Scope::GroupsWrite,
        ),
        (
            "PUT",
            format!("/api/v1/groups/{G}/subject"),
            Some(json!({"sessionId": U, "subject": "s"})),
            Scope::GroupsWrite,
        ),
        (
            "PUT",
            format!("/api/v1/groups/{G}/description"),
            Some(json!({"sessionId": U, "description": "d"})),
            Scope::GroupsWrite,
        ),
        (
            "POST",
            format!("/api/v1/groups/{G}/participants/add"),
            Some(members.clone()),
            Scope::GroupsWrite,
        ),
        (
            "POST",
            format!("/api/v1/groups/{G}/participants/remove"),
            Some(members),
            Scope::GroupsWrite,
        ),
        (
            "POST",
            format!("/api/v1/groups/{G}/leave"),
            Some(session),
            Scope::GroupsWrite,
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_is_refused_without_its_scope() {
    let server = TestServer::start().await;
    for (method, path, body, scope) in endpoints() {
        // A key with every scope but this one: refused with missing_scope.
        let without: ScopeSet = Scope::ALL.into_iter().filter(|s| *s != scope).collect();
        let (_, key) = server.account_with("enterprise", without).await;
        let reply = server.call(method, &path, Some(&key), body.clone()).await;
        reply.assert_error(403, "missing_scope");
        assert!(
            reply.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(scope.as_str()),
            "{method} {path}: {}",
            reply.body
        );
        // A key with only that scope gets past the scope check (to whatever the fake ids lead to).
        let (_, only) = server
            .account_with("enterprise", [scope].into_iter().collect())
            .await;
        let reply = server.call(method, &path, Some(&only), body).await;
        assert_ne!(
            reply.code(),
            "missing_scope",
            "{method} {path} with {scope}: {}",
            reply.body
        );
        assert_ne!(reply.status, 401);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_key_bad_key_and_revoked_key_are_unauthorized() {
    let server = TestServer::start().await;
    for (method, path, body, _) in endpoints() {
        server
            .call(method, &path, None, body.clone())
            .await
            .assert_error(401, "unauthorized");
        let bogus = "wsndr_0000000000000000000000000000000000000000";
        server
            .call(method, &path, Some(bogus), body)
            .await
            .assert_error(401, "unauthorized");
    }
    server
        .call("GET", "/api/v1/usage", Some("not-a-key"), None)
        .await
        .assert_error(401, "unauthorized");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_valid_key_reads_usage_account_and_mcp_config() {
    let server = TestServer::start().await;
    let (_, key) = server
        .account_with("standard", [Scope::GroupsRead].into_iter().collect())
        .await;
    for path in ["/api/v1/usage", "/api/v1/account", "/api/v1/mcp-config"] {
        let reply = server.get(path, &key).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        assert_eq!(reply.body["success"], json!(true));
    }
    let mcp = server.get("/api/v1/mcp-config", &key).await;
    let url = mcp.data()["mcpServers"]["wasndr-whatsapp"]["url"]
        .as_str()
        .unwrap();
    assert_eq!(url, format!("http://{}/mcp", server.addr));
    assert_eq!(
        mcp.data()["mcpServers"]["wasndr-whatsapp"]["headers"]["Authorization"],
        json!("Bearer wsndr_your_key_here")
    );
    let account = server.get("/api/v1/account", &key).await;
    assert_eq!(account.data()["plan"], json!("standard"));
    assert_eq!(account.data()["limits"]["messagesPerMonth"], json!(9000));
    assert_eq!(account.data()["limits"]["sessions"], json!(2));
    assert_eq!(account.data()["limits"]["sendsPerMinute"], json!(30));
    // The event stream needs messages:read or sessions:read.
    server
        .get("/api/v1/events", &key)
        .await
        .assert_error(403, "missing_scope");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_created_listed_and_revoked() {
    let server = TestServer::start().await;
    let key = server.key("free_trial").await;
    let created = server
        .post(
            "/api/v1/keys",
            &key,
            json!({"name": "ci", "scopes": ["messages:send", "sessions:read"]}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let secret = created.data()["key"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("wsndr_") && secret.len() >= 38, "{secret}");
    assert!(secret[6..].bytes().all(|b| b.is_ascii_alphanumeric()));
    let uuid = created.data()["uuid"].as_str().unwrap().to_owned();
    assert_eq!(
        created.data()["scopes"],
        json!(["messages:send", "sessions:read"])
    );

    let listed = server.get("/api/v1/keys", &key).await;
    assert_eq!(listed.status, 200);
    let keys = listed.data().as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert!(
        !listed.bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "the secret is never listed"
    );
    assert!(keys.iter().all(|k| k.get("key").is_none()));
    assert!(
        keys.iter()
            .any(|k| k["uuid"] == json!(uuid) && k["prefix"].as_str().is_some_and(|p| secret.starts_with(p)))
    );

    // The new key works, and shows its use; it cannot manage keys (not all six scopes).
    assert_eq!(server.get("/api/v1/sessions", &secret).await.status, 200);
    server
        .get("/api/v1/keys", &secret)
        .await
        .assert_error(403, "missing_scope");
    server
        .post("/api/v1/keys", &secret, json!({"name": "x"}))
        .await
        .assert_error(403, "missing_scope");
    let listed = server.get("/api/v1/keys", &key).await;
    let used = listed
        .data()
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["uuid"] == json!(uuid))
        .unwrap()
        .clone();
    assert!(used["lastUsedAt"].as_str().is_some(), "{used}");

    // Unknown scopes and empty names are refused naming the field.
    let bad = server
        .post(
            "/api/v1/keys",
            &key,
            json!({"name": "x", "scopes": ["messages:delete"]}),
        )
        .await;
    bad.assert_error(400, "invalid_request");
    assert_eq!(bad.body["error"]["field"], json!("scopes"));

    // Revocation takes effect on the next request.
    let revoked = server
        .call("DELETE", &format!("/api/v1/keys/{uuid}"), Some(&key), None)
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    server
        .get("/api/v1/sessions", &secret)
        .await
        .assert_error(401, "unauthorized");
    server
        .call("DELETE", &format!("/api/v1/keys/{uuid}"), Some(&key), None)
        .await
        .assert_error(404, "not_found");
    assert_eq!(
        server
            .get("/api/v1/keys", &key)
            .await
            .data()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_key_cannot_exceed_the_callers_scopes() {
    let server = TestServer::start().await;
    // Only a key with all six may create keys, so any new key is a subset; the check still refuses an
    // explicit superset request from a full key that names an unknown scope, and a key missing one scope
    // cannot create at all.
    let (_, partial) = server
        .account_with(
            "standard",
            ScopeSet::all().to_vec()[..5].iter().copied().collect(),
        )
        .await;
    server
        .post(
            "/api/v1/keys",
            &partial,
            json!({"name": "x", "scopes": ["messages:send"]}),
        )
        .await
        .assert_error(403, "missing_scope");
    let key = server.key("standard").await;
    let empty = server
        .post("/api/v1/keys", &key, json!({"name": "x", "scopes": []}))
        .await;
    empty.assert_error(400, "invalid_request");
    let all = server.post("/api/v1/keys", &key, json!({"name": "x"})).await;
    assert_eq!(all.data()["scopes"].as_array().unwrap().len(), 6);
}
