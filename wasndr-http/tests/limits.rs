//! Plan gates, the monthly quota (exact under concurrency, refunded on pre-WhatsApp failures), the send
//! rate limit with Retry-After (reads unaffected), and the session limit.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::TestServer;
use serde_json::json;
use wasndr_gateway::GatewayError;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_groups_and_attachments_need_standard_but_group_sends_do_not() {
    let server = TestServer::start().await;
    for plan in ["free_trial", "lite"] {
        let key = server.key(plan).await;
        let s = server.connected_session(&key, "14155550001").await;
        let g = "120363000000000001@g.us";
        for path in [
            format!("/api/v1/messages/history?sessionId={s}"),
            format!("/api/v1/attachments?sessionId={s}"),
            format!("/api/v1/attachments/x/download?sessionId={s}"),
            format!("/api/v1/groups?sessionId={s}"),
            format!("/api/v1/groups/{g}?sessionId={s}"),
            format!("/api/v1/groups/{g}/participants?sessionId={s}"),
            format!("/api/v1/groups/{g}/export-members?sessionId={s}"),
            format!("/api/v1/groups/{g}/invite-code?sessionId={s}"),
        ] {
            server
                .get(&path, &key)
                .await
                .assert_error(403, "plan_upgrade_required");
        }
        server
            .post(
                "/api/v1/groups/create",
                &key,
                json!({"sessionId": s, "subject": "x", "participants": ["14155550002"]}),
            )
            .await
            .assert_error(403, "plan_upgrade_required");
        server
            .call(
                "PUT",
                &format!("/api/v1/groups/{g}/subject"),
                Some(&key),
                Some(json!({"sessionId": s, "subject": "x"})),
            )
            .await
            .assert_error(403, "plan_upgrade_required");
        server
            .post(
                &format!("/api/v1/groups/{g}/leave"),
                &key,
                json!({"sessionId": s}),
            )
            .await
            .assert_error(403, "plan_upgrade_required");
        let sent = server
            .post(
                "/api/v1/messages/send-group",
                &key,
                json!({"sessionId": s, "groupJid": g, "text": "hi"}),
            )
            .await;
        assert_eq!(sent.status, 200, "{plan}: {}", sent.body);
    }
    let key = server.key("standard").await;
    let s = server.connected_session(&key, "14155550003").await;
    assert_eq!(
        server
            .get(&format!("/api/v1/messages/history?sessionId={s}"), &key)
            .await
            .status,
        200
    );
    assert_eq!(
        server
            .get(&format!("/api/v1/groups?sessionId={s}"), &key)
            .await
            .status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quota_is_exact_under_fifty_concurrent_sends() {
    let server = Arc::new(TestServer::start().await);
    let key = server.key("tight").await; // 20 messages a month, 1000 sends a minute
    let session = server.connected_session(&key, "14155550001").await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (server, key, session) = (server.clone(), key.clone(), session.clone());
        tasks.push(tokio::spawn(async move {
            server
                .post(
                    "/api/v1/messages/send",
                    &key,
                    json!({"sessionId": session, "phone": "14155550002", "text": format!("m{i}")}),
                )
                .await
        }));
    }
    let mut ok = 0;
    let mut exhausted = 0;
    for task in tasks {
        let reply = task.await.unwrap();
        match (reply.status, reply.code()) {
            (200, _) => ok += 1,
            (429, "quota_exceeded") => {
                exhausted += 1;
                assert!(
                    reply.body["error"]["resetsAt"]
                        .as_str()
                        .unwrap()
                        .ends_with("-01T00:00:00.000Z"),
                    "{}",
                    reply.body
                );
            }
            other => panic!("unexpected {other:?}: {}", reply.body),
        }
    }
    assert_eq!((ok, exhausted), (20, 30));
    assert_eq!(
        server.engine.sends().len(),
        20,
        "exactly the granted sends reached the engine"
    );
    let usage = server.get("/api/v1/usage", &key).await;
    assert_eq!(usage.data()["messagesUsed"], json!(20));
    assert_eq!(usage.data()["messagesRemaining"], json!(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_that_fail_before_whatsapp_give_their_unit_back() {
    let server = TestServer::start().await;
    let key = server.key("tight").await;
    let session = server.connected_session(&key, "14155550001").await;
    let send = json!({"sessionId": session, "phone": "14155550002", "text": "x"});
    server
        .engine
        .fail_next_sends(vec![GatewayError::SessionNotConnected]);
    server
        .post("/api/v1/messages/send", &key, send.clone())
        .await
        .assert_error(409, "session_not_connected");
    server
        .engine
        .fail_next_sends(vec![GatewayError::SessionReconnecting]);
    server
        .post("/api/v1/messages/send", &key, send.clone())
        .await
        .assert_error(503, "session_reconnecting");
    assert_eq!(
        server.get("/api/v1/usage", &key).await.data()["messagesUsed"],
        json!(0)
    );
    server.engine.fail_next_sends(vec![GatewayError::WhatsApp {
        code: "479".into(),
        message: "refused".into(),
    }]);
    let refused = server.post("/api/v1/messages/send", &key, send.clone()).await;
    refused.assert_error(502, "whatsapp_error");
    assert!(refused.body["error"]["message"].as_str().unwrap().contains("479"));
    assert_eq!(
        server.get("/api/v1/usage", &key).await.data()["messagesUsed"],
        json!(1),
        "it reached WhatsApp"
    );
    // A session that is not linked yet: 409, nothing counted.
    let location = server
        .post("/api/v1/locations", &key, json!({"name": "l2"}))
        .await;
    let fresh = server
        .post(
            "/api/v1/sessions",
            &key,
            json!({"locationUuid": location.data()["locationUuid"], "name": "d"}),
        )
        .await;
    let fresh = fresh.data()["sessionId"].as_str().unwrap().to_owned();
    server
        .post(
            "/api/v1/messages/send",
            &key,
            json!({"sessionId": fresh, "phone": "14155550002", "text": "x"}),
        )
        .await
        .assert_error(409, "session_not_connected");
    assert_eq!(
        server.get("/api/v1/usage", &key).await.data()["messagesUsed"],
        json!(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_rate_limit_answers_429_with_retry_after_and_never_limits_reads() {
    let server = TestServer::start().await;
    let key = server.key("free_trial").await; // 5 sends a minute
    let session = server.connected_session(&key, "14155550001").await;
    let send = json!({"sessionId": session, "phone": "14155550002", "text": "x"});
    for remaining in (0..5).rev() {
        let reply = server.post("/api/v1/messages/send", &key, send.clone()).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.header("x-ratelimit-limit"), Some("5"));
        assert_eq!(
            reply.header("x-ratelimit-remaining"),
            Some(remaining.to_string().as_str())
        );
        let reset: i64 = reply.header("x-ratelimit-reset").unwrap().parse().unwrap();
        assert!(reset > wasndr_gateway::clock::now_ms() / 1000);
    }
    let limited = server.post("/api/v1/messages/send", &key, send.clone()).await;
    limited.assert_error(429, "rate_limited");
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=12).contains(&retry), "one token returns every 12 s: {retry}");
    assert_eq!(limited.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(server.engine.sends().len(), 5);
    // Other send kinds share the bucket.
    let poll = json!({"sessionId": session, "phone": "14155550002", "question": "q", "options": ["a", "b"]});
    server
        .post("/api/v1/messages/send-poll", &key, poll)
        .await
        .assert_error(429, "rate_limited");
    // QR polling every 2–3 s for minutes is never refused by the send limit.
    for _ in 0..60 {
        assert_eq!(
            server
                .get(&format!("/api/v1/sessions/{session}/qr"), &key)
                .await
                .status,
            200
        );
    }
    assert_eq!(
        server.get("/api/v1/usage", &key).await.data()["messagesUsed"],
        json!(5)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_limit_counts_live_locations_and_archiving_frees_slots() {
    let server = TestServer::start().await;
    let key = server.key("free_trial").await; // 1 session
    let l1 = server
        .post("/api/v1/locations", &key, json!({"name": "one"}))
        .await
        .data()["locationUuid"]
        .clone();
    let first = server
        .post("/api/v1/sessions", &key, json!({"locationUuid": l1, "name": "a"}))
        .await;
    assert_eq!(first.status, 201);
    assert_eq!(first.data()["status"], json!("starting"));
    server
        .post("/api/v1/sessions", &key, json!({"locationUuid": l1, "name": "b"}))
        .await
        .assert_error(403, "session_limit_reached");
    let l2 = server
        .post("/api/v1/locations", &key, json!({"name": "two"}))
        .await
        .data()["locationUuid"]
        .clone();
    server
        .post("/api/v1/sessions", &key, json!({"locationUuid": l2, "name": "b"}))
        .await
        .assert_error(403, "session_limit_reached");
    let first_id = first.data()["sessionId"].as_str().unwrap().to_owned();
    assert!(server.engine.is_running(&first_id));
    let archived = server
        .call(
            "DELETE",
            &format!("/api/v1/locations/{}", l1.as_str().unwrap()),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(archived.status, 200, "{}", archived.body);
    assert!(archived.data()["archivedAt"].as_str().is_some());
    assert!(
        !server.engine.is_running(&first_id),
        "archiving logs out and stops its sessions"
    );
    assert_eq!(
        server.get("/api/v1/usage", &key).await.data()["sessionsUsed"],
        json!(0)
    );
    let second = server
        .post("/api/v1/sessions", &key, json!({"locationUuid": l2, "name": "b"}))
        .await;
    assert_eq!(second.status, 201, "{}", second.body);
    // An archived location takes no new sessions and is hidden unless asked for.
    server
        .post("/api/v1/sessions", &key, json!({"locationUuid": l1, "name": "c"}))
        .await
        .assert_error(404, "not_found");
    assert_eq!(
        server.get("/api/v1/locations", &key).await.body["meta"]["total"],
        json!(1)
    );
    assert_eq!(
        server
            .get("/api/v1/locations?includeArchived=true", &key)
            .await
            .body["meta"]["total"],
        json!(2)
    );
    // Deleting a session frees its slot too.
    let id = second.data()["sessionId"].as_str().unwrap().to_owned();
    assert_eq!(
        server
            .call("DELETE", &format!("/api/v1/sessions/{id}"), Some(&key), None)
            .await
            .status,
        200
    );
    assert_eq!(
        server
            .post("/api/v1/sessions", &key, json!({"locationUuid": l2, "name": "c"}))
            .await
            .status,
        201
    );
}
