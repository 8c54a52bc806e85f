//! wasndr-core's `Client` pairing with the simulator's virtual phones: by QR (the phone scans the
//! client's QR through the simulator's Rust API), by phone-number code, logging in again after the
//! client is dropped and rebuilt over the same (memory) store, and QR expiry without a scan.

#![allow(clippy::unwrap_used)]

mod wasndr_client;

use std::time::Duration;

use wasndr_client::{
    config, first_qr, memory_store, next_event, next_significant, pair_by_qr, paired_then_connected,
    until_connected,
};
use wasndr_core::client::{Client, ConnectionState, DisconnectReason, Event, QrTimings};
use wasndr_core::pair::companion::PairedIdentity;
use wasndr_core::signal::INITIAL_PREKEY_COUNT;
use wasndr_sim::{SimConfig, Simulator};

const PHONE: &str = "15550001111";

#[tokio::test]
async fn pairs_by_qr_and_logs_in_again_after_a_rebuild() {
    let sim = wasndr_client::simulator().await;
    sim.create_phone(PHONE).await.unwrap();
    let store = memory_store();
    let (client, mut events, jid) = pair_by_qr(&sim, PHONE, store.clone()).await;
    assert_eq!(jid.user(), PHONE);
    assert!(sim.is_connected(PHONE, jid.device()));
    assert_eq!(sim.phones()[0].devices, vec![0, jid.device()]);

    // What pairing and the first login left in the store.
    let device = store.load_device().await.unwrap().unwrap();
    assert_eq!(device.jid.as_ref(), Some(&jid));
    assert_eq!(device.lid.as_ref().map(|lid| lid.device()), Some(jid.device()));
    assert_eq!(device.platform.as_deref(), Some("android"));
    let identity = PairedIdentity::from_signed_identity(device.account.as_deref().unwrap()).unwrap();
    assert!(identity.key_index() >= 1);
    assert_eq!(
        store.prekey_count().await.unwrap(),
        INITIAL_PREKEY_COUNT as usize,
        "the initial prekeys were stored and uploaded"
    );
    assert_eq!(client.jid(), Some(jid.clone()));

    client.disconnect().await;
    assert!(matches!(
        next_significant(&mut events).await,
        Event::Disconnected {
            reason: DisconnectReason::Requested,
            reconnect_in: None
        }
    ));
    drop(client);
    drop(events);

    // A new client over the same store logs straight in: no QR, no new prekeys.
    let (client, mut events) = wasndr_client::client(&sim, store.clone());
    client.connect().await.unwrap();
    assert_eq!(until_connected(&mut events).await, jid);
    assert!(sim.is_connected(PHONE, jid.device()));
    assert_eq!(store.prekey_count().await.unwrap(), INITIAL_PREKEY_COUNT as usize);
    assert_eq!(sim.phones()[0].devices, vec![0, jid.device()], "no second device");
    client.disconnect().await;
}

#[tokio::test]
async fn pairs_by_phone_number_code() {
    let sim = wasndr_client::simulator().await;
    sim.create_phone(PHONE).await.unwrap();
    let store = memory_store();
    let (client, mut events) = wasndr_client::client(&sim, store.clone());
    client.connect().await.unwrap();
    // Right after connect, as whatsmeow recommends: the call waits for the registration connection.
    let code = client.pair_phone(&format!("+{PHONE}"), true).await.unwrap();
    assert_eq!(code.len(), 9);
    let shown = loop {
        match next_event(&mut events).await {
            Event::PairCode { code } => break code,
            Event::Qr { .. } => {}
            other => panic!("expected the pair code, got {other:?}"),
        }
    };
    assert_eq!(shown, code);

    // The user types it on the phone, lower case.
    let paired = sim.enter_link_code(PHONE, &code.to_lowercase()).await.unwrap();
    let jid = paired_then_connected(&mut events).await;
    assert_eq!(jid.to_string(), paired);
    let device = store.load_device().await.unwrap().unwrap();
    assert_eq!(device.jid, Some(jid.clone()));
    assert!(sim.is_connected(PHONE, jid.device()));
    client.disconnect().await;
}

#[tokio::test]
async fn a_wrong_code_does_not_pair() {
    let sim = wasndr_client::simulator().await;
    sim.create_phone(PHONE).await.unwrap();
    let store = memory_store();
    let (client, mut events) = wasndr_client::client(&sim, store.clone());
    client.connect().await.unwrap();
    let code = client.pair_phone(PHONE, false).await.unwrap();
    // Another first character from the code alphabet.
    let first = if code.starts_with('A') { 'B' } else { 'A' };
    let mistyped = format!("{first}{}", &code[1..]);
    assert!(sim.enter_link_code(PHONE, &mistyped).await.is_err());
    // Nothing was paired; the registration goes on (QRs keep coming).
    assert!(!store.load_device().await.unwrap().unwrap().is_paired());
    assert_eq!(sim.phones()[0].devices, vec![0]);
    loop {
        match next_event(&mut events).await {
            Event::PairCode { .. } | Event::Qr { .. } => {}
            Event::PairError { .. } => break,
            other => panic!("expected the pairing to be refused, got {other:?}"),
        }
    }
    assert_eq!(client.state(), ConnectionState::Pairing);
    client.disconnect().await;
}

#[tokio::test]
async fn qr_expiry_without_a_scan_ends_in_a_clear_event() {
    // Real windows scaled down 100 times: 0.6 s for the first QR, 0.2 s for each of the five others.
    let sim = Simulator::start(SimConfig {
        time_scale: 0.01,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let mut config = config(&sim);
    // The client shows each QR as long as the server keeps its ref: either side may notice first.
    config.qr = QrTimings {
        first: Duration::from_millis(600),
        next: Duration::from_millis(200),
    };
    let (client, mut events) = Client::builder(memory_store()).config(config).build();
    client.connect().await.unwrap();
    let mut shown = vec![first_qr(&mut events).await];
    let expired = loop {
        match next_event(&mut events).await {
            Event::Qr { code, .. } => shown.push(code),
            Event::QrExpired => break true,
            other => panic!("expected QRs then QrExpired, got {other:?}"),
        }
    };
    assert!(expired);
    assert_eq!(shown.len(), 6, "one QR per ref");
    shown.dedup();
    assert_eq!(shown.len(), 6, "each QR differs");
    assert_eq!(client.state(), ConnectionState::Disconnected);
    // And the client stays down: no new registration behind the application's back.
    assert!(
        tokio::time::timeout(Duration::from_secs(1), events.recv())
            .await
            .is_err()
    );
    assert_eq!(client.state(), ConnectionState::Disconnected);
}
