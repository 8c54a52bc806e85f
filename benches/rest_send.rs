//! Sends through the whole product: `POST /api/v1/messages/send` over kept-alive loopback connections →
//! authentication, scopes, send limiter, the quota batcher's SQLite commit, the envelope → the production engine
//! (`LiveEngine`) → its wasndr-core `Client` → the simulator, whose virtual phone decrypts every message.
//!
//! The anchor, measured in the same run against the same session and phone: the same text sent with
//! `Client::send_text` directly. Figures:
//! - latency, one send at a time: p50/p99 through REST and direct; "REST-added" is the difference of
//!   the two at each percentile (gateway, HTTP and engine work on top of the protocol send);
//! - throughput, 32 sends in flight (`REST_SEND_CONCURRENCY` changes it): sends/s through REST and direct.
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
//! Figures on the 2-core AMD EPYC box, quiet machine (load < 1.5), two runs back to back,
//! `REST_SEND_COUNT=2000 REST_SEND_SETUPS=memory,memory-normal,full,normal cargo bench -p wasndr --bench
//! rest_send`, 2026-11-26 (main at 187ec6e):
//!
//! ```text
//! setup          p50 REST-added  p99 REST-added  throughput REST  direct         REST/direct
//! memory         0.501 / 0.498   0.683 / 1.105   7171 / 7836/s   24905 / 25026/s  0.29 / 0.31
//! memory-normal  0.355 / 0.318   0.503 / 0.484   6920 / 6684/s   24806 / 25868/s  0.28 / 0.26
//! full           1.043 / 1.051   1.203 / 1.231   2394 / 2408/s    3681 /  3571/s  0.65 / 0.67
//! normal         0.616 / 0.649   0.270 / 0.798   3044 / 2824/s    4378 /  3883/s  0.70 / 0.73
//! ```
//!
//! (REST-added in ms.) Against the target of 5,000 sends/s with REST-added p99 under 5 ms: the p99 holds
//! in every setup, and the rate holds with the device store in memory (~7,000/s); with the device store
//! in SQLite, REST does ~2,400/s (FULL) and ~3,000/s (NORMAL). A profile of the `full` setup spends ~60 %
//! of the time in the kernel: thread hand-offs between tokio's workers and sqlx's SQLite worker threads,
//! and the fsyncs; each send still waits for two device-store commits (its Signal changes before the
//! stanza goes out, its `sent` status before `send` returns), each shared with the sends in flight.
//!
//! What changed since the "before" table below:
//! - the client (`wasndr-core/src/client/commit.rs`, `cache.rs`): one committer task writes every queued
//!   batch of `Changes` in one transaction (`TransactionalStore::apply_all`) and only then releases its
//!   stanzas, in ratchet order, and answers; an in-memory cache of sessions, identities, sender keys,
//!   settings and device lists (the client is the only writer of them while it runs) serves the reads a
//!   send used to make, so the crypto lock no longer waits on the database;
//! - the gateway: quota units go through `QuotaBatcher` (one transaction per batch, answered after it
//!   commits, exact under concurrency because the counter row is locked); `CachingStore` serves the
//!   account, the session a send names and the account's webhooks from memory (dropped on every change
//!   made in the process, ≤1 s for other nodes; the API key is still read on every request, so a CLI
//!   revocation holds at once); key use is written once a minute; no `message.sent` event is built when
//!   no webhook or stream would receive it.
//!
//! Before (the table the work started from, measured earlier the same day on this box while other builds
//! ran, so compare ratios rather than absolute rates):
//!
//! ```text
//! setup          p50 REST  p50 direct  REST-added  throughput REST  direct   REST/direct
//! memory         0.753 ms  0.124 ms    0.629 ms     2178/s          10628/s  0.20
//! memory-normal  0.542 ms  0.131 ms    0.411 ms     3537/s          11626/s  0.30
//! full           2.748 ms  1.113 ms    1.635 ms      450/s            434/s  1.04
//! normal         2.412 ms  0.769 ms    1.643 ms      867/s           1108/s  0.78
//! ```
//!
//! Where the time of one send went before the changes. Measured once with temporary timing counters around each step of
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

// The allocator the `wasndr` binary runs with (its main.rs), so the figures are the server's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const OWN: &str = "15550001111";
const CONTACT: &str = "15550002222";
/// Sends in flight for the throughput figures, unless `REST_SEND_CONCURRENCY` says otherwise.
const DEFAULT_CONCURRENCY: usize = 32;

fn concurrency() -> usize {
    std::env::var("REST_SEND_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(DEFAULT_CONCURRENCY)
}

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
        "rest_send: {count} sends per latency figure, 2 worker threads, {} in flight for throughput",
        concurrency()
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

    // Throughput: `concurrency()` sends in flight.
    let in_flight = concurrency();
    let per_task = count.div_ceil(in_flight);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..in_flight {
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
    let direct_rate = (per_task * in_flight) as f64 / start.elapsed().as_secs_f64();
    let mut senders = Vec::new();
    for _ in 0..in_flight {
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
    let rest_rate = (per_task * in_flight) as f64 / start.elapsed().as_secs_f64();
    gateway.shutdown().await;
    server.abort();
    Figures {
        rest,
        anchor,
        rest_rate,
        direct_rate,
        sent: per_task * in_flight,
    }
}
