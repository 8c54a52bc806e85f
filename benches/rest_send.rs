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
//! Each figure is taken under three storage setups, one after the other in the same run, each with its
//! own simulator, databases and anchor:
//! - `memory`: device store in memory, gateway SQLite `synchronous = FULL` — the protocol and the
//!   gateway without the device database's commits;
//! - `full`: both databases SQLite with `synchronous = FULL` (the default, durable across power loss);
//! - `normal`: both SQLite with WAL + `synchronous = NORMAL` (`--sqlite-synchronous normal`);
//! - `memory-normal` (only when asked for in `REST_SEND_SETUPS`): devices in memory, gateway SQLite
//!   NORMAL — what the gateway's own commit costs REST.
//!
//! Figures on the 2-core box (shared with two other helpers' builds, so expect ±20 % run to run),
//! `REST_SEND_COUNT=2000 REST_SEND_SETUPS=memory,memory-normal,full,normal cargo bench -p wasndr --bench
//! rest_send`, 2026-11-26.
//!
//! After the gateway's share was cut (group commit of quota units, cached account/session/webhook
//! lookups, no event built for nobody; see below), two runs of this binary and of the one built from the
//! code before, alternated back to back on the same loaded box (load average ~4 on 2 cores, so the
//! absolute rates swing by 2× between runs; compare within a row pair):
//!
//! ```text
//! setup          build   p50 REST-added  p99 REST-added  throughput REST  direct   REST/direct
//! memory         before  1.015 / 0.892   4.764 / 4.377   1010 / 1237/s    5638 / 4699/s  0.18 / 0.26
//!                after   0.511 / 0.603   6.131 / 7.213   4251 / 3820/s   11841 / 13069/s 0.36 / 0.29
//! memory-normal  before  0.445 / 0.683   0.712 / 2.359   2664 / 2904/s    6066 / 13586/s 0.44 / 0.21
//!                after   0.189 / 0.373   0.233 / 1.296   4159 / 4781/s    8942 / 6439/s  0.47 / 0.74
//! full           before  4.025 / 0.908   8.079 / 1.428    309 /  357/s     296 /  374/s  1.05 / 0.96
//!                after   4.502 / 4.046   4.099 / 4.503    295 /  293/s     321 /  278/s  0.92 / 1.05
//! normal         before  2.147 / 2.109   5.987 / 0.929    583 /  510/s     825 /  636/s  0.71 / 0.80
//!                after   1.509 / 0.348   0.074 / -1.130   629 /  764/s     730 /  939/s  0.86 / 0.81
//! ```
//!
//! (REST-added in ms; a negative p99 difference means the direct sends had the worse tail in that run.)
//! A third run of the new code on a quieter moment (load ~2): memory 6566 sends/s REST vs 18944 direct
//! (0.35), REST-added p50 0.732 / p99 0.891 ms; memory-normal 6967 vs 23537 (0.30), p50 0.390 / p99
//! 0.519 ms; full 451 vs 418 (1.08), p99 REST-added 1.784 ms; normal 713 vs 774 (0.92), p99 2.315 ms.
//!
//! What changed in the gateway: (1) quota units go through `QuotaBatcher`: one writer task takes every
//! unit and refund queued while the previous commit ran and applies them in one transaction
//! (`GatewayStore::apply_quota_changes`), answering each send after that commit, so 32 sends in flight
//! share an fsync instead of queueing for one each — the main win with the gateway on FULL (`memory`,
//! REST ~1,100 → ~4,000+ sends/s); (2) `CachingStore` answers the account, the session a send names and
//! the account's webhooks from memory (dropped on every change made through the process, ≤1 s for
//! other nodes); the key is still read on every request (CLI revocations must hold at once); key use is
//! written once a minute without a round trip; (3) the `message.sent` event (its JSON, and in the live
//! engine the read-back of the stored message) is skipped when no webhook and no stream would receive
//! it. Left per send: one indexed key read and the quota statement (or a share of a batch), HTTP on both
//! sides of the loopback (the bench's own client included), JSON. One-at-a-time sends cannot share a
//! commit, so with the gateway on FULL each REST send still waits for one fsync, and on this shared disk
//! that fsync's tail (the `memory` p99) is what keeps REST-added p99 above 5 ms in some runs.
//!
//! Before (the table the work started from):
//!
//! ```text
//! setup          p50 REST  p50 direct  REST-added  throughput REST  direct   REST/direct
//! memory         0.753 ms  0.124 ms    0.629 ms     2178/s          10628/s  0.20
//! memory-normal  0.542 ms  0.131 ms    0.411 ms     3537/s          11626/s  0.30
//! full           2.748 ms  1.113 ms    1.635 ms      450/s            434/s  1.04
//! normal         2.412 ms  0.769 ms    1.643 ms      867/s           1108/s  0.78
//! ```
//!
//! Where the time of one send goes. Measured once with temporary timing counters around each step of
//! `wasndr-core/src/client/send.rs::send` (removed again; mean µs per send over 1,000 sends of the
//! one-at-a-time phase, REST and direct sends together):
//!
//! ```text
//!                 devices_of  without_session  [crypto lock: records_for_send  plan+encrypt  apply]  server ack  mark(sent)
//! memory               4            1                         2                  13           4         135          1
//! SQLite FULL        154          154                       284                  20         466         683        371
//! SQLite NORMAL      121          116                       209                  15         270         215        281
//! ```
//!
//! So the device database costs the send ~1.4 ms under FULL and ~1.0 ms under NORMAL, and not only in
//! fsyncs: the three reads (cached device lists, session existence, the session records under the
//! lock) cost as much as the two commits, each query a hop through sqlx's SQLite worker thread. With
//! many sends in flight the crypto lock serialises `records_for_send` + `apply` (~0.5 ms under NORMAL),
//! which caps one session near 2,000 sends/s whatever the gateway does. The gateway adds ~0.4–0.6 ms per
//! REST send with memory devices (its quota transaction, auth, JSON, HTTP); with memory devices the
//! gateway's FULL commit holds REST to ~2,200/s and NORMAL lifts it to ~3,500/s, still under 5,000/s:
//! even then the REST path is the bottleneck, at 20–30 % of the direct rate.
//!
//! `cargo bench -p wasndr --bench rest_send` (`REST_SEND_COUNT` sets the sends per figure, default 2000;
//! `REST_SEND_SETUPS=memory,full,normal` picks the setups).
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
use wasndr_gateway::live::{LiveEngine, LiveOptions, SqliteDirectory};
use wasndr_gateway::{
    Gateway, GatewayConfig, GatewayStore, Plan, PlanCatalog, ScopeSet, SessionEngine, SqliteStore, SqliteSync,
};
use wasndr_sim::{SimConfig, Simulator};
use wasndr_store::SqliteContainer;

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

