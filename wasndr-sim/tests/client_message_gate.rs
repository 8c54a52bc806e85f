//! The message gate against the in-process simulator: a receiving client with a gate stores an
//! incoming message, then waits for the gate before it sends the delivery receipt (which the sender
//! sees as a `Delivered` receipt from that companion) and before it reports the message; a gate that
//! does not return in time is given up on and the message acknowledged anyway; and a redelivered
//! message (its receipt never reached the server) goes through the gate again, marked so, without a
//! second event.

#![allow(clippy::unwrap_used)]

mod wasndr_client;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};
use wasndr_client::{WAIT, config, first_qr, memory_store, next_event, pair_by_qr, paired_then_connected};
use wasndr_core::client::{Client, Event, Events, GateDelivery, MessageEvent, MessageGate, ReceiptKind};
use wasndr_core::jid::Jid;
use wasndr_core::message::{self, plain_text, protocol_address};
use wasndr_core::store::{MessageStatus, Store};
use wasndr_sim::SimHandle;

const ALICE: &str = "15550100011";
const BOB: &str = "15550100012";

/// How long "does not happen" is watched for.
const QUIET: Duration = Duration::from_millis(1500);

/// What a gate call saw: the message id, which delivery, the text.
type Call = (String, GateDelivery, Option<String>);

/// Reports every call, then waits for the next release (if one is queued) before returning.
struct BlockingGate {
    calls: mpsc::UnboundedSender<Call>,
    releases: Mutex<Vec<oneshot::Receiver<()>>>,
}

impl BlockingGate {
    fn new() -> (Arc<Self>, mpsc::UnboundedReceiver<Call>) {
        let (calls, seen) = mpsc::unbounded_channel();
        let gate = Arc::new(BlockingGate {
            calls,
            releases: Mutex::new(Vec::new()),
        });
        (gate, seen)
    }

    /// The next call waits until the returned sender fires (or is dropped).
    fn hold_next(&self) -> oneshot::Sender<()> {
        let (release, wait) = oneshot::channel();
        self.releases.lock().unwrap().push(wait);
        release
    }
}

#[async_trait]
impl MessageGate for BlockingGate {
    async fn before_ack(&self, message: &MessageEvent, delivery: GateDelivery) {
        let text = message.message.as_ref().and_then(plain_text).map(str::to_owned);
        let _ = self.calls.send((message.info.id.clone(), delivery, text));
        let wait = {
            let mut releases = self.releases.lock().unwrap();
            (!releases.is_empty()).then(|| releases.remove(0))
        };
        if let Some(wait) = wait {
            let _ = wait.await;
        }
    }
}

/// Pairs a client built with `gate` to `phone`.
async fn pair_gated(
    sim: &SimHandle,
    phone: &str,
    store: Arc<dyn Store>,
    gate: Arc<dyn MessageGate>,
    timeout: Duration,
) -> (Client, Events, Jid) {
    let (client, mut events) = Client::builder(store)
        .config(config(sim))
        .message_gate(gate)
        .message_gate_timeout(timeout)
        .build();
    client.connect().await.unwrap();
    let qr = first_qr(&mut events).await;
    sim.scan(phone, &qr).await.unwrap();
    let jid = paired_then_connected(&mut events).await;
    (client, events, jid)
}

async fn sim_with(phones: &[&str]) -> SimHandle {
    let sim = wasndr_client::simulator().await;
    for phone in phones {
        sim.create_phone(phone).await.unwrap();
    }
    sim
}

/// Waits (up to `limit`) for an event that `pick` accepts.
async fn wait_for<T>(
    events: &mut Events,
    limit: Duration,
    mut pick: impl FnMut(Event) -> Option<T>,
) -> Option<T> {
    tokio::time::timeout(limit, async {
        loop {
            if let Some(found) = pick(next_event(events).await) {
                return found;
            }
        }
    })
    .await
    .ok()
}

