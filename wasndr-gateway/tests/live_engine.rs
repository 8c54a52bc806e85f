//! The production engine (`live::LiveEngine`) against the simulator, in process: pairing codes that
//! nobody scans are renewed a bounded number of times, then the session ends `disconnected`; a scanned
//! session connects, reports its phone, and a logout unlinks it from the phone and forgets its device.
#![cfg(feature = "live")]
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use wasndr_core::client::{ClientConfig, QrTimings, ReconnectPolicy};
use wasndr_core::crypto::PublicKey;
use wasndr_core::noise::TrustRoot;
use wasndr_gateway::SessionEngine;
use wasndr_gateway::engine::{EngineEvent, EventSink, HistoryQuery, SessionRef, SessionStatus};
use wasndr_gateway::live::{LiveEngine, LiveOptions};
use wasndr_sim::{SimConfig, SimHandle, Simulator};

const WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
struct Recorder(Mutex<Vec<EngineEvent>>);

#[async_trait]
impl EventSink for Recorder {
    async fn deliver(&self, event: EngineEvent) {
        self.0.lock().unwrap().push(event);
    }
}

impl Recorder {
    fn qr_codes(&self, session: &str) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|event| match event {
                EngineEvent::SessionStatus { session: s, state } if s.session_id == session => {
                    state.qr.clone()
                }
                _ => None,
            })
            .collect()
    }
}

fn engine(sim: &SimHandle, qr: QrTimings) -> Arc<LiveEngine> {
    let info = sim.info();
    let mut client = ClientConfig {
        url: info.ws_url,
        trust_root: TrustRoot {
            public_key: PublicKey::from_slice(&hex::decode(info.root_public_key).unwrap()).unwrap(),
            serial: info.root_serial,
        },
        qr,
        ..ClientConfig::default()
    };
    client.reconnect = ReconnectPolicy {
        enabled: true,
        base_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(500),
    };
    LiveEngine::in_memory(LiveOptions { client, qr_rounds: 2 })
}

fn session(id: &str) -> SessionRef {
    SessionRef {
        session_id: id.to_owned(),
        account_id: "account".to_owned(),
        location_id: "location".to_owned(),
    }
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unscanned_codes_are_renewed_twice_then_the_session_gives_up() {
    let sim = Simulator::start(SimConfig {
        qr_refs: 2,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let engine = engine(
        &sim,
        QrTimings {
            first: Duration::from_millis(300),
            next: Duration::from_millis(200),
        },
    );
    let recorder = Arc::new(Recorder::default());
    engine.set_event_sink(recorder.clone());
    let started = engine.start_session(&session("s1")).await.unwrap();
    assert_eq!(started.status, SessionStatus::Starting);
    until(&engine, "s1", SessionStatus::Disconnected).await;
    let codes = recorder.qr_codes("s1");
    let mut distinct = codes.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        6,
        "three rounds (the first and two renewals) of two codes each: {codes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scanned_session_connects_and_a_logout_unlinks_it() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.create_phone("15550001111").await.unwrap();
    let engine = engine(&sim, QrTimings::default());
    let recorder = Arc::new(Recorder::default());
    engine.set_event_sink(recorder.clone());
    engine.start_session(&session("s2")).await.unwrap();
    let ready = until(&engine, "s2", SessionStatus::QrReady).await;
    sim.scan("15550001111", ready.qr.as_deref().unwrap())
        .await
        .unwrap();
    let connected = until(&engine, "s2", SessionStatus::Connected).await;
    assert_eq!(connected.phone.as_deref(), Some("15550001111"));
    assert_eq!(sim.phones()[0].devices.len(), 2, "the phone lists the companion");
    assert!(
        recorder.0.lock().unwrap().iter().any(|e| matches!(
            e,
            EngineEvent::SessionStatus { state, .. } if state.status == SessionStatus::Connected
        )),
        "connected was reported"
    );

    engine.logout_session("s2").await.unwrap();
    assert_eq!(sim.phones()[0].devices, vec![0], "unlinked from the phone");
    assert_eq!(
        engine.session_state("s2").await.unwrap().status,
        SessionStatus::Disconnected
    );
    let history = engine
        .history(
            "s2",
            &HistoryQuery {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(history.total, 0, "nothing of the device is left");
    let last = recorder.0.lock().unwrap().last().cloned().unwrap();
    assert!(
        matches!(&last, EngineEvent::SessionStatus { state, .. } if state.status == SessionStatus::Disconnected),
        "the logout was reported: {last:?}"
    );
}
