//! What the REST layer and gateway add to a send: `POST /api/v1/messages/send` over a kept-alive loopback
//! connection, through authentication, scopes, the send limiter, the SQLite quota upsert and the envelope,
//! into the in-memory stand-in engine (so WhatsApp/simulator time is excluded).
//!
//! `cargo bench -p wasndr-http --bench rest_send`
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::json;
use wasndr_gateway::testing::RecordingEngine;
use wasndr_gateway::{Gateway, GatewayConfig, GatewayStore, Plan, PlanCatalog, ScopeSet, SqliteStore};

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (addr, key, session) = runtime.block_on(async {
        let store = SqliteStore::open(&dir.path().join("bench.db")).await.unwrap();
        store.migrate().await.unwrap();
        let plan = Plan {
            name: "bench".into(),
            messages_per_month: u64::MAX / 2,
            sessions: 10,
            sends_per_minute: u32::MAX,
            history_groups_attachments: true,
        };
        let config = GatewayConfig {
            plans: PlanCatalog::new(vec![plan], "bench").unwrap(),
            requests_per_minute: u32::MAX,
            ..GatewayConfig::default()
        };
        let engine = RecordingEngine::new();
        let gateway = Arc::new(Gateway::new(Arc::new(store), engine.clone(), config).unwrap());
        let account = gateway.create_account("bench", None).await.unwrap();
        let key = gateway
            .issue_key(&account.id, "bench", ScopeSet::all())
            .await
            .unwrap()
            .key;
        let caller = gateway.authenticate(Some(&key)).await.unwrap();
        let location = gateway
            .create_location(&caller, wasndr_gateway::api::CreateLocation { name: "l".into() })
            .await
            .unwrap();
        let session = gateway
            .create_session(
                &caller,
                wasndr_gateway::api::CreateSession {
                    location_uuid: location.location_uuid,
                    name: "s".into(),
                },
            )
            .await
            .unwrap();
        engine.link(&session.session_id, "14155550001").await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = wasndr_http::router(gateway.clone(), wasndr_http::HttpOptions::for_gateway(&gateway));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (addr, key, session.session_id)
    });
    let mut sender = runtime.block_on(async {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        sender
    });
    let body =
        Bytes::from(json!({"sessionId": session, "phone": "14155550002", "text": "benchmark"}).to_string());
    c.bench_function(
        "POST /api/v1/messages/send (loopback, SQLite quota, stand-in engine)",
        |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let request = hyper::Request::post("/api/v1/messages/send")
                        .header("host", addr.to_string())
                        .header("authorization", format!("Bearer {key}"))
                        .header("content-type", "application/json")
                        .body(Full::new(body.clone()))
                        .unwrap();
                    sender.ready().await.unwrap();
                    let response = sender.send_request(request).await.unwrap();
                    assert_eq!(response.status(), 200);
                    response.into_body().collect().await.unwrap();
                })
            })
        },
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
