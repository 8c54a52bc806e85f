//! The simulator's `devices` notifications keep a wasndr client's cached device lists current: a
//! companion linked or unlinked after the list was cached is addressed (or no longer addressed) by
//! the next send, long before the cache's TTL would have run out (issue 6, messaging guide E.8).

#![allow(clippy::unwrap_used)]

mod wasndr_client;

use std::sync::Arc;
use std::time::Duration;

use wasndr_client::{WAIT, memory_store, next_event, pair_by_qr};
use wasndr_core::client::{Client, Event, Events};
use wasndr_core::jid::Jid;
use wasndr_core::message::plain_text;
use wasndr_core::store::Store;
use wasndr_sim::SimHandle;

const ALICE: &str = "15550100001";
const BOB: &str = "15550100002";

/// How long a notification may take to reach the client and be applied to its store.
const NOTICE: Duration = Duration::from_secs(10);

/// The device numbers of `user` in `store`'s cache, `None` when nothing is cached.
async fn cached_devices(store: &Arc<dyn Store>, user: &Jid) -> Option<Vec<u16>> {
    store
        .device_list(user)
        .await
        .unwrap()
        .map(|list| list.devices.iter().map(|listed| listed.device).collect())
}

/// Polls `store` until `user`'s cached list satisfies `done` (an absent list counts as `None`).
async fn until_cache(store: &Arc<dyn Store>, user: &Jid, what: &str, done: impl Fn(Option<&[u16]>) -> bool) {
    let reached = tokio::time::timeout(NOTICE, async {
        loop {
            if done(cached_devices(store, user).await.as_deref()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        reached.is_ok(),
        "{what}: cached list still {:?}",
        cached_devices(store, user).await
    );
}

/// The next text message `events` reports.
async fn next_text(events: &mut Events) -> String {
    tokio::time::timeout(WAIT, async {
        loop {
            if let Event::Message(message) = next_event(events).await
                && let Some(text) = message.message.as_ref().and_then(plain_text)
            {
                return text.to_owned();
            }
        }
    })
    .await
    .expect("no message arrived")
}

async fn send(alice: &Client, to: &Jid, text: &str) {
    alice.send_text(to, text).await.unwrap();
}

#[tokio::test]
async fn linked_and_unlinked_companions_reach_a_cached_device_list_at_once() {
    let sim: SimHandle = wasndr_client::simulator().await;
    sim.create_phone(ALICE).await.unwrap();
    sim.create_phone(BOB).await.unwrap();
    let store = memory_store();
    let (alice, _alice_events, _) = pair_by_qr(&sim, ALICE, store.clone()).await;
    let bob = Jid::pn(BOB);

    // Alice's first send caches Bob's list: his phone only.
    send(&alice, &bob, "before").await;
    sim.wait_for_messages(BOB, 1, WAIT).await.unwrap();
    assert_eq!(cached_devices(&store, &bob).await, Some(vec![0]));

    // Bob links a companion; the server tells Alice, whose cache must not keep the old list.
    let (_bob_client, mut bob_events, bob_jid) = pair_by_qr(&sim, BOB, memory_store()).await;
    let companion = bob_jid.device();
    assert_ne!(companion, 0);
    until_cache(&store, &bob, "after the companion linked", |list| {
        list.is_none_or(|devices| devices.contains(&companion))
    })
    .await;

    // The next send reaches the companion as well as the phone.
    send(&alice, &bob, "after link").await;
    assert_eq!(next_text(&mut bob_events).await, "after link");
    let phone_got = sim.wait_for_messages(BOB, 2, WAIT).await.unwrap();
    assert_eq!(phone_got[1].text, "after link");
    let cached = cached_devices(&store, &bob).await.unwrap();
    assert!(cached.contains(&0) && cached.contains(&companion), "{cached:?}");

    // Bob unlinks it; Alice's cache must stop naming it, and her next send leaves it out.
    assert!(sim.remove_device(BOB, companion).unwrap());
    until_cache(&store, &bob, "after the companion was removed", |list| {
        list.is_none_or(|devices| !devices.contains(&companion))
    })
    .await;
    send(&alice, &bob, "after unlink").await;
    let phone_got = sim.wait_for_messages(BOB, 3, WAIT).await.unwrap();
    assert_eq!(phone_got[2].text, "after unlink");
    assert_eq!(cached_devices(&store, &bob).await, Some(vec![0]));
}
