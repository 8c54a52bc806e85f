//! wasndr-core's `Client` staying connected to the simulator, and ending up in the right state when
//! it cannot: the device removed from the phone (401 device_removed), the same device connecting
//! twice (440 replaced), a dropped TCP connection, and a logout. (The 515 restart is part of every
//! pairing; see client_pairing.rs.)

#![allow(clippy::unwrap_used)]

mod wasndr_client;

use std::time::Duration;

use wasndr_client::{
    Proxy, client, config, first_qr, memory_store, next_significant, pair_by_qr, until_connected,
};
use wasndr_core::client::{Client, ConnectionState, DisconnectReason, Event, LogoutReason};

const PHONE: &str = "15550002222";

#[tokio::test]
async fn device_removed_on_the_phone_logs_out_and_wipes_the_store() {
    let sim = wasndr_client::simulator().await;
    sim.create_phone(PHONE).await.unwrap();
    let store = memory_store();
    let (client, mut events, jid) = pair_by_qr(&sim, PHONE, store.clone()).await;
    store.save_setting("app", b"state").await.unwrap();

    assert!(sim.remove_device(PHONE, jid.device()).unwrap());
    assert!(matches!(
        next_significant(&mut events).await,
        Event::LoggedOut {
            reason: LogoutReason::DeviceRemoved
        }
    ));
    assert_eq!(client.state(), ConnectionState::LoggedOut);
    assert!(store.load_device().await.unwrap().is_none(), "device wiped");
    assert_eq!(store.prekey_count().await.unwrap(), 0, "Signal state wiped");
    assert_eq!(store.setting("app").await.unwrap(), None, "everything wiped");
    assert_eq!(client.jid(), None);
    // It does not try to log in again; connecting registers a new device.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!sim.is_connected(PHONE, jid.device()));
    client.connect().await.unwrap();
    first_qr(&mut events).await;
    assert_eq!(client.state(), ConnectionState::Pairing);
    let fresh = store.load_device().await.unwrap().unwrap();
    assert!(!fresh.is_paired());
    client.disconnect().await;
}

#[tokio::test]
async fn the_same_device_connecting_twice_leaves_the_newer_connection_alone() {
    let sim = wasndr_client::simulator().await;
    sim.create_phone(PHONE).await.unwrap();
    let store = memory_store();
    let (first, mut first_events, jid) = pair_by_qr(&sim, PHONE, store.clone()).await;

    // A second client over the same device logs in: the server replaces the first connection (440).
    let (second, mut second_events) = client(&sim, store.clone());
    second.connect().await.unwrap();
    assert_eq!(until_connected(&mut second_events).await, jid);
    assert!(matches!(
        next_significant(&mut first_events).await,
        Event::StreamReplaced
    ));
    assert_eq!(first.state(), ConnectionState::Disconnected);
    assert!(
        store.load_device().await.unwrap().unwrap().is_paired(),
        "a replaced stream keeps the device"
    );

    // The first does not fight back: a while later the second is still the one connected.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(second.state(), ConnectionState::Connected);
    assert!(sim.is_connected(PHONE, jid.device()));
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(200), second_events.recv()).await {
        assert!(
            !matches!(
                event,
                Event::Disconnected { .. } | Event::StreamReplaced | Event::LoggedOut { .. }
            ),
            "the second connection was disturbed: {event:?}"
        );
    }
    second.disconnect().await;
}

