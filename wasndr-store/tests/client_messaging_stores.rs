//! wasndr-core's `Client` messaging over the SQLite and PostgreSQL backends against the simulator:
//! Alice's client keeps everything in the database (Bob's in memory). They talk 1:1 and in a group
//! with a poll; receipts move the stored status. Then Alice's process "restarts": the database is
//! opened again, the client logs in without a QR, history, statuses and poll votes are read back, and
//! the stored sessions and sender key carry on both ways.

#![allow(clippy::unwrap_used, clippy::print_stderr)] // the shared PostgreSQL fixture prints why it skips

#[allow(dead_code)]
#[path = "conformance/fixtures.rs"]
mod fixtures;
#[path = "../../wasndr-sim/tests/wasndr_client/mod.rs"]
mod wasndr_client;

use std::future::Future;
use std::pin::Pin;

use wasndr_client::{WAIT, client, memory_store, next_event, pair_by_qr, until_connected};
use wasndr_core::client::{Event, Events, MessageEvent, ReceiptKind};
use wasndr_core::jid::Jid;
use wasndr_core::message::plain_text;
use wasndr_core::store::{HistoryQuery, MessageStatus};
use wasndr_store::{DeviceId, PostgresContainer, SqliteContainer, StoreContainer};

const ALICE: &str = "15550400001";
const BOB: &str = "15550400002";
const CAROL: &str = "15550400003";

/// Opens the same database again, as a restarted process would.
type Reopen<'a> = Box<dyn Fn() -> Pin<Box<dyn Future<Output = Box<dyn StoreContainer>> + 'a>> + 'a>;

/// The next event `pick` accepts, skipping the others.
async fn wait_for<T>(events: &mut Events, what: &str, mut pick: impl FnMut(Event) -> Option<T>) -> T {
    tokio::time::timeout(WAIT, async {
        loop {
            if let Some(found) = pick(next_event(events).await) {
                return found;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("waited in vain for {what}"))
}

async fn text(events: &mut Events) -> String {
    let message: MessageEvent = wait_for(events, "a message", |event| match event {
        Event::Message(message) => Some(*message),
        _ => None,
    })
    .await;
    message.message.as_ref().and_then(plain_text).unwrap().to_owned()
}

async fn talk_over(reopen: Reopen<'_>) {
    let sim = wasndr_client::simulator().await;
    for phone in [ALICE, BOB, CAROL] {
        sim.create_phone(phone).await.unwrap();
    }
    let container = reopen().await;
    let id: DeviceId = container.create_device().await.unwrap();
    let store = container.open_device(id).await.unwrap();
    let (alice, mut alice_events, alice_jid) = pair_by_qr(&sim, ALICE, store.clone()).await;
    let (bob, mut bob_events, bob_jid) = pair_by_qr(&sim, BOB, memory_store()).await;
    let (alice_account, bob_account) = (alice_jid.to_non_ad(), bob_jid.to_non_ad());
    let group = Jid::parse(&sim.create_group(ALICE, "Team", &[BOB, CAROL]).unwrap()).unwrap();

    let hello = alice
        .send_text(&bob_account, "hello from the database")
        .await
        .unwrap();
    assert_eq!(text(&mut bob_events).await, "hello from the database");
    bob.mark_read(&alice_account, None, std::slice::from_ref(&hello.id))
        .await
        .unwrap();
    wait_for(&mut alice_events, "the read receipt", |event| match event {
        Event::Receipt(receipt) if receipt.kind == ReceiptKind::Read => Some(()),
        _ => None,
    })
    .await;
    bob.send_text(&alice_account, "hello back").await.unwrap();
    assert_eq!(text(&mut alice_events).await, "hello back");

    alice.send_text(&group, "hello group").await.unwrap();
    assert_eq!(text(&mut bob_events).await, "hello group");
    let options = vec!["Yes".to_owned(), "No".to_owned()];
    let poll = alice.send_poll(&group, "Ship it?", &options, 1).await.unwrap();
    assert_eq!(text(&mut bob_events).await, "Ship it?");
    bob.send_poll_vote(&group, &poll.id, &alice_account, &["Yes".to_owned()])
        .await
        .unwrap();
    wait_for(&mut alice_events, "the vote", |event| match event {
        Event::PollVote { .. } => Some(()),
        _ => None,
    })
    .await;

    // Alice's process ends; a new one opens the database and logs in without a QR.
    alice.disconnect().await;
    drop((alice, alice_events, store, container));
    let container = reopen().await;
    let store = container.open_device(id).await.unwrap();
    let (alice, mut alice_events) = client(&sim, store.clone());
    alice.connect().await.unwrap();
    assert_eq!(until_connected(&mut alice_events).await, alice_jid);

    let stored = store.message(&bob_account, &hello.id).await.unwrap().unwrap();
    assert_eq!(stored.status, MessageStatus::Read);
    assert_eq!(stored.text.as_deref(), Some("hello from the database"));
    let dm = store
        .messages(&HistoryQuery {
            chat: Some(bob_account.clone()),
            ..HistoryQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(dm.total, 2);
    let found = store
        .messages(&HistoryQuery {
            search: Some("SHIP".into()),
            ..HistoryQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].message_type, "poll");
    let results = alice.poll_results(&group, &poll.id).await.unwrap();
    assert_eq!(results[0].voters, vec![bob_account.clone()]);

    // The stored ratchets and sender key carry on.
    alice.send_text(&bob_account, "still me").await.unwrap();
    assert_eq!(text(&mut bob_events).await, "still me");
    alice.send_text(&group, "still the group").await.unwrap();
    assert_eq!(text(&mut bob_events).await, "still the group");
    bob.send_text(&alice_account, "welcome back").await.unwrap();
    assert_eq!(text(&mut alice_events).await, "welcome back");
    bob.send_text(&group, "Bob in the group").await.unwrap();
    assert_eq!(text(&mut alice_events).await, "Bob in the group");
    alice.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messaging_over_sqlite_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wasndr.db");
    talk_over(Box::new(|| {
        let path = path.clone();
        Box::pin(
            async move { Box::new(SqliteContainer::open(&path).await.unwrap()) as Box<dyn StoreContainer> },
        )
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messaging_over_postgres_survives_a_restart() {
    // A fresh schema of its own on WASNDR_TEST_POSTGRES_URL, dropped afterwards; skipped with a printed
    // reason when the variable is unset (CI sets it).
    let Some(fixture) = fixtures::postgres().await else {
        return;
    };
    let options = fixture.options().unwrap();
    talk_over(Box::new(|| {
        let options = options.clone();
        Box::pin(async move {
            Box::new(PostgresContainer::connect_with(options, 4).await.unwrap()) as Box<dyn StoreContainer>
        })
    }))
    .await;
}
