//! Memory per idle connected client and connect+login time, N clients in one process (issue 5).
//!
//! Anchor, measured in the same run in a process of its own: N bare idle WebSocket connections to the
//! same server with the client's buffer settings, each held by a task waiting to read (the floor any
//! client built on tokio-tungstenite pays), and the time to open one. The client figures are printed
//! as ratios to it, and to the 256 KiB target.
//!
//! The server runs in a child process (this binary again, with `--serve`), so the parent's memory holds
//! only the clients: each with its own `MemoryStore` — the "store cache": the paired `Device` (keys,
//! signed identity), its signed prekey, and the prekeys it generated and uploaded — its connection
//! driver task, WebSocket, Noise transport and event buffer. Heap is counted exactly by a counting allocator; RSS is
//! read from /proc/self/status.
//!
//! Run: `cargo bench -p wasndr-core --bench client_idle` (N from WASNDR_BENCH_CLIENTS, default 1000;
//! WASNDR_BENCH_SERVER_PREKEYS = the prekey count the server reports: 0 (default) makes every client
//! generate, store and upload 812 prekeys, as on a first login; 812 skips the upload, as on later logins).

#![allow(unsafe_code, clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

#[path = "../wasndr-core/tests/fake_server/mod.rs"]
mod fake_server;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use rand::SeedableRng as _;
use rand::rngs::StdRng;
use wasndr_core::client::{Client, ClientConfig, Event, Events};
use wasndr_core::crypto::PublicKey;
use wasndr_core::jid::Jid;
use wasndr_core::noise::TrustRoot;
use wasndr_core::store::{Changes, Device, MemoryStore, Store};

