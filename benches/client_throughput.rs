//! Sustained messages per second between two wasndr clients through the in-process simulator.
//!
//! Two `Client`s over memory stores, each paired to its own virtual phone, in one process with the
//! simulator (multi-threaded runtime). Alice sends N texts to Bob, `IN_FLIGHT` at a time; each send
//! returns on the server's ack (stored before it is written, as always). Measured: from the first send
//! to Bob having received, decrypted, stored and acked the N-th message. Every message is also
//! encrypted for, and decrypted by, Bob's phone and Alice's own phone (device-sent copy), as on the
//! real network, so each message is three Signal encryptions and three decryptions.
//!
//! Anchor, in the same run: the bare pure pipeline (plan_send + stanza encode, then decode + receive)
//! for one recipient device, messages per second on one thread, no store, no network.
//!
//! Run: `cargo bench -p wasndr-sim --bench client_throughput` (optionally `-- N`, default 2000).

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

#[path = "support/messaging.rs"]
mod support;
#[path = "../wasndr-sim/tests/wasndr_client/mod.rs"]
mod wasndr_client;

use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use wasndr_core::client::Event;

const IN_FLIGHT: usize = 16;

fn anchor(seconds: f64) -> f64 {
    let mut fixture = support::OneToOne::new(false);
    let start = Instant::now();
    let mut count = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        let payload = fixture.next_incoming();
        std::hint::black_box(fixture.receive(&payload));
        count += 1;
    }
    count as f64 / start.elapsed().as_secs_f64()
}

async fn through_the_simulator(total: usize) -> f64 {
    let sim = wasndr_client::simulator().await;
    sim.create_phone("15550200001").await.unwrap();
    sim.create_phone("15550200002").await.unwrap();
    let (alice, mut alice_events, _) =
        wasndr_client::pair_by_qr(&sim, "15550200001", wasndr_client::memory_store()).await;
    // Alice's receipts must be read: an application that reads no events stalls its connection (the
    // documented backpressure of `Events`).
    tokio::spawn(async move { while alice_events.recv().await.is_some() {} });
    let (_bob, mut bob_events, bob_jid) =
        wasndr_client::pair_by_qr(&sim, "15550200002", wasndr_client::memory_store()).await;
    let bob = bob_jid.to_non_ad();

    // Warm-up: sessions built, device lists cached.
    alice.send_text(&bob, "warm-up").await.unwrap();
    let received = async |events: &mut wasndr_core::client::Events, mut wanted: usize| {
        while wanted > 0 {
            match tokio::time::timeout(Duration::from_secs(60), events.recv()).await {
                Ok(Some(Event::Message(_))) => wanted -= 1,
                Ok(Some(Event::Lagged { missed })) => panic!("{missed} events dropped"),
                Ok(Some(_)) => {}
                _ => panic!("messages stopped arriving with {wanted} to go"),
            }
        }
    };
    received(&mut bob_events, 1).await;

    let start = Instant::now();
    let sender = tokio::spawn(async move {
        let mut sends = JoinSet::new();
        for n in 0..total {
            if sends.len() >= IN_FLIGHT {
                sends.join_next().await.unwrap().unwrap();
            }
            let (alice, bob) = (alice.clone(), bob.clone());
            sends.spawn(async move { alice.send_text(&bob, &format!("message {n}")).await.unwrap() });
        }
        while let Some(done) = sends.join_next().await {
            done.unwrap();
        }
        alice
    });
    received(&mut bob_events, total).await;
    let elapsed = start.elapsed().as_secs_f64();
    let _alice = sender.await.unwrap();
    total as f64 / elapsed
}

fn main() {
    let total: usize = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(2000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let measured = runtime.block_on(through_the_simulator(total));
    let anchor = anchor(3.0);
    println!("client_throughput: {total} texts Alice -> Bob through the in-process simulator");
    println!("  measured: {measured:.0} messages/s (sent, acked, decrypted, stored, acked by Bob)");
    println!("  anchor:   {anchor:.0} messages/s (bare plan_send + receive, 1 device, one thread, no store)");
    println!("  ratio:    {:.3} of the anchor", measured / anchor);
}