/// Where the device and gateway databases keep their data in one measured setup.
#[derive(Clone, Copy)]
enum Setup {
    /// Devices in memory, gateway SQLite with this durability.
    Memory(SqliteSync),
    /// Both databases SQLite with this durability.
    Sqlite(SqliteSync, wasndr_store::SqliteSync),
}

impl Setup {
    fn parse(name: &str) -> Option<(&'static str, Setup)> {
        match name.trim() {
            "memory" => Some(("memory", Setup::Memory(SqliteSync::Full))),
            "memory-normal" => Some(("memory-normal", Setup::Memory(SqliteSync::Normal))),
            "full" => Some((
                "full",
                Setup::Sqlite(SqliteSync::Full, wasndr_store::SqliteSync::Full),
            )),
            "normal" => Some((
                "normal",
                Setup::Sqlite(SqliteSync::Normal, wasndr_store::SqliteSync::Normal),
            )),
            _ => None,
        }
    }
}

/// One setup's figures.
struct Figures {
    rest: Vec<Duration>,
    anchor: Vec<Duration>,
    rest_rate: f64,
    direct_rate: f64,
    sent: usize,
}

fn main() {
    let count: usize = std::env::var("REST_SEND_COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let setups: Vec<(&str, Setup)> = std::env::var("REST_SEND_SETUPS")
        .unwrap_or_else(|_| "memory,full,normal".into())
        .split(',')
        .map(|name| Setup::parse(name).unwrap_or_else(|| panic!("unknown setup {name:?}")))
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut results = Vec::new();
    for (name, setup) in setups {
        let dir = tempfile::tempdir().unwrap();
        let figures = runtime.block_on(measure(setup, count, dir.path()));
        results.push((name, figures));
    }
    println!(
        "rest_send: {count} sends per latency figure, 2 worker threads, {CONCURRENCY} in flight for throughput"
    );
    for (name, f) in &results {
        println!("  [{name}] ({} sends per throughput figure)", f.sent);
        for (label, p) in [("p50", 0.50), ("p99", 0.99)] {
            let (r, a) = (percentile(&f.rest, p), percentile(&f.anchor, p));
            println!(
                "    {label}: REST {:.3} ms, direct Client {:.3} ms, REST-added {:.3} ms",
                ms(r),
                ms(a),
                ms(r) - ms(a)
            );
        }
        println!(
            "    throughput: REST {:.0} sends/s, direct Client {:.0} sends/s, REST/direct {:.2}",
            f.rest_rate,
            f.direct_rate,
            f.rest_rate / f.direct_rate
        );
    }
}

async fn measure(setup: Setup, count: usize, dir: &std::path::Path) -> Figures {
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
    let options = LiveOptions {
        client,
        ..LiveOptions::default()
    };
    let (engine, gateway_sync) = match setup {
        Setup::Memory(gateway_sync) => (LiveEngine::in_memory(options), gateway_sync),
        Setup::Sqlite(gateway_sync, devices_sync) => {
            let container = SqliteContainer::open_synced(dir.join("devices.db"), devices_sync)
                .await
                .unwrap();
            let directory = SqliteDirectory::new(container.pool().clone()).await.unwrap();
            (
                LiveEngine::new(Arc::new(container), Arc::new(directory), options),
                gateway_sync,
            )
        }
    };
    let store = SqliteStore::open_synced(&dir.join("gateway.db"), gateway_sync)
        .await
        .unwrap();
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
    let key = gateway
        .issue_key(&account.id, "bench", ScopeSet::all())
        .await
        .unwrap()
        .key;
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
    while engine.session_state(&session).await.unwrap().status
        != wasndr_gateway::engine::SessionStatus::Connected
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = wasndr_http::router(gateway.clone(), wasndr_http::HttpOptions::for_gateway(&gateway));
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

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
    gateway.shutdown().await;
    server.abort();
    Figures {
        rest,
        anchor,
        rest_rate,
        direct_rate,
        sent: per_task * CONCURRENCY,
    }
}
