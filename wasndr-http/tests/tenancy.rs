//! Another account's key gets 404 on every resource type, and its lists never show them.
#![allow(clippy::unwrap_used)]

mod common;

use bytes::Bytes;
use common::TestServer;
use serde_json::json;
use wasndr_gateway::engine::{AttachmentInfo, GroupInfo, MediaType};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_accounts_resources_are_not_found() {
    let server = TestServer::start().await;
    let a = server.key("standard").await;
    let b = server.key("standard").await;
    let session = server.connected_session(&a, "14155550001").await;
    let location = server.get("/api/v1/locations", &a).await.data()[0]["locationUuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let group = "120363000000000001@g.us";
    server.engine.add_group(
        &session,
        GroupInfo {
            jid: group.into(),
            subject: "g".into(),
            description: None,
            owner: None,
            created_at: None,
            participants: vec![],
            size: 0,
        },
    );
    let attachment = AttachmentInfo {
        id: "att1".into(),
        message_id: "m1".into(),
        remote_jid: "14155550002@s.whatsapp.net".into(),
        media_type: MediaType::Image,
        mimetype: Some("image/png".into()),
        file_name: None,
        size: 3,
        sha256: "00".into(),
        timestamp: 1,
    };
    server
        .engine
        .add_attachment(&session, attachment, Bytes::from_static(b"png"));
    let a_key = server
        .post("/api/v1/keys", &a, json!({"name": "second"}))
        .await
        .data()["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let hook = server
        .post(
            "/api/v1/webhooks",
            &a,
            json!({"url": "https://hooks.example.com/a"}),
        )
        .await;
    let hook = hook.data()["uuid"].as_str().unwrap().to_owned();

    // Sanity: A itself reaches each of these.
    assert_eq!(
        server
            .get(&format!("/api/v1/sessions/{session}/status"), &a)
            .await
            .status,
        200
    );
    assert_eq!(
        server
            .get(&format!("/api/v1/groups/{group}?sessionId={session}"), &a)
            .await
            .status,
        200
    );
    assert_eq!(
        server
            .get(
                &format!("/api/v1/attachments/att1/download?sessionId={session}"),
                &a
            )
            .await
            .status,
        200
    );

    let s = session.as_str();
    let cases: Vec<(&str, String, Option<serde_json::Value>)> = vec![
        ("DELETE", format!("/api/v1/locations/{location}"), None),
        (
            "POST",
            "/api/v1/sessions".into(),
            Some(json!({"locationUuid": location, "name": "steal"})),
        ),
        ("GET", format!("/api/v1/sessions/{s}/qr"), None),
        ("GET", format!("/api/v1/sessions/{s}/status"), None),
        ("DELETE", format!("/api/v1/sessions/{s}"), None),
        (
            "POST",
            "/api/v1/messages/send".into(),
            Some(json!({"sessionId": s, "phone": "14155550002", "text": "x"})),
        ),
        (
            "POST",
            "/api/v1/messages/send-media".into(),
            Some(
                json!({"sessionId": s, "phone": "14155550002", "mediaBase64": "aGk=", "mediaType": "image"}),
            ),
        ),
        (
            "POST",
            "/api/v1/messages/send-group".into(),
            Some(json!({"sessionId": s, "groupJid": group, "text": "x"})),
        ),
        (
            "POST",
            "/api/v1/messages/send-group-media".into(),
            Some(json!({"sessionId": s, "groupJid": group, "mediaBase64": "aGk=", "mediaType": "image"})),
        ),
        (
            "POST",
            "/api/v1/messages/send-poll".into(),
            Some(json!({"sessionId": s, "groupJid": group, "question": "q", "options": ["a", "b"]})),
        ),
        (
            "POST",
            "/api/v1/check-number".into(),
            Some(json!({"sessionId": s, "phone": "14155550002"})),
        ),
        ("GET", format!("/api/v1/messages/history?sessionId={s}"), None),
        ("GET", format!("/api/v1/attachments?sessionId={s}"), None),
        (
            "GET",
            format!("/api/v1/attachments/att1/download?sessionId={s}"),
            None,
        ),
        ("GET", format!("/api/v1/groups?sessionId={s}"), None),
        ("GET", format!("/api/v1/groups/{group}?sessionId={s}"), None),
        (
            "GET",
            format!("/api/v1/groups/{group}/participants?sessionId={s}"),
            None,
        ),
        (
            "GET",
            format!("/api/v1/groups/{group}/export-members?sessionId={s}"),
            None,
        ),
        (
            "GET",
            format!("/api/v1/groups/{group}/invite-code?sessionId={s}"),
            None,
        ),
        (
            "POST",
            "/api/v1/groups/create".into(),
            Some(json!({"sessionId": s, "subject": "x", "participants": ["14155550002"]})),
        ),
        (
            "PUT",
            format!("/api/v1/groups/{group}/subject"),
            Some(json!({"sessionId": s, "subject": "x"})),
        ),
        (
            "PUT",
            format!("/api/v1/groups/{group}/description"),
            Some(json!({"sessionId": s, "description": "x"})),
        ),
        (
            "POST",
            format!("/api/v1/groups/{group}/participants/add"),
            Some(json!({"sessionId": s, "participants": ["14155550002"]})),
        ),
        (
            "POST",
            format!("/api/v1/groups/{group}/participants/remove"),
            Some(json!({"sessionId": s, "participants": ["14155550002"]})),
        ),
        (
            "POST",
            format!("/api/v1/groups/{group}/leave"),
            Some(json!({"sessionId": s})),
        ),
        ("DELETE", format!("/api/v1/keys/{a_key}"), None),
        ("DELETE", format!("/api/v1/webhooks/{hook}"), None),
        (
            "POST",
            "/api/v1/webhooks".into(),
            Some(json!({"url": "https://hooks.example.com/b", "locationUuid": location})),
        ),
    ];
    for (method, path, body) in cases {
        let reply = server.call(method, &path, Some(&b), body).await;
        assert_eq!(
            (reply.status, reply.code()),
            (404, "not_found"),
            "{method} {path}: {}",
            reply.body
        );
    }
    for path in ["/api/v1/locations", "/api/v1/sessions", "/api/v1/webhooks"] {
        let listed = server.get(path, &b).await;
        assert_eq!(listed.data(), &json!([]), "{path}: {}", listed.body);
    }
    assert_eq!(
        server
            .get("/api/v1/keys", &b)
            .await
            .data()
            .as_array()
            .unwrap()
            .len(),
        1,
        "only its own key"
    );
    assert!(
        server.engine.sends().is_empty(),
        "nothing was sent through A's session"
    );

    // A's resources are untouched.
    assert_eq!(
        server
            .get(&format!("/api/v1/sessions/{session}/status"), &a)
            .await
            .data()["status"],
        json!("connected")
    );
    assert_eq!(
        server
            .get("/api/v1/keys", &a)
            .await
            .data()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        server
            .get("/api/v1/webhooks", &a)
            .await
            .data()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        server
            .get("/api/v1/locations", &a)
            .await
            .data()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
