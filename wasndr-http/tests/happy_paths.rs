//! Every endpoint's happy path against the stand-in engine: the seed's provisioning flow, sends, history,
//! groups, attachments, usage, and the operational endpoints.
#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine as _;
use bytes::Bytes;
use common::TestServer;
use serde_json::{Value, json};
use wasndr_gateway::engine::{
    AttachmentInfo, GroupInfo, GroupParticipant, HistoryMessage, MediaType, ParticipantRole,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_provisioning_flow() {
    let server = TestServer::start().await;
    let key = server.key("standard").await;
    let location = server
        .post("/api/v1/locations", &key, json!({"name": "Acme Corp"}))
        .await;
    assert_eq!(location.status, 201);
    assert_eq!(location.body["success"], json!(true));
    assert_eq!(location.data()["name"], json!("Acme Corp"));
    let location_uuid = location.data()["locationUuid"].as_str().unwrap().to_owned();
    let session = server
        .post(
            "/api/v1/sessions",
            &key,
            json!({"locationUuid": location_uuid, "name": "Main Device"}),
        )
        .await;
    assert_eq!(session.status, 201);
    assert_eq!(session.data()["status"], json!("starting"));
    assert_eq!(session.data()["locationUuid"], json!(location_uuid));
    let id = session.data()["sessionId"].as_str().unwrap().to_owned();

    let qr = server.get(&format!("/api/v1/sessions/{id}/qr"), &key).await;
    assert_eq!(qr.data()["status"], json!("qr_ready"));
    let image = qr.data()["qr"].as_str().unwrap();
    let png = base64::engine::general_purpose::STANDARD
        .decode(image.strip_prefix("data:image/png;base64,").unwrap())
        .unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(qr.data()["phone"], Value::Null);

    server.engine.link(&id, "14155551234").await.unwrap();
    let qr = server.get(&format!("/api/v1/sessions/{id}/qr"), &key).await;
    assert_eq!(qr.data()["status"], json!("connected"));
    assert_eq!(qr.data()["qr"], Value::Null);
    assert_eq!(qr.data()["phone"], json!("14155551234"));
    let status = server.get(&format!("/api/v1/sessions/{id}/status"), &key).await;
    assert_eq!(status.data()["status"], json!("connected"));
    assert!(status.data().get("qr").is_none());
    server.engine.drop_connection(&id).await.unwrap();
    assert_eq!(
        server
            .get(&format!("/api/v1/sessions/{id}/status"), &key)
            .await
            .data()["status"],
        json!("reconnecting")
    );
    let reconnecting = server
        .post(
            "/api/v1/messages/send",
            &key,
            json!({"sessionId": id, "phone": "14155550002", "text": "x"}),
        )
        .await;
    reconnecting.assert_error(503, "session_reconnecting");
    server.engine.link(&id, "14155551234").await.unwrap();

    let sessions = server.get("/api/v1/sessions", &key).await;
    assert_eq!(
        sessions.body["meta"],
        json!({"limit": 50, "offset": 0, "total": 1})
    );
    assert_eq!(sessions.data()[0]["sessionId"], json!(id));
    assert_eq!(
        sessions.data()[0]["status"],
        json!("connected"),
        "the event updated the record"
    );
    assert_eq!(sessions.data()[0]["phone"], json!("14155551234"));
    let locations = server.get("/api/v1/locations", &key).await;
    assert_eq!(locations.data()[0]["locationUuid"], json!(location_uuid));

    let deleted = server
        .call("DELETE", &format!("/api/v1/sessions/{id}"), Some(&key), None)
        .await;
    assert_eq!(deleted.status, 200);
    assert!(!server.engine.is_running(&id), "unlinked from WhatsApp");
    server
        .get(&format!("/api/v1/sessions/{id}/status"), &key)
        .await
        .assert_error(404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_history_and_check_number() {
    let server = TestServer::start().await;
    let key = server.key("standard").await;
    let s = server.connected_session(&key, "14155551234").await;
    let g = "120363000000000001@g.us";
    let png = base64::engine::general_purpose::STANDARD.encode(b"image bytes");
    let cases = [
        (
            "/api/v1/messages/send",
            json!({"sessionId": s, "phone": "14155550002", "text": "Your invoice is ready"}),
            "14155550002@s.whatsapp.net",
        ),
        (
            "/api/v1/messages/send-media",
            json!({"sessionId": s, "phone": "14155550002", "mediaBase64": png, "mediaType": "image", "caption": "See INVOICE"}),
            "14155550002@s.whatsapp.net",
        ),
        (
            "/api/v1/messages/send-group",
            json!({"sessionId": s, "groupJid": g, "text": "hi group"}),
            g,
        ),
        (
            "/api/v1/messages/send-group-media",
            json!({"sessionId": s, "groupJid": g, "mediaBase64": png, "mediaType": "document", "fileName": "a.pdf", "mimetype": "application/pdf"}),
            g,
        ),
        (
            "/api/v1/messages/send-poll",
            json!({"sessionId": s, "groupJid": g, "question": "Lunch?", "options": ["yes", "no"], "selectableCount": 1}),
            g,
        ),
    ];
    for (path, body, to) in cases {
        let reply = server.post(path, &key, body).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        assert_eq!(reply.data()["to"], json!(to));
        assert_eq!(reply.data()["status"], json!("sent"));
        assert!(reply.data()["messageId"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(reply.data()["timestamp"].as_i64().unwrap() > 1_700_000_000);
        assert!(reply.header("x-ratelimit-limit").is_some(), "{path}");
    }
    let sends = server.engine.sends();
    assert_eq!(sends.len(), 5);
    match &sends[3].content {
        wasndr_gateway::engine::OutgoingContent::Media(media) => {
            assert_eq!(&media.data[..], b"image bytes");
            assert_eq!(
                (media.mimetype.as_str(), media.file_name.as_deref()),
                ("application/pdf", Some("a.pdf"))
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        server.get("/api/v1/usage", &key).await.data()["messagesUsed"],
        json!(5),
        "a group send counts once"
    );

    // History: the whole filtered history is searched, case-insensitively, then paged.
    for i in 0..120 {
        server.engine.add_history(
            &s,
            HistoryMessage {
                message_id: format!("old{i}"),
                remote_jid: "14155550002@s.whatsapp.net".into(),
                sender_jid: None,
                from_me: false,
                timestamp: 1_700_000_000 + i,
                message_type: "conversation".into(),
                text: Some(if i == 3 {
                    "an old Invoice".into()
                } else {
                    format!("chatter {i}")
                }),
                status: None,
                raw: json!({}),
            },
        );
    }
    let found = server
        .get(
            &format!("/api/v1/messages/history?sessionId={s}&search=invoice&limit=1"),
            &key,
        )
        .await;
    assert_eq!(found.body["meta"]["total"], json!(3), "{}", found.body);
    assert_eq!(found.data().as_array().unwrap().len(), 1);
    let page2 = server
        .get(
            &format!("/api/v1/messages/history?sessionId={s}&search=INVOICE&limit=1&offset=2"),
            &key,
        )
        .await;
    assert_eq!(
        page2.data()[0]["messageId"],
        json!("old3"),
        "deep matches are found, not just the first page's"
    );
    assert_eq!(page2.data()[0]["text"], json!("an old Invoice"));
    assert_eq!(page2.data()[0]["fromMe"], json!(false));
    assert_eq!(page2.data()[0]["type"], json!("conversation"));
    let by_chat = server
        .get(
            &format!("/api/v1/messages/history?sessionId={s}&remoteJid={g}"),
            &key,
        )
        .await;
    assert_eq!(by_chat.body["meta"]["total"], json!(3));
    let by_date = server
        .get(&format!("/api/v1/messages/history?sessionId={s}&startDate=2023-11-14T22:13:20Z&endDate=2023-11-14T22:13:29Z"), &key)
        .await;
    assert_eq!(by_date.body["meta"]["total"], json!(10), "{}", by_date.body);
    let all = server
        .get(&format!("/api/v1/messages/history?sessionId={s}&limit=500"), &key)
        .await;
    assert_eq!(all.body["meta"]["total"], json!(125));

    server.engine.register_numbers(&["14155550002"]);
    let one = server
        .post(
            "/api/v1/check-number",
            &key,
            json!({"sessionId": s, "phone": "+1 415 555 0002"}),
        )
        .await;
    assert_eq!(
        one.data(),
        &json!([{"phone": "14155550002", "exists": true, "jid": "14155550002@s.whatsapp.net"}])
    );
    let many = server
        .post(
            "/api/v1/check-number",
            &key,
            json!({"sessionId": s, "phones": ["14155550002", "14155550003"]}),
        )
        .await;
    assert_eq!(
        many.data()[1],
        json!({"phone": "14155550003", "exists": false, "jid": null})
    );
    assert_eq!(
        server.get("/api/v1/usage", &key).await.data()["messagesUsed"],
        json!(5),
        "checks are not sends"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_and_attachments() {
    let server = TestServer::start().await;
    let key = server.key("standard").await;
    let s = server.connected_session(&key, "14155551234").await;
    let member = |phone: &str, role| GroupParticipant {
        jid: format!("{phone}@s.whatsapp.net"),
        phone: Some(phone.into()),
        role,
    };
    let g = "120363000000000001@g.us";
    server.engine.add_group(
        &s,
        GroupInfo {
            jid: g.into(),
            subject: "Team, \"core\"".into(),
            description: None,
            owner: Some("14155551234@s.whatsapp.net".into()),
            created_at: Some(1_700_000_000),
            participants: vec![
                member("14155551234", ParticipantRole::Superadmin),
                member("14155550002", ParticipantRole::Member),
            ],
            size: 2,
        },
    );
    let list = server.get(&format!("/api/v1/groups?sessionId={s}"), &key).await;
    assert_eq!(list.data()[0]["jid"], json!(g));
    let info = server
        .get(&format!("/api/v1/groups/{g}?sessionId={s}"), &key)
        .await;
    assert_eq!(info.data()["size"], json!(2));
    let members = server
        .get(&format!("/api/v1/groups/{g}/participants?sessionId={s}"), &key)
        .await;
    assert_eq!(members.data()[0]["role"], json!("superadmin"));
    let export = server
        .get(&format!("/api/v1/groups/{g}/export-members?sessionId={s}"), &key)
        .await;
    assert_eq!(
        export.data()[1],
        json!({"jid": "14155550002@s.whatsapp.net", "phone": "14155550002", "role": "member"})
    );
    let csv = server
        .get(
            &format!("/api/v1/groups/{g}/export-members?sessionId={s}&format=csv"),
            &key,
        )
        .await;
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        String::from_utf8(csv.bytes.to_vec()).unwrap(),
        "jid,phone,role\n14155551234@s.whatsapp.net,14155551234,superadmin\n14155550002@s.whatsapp.net,14155550002,member\n"
    );
    let invite = server
        .get(&format!("/api/v1/groups/{g}/invite-code?sessionId={s}"), &key)
        .await;
    let code = invite.data()["inviteCode"].as_str().unwrap().to_owned();
    assert_eq!(
        invite.data()["inviteLink"],
        json!(format!("https://chat.whatsapp.com/{code}"))
    );
    let subject = server
        .call(
            "PUT",
            &format!("/api/v1/groups/{g}/subject"),
            Some(&key),
            Some(json!({"sessionId": s, "subject": "Renamed"})),
        )
        .await;
    assert_eq!(subject.status, 200);
    let description = server
        .call(
            "PUT",
            &format!("/api/v1/groups/{g}/description"),
            Some(&key),
            Some(json!({"sessionId": s, "description": "About"})),
        )
        .await;
    assert_eq!(description.status, 200);
    let info = server
        .get(&format!("/api/v1/groups/{g}?sessionId={s}"), &key)
        .await;
    assert_eq!(
        (info.data()["subject"].clone(), info.data()["description"].clone()),
        (json!("Renamed"), json!("About"))
    );
    let added = server
        .post(
            &format!("/api/v1/groups/{g}/participants/add"),
            &key,
            json!({"sessionId": s, "participants": ["14155550003", "14155550002"]}),
        )
        .await;
    assert_eq!(
        added.data(),
        &json!([
            {"jid": "14155550003@s.whatsapp.net", "status": "200", "success": true},
            {"jid": "14155550002@s.whatsapp.net", "status": "409", "success": false},
        ])
    );
    let removed = server
        .post(
            &format!("/api/v1/groups/{g}/participants/remove"),
            &key,
            json!({"sessionId": s, "participants": ["14155550003"]}),
        )
        .await;
    assert_eq!(removed.data()[0]["success"], json!(true));
    let created = server
        .post(
            "/api/v1/groups/create",
            &key,
            json!({"sessionId": s, "subject": "New", "participants": ["14155550004"]}),
        )
        .await;
    assert_eq!(created.status, 201);
    let new_jid = created.data()["jid"].as_str().unwrap().to_owned();
    assert!(new_jid.ends_with("@g.us"));
    let left = server
        .post(
            &format!("/api/v1/groups/{new_jid}/leave"),
            &key,
            json!({"sessionId": s}),
        )
        .await;
    assert_eq!(left.status, 200);
    assert_eq!(
        server
            .get(&format!("/api/v1/groups?sessionId={s}"), &key)
            .await
            .data()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    server
        .get(&format!("/api/v1/groups/{new_jid}?sessionId={s}"), &key)
        .await
        .assert_error(404, "not_found");

    server.engine.add_attachment(
        &s,
        AttachmentInfo {
            id: "att-1".into(),
            message_id: "IN1".into(),
            remote_jid: "14155550002@s.whatsapp.net".into(),
            media_type: MediaType::Document,
            mimetype: Some("application/pdf".into()),
            file_name: Some("invoice.pdf".into()),
            size: 9,
            sha256: "ab".into(),
            timestamp: 1_700_000_000,
        },
        Bytes::from_static(b"%PDF-1.7\n"),
    );
    let listed = server
        .get(&format!("/api/v1/attachments?sessionId={s}"), &key)
        .await;
    assert_eq!(listed.body["meta"]["total"], json!(1));
    let url = listed.data()[0]["url"].as_str().unwrap().to_owned();
    assert_eq!(listed.data()[0]["fileName"], json!("invoice.pdf"));
    let path = url.strip_prefix(&format!("http://{}", server.addr)).unwrap();
    let file = server.get(path, &key).await;
    assert_eq!(file.status, 200);
    assert_eq!(&file.bytes[..], b"%PDF-1.7\n");
    assert_eq!(file.header("content-type"), Some("application/pdf"));
    assert_eq!(
        file.header("content-disposition"),
        Some("attachment; filename=\"invoice.pdf\"")
    );
    server
        .get(&format!("/api/v1/attachments/nope/download?sessionId={s}"), &key)
        .await
        .assert_error(404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_account_and_operations() {
    let server = TestServer::start().await;
    let key = server.key("advanced").await;
    let s = server.connected_session(&key, "14155551234").await;
    server
        .post(
            "/api/v1/messages/send",
            &key,
            json!({"sessionId": s, "phone": "14155550002", "text": "x"}),
        )
        .await;
    let usage = server.get("/api/v1/usage", &key).await;
    let data = usage.data();
    assert_eq!(
        (data["messagesUsed"].clone(), data["messagesLimit"].clone()),
        (json!(1), json!(40000))
    );
    assert_eq!(
        (data["sessionsUsed"].clone(), data["sessionsLimit"].clone()),
        (json!(1), json!(10))
    );
    assert_eq!(data["rateLimitPerMinute"], json!(100));
    assert!(data["period"].as_str().unwrap().len() == 7);

    let health = server.call("GET", "/healthz", None, None).await;
    assert_eq!(health.body, json!({"status": "ok"}));
    assert_eq!(server.call("GET", "/readyz", None, None).await.status, 200);
    let metrics = server.call("GET", "/metrics", None, None).await;
    let text = String::from_utf8(metrics.bytes.to_vec()).unwrap();
    assert!(
        text.contains(
            "wasndr_http_requests_total{method=\"POST\",route=\"/api/v1/messages/send\",status=\"200\"} 1"
        ),
        "{text}"
    );

    let doc = server.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(doc.status, 200);
    let paths = doc.body["paths"].as_object().unwrap();
    for path in [
        "/api/v1/locations",
        "/api/v1/locations/{uuid}",
        "/api/v1/sessions",
        "/api/v1/sessions/{id}",
        "/api/v1/sessions/{id}/qr",
        "/api/v1/sessions/{id}/status",
        "/api/v1/messages/send",
        "/api/v1/messages/send-media",
        "/api/v1/messages/send-group",
        "/api/v1/messages/send-group-media",
        "/api/v1/messages/send-poll",
        "/api/v1/messages/history",
        "/api/v1/attachments",
        "/api/v1/attachments/{id}/download",
        "/api/v1/groups",
        "/api/v1/groups/{groupJid}",
        "/api/v1/groups/{groupJid}/participants",
        "/api/v1/groups/{groupJid}/export-members",
        "/api/v1/groups/{groupJid}/invite-code",
        "/api/v1/groups/create",
        "/api/v1/groups/{groupJid}/subject",
        "/api/v1/groups/{groupJid}/description",
        "/api/v1/groups/{groupJid}/participants/add",
        "/api/v1/groups/{groupJid}/participants/remove",
        "/api/v1/groups/{groupJid}/leave",
        "/api/v1/check-number",
        "/api/v1/usage",
        "/api/v1/account",
        "/api/v1/keys",
        "/api/v1/keys/{uuid}",
        "/api/v1/mcp-config",
        "/api/v1/webhooks",
        "/api/v1/webhooks/{uuid}",
        "/api/v1/events",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from the OpenAPI document"
        );
    }
    let send_schema = &doc.body["components"]["schemas"]["SendText"];
    assert_eq!(
        send_schema["required"],
        json!(["sessionId", "phone", "text"]),
        "{send_schema}"
    );
}
