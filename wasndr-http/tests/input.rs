//! Bad input: malformed JSON, unknown fields, bad phones, oversized bodies, unknown routes.
#![allow(clippy::unwrap_used)]

mod common;

use bytes::Bytes;
use common::TestServer;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_are_refused_in_the_envelope_naming_the_field() {
    let server = TestServer::start().await;
    let key = server.key("standard").await;
    let session = server.connected_session(&key, "14155550001").await;
    let json_body = |text: &str| Some(("application/json", Bytes::from(text.to_owned())));

    let malformed = server
        .raw(
            "POST",
            "/api/v1/messages/send",
            Some(&key),
            json_body("{\"sessionId\": "),
        )
        .await;
    malformed.assert_error(400, "invalid_request");
    assert!(
        malformed.body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("malformed JSON")
    );

    let unknown = server
        .post(
            "/api/v1/messages/send",
            &key,
            json!({"sessionId": session, "phone": "14155550002", "text": "x", "txet": "y"}),
        )
        .await;
    unknown.assert_error(400, "invalid_request");
    assert_eq!(unknown.body["error"]["field"], json!("txet"), "{}", unknown.body);

    let missing = server
        .post(
            "/api/v1/messages/send",
            &key,
            json!({"sessionId": session, "phone": "14155550002"}),
        )
        .await;
    missing.assert_error(400, "invalid_request");
    assert_eq!(missing.body["error"]["field"], json!("text"));

    let wrong_type = server
        .post(
            "/api/v1/messages/send",
            &key,
            json!({"sessionId": session, "phone": 14155550002u64, "text": "x"}),
        )
        .await;
    wrong_type.assert_error(400, "invalid_request");
    assert_eq!(wrong_type.body["error"]["field"], json!("phone"));

    let not_json = server
        .raw(
            "POST",
            "/api/v1/locations",
            Some(&key),
            Some(("text/plain", Bytes::from_static(b"name=x"))),
        )
        .await;
    not_json.assert_error(400, "invalid_request");

    for phone in [
        "12345",
        "+1 (415) 555-12345678901",
        "phone",
        "0044207946000",
        "14155550002@s.whatsapp.net",
    ] {
        let bad = server
            .post(
                "/api/v1/messages/send",
                &key,
                json!({"sessionId": session, "phone": phone, "text": "x"}),
            )
            .await;
        bad.assert_error(400, "invalid_request");
        assert_eq!(
            bad.body["error"]["field"],
            json!("phone"),
            "{phone}: {}",
            bad.body
        );
    }
    let bad = server
        .post(
            "/api/v1/check-number",
            &key,
            json!({"sessionId": session, "phones": ["14155550002", "12"]}),
        )
        .await;
    assert_eq!(bad.body["error"]["field"], json!("phones"));
    // A formatted number is accepted and normalised.
    let ok = server
        .post(
            "/api/v1/messages/send",
            &key,
            json!({"sessionId": session, "phone": "+1 (415) 555-0002", "text": "x"}),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.data()["to"], json!("14155550002@s.whatsapp.net"));
    assert!(ok.data()["messageId"].as_str().is_some());
    assert_eq!(
        server.engine.sends().len(),
        1,
        "bad input never reached the engine"
    );

    let bad_group = server
        .post(
            "/api/v1/messages/send-group",
            &key,
            json!({"sessionId": session, "groupJid": "14155550002@s.whatsapp.net", "text": "x"}),
        )
        .await;
    assert_eq!(bad_group.body["error"]["field"], json!("groupJid"));
    let bad_media = server
        .post(
            "/api/v1/messages/send-media",
            &key,
            json!({"sessionId": session, "phone": "14155550002", "mediaType": "gif", "mediaBase64": "aGk="}),
        )
        .await;
    assert_eq!(bad_media.body["error"]["field"], json!("mediaType"));
    let both = server.post("/api/v1/messages/send-media", &key, json!({"sessionId": session, "phone": "14155550002", "mediaType": "image", "mediaBase64": "aGk=", "mediaUrl": "https://example.com/a.png"})).await;
    both.assert_error(400, "invalid_request");
    let not_b64 = server
        .post(
            "/api/v1/messages/send-media",
            &key,
            json!({"sessionId": session, "phone": "14155550002", "mediaType": "image", "mediaBase64": "!!!"}),
        )
        .await;
    assert_eq!(not_b64.body["error"]["field"], json!("mediaBase64"));
    let one_option = server
        .post(
            "/api/v1/messages/send-poll",
            &key,
            json!({"sessionId": session, "phone": "14155550002", "question": "q", "options": ["a"]}),
        )
        .await;
    assert_eq!(one_option.body["error"]["field"], json!("options"));
    let bad_date = server
        .get(
            &format!("/api/v1/messages/history?sessionId={session}&startDate=yesterday"),
            &key,
        )
        .await;
    assert_eq!(bad_date.body["error"]["field"], json!("startDate"));
    let bad_query = server
        .get(
            &format!("/api/v1/messages/history?sessionId={session}&serach=x"),
            &key,
        )
        .await;
    bad_query.assert_error(400, "invalid_request");
    assert_eq!(
        bad_query.body["error"]["field"],
        json!("serach"),
        "{}",
        bad_query.body
    );
    let big_limit = server
        .get(
            &format!("/api/v1/messages/history?sessionId={session}&limit=501"),
            &key,
        )
        .await;
    assert_eq!(big_limit.body["error"]["field"], json!("limit"));
    let missing_session = server
        .post(
            "/api/v1/messages/send",
            &key,
            json!({"sessionId": "", "phone": "14155550002", "text": "x"}),
        )
        .await;
    assert_eq!(missing_session.body["error"]["field"], json!("sessionId"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_413() {
    let server = TestServer::start().await;
    let key = server.key("standard").await;
    let huge = "x".repeat(2 * 1024 * 1024);
    let reply = server
        .post(
            "/api/v1/messages/send",
            &key,
            json!({"sessionId": "s", "phone": "14155550002", "text": huge}),
        )
        .await;
    reply.assert_error(413, "payload_too_large");
    // Media sends take larger bodies (base64 files), up to the media cap.
    let session = server.connected_session(&key, "14155550001").await;
    let b64 = "QUJD".repeat(512 * 1024); // 2 MiB of base64 = 1.5 MiB file
    let media = server.post("/api/v1/messages/send-media", &key, json!({"sessionId": session, "phone": "14155550002", "mediaType": "document", "mediaBase64": b64, "fileName": "a.bin"})).await;
    assert_eq!(media.status, 200, "{}", media.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_over_the_configured_cap_is_413() {
    let mut config = common::test_config();
    config.max_media_bytes = 1024;
    let server = TestServer::start_with(config).await;
    let key = server.key("standard").await;
    let session = server.connected_session(&key, "14155550001").await;
    let b64 = "QUJD".repeat(1000); // 3000-byte file
    let reply = server
        .post(
            "/api/v1/messages/send-media",
            &key,
            json!({"sessionId": session, "phone": "14155550002", "mediaType": "image", "mediaBase64": b64}),
        )
        .await;
    reply.assert_error(413, "payload_too_large");
    assert_eq!(
        server.get("/api/v1/usage", &key).await.data()["messagesUsed"],
        json!(0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_and_methods_answer_in_the_envelope() {
    let server = TestServer::start().await;
    let key = server.key("standard").await;
    server
        .get("/api/v1/nope", &key)
        .await
        .assert_error(404, "not_found");
    server
        .call("PATCH", "/api/v1/locations", Some(&key), None)
        .await
        .assert_error(405, "method_not_allowed");
    for path in [
        "/api/v1/sandbox/info",
        "/api/v1/sandbox/phones",
        "/api/v1/sandbox",
    ] {
        let reply = server.get(path, &key).await;
        reply.assert_error(404, "not_found");
        assert!(
            reply.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("--sandbox")
        );
    }
    server
        .get("/api/v1/sessions/not-a-uuid/status", &key)
        .await
        .assert_error(404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_errors_are_logged_not_shown() {
    let server = TestServer::start().await;
    let key = server.key("standard").await;
    let session = server.connected_session(&key, "14155550001").await;
    // Break the database under the running server.
    let store = wasndr_gateway::SqliteStore::open(&server.dir.path().join("gateway.db"))
        .await
        .unwrap();
    sqlx::raw_sql("DROP TABLE quota_usage")
        .execute(store.pool())
        .await
        .unwrap();
    let reply = server
        .post(
            "/api/v1/messages/send",
            &key,
            json!({"sessionId": session, "phone": "14155550002", "text": "x"}),
        )
        .await;
    reply.assert_error(500, "internal_error");
    let message = reply.body["error"]["message"].as_str().unwrap();
    assert!(
        !message.contains("quota_usage") && !message.to_lowercase().contains("sql"),
        "{message}"
    );
    assert!(server.engine.sends().is_empty());
}