/// A `Delivered` receipt for `id` sent by the device `from` (not the recipient's phone, which
/// receives and acknowledges the message on its own).
fn delivered_by(id: &str, from: &Jid) -> impl FnMut(Event) -> Option<()> {
    let (id, from) = (id.to_owned(), from.clone());
    move |event| match event {
        Event::Receipt(receipt)
            if receipt.kind == ReceiptKind::Delivered
                && receipt.sender == from
                && receipt.ids.contains(&id) =>
        {
            Some(())
        }
        _ => None,
    }
}

fn message_with_id(id: &str) -> impl FnMut(Event) -> Option<MessageEvent> {
    let id = id.to_owned();
    move |event| match event {
        Event::Message(message) if message.info.id == id => Some(*message),
        _ => None,
    }
}

#[tokio::test]
async fn the_delivery_receipt_waits_for_the_gate_and_follows_its_release() {
    let sim = sim_with(&[ALICE, BOB]).await;
    let (alice, mut alice_events, _) = pair_by_qr(&sim, ALICE, memory_store()).await;
    let (gate, mut calls) = BlockingGate::new();
    let bob_store = memory_store();
    let (bob, mut bob_events, bob_jid) = pair_gated(&sim, BOB, bob_store.clone(), gate.clone(), WAIT).await;

    let release = gate.hold_next();
    let sent = alice
        .send_text(&bob_jid.to_non_ad(), "gated hello")
        .await
        .unwrap();
    let (id, delivery, text) = tokio::time::timeout(WAIT, calls.recv()).await.unwrap().unwrap();
    assert_eq!(
        (id.as_str(), delivery, text.as_deref()),
        (sent.id.as_str(), GateDelivery::First, Some("gated hello"))
    );
    // Stored before the gate ran...
    let row = bob_store
        .message(&alice.jid().unwrap().to_non_ad(), &sent.id)
        .await
        .unwrap();
    assert_eq!(row.unwrap().text.as_deref(), Some("gated hello"));
    // ...but neither acknowledged nor reported while the gate holds it.
    assert!(
        wait_for(&mut alice_events, QUIET, delivered_by(&sent.id, &bob_jid))
            .await
            .is_none(),
        "Bob's companion sent its delivery receipt before the gate returned"
    );
    assert!(
        wait_for(
            &mut bob_events,
            Duration::from_millis(200),
            message_with_id(&sent.id)
        )
        .await
        .is_none(),
        "the message was reported before the gate returned"
    );

    release.send(()).unwrap();
    wait_for(&mut alice_events, WAIT, delivered_by(&sent.id, &bob_jid))
        .await
        .expect("the delivery receipt once the gate returned");
    let reported = wait_for(&mut bob_events, WAIT, message_with_id(&sent.id))
        .await
        .unwrap();
    assert_eq!(
        reported.message.as_ref().and_then(plain_text),
        Some("gated hello")
    );
    assert!(calls.try_recv().is_err(), "the gate ran once");

    // An ungated sender's device on the other way round is unaffected: Bob's reply is delivered
    // to Alice's companion as before.
    let reply = bob
        .send_text(&alice.jid().unwrap().to_non_ad(), "hi")
        .await
        .unwrap();
    let alice_jid = alice.jid().unwrap();
    wait_for(&mut bob_events, WAIT, delivered_by(&reply.id, &alice_jid))
        .await
        .expect("Alice's ungated companion acknowledges at once");
}

