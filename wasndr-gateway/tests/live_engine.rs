//! The production engine (`live::LiveEngine`) against the simulator, in process: pairing codes that
//! nobody scans are renewed a bounded number of times, then the session ends `disconnected`; a scanned
//! session connects, reports its phone, and a logout unlinks it from the phone and forgets its device.
#![cfg(feature = "live")]
#![allow(clippy::unwrap_used, clippy::print_stderr)]

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

/// A client configuration for `sim`, with fast reconnects.
fn client_config(sim: &SimHandle, qr: QrTimings) -> ClientConfig {
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
    client
}

fn engine(sim: &SimHandle, qr: QrTimings) -> Arc<LiveEngine> {
    LiveEngine::in_memory(LiveOptions {
        client: client_config(sim, qr),
        qr_rounds: 2,
    })
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

/// A fresh schema for this run in the CI database, and the URL that puts every connection in it.
async fn postgres_schema() -> Option<(String, sqlx::PgPool, String)> {
    let Ok(url) = std::env::var("WASNDR_TEST_POSTGRES_URL") else {
        eprintln!("skipping the PostgreSQL engine test: WASNDR_TEST_POSTGRES_URL is not set");
        return None;
    };
    let schema = format!("live_engine_{}_{}", std::process::id(), rand::random::<u32>());
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    // The schema name is ours: digits and underscores.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await
        .unwrap();
    let separator = if url.contains('?') { '&' } else { '?' };
    let in_schema = format!("{url}{separator}options=-c%20search_path%3D{schema}");
    Some((in_schema, admin, schema))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_postgres_a_linked_session_is_restored_connected_without_a_qr() {
    let Some((url, admin, schema)) = postgres_schema().await else {
        return;
    };
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.create_phone("15550003333").await.unwrap();
    let config = client_config(&sim, QrTimings::default());
    let options = || LiveOptions {
        client: config.clone(),
        qr_rounds: 2,
    };

    let first = LiveEngine::connect_postgres(&url, options()).await.unwrap();
    first.set_event_sink(Arc::new(Recorder::default()));
    first.start_session(&session("pg1")).await.unwrap();
    let ready = until(&first, "pg1", SessionStatus::QrReady).await;
    sim.scan("15550003333", ready.qr.as_deref().unwrap())
        .await
        .unwrap();
    until(&first, "pg1", SessionStatus::Connected).await;
    first.stop_session("pg1").await.unwrap();
    drop(first);

    // A new engine over the same database (a restart, or another node taking the session over).
    let second = LiveEngine::connect_postgres(&url, options()).await.unwrap();
    let recorder = Arc::new(Recorder::default());
    second.set_event_sink(recorder.clone());
    second.restore_session(&session("pg1")).await.unwrap();
    let connected = until(&second, "pg1", SessionStatus::Connected).await;
    assert_eq!(connected.phone.as_deref(), Some("15550003333"));
    assert!(recorder.qr_codes("pg1").is_empty(), "no QR on restore");
    assert_eq!(
        sim.phones()[0].devices.len(),
        2,
        "the same companion, no new device"
    );
    second.logout_session("pg1").await.unwrap();
    drop(second);

    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .unwrap();
}