#[tokio::test]
async fn a_dropped_tcp_connection_reconnects_and_logs_in_again() {
    let sim = wasndr_client::simulator().await;
    sim.create_phone(PHONE).await.unwrap();
    let store = memory_store();
    let (paired, _events, jid) = pair_by_qr(&sim, PHONE, store.clone()).await;
    paired.disconnect().await;

    let proxy = Proxy::start(&sim).await;
    let mut config = config(&sim);
    config.url = proxy.url.clone();
    let (client, mut events) = Client::builder(store.clone()).config(config).build();
    client.connect().await.unwrap();
    assert_eq!(until_connected(&mut events).await, jid);

    for _ in 0..2 {
        proxy.cut();
        match next_significant(&mut events).await {
            Event::Disconnected {
                reason: DisconnectReason::ConnectionLost(_) | DisconnectReason::ServerClosed,
                reconnect_in: Some(_),
            } => {}
            other => panic!("expected a lost connection, got {other:?}"),
        }
        assert!(matches!(
            client.state(),
            ConnectionState::Reconnecting | ConnectionState::Connecting | ConnectionState::LoggingIn
        ));
        assert_eq!(until_connected(&mut events).await, jid);
        assert_eq!(client.state(), ConnectionState::Connected);
        assert!(sim.is_connected(PHONE, jid.device()));
    }
    // Still the same device: nothing re-paired.
    assert_eq!(sim.phones()[0].devices, vec![0, jid.device()]);
    client.disconnect().await;
}

#[tokio::test]
async fn logout_unlinks_the_device_on_the_phone_and_wipes_the_store() {
    let sim = wasndr_client::simulator().await;
    sim.create_phone(PHONE).await.unwrap();
    let store = memory_store();
    let (client, mut events, jid) = pair_by_qr(&sim, PHONE, store.clone()).await;
    client.logout().await.unwrap();
    assert!(matches!(
        next_significant(&mut events).await,
        Event::LoggedOut {
            reason: LogoutReason::Requested
        }
    ));
    // Exactly one LoggedOut, even though the server also ended the stream with device_removed.
    assert!(!matches!(
        tokio::time::timeout(Duration::from_millis(300), events.recv()).await,
        Ok(Some(Event::LoggedOut { .. }))
    ));
    assert_eq!(client.state(), ConnectionState::LoggedOut);
    assert_eq!(sim.phones()[0].devices, vec![0], "the phone no longer lists it");
    assert!(store.load_device().await.unwrap().is_none());
    assert!(!sim.is_connected(PHONE, jid.device()));
}

#[tokio::test]
async fn stanzas_queued_while_offline_arrive_after_reconnecting() {
    let sim = wasndr_client::simulator().await;
    sim.create_phone(PHONE).await.unwrap();
    let peer = "15550003333";
    sim.create_phone(peer).await.unwrap();
    let store = memory_store();
    let (client, mut events, jid) = pair_by_qr(&sim, PHONE, store.clone()).await;
    client.disconnect().await;
    assert!(matches!(
        next_significant(&mut events).await,
        Event::Disconnected {
            reason: DisconnectReason::Requested,
            ..
        }
    ));

    // The peer writes while our companion is away (once the simulator has seen it go: what it writes
    // to a connection that is closing is lost, as it keeps no unacknowledged stanzas).
    tokio::time::timeout(wasndr_client::WAIT, async {
        while sim.is_connected(PHONE, jid.device()) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    let mut sent = Vec::new();
    for text in ["one", "two"] {
        sent.push(sim.send_text(peer, PHONE, text).await.unwrap());
    }
    client.connect().await.unwrap();
    // Connected comes first: the backlog follows the answer to <active/> on the wire.
    match wasndr_client::next_event(&mut events).await {
        Event::Connected { jid: connected } => assert_eq!(connected, jid),
        other => panic!("expected Connected before the backlog, got {other:?}"),
    }
    let mut delivered = Vec::new();
    let count = loop {
        match wasndr_client::next_event(&mut events).await {
            Event::Message(message) => {
                assert!(message.info.offline, "{:?}", message.info);
                assert_eq!(message.info.sender.user(), peer);
                delivered.push(message.info.id.clone());
            }
            Event::OfflineSyncCompleted { count } => break count,
            other => panic!("expected the offline backlog, got {other:?}"),
        }
    };
    assert_eq!(delivered, sent, "in order, after the reconnect");
    assert_eq!(count as usize, sent.len());
    client.disconnect().await;
}