/// Counts live heap bytes.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--serve") {
        let count = args.get(at + 1).and_then(|c| c.parse().ok()).unwrap_or(0);
        serve(count);
        return;
    }
    if let Some(at) = args.iter().position(|a| a == "--anchor") {
        let url = args.get(at + 1).unwrap().clone();
        let n = args.get(at + 2).and_then(|c| c.parse().ok()).unwrap_or(1000);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(bare_websockets(n, url));
        return;
    }
    let n: usize = std::env::var("WASNDR_BENCH_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let server_prekeys: u32 = std::env::var("WASNDR_BENCH_SERVER_PREKEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--serve", &server_prekeys.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let (url, root) = line.trim().split_once(' ').unwrap();
    let root = TrustRoot {
        public_key: PublicKey::from_slice(&hex::decode(root).unwrap()).unwrap(),
        serial: 0,
    };
    let anchor = Command::new(std::env::current_exe().unwrap())
        .args(["--anchor", url, &n.to_string()])
        .output()
        .unwrap();
    let anchor = String::from_utf8(anchor.stdout).unwrap();
    let anchor: Vec<f64> = anchor
        .split_whitespace()
        .map(|figure| figure.parse().unwrap())
        .collect();
    let anchor = Anchor {
        heap_kib: anchor[0],
        rss_kib: anchor[1],
        connect: Duration::from_secs_f64(anchor[2]),
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(measure(n, url.to_owned(), root, server_prekeys, &anchor));
    drop(child.stdin.take());
    let _ = child.wait();
}

/// The bare-WebSocket anchor's figures.
struct Anchor {
    heap_kib: f64,
    rss_kib: f64,
    /// Median time to open one (TCP + upgrade), 50 at a time.
    connect: Duration,
}

/// The anchor process: opens `n` idle WebSocket connections, 50 at a time, and prints heap and RSS per
/// connection (KiB) and the median open time (seconds).
async fn bare_websockets(n: usize, url: String) {
    use futures_util::StreamExt as _;
    use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0);
    let open = |url: String| async move {
        let started = Instant::now();
        let host = url
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        let tcp = tokio::net::TcpStream::connect(host).await.unwrap();
        tcp.set_nodelay(true).unwrap();
        let (socket, _) = tokio_tungstenite::client_async_with_config(url, tcp, Some(config))
            .await
            .unwrap();
        let elapsed = started.elapsed();
        // Held by a task waiting to read, as a client's driver holds its socket.
        let task = tokio::spawn(async move {
            let mut socket = socket;
            while socket.next().await.is_some() {}
        });
        (task, elapsed)
    };
    drop(open(url.clone()).await);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let heap_before = LIVE.load(Ordering::Relaxed);
    let rss_before = rss_bytes();
    let mut held = Vec::with_capacity(n);
    let mut times = Vec::with_capacity(n);
    for batch in (0..n).collect::<Vec<_>>().chunks(50) {
        let opened: Vec<_> = batch.iter().map(|_| tokio::spawn(open(url.clone()))).collect();
        for task in opened {
            let (socket_task, elapsed) = task.await.unwrap();
            held.push(socket_task);
            times.push(elapsed);
        }
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let heap = (LIVE.load(Ordering::Relaxed) - heap_before) as f64 / n as f64 / 1024.0;
    let rss = rss_bytes().saturating_sub(rss_before) as f64 / n as f64 / 1024.0;
    times.sort();
    println!("{heap} {rss} {}", times[times.len() / 2].as_secs_f64());
}

async fn measure(n: usize, url: String, root: TrustRoot, server_prekeys: u32, anchor: &Anchor) {
    let mut config = ClientConfig {
        url,
        trust_root: root,
        ..ClientConfig::default()
    };
    config.event_capacity = 16;
    // Warm up the runtime, TLS-free socket path and lazy statics with one client, then measure from there.
    let warm = connect_one(config.clone(), 0).await;
    drop(warm);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let heap_before = LIVE.load(Ordering::Relaxed);
    let rss_before = rss_bytes();

    let started = Instant::now();
    let mut clients = Vec::with_capacity(n);
    let mut times = Vec::with_capacity(n);
    // 50 logins at a time: what a gateway restarting its sessions would do.
    for batch in (1..=n).collect::<Vec<_>>().chunks(50) {
        let tasks: Vec<_> = batch
            .iter()
            .map(|&i| tokio::spawn(connect_one(config.clone(), i as u64)))
            .collect();
        for task in tasks {
            let (client, events, elapsed) = task.await.unwrap();
            times.push(elapsed);
            clients.push((client, events));
        }
    }
    let wall = started.elapsed();
    // Let the post-login tasks finish and the connections go idle.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let heap_after = LIVE.load(Ordering::Relaxed);
    let rss_after = rss_bytes();

    times.sort();
    let per_heap = (heap_after - heap_before) as f64 / n as f64 / 1024.0;
    let per_rss = rss_after.saturating_sub(rss_before) as f64 / n as f64 / 1024.0;
    let median = times[times.len() / 2];
    println!("clients: {n}, server prekey count reported: {server_prekeys}");
    println!(
        "anchor, bare idle WebSocket connection (same run, own process): heap {:.1} KiB, RSS {:.1} KiB, \
         open (TCP + upgrade) median {:?}",
        anchor.heap_kib, anchor.rss_kib, anchor.connect
    );
    println!(
        "heap per idle client: {per_heap:.1} KiB = {:.2}x the anchor; {:.2}x the 256 KiB target \
         (whatsapp-rust's published ~530 KiB, not measured here: {:.2}x)",
        per_heap / anchor.heap_kib,
        per_heap / 256.0,
        per_heap / 530.0
    );
    println!(
        "RSS per idle client:  {per_rss:.1} KiB = {:.2}x the anchor; {:.2}x the 256 KiB target",
        per_rss / anchor.rss_kib,
        per_rss / 256.0
    );
    println!(
        "connect+login (WebSocket, Noise, login, prekey check/upload, active) per client, 50 concurrent: \
         median {median:?} = {:.1}x the anchor's open, p95 {:?}, max {:?}; all {n} in {wall:?}",
        median.as_secs_f64() / anchor.connect.as_secs_f64(),
        times[times.len() * 95 / 100],
        times[times.len() - 1],
    );
    for (client, _) in &clients {
        client.disconnect().await;
    }
}

async fn connect_one(config: ClientConfig, seed: u64) -> (Client, Events, Duration) {
    let mut rng = StdRng::seed_from_u64(seed);
    // A paired device as pairing leaves it (a signed identity is about 180 bytes).
    let (mut device, signed_prekey) = Device::generate(1_700_000_000, &mut rng).unwrap();
    device.jid = Some(Jid::pn(&(15550000000 + seed).to_string()).with_device(1));
    device.platform = Some("android".into());
    device.account = Some(vec![0; 180]);
    let store: Arc<dyn Store> = Arc::new(MemoryStore::empty());
    let mut changes = Changes::new();
    changes.device = Some(device);
    changes.signed_prekeys.push(signed_prekey);
    store.apply(&changes).await.unwrap();
    let (client, mut events) = Client::builder(store).config(config).build();
    let started = Instant::now();
    client.connect().await.unwrap();
    loop {
        match events.recv().await {
            Some(Event::Connected { .. }) => break,
            Some(Event::Disconnected { reason, .. }) => panic!("client {seed}: {reason:?}"),
            Some(_) => {}
            None => panic!("events ended"),
        }
    }
    (client, events, started.elapsed())
}

/// The child process: a fake server that logs every client in and then answers iqs and pings.
fn serve(server_prekeys: u32) {
    // The anchor's bare sockets close without a handshake, which the test server's helpers treat as a
    // failed assertion in that connection's task; the task ends either way, so keep stderr quiet.
    std::panic::set_hook(Box::new(|_| {}));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let server = fake_server::FakeServer::start().await;
        let url = server.url.clone();
        let root = hex::encode(server.root.public_key.as_bytes());
        let (listener, keys) = server.into_parts();
        println!("{url} {root}");
        // Exit when the parent closes our stdin.
        std::thread::spawn(|| {
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
            std::process::exit(0);
        });
        let mut seed = 0u64;
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            seed += 1;
            let keys = keys.clone();
            tokio::spawn(async move {
                let mut rng = StdRng::seed_from_u64(seed);
                let conn = fake_server::handshake(&keys, tcp, &mut rng).await;
                conn.serve_idle(server_prekeys).await;
            });
        }
    });
}
