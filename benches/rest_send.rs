//! Sends through the whole product: `POST /api/v1/messages/send` over kept-alive loopback connections →
//! authentication, scopes, send limiter, the SQLite quota upsert, the envelope → the production engine
//! (`LiveEngine`) → its wasndr-core `Client` → the simulator, whose virtual phone decrypts every message.
//!
//! The anchor, measured in the same run against the same session and phone: the same text sent with
//! `Client::send_text` directly. Figures:
//! - latency, one send at a time: p50/p99 through REST and direct; "REST-added" is the difference of
//!   the two at each percentile (gateway, HTTP and engine work on top of the protocol send);
//! - throughput, `CONCURRENCY` sends in flight: sends/s through REST and direct.
//!
//! `cargo bench -p wasndr --bench rest_send` (`REST_SEND_COUNT` sets the sends per figure, default 2000).
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::json;
use wasndr_core::client::{Client, ClientConfig};
use wasndr_core::crypto::PublicKey;
use wasndr_core::jid::Jid;
use wasndr_core::noise::TrustRoot;
use wasndr_gateway::api::{CreateLocation, CreateSession};
use wasndr_gateway::live::{LiveEngine, LiveOptions};
use wasndr_gateway::{
    Gateway, GatewayConfig, GatewayStore, Plan, PlanCatalog, ScopeSet, SessionEngine, SqliteStore,
};
use wasndr_sim::{SimConfig, Simulator};

const OWN: &str = "15550001111";
const CONTACT: &str = "15550002222";
const CONCURRENCY: usize = 32;

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn connection(addr: std::net::SocketAddr) -> Sender {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    sender
}

async fn rest_send(sender: &mut Sender, addr: std::net::SocketAddr, key: &str, body: &Bytes) {
    let request = hyper::Request::post("/api/v1/messages/send")
        .header("host", addr.to_string())
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json")
        .body(Full::new(body.clone()))
        .unwrap();
    sender.ready().await.unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
}

fn main() {
    let count: usize = std::env::var("REST_SEND_COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    runtime.block_on(async {
        let sim = Simulator::start(SimConfig::default()).await.unwrap();
        sim.create_phone(OWN).await.unwrap();
        sim.create_phone(CONTACT).await.unwrap();
        let info = sim.info();
        let client = ClientConfig {
            url: info.ws_url.clone(),
            trust_root: TrustRoot {
                public_key: PublicKey::from_slice(&hex::decode(&info.root_public_key).unwrap()).unwrap(),
                serial: info.root_serial,
            },
            ..ClientConfig::default()
        };
        let engine = LiveEngine::open_sqlite(
            &dir.path().join("devices.db"),
            LiveOptions {
                client,
                ..LiveOptions::default()
            },
        )
        .await
        .unwrap();
        let store = SqliteStore::open(&dir.path().join("gateway.db")).await.unwrap();
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
        let gateway = Arc::new(Gateway::new(Arc::new(store), engine.clone(), config).unwrap());
        gateway.start().await.unwrap();
        let account = gateway.create_account("bench", None).await.unwrap();
        let key = gateway.issue_key(&account.id, "bench", ScopeSet::all()).await.unwrap().key;
        let caller = gateway.authenticate(Some(&key)).await.unwrap();
        let location = gateway
            .create_location(&caller, CreateLocation { name: "l".into() })
            .await
            .unwrap();
        let session = gateway
            .create_session(
                &caller,
                CreateSession {
                    location_uuid: location.location_uuid,
                    name: "s".into(),
                },
            )
            .await
            .unwrap()
            .session_id;
        let qr = loop {
            if let Some(qr) = engine.session_state(&session).await.unwrap().qr {
                break qr;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        sim.scan(OWN, &qr).await.unwrap();
        while engine.session_state(&session).await.unwrap().status != wasndr_gateway::engine::SessionStatus::Connected {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = wasndr_http::router(gateway.clone(), wasndr_http::HttpOptions::for_gateway(&gateway));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

        let direct: Client = engine.client(&session).unwrap();
        let to = Jid::pn(CONTACT);
        let body = Bytes::from(json!({"sessionId": session, "phone": CONTACT, "text": "benchmark"}).to_string());
        let mut sender = connection(addr).await;

        // Warm-up: sessions with the phone, caches, SQLite pages.
        for _ in 0..50 {
            direct.send_text(&to, "benchmark").await.unwrap();
            rest_send(&mut sender, addr, &key, &body).await;
        }

        // Latency, one at a time, interleaved so both see the same machine state.
        let (mut rest, mut anchor) = (Vec::with_capacity(count), Vec::with_capacity(count));
        for _ in 0..count {
            let start = Instant::now();
            direct.send_text(&to, "benchmark").await.unwrap();
            anchor.push(start.elapsed());
            let start = Instant::now();
            rest_send(&mut sender, addr, &key, &body).await;
            rest.push(start.elapsed());
        }
        rest.sort();
        anchor.sort();

        // Throughput: CONCURRENCY sends in flight.
        let per_task = count.div_ceil(CONCURRENCY);
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..CONCURRENCY {
            let direct = direct.clone();
            let to = to.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..per_task {
                    direct.send_text(&to, "benchmark").await.unwrap();
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let direct_rate = (per_task * CONCURRENCY) as f64 / start.elapsed().as_secs_f64();
        let mut senders = Vec::new();
        for _ in 0..CONCURRENCY {
            senders.push(connection(addr).await);
        }
        let start = Instant::now();
        let mut tasks = Vec::new();
        for mut sender in senders {
            let key = key.clone();
            let body = body.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..per_task {
                    rest_send(&mut sender, addr, &key, &body).await;
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let rest_rate = (per_task * CONCURRENCY) as f64 / start.elapsed().as_secs_f64();

        println!("rest_send: {count} sends per latency figure, {} per throughput figure, 2 worker threads", per_task * CONCURRENCY);
        for (name, p) in [("p50", 0.50), ("p99", 0.99)] {
            let (r, a) = (percentile(&rest, p), percentile(&anchor, p));
            println!(
                "  {name}: REST {:.3} ms, direct Client {:.3} ms, REST-added {:.3} ms",
                ms(r),
                ms(a),
                ms(r) - ms(a)
            );
        }
        println!("  throughput ({CONCURRENCY} in flight): REST {rest_rate:.0} sends/s, direct Client {direct_rate:.0} sends/s");
        gateway.shutdown().await;
    });
}
