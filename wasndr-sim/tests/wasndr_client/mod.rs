//! Helpers for the tests that run wasndr-core's `Client` against the simulator: a client configured
//! for a simulator, event waiting, and pairing by QR through a virtual phone.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use wasndr_core::client::{
    Client, ClientConfig, ConnectionState, DisconnectReason, Event, Events, ReconnectPolicy,
};
use wasndr_core::crypto::PublicKey;
use wasndr_core::jid::Jid;
use wasndr_core::noise::TrustRoot;
use wasndr_core::store::{MemoryStore, Store};
use wasndr_sim::{SimConfig, SimHandle, Simulator};

/// How long a test waits for something that should come: generous, because CI machines are shared and
/// debug builds are slow (nothing here measures speed).
pub const WAIT: Duration = Duration::from_secs(60);

/// A simulator with real-time pairing windows.
pub async fn simulator() -> SimHandle {
    Simulator::start(SimConfig::default()).await.unwrap()
}

/// The simulator's root, as a client trusts it.
pub fn trust_root(sim: &SimHandle) -> TrustRoot {
    let info = sim.info();
    TrustRoot {
        public_key: PublicKey::from_slice(&hex::decode(info.root_public_key).unwrap()).unwrap(),
        serial: info.root_serial,
    }
}

/// A client configuration for `sim`: its URL and root, quick reconnects, keepalive as in production.
pub fn config(sim: &SimHandle) -> ClientConfig {
    let mut config = ClientConfig {
        url: sim.info().ws_url,
        trust_root: trust_root(sim),
        ..ClientConfig::default()
    };
    config.reconnect = ReconnectPolicy {
        enabled: true,
        base_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(500),
    };
    config
}

pub fn memory_store() -> Arc<dyn Store> {
    Arc::new(MemoryStore::empty())
}

/// A client for `sim` over `store`.
pub fn client(sim: &SimHandle, store: Arc<dyn Store>) -> (Client, Events) {
    Client::builder(store).config(config(sim)).build()
}

/// The next event.
pub async fn next_event(events: &mut Events) -> Event {
    tokio::time::timeout(WAIT, events.recv())
        .await
        .expect("no event in time")
        .expect("event stream ended")
}

/// The next event other than QR rotations, offline-sync notices and stanza placeholders.
pub async fn next_significant(events: &mut Events) -> Event {
    loop {
        match next_event(events).await {
            Event::Qr { .. } | Event::OfflineSyncCompleted { .. } | Event::Message(_) | Event::Receipt(_) => {
            }
            other => return other,
        }
    }
}

/// Waits for `Connected`, allowing the restart and reconnect notices on the way; returns our JID.
pub async fn until_connected(events: &mut Events) -> Jid {
    loop {
        match next_significant(events).await {
            Event::Connected { jid } => return jid,
            Event::Disconnected {
                reconnect_in: Some(_),
                ..
            } => {}
            other => panic!("expected Connected, got {other:?}"),
        }
    }
}

/// The first QR the client shows.
pub async fn first_qr(events: &mut Events) -> String {
    loop {
        match next_event(events).await {
            Event::Qr { code, .. } => return code,
            Event::Disconnected {
                reconnect_in: Some(_),
                ..
            } => {}
            other => panic!("expected a QR, got {other:?}"),
        }
    }
}

/// After the phone accepted our `pair-device-sign`: `Paired`, the 515 restart, then the login.
pub async fn paired_then_connected(events: &mut Events) -> Jid {
    let paired = match next_significant(events).await {
        Event::Paired { jid, .. } => jid,
        other => panic!("expected Paired, got {other:?}"),
    };
    assert!(matches!(
        next_significant(events).await,
        Event::Disconnected {
            reason: DisconnectReason::RestartRequired,
            reconnect_in: Some(Duration::ZERO)
        }
    ));
    let connected = until_connected(events).await;
    assert_eq!(connected, paired);
    paired
}

/// Connects a new client over `store`, lets `phone` scan its first QR, and waits until it is logged
/// in. Returns the client, its events and its device JID.
pub async fn pair_by_qr(sim: &SimHandle, phone: &str, store: Arc<dyn Store>) -> (Client, Events, Jid) {
    let (client, mut events) = client(sim, store);
    client.connect().await.unwrap();
    let qr = first_qr(&mut events).await;
    assert_eq!(client.state(), ConnectionState::Pairing);
    let scanned = sim.scan(phone, &qr).await.unwrap();
    let jid = paired_then_connected(&mut events).await;
    assert_eq!(jid.to_string(), scanned);
    assert_eq!(client.state(), ConnectionState::Connected);
    (client, events, jid)
}

/// A TCP forwarder between clients and the simulator whose connections the test can cut, to drop a
/// client's TCP connection without either end closing it cleanly.
pub struct Proxy {
    /// The WebSocket URL to give clients.
    pub url: String,
    cut: tokio::sync::broadcast::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Forwards to the simulator behind `sim`.
    pub async fn start(sim: &SimHandle) -> Proxy {
        let target = sim
            .info()
            .ws_url
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/ws/chat", listener.local_addr().unwrap());
        let (cut, _) = tokio::sync::broadcast::channel(4);
        let cutter = cut.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                let target = target.clone();
                let mut cut = cutter.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.recv() => {
                            // Reset rather than close: the peers see the connection die.
                            let _ = inbound.set_zero_linger();
                            let _ = outbound.set_zero_linger();
                        }
                    }
                });
            }
        });
        Proxy { url, cut, task }
    }

    /// Resets every connection open through the proxy now.
    pub fn cut(&self) {
        let _ = self.cut.send(());
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A hand-built `<message>` carrying one `<enc>` for one device of `to_account`: for tests that encrypt
/// a payload themselves (a raw or unusual message) and send it with `Client::send_node`.
pub fn single_device_message(
    id: &str,
    to_account: &Jid,
    device: &Jid,
    encrypted: wasndr_core::signal::session::CiphertextMessage,
) -> wasndr_core::binary::Node {
    use wasndr_core::binary::Node;
    let enc = Node::new("enc")
        .attr("type", encrypted.enc_type())
        .attr("v", "2")
        .bytes(encrypted.into_serialized());
    Node::new("message")
        .attr("id", id.to_owned())
        .attr("to", to_account.clone())
        .attr("type", "text")
        .children([
            Node::new("participants").children([Node::new("to").attr("jid", device.clone()).children([enc])])
        ])
}
