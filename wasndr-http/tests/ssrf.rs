//! mediaUrl fetching refuses private, loopback, link-local/metadata and ULA addresses (also through a
//! redirect), and fetches from an operator-allowlisted local file server. Refused addresses are never
//! connected to: the check runs on the resolved address before connecting.
#![allow(clippy::unwrap_used)]

mod common;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use common::TestServer;
use serde_json::json;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\nnot really an image, but bytes to compare";

async fn file_server() -> std::net::SocketAddr {
    let router = Router::new()
        .route(
            "/image.png",
            get(|| async { ([(header::CONTENT_TYPE, "image/png")], PNG) }),
        )
        .route(
            "/to-private",
            get(|| async {
                (StatusCode::FOUND, [(header::LOCATION, "http://10.0.0.1/secret")]).into_response()
            }),
        )
        .route(
            "/to-metadata",
            get(|| async {
                (
                    StatusCode::FOUND,
                    [(header::LOCATION, "http://169.254.169.254/latest/meta-data/")],
                )
                    .into_response()
            }),
        )
        .route(
            "/to-loopback",
            get(|| async {
                (
                    StatusCode::MOVED_PERMANENTLY,
                    [(header::LOCATION, "http://[::1]:9/x")],
                )
                    .into_response()
            }),
        )
        .route(
            "/to-image",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/image.png")]).into_response() }),
        )
        .route("/big", get(|| async { vec![7u8; 300 * 1024] }))
        .route("/missing", get(|| async { StatusCode::NOT_FOUND }));
    common::serve(router).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_urls_to_private_addresses_are_refused_and_allowlisted_ones_work() {
    let files = file_server().await;
    let mut config = common::test_config();
    config.fetch.allow = vec![format!("127.0.0.1:{}", files.port()).parse().unwrap()];
    config.fetch.max_bytes = 200 * 1024;
    let server = TestServer::start_with(config).await;
    let key = server.key("standard").await;
    let session = server.connected_session(&key, "14155550001").await;
    let send = |url: String| json!({"sessionId": session, "phone": "14155550002", "mediaType": "image", "mediaUrl": url});

    let refused = [
        (
            format!("http://127.0.0.1:{}/healthz", server.addr.port()),
            "loopback",
        ),
        ("http://localhost:1/x".to_owned(), "loopback"),
        ("http://10.0.0.1/x".to_owned(), "private"),
        ("http://172.16.5.4/x".to_owned(), "private"),
        ("http://192.168.1.1/x".to_owned(), "private"),
        ("http://100.64.0.1/x".to_owned(), "carrier-grade NAT"),
        ("http://169.254.169.254/latest/meta-data/".to_owned(), "metadata"),
        ("http://0.0.0.0/x".to_owned(), "unspecified"),
        ("http://[::1]/x".to_owned(), "loopback"),
        ("http://[fd00::1]/x".to_owned(), "unique local"),
        ("http://[fe80::1]/x".to_owned(), "link-local"),
        ("http://[::ffff:10.0.0.1]/x".to_owned(), "private"),
        (format!("http://127.0.0.1:{}/to-private", files.port()), "private"),
        (
            format!("http://127.0.0.1:{}/to-metadata", files.port()),
            "metadata",
        ),
        (
            format!("http://127.0.0.1:{}/to-loopback", files.port()),
            "loopback",
        ),
        ("ftp://example.com/a.png".to_owned(), "only http and https"),
        ("file:///etc/passwd".to_owned(), "only http and https"),
    ];
    for (url, why) in refused {
        let reply = server
            .post("/api/v1/messages/send-media", &key, send(url.clone()))
            .await;
        reply.assert_error(400, "invalid_request");
        assert_eq!(reply.body["error"]["field"], json!("mediaUrl"));
        let message = reply.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(why), "{url}: {message}");
    }
    let missing = server
        .post(
            "/api/v1/messages/send-media",
            &key,
            send(format!("http://127.0.0.1:{}/missing", files.port())),
        )
        .await;
    missing.assert_error(400, "invalid_request");
    let big = server
        .post(
            "/api/v1/messages/send-media",
            &key,
            send(format!("http://127.0.0.1:{}/big", files.port())),
        )
        .await;
    big.assert_error(413, "payload_too_large");
    assert!(server.engine.sends().is_empty());
    assert_eq!(
        server.get("/api/v1/usage", &key).await.data()["messagesUsed"],
        json!(0),
        "refused fetches cost nothing"
    );

    // Webhook targets at literal private addresses are refused when registered.
    for url in [
        "http://10.1.2.3/hook",
        "http://169.254.169.254/",
        "http://[fd00::1]/",
        format!("http://127.0.0.1:{}/", server.addr.port()).as_str(),
    ] {
        let reply = server.post("/api/v1/webhooks", &key, json!({"url": url})).await;
        reply.assert_error(400, "invalid_request");
        assert_eq!(reply.body["error"]["field"], json!("url"), "{url}");
    }
    let allowed = server
        .post(
            "/api/v1/webhooks",
            &key,
            json!({"url": format!("http://127.0.0.1:{}/hook", files.port())}),
        )
        .await;
    assert_eq!(allowed.status, 201, "{}", allowed.body);

    for path in ["/image.png", "/to-image"] {
        let ok = server
            .post(
                "/api/v1/messages/send-media",
                &key,
                send(format!("http://127.0.0.1:{}{path}", files.port())),
            )
            .await;
        assert_eq!(ok.status, 200, "{path}: {}", ok.body);
    }
    let sends = server.engine.sends();
    assert_eq!(sends.len(), 2);
    for sent in sends {
        match sent.content {
            wasndr_gateway::engine::OutgoingContent::Media(media) => {
                assert_eq!(&media.data[..], PNG);
                assert_eq!(media.mimetype, "image/png");
                assert_eq!(media.media_type, wasndr_gateway::engine::MediaType::Image);
            }
            other => panic!("{other:?}"),
        }
    }
}
