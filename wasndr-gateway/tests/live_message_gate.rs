//! The production engine delivers an incoming message's event from the client's message gate: the
//! sink is called while the message is already in history, the client waits for the sink to return
//! (a held sink holds back the next message), and each message reaches the sink exactly once.
#![cfg(feature = "live")]
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{Notify, mpsc};
use wasndr_core::client::{ClientConfig, ReconnectPolicy};
use wasndr_core::crypto::PublicKey;
use wasndr_core::noise::TrustRoot;
use wasndr_gateway::SessionEngine;
use wasndr_gateway::engine::{EngineEvent, EventSink, HistoryQuery, SessionRef, SessionStatus};
use wasndr_gateway::live::{LiveEngine, LiveOptions};
use wasndr_sim::{SimConfig, SimHandle, Simulator};

const WAIT: Duration = Duration::from_secs(60);
const OWNER: &str = "15550002221";
const FRIEND: &str = "15550002222";

/// Records every event; a `MessageReceived` is announced on `received` and then held until `release`
/// is notified (one permit per message).
#[derive(Debug)]
struct HoldingSink {
    events: Mutex<Vec<EngineEvent>>,
    received: mpsc::UnboundedSender<String>,
    release: Notify,
}

#[async_trait]
impl EventSink for HoldingSink {
    async fn deliver(&self, event: EngineEvent) {
        let held = match &event {
            EngineEvent::MessageReceived { message, .. } => message.text.clone(),
            _ => None,
        };
        self.events.lock().unwrap().push(event);
        if let Some(text) = held {
            let _ = self.received.send(text);
            self.release.notified().await;
        }
    }
}

impl HoldingSink {
    fn received_texts(&self) -> Vec<String> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter_map(|event| match event {
                EngineEvent::MessageReceived { message, .. } => message.text.clone(),
                _ => None,
            })
            .collect()
    }
}

fn engine(sim: &SimHandle) -> Arc<LiveEngine> {
    let info = sim.info();
    let mut client = ClientConfig {
        url: info.ws_url,
        trust_root: TrustRoot {
            public_key: PublicKey::from_slice(&hex::decode(info.root_public_key).unwrap()).unwrap(),
            serial: info.root_serial,
        },
        ..ClientConfig::default()
    };
    client.reconnect = ReconnectPolicy {
        enabled: true,
        base_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(500),
    };
    LiveEngine::in_memory(LiveOptions { client, qr_rounds: 2 })
}

async fn until(engine: &LiveEngine, id: &str, status: SessionStatus) -> wasndr_gateway::engine::SessionState {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let state = engine.session_state(id).await.unwrap();
        if state.status == status {
            return state;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{id} never became {status:?}: {state:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn stored_texts(engine: &LiveEngine) -> Vec<String> {
    let page = engine
        .history(
            "g1",
            &HistoryQuery {
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    page.messages.into_iter().filter_map(|m| m.text).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_event_is_delivered_once_from_the_gate_before_the_client_moves_on() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.create_phone(OWNER).await.unwrap();
    sim.create_phone(FRIEND).await.unwrap();
    let engine = engine(&sim);
    let (received, mut announced) = mpsc::unbounded_channel();
    let sink = Arc::new(HoldingSink {
        events: Mutex::new(Vec::new()),
        received,
        release: Notify::new(),
    });
    engine.set_event_sink(sink.clone());
    let session = SessionRef {
        session_id: "g1".to_owned(),
        account_id: "account".to_owned(),
        location_id: "location".to_owned(),
    };
    engine.start_session(&session).await.unwrap();
    let ready = until(&engine, "g1", SessionStatus::QrReady).await;
    sim.scan(OWNER, ready.qr.as_deref().unwrap()).await.unwrap();
    until(&engine, "g1", SessionStatus::Connected).await;
    let owner = format!("{OWNER}@s.whatsapp.net");

    sim.send_text(FRIEND, &owner, "one").await.unwrap();
    let first = tokio::time::timeout(WAIT, announced.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first, "one");
    assert_eq!(
        stored_texts(&engine).await,
        vec!["one"],
        "in history before the sink ran"
    );

    // While the sink holds "one" the client is waiting to acknowledge it: "two" is not read yet.
    sim.send_text(FRIEND, &owner, "two").await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        stored_texts(&engine).await,
        vec!["one"],
        "the client moved on before the sink returned"
    );

    sink.release.notify_one();
    let second = tokio::time::timeout(WAIT, announced.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second, "two");
    sink.release.notify_one();

    // Exactly once each (the supervisor no longer forwards messages from the event stream).
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(sink.received_texts(), vec!["one", "two"]);
}
