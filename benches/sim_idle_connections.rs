//! Scale of one simulator: N idle clients connected at once, N = 1,000 and 5,000.
//!
//! For each N, against a fresh `wasndr-sim` process (release build, its own RSS measured from
//! /proc/PID/status):
//! - anchor: N bare WebSocket connections that never send a byte (the axum/tungstenite floor);
//! - measured: N clients that complete the Noise handshake with a registration ClientPayload and
//!   receive `pair-device` (so each holds transport ciphers and a waiting registration), 64 in flight.
//!
//! Prints memory per connection (RSS growth / N) for both and their ratio, and handshakes per second with
//! the ratio to the anchor of the same run: in-process Noise handshakes (initiator + responder, no
//! network) per second on one core.
//!
//! Run: `cargo bench -p wasndr-sim --bench sim_idle_connections` (optionally `-- 1000` for one N).

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use wasndr_core::crypto::{KeyPair, PublicKey};
use wasndr_core::noise::{
    CertificateAuthority, CertificateParams, FrameDecoder, Initiator, Responder, TrustRoot,
};
use wasndr_core::signal::{IdentityKeyPair, SignedPreKeyRecord};
use wasndr_proto::Message as _;
use wasndr_proto::client_payload::ClientPayload;
use wasndr_proto::client_payload::client_payload::DevicePairingRegistrationData;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

struct Server {
    child: Child,
    ws_url: String,
    root: TrustRoot,
}

async fn start_server() -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wasndr-sim"))
        .args(["--listen", "127.0.0.1:0", "--time-scale", "20"])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let info: serde_json::Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    Server {
        ws_url: info["wsUrl"].as_str().unwrap().to_owned(),
        root: TrustRoot {
            public_key: PublicKey::from_slice(&hex::decode(info["rootPublicKey"].as_str().unwrap()).unwrap())
                .unwrap(),
            serial: 0,
        },
        child,
    }
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap()
}

fn registration_payload(seed: u64) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(seed);
    let identity = IdentityKeyPair::generate(&mut rng);
    let signed = SignedPreKeyRecord::generate(&identity, 1, 1_700_000_000, &mut rng).unwrap();
    ClientPayload {
        passive: Some(false),
        device_pairing_data: Some(DevicePairingRegistrationData {
            e_regid: Some(7u32.to_be_bytes().to_vec()),
            e_keytype: Some(vec![5]),
            e_ident: Some(identity.public().as_bytes().to_vec()),
            e_skey_id: Some(vec![0, 0, 1]),
            e_skey_val: Some(signed.key_pair.public.as_bytes().to_vec()),
            e_skey_sig: Some(signed.signature.to_vec()),
            ..Default::default()
        }),
        ..Default::default()
    }
    .encode_to_vec()
}

/// Handshake + registration; returns once `pair-device` (the first transport frame) arrived.
async fn handshake(url: &str, root: TrustRoot, payload: &[u8], seed: u64) -> Socket {
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let (awaiting, hello) = Initiator::new(KeyPair::generate(&mut rng), root).start(&mut rng);
    socket.send(Message::Binary(hello.into())).await.unwrap();
    let mut decoder = FrameDecoder::new();
    let reply = loop {
        if let Some(Ok(Message::Binary(bytes))) = socket.next().await {
            break bytes;
        }
    };
    let server_hello = decoder.decode(&reply).next_frame().unwrap().to_vec();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let ready = awaiting.read_server_hello(&server_hello, now).unwrap();
    let (_, finish) = ready.write_client_finish(payload).unwrap();
    socket.send(Message::Binary(finish.into())).await.unwrap();
    loop {
        if let Some(Ok(Message::Binary(_))) = socket.next().await {
            return socket;
        }
    }
}

/// In-process Noise handshakes per second (initiator and responder in one thread, no sockets).
fn noise_anchor() -> f64 {
    let mut rng = StdRng::seed_from_u64(1);
    let authority = CertificateAuthority::generate(&mut rng);
    let server = KeyPair::generate(&mut rng);
    let params = |serial| CertificateParams {
        serial,
        not_before: 0,
        not_after: u64::MAX,
    };
    let chain = authority.issue_chain(
        &KeyPair::generate(&mut rng),
        params(1),
        &server.public,
        params(2),
        &mut rng,
    );
    let responder = Responder::new(server, chain);
    let client = KeyPair::generate(&mut rng);
    let rounds = 2_000;
    let start = Instant::now();
    for _ in 0..rounds {
        let (awaiting, hello) = Initiator::new(client.clone(), authority.trust_root()).start(&mut rng);
        let (finish_state, server_hello) = responder
            .clone()
            .read_client_hello(&hello[7..], &mut rng)
            .unwrap();
        let ready = awaiting.read_server_hello(&server_hello[3..], 1).unwrap();
        let (_, finish) = ready.write_client_finish(b"payload").unwrap();
        finish_state.read_client_finish(&finish[3..]).unwrap();
    }
    f64::from(rounds) / start.elapsed().as_secs_f64()
}

async fn run(n: usize, payload: Arc<Vec<u8>>) {
    // Anchor: bare WebSockets.
    let server = start_server().await;
    let pid = server.child.id().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = rss_kib(pid);
    let mut bare = Vec::with_capacity(n);
    for _ in 0..n {
        bare.push(
            tokio_tungstenite::connect_async(server.ws_url.as_str())
                .await
                .unwrap()
                .0,
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let bare_per = (rss_kib(pid) - before) as f64 / n as f64;
    drop(bare);
    drop(server);

    // Measured: handshaken, registered, idle.
    let server = start_server().await;
    let pid = server.child.id().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = rss_kib(pid);
    let start = Instant::now();
    let url = server.ws_url.clone();
    let root = server.root;
    let sockets: Vec<Socket> = futures_util::stream::iter(0..n)
        .map(|i| {
            let url = url.clone();
            let payload = payload.clone();
            async move { handshake(&url, root, &payload, i as u64).await }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let elapsed = start.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let per = (rss_kib(pid) - before) as f64 / n as f64;
    let rate = n as f64 / elapsed;
    let anchor = noise_anchor();
    println!(
        "N={n}: memory/connection {per:.1} KiB (bare WebSocket anchor {bare_per:.1} KiB, ratio {:.2}); \
         handshakes/s {rate:.0} (in-process Noise anchor {anchor:.0}/s, ratio {:.2}); server RSS {} MiB",
        per / bare_per,
        rate / anchor,
        rss_kib(pid) / 1024
    );
    drop(sockets);
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|arg| arg.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000, 5_000]
    } else {
        sizes
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let payload = Arc::new(registration_payload(1));
    for n in sizes {
        runtime.block_on(run(n, payload.clone()));
    }
}