#[tokio::test]
async fn a_gate_that_does_not_return_in_time_is_given_up_on() {
    let sim = sim_with(&[ALICE, BOB]).await;
    let (alice, mut alice_events, _) = pair_by_qr(&sim, ALICE, memory_store()).await;
    let (gate, mut calls) = BlockingGate::new();
    let limit = Duration::from_millis(800);
    let (_bob, mut bob_events, bob_jid) = pair_gated(&sim, BOB, memory_store(), gate.clone(), limit).await;

    // Never released while the test runs.
    let _held = gate.hold_next();
    let sent = alice.send_text(&bob_jid.to_non_ad(), "slow gate").await.unwrap();
    let started = tokio::time::timeout(WAIT, calls.recv()).await.unwrap().unwrap();
    assert_eq!(started.0, sent.id);
    let asked = tokio::time::Instant::now();
    wait_for(&mut alice_events, WAIT, delivered_by(&sent.id, &bob_jid))
        .await
        .expect("acknowledged after the timeout");
    assert!(
        asked.elapsed() >= limit / 2,
        "acknowledged after {:?}",
        asked.elapsed()
    );
    wait_for(&mut bob_events, WAIT, message_with_id(&sent.id))
        .await
        .expect("reported after the timeout");

    // The connection carries on: the next message passes a gate that returns at once.
    let next = alice.send_text(&bob_jid.to_non_ad(), "next").await.unwrap();
    wait_for(&mut bob_events, WAIT, message_with_id(&next.id))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_redelivered_message_passes_the_gate_again_without_a_second_event() {
    use wasndr_core::signal::session;
    let sim = sim_with(&[ALICE, BOB]).await;
    let alice_store = memory_store();
    let (alice, _alice_events, _) = pair_by_qr(&sim, ALICE, alice_store.clone()).await;
    let (gate, mut calls) = BlockingGate::new();
    let bob_store = memory_store();
    let (_bob, mut bob_events, bob_jid) = pair_gated(&sim, BOB, bob_store.clone(), gate.clone(), WAIT).await;
    let bob_account = bob_jid.to_non_ad();
    let alice_account = alice.jid().unwrap().to_non_ad();

    // A first message sets up Alice's session with Bob's companion.
    let first = alice.send_text(&bob_account, "first").await.unwrap();
    wait_for(&mut bob_events, WAIT, message_with_id(&first.id))
        .await
        .unwrap();
    assert_eq!(calls.recv().await.unwrap().0, first.id);

    // One ciphertext on Alice's stored session, sent twice: the second is what the server does when
    // our receipt for the first never reached it.
    let plaintext = wasndr_proto::Message::encode_to_vec(&wasndr_proto::e2e::Message {
        conversation: Some("twice".into()),
        ..Default::default()
    });
    let address = protocol_address(&bob_jid);
    let record = alice_store.load_session(&address).await.unwrap().unwrap();
    let encrypted = session::encrypt(&record, &message::pad(&plaintext, 3)).unwrap();
    alice_store
        .store_session(&address, &encrypted.record)
        .await
        .unwrap();
    // Written behind Alice's client, which caches its sessions: it must read this one again.
    alice.forget_cached_state().await.unwrap();
    let id = "3EB0CAFECAFECAFECAFEC0";
    let stanza = wasndr_client::single_device_message(id, &bob_account, &bob_jid, encrypted.message);

    alice.send_node(&stanza).await.unwrap();
    let once = tokio::time::timeout(WAIT, calls.recv()).await.unwrap().unwrap();
    assert_eq!(
        (once.0.as_str(), once.1, once.2.as_deref()),
        (id, GateDelivery::First, Some("twice"))
    );
    wait_for(&mut bob_events, WAIT, message_with_id(id))
        .await
        .unwrap();

    alice.send_node(&stanza).await.unwrap();
    let again = tokio::time::timeout(WAIT, calls.recv()).await.unwrap().unwrap();
    assert_eq!(
        (again.0.as_str(), again.1, again.2.as_deref()),
        (id, GateDelivery::Redelivered, Some("twice")),
        "read back from the store"
    );
    // No second event: the next message reported is the one after.
    let after = alice.send_text(&bob_account, "after").await.unwrap();
    let next = wait_for(&mut bob_events, WAIT, |event| match event {
        Event::Message(message) => Some(*message),
        _ => None,
    })
    .await
    .unwrap();
    assert_eq!(next.info.id, after.id, "no second event for the redelivery");
    let row = bob_store.message(&alice_account, id).await.unwrap().unwrap();
    assert_eq!(row.status, MessageStatus::Sent);
}
