//! The client shell against a scripted in-test server built from the Noise responder
//! (`fake_server`): pairing by QR, login, prekey upload, keepalive, IQ correlation and timeouts, clean
//! shutdown, stream errors (515, 401, 440, 503), login failures, dropped TCP connections, QR expiry,
//! an untrusted certificate root, and the event overflow rule.

#![allow(clippy::unwrap_used)]

mod fake_server;

use std::sync::Arc;
use std::time::Duration;

use fake_server::{FakeServer, Scan, ServerConn, pair_device, parse_qr, result_for};
use rand::SeedableRng as _;
use rand::rngs::StdRng;
use wasndr_core::binary::Node;
use wasndr_core::client::{
    Account, Client, ClientConfig, ConnectionState, DeviceKeys, DeviceSlot, DisconnectReason, Event, Events,
    LogoutReason, QrTimings, ReconnectPolicy,
};
use wasndr_core::jid::Jid;
use wasndr_core::login::ClientRequest;
use wasndr_core::signal::{IdentityKeyPair, generate_registration_id};
use wasndr_core::store::{MemoryStore, SignalStore};

const WAIT: Duration = Duration::from_secs(10);

fn signal_store(rng: &mut StdRng) -> Arc<dyn SignalStore> {
    Arc::new(MemoryStore::new(
        IdentityKeyPair::generate(rng),
        generate_registration_id(rng),
    ))
}

/// Test timings: fast reconnects, keepalive off unless a test turns it on.
fn config(server: &FakeServer) -> ClientConfig {
    let mut config = ClientConfig {
        url: server.url.clone(),
        trust_root: server.root,
        ..ClientConfig::default()
    };
    config.reconnect = ReconnectPolicy {
        enabled: true,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
    };
    config.keepalive.min_interval = Duration::from_secs(3600);
    config.keepalive.max_interval = Duration::from_secs(3600);
    config
}

fn build(server: &FakeServer, signal: Arc<dyn SignalStore>, device: DeviceSlot) -> (Client, Events) {
    Client::builder(signal, device).config(config(server)).build()
}

/// A device slot already paired as 15551234567:3.
fn paired_slot(rng: &mut StdRng) -> DeviceSlot {
    let slot = DeviceSlot::new();
    let mut keys = DeviceKeys::generate(rng);
    keys.account = Some(Account {
        jid: Jid::pn("15551234567").with_device(3),
        lid: None,
        platform: Some("android".into()),
        business_name: None,
        signed_identity: vec![1, 2, 3],
        key_index: 1,
    });
    slot.save(keys);
    slot
}

async fn next_event(events: &mut Events) -> Event {
    tokio::time::timeout(WAIT, events.recv())
        .await
        .expect("no event in time")
        .expect("event stream ended")
}

/// The next event that is not a `Disconnected` with a reconnect pending (those come with every drop).
async fn next_significant(events: &mut Events) -> Event {
    loop {
        match next_event(events).await {
            Event::Disconnected {
                reconnect_in: Some(_),
                ..
            } => continue,
            other => return other,
        }
    }
}

/// Connects a paired client and serves its login; returns the server side.
async fn logged_in(
    server: &mut FakeServer,
    client: &Client,
    events: &mut Events,
    server_count: u32,
) -> ServerConn {
    client.connect().await.unwrap();
    let mut conn = server.accept().await;
    assert!(matches!(conn.payload.request, ClientRequest::Login(_)));
    conn.serve_login(server_count).await;
    match next_event(events).await {
        Event::Connected { jid } => assert_eq!(jid.to_string(), "15551234567:3@s.whatsapp.net"),
        other => panic!("expected Connected, got {other:?}"),
    }
    assert_eq!(client.state(), ConnectionState::Connected);
    conn
}

#[tokio::test]
async fn pairs_by_qr_then_logs_in_after_515() {
    let mut rng = StdRng::seed_from_u64(1);
    let mut server = FakeServer::start().await;
    let signal = signal_store(&mut rng);
    let device = DeviceSlot::new();
    let (client, mut events) = build(&server, signal.clone(), device.clone());
    client.connect().await.unwrap();

    // Registration: the payload carries our Signal identity and a verifiable signed prekey.
    let mut conn = server.accept().await;
    assert_eq!(conn.origin.as_deref(), Some("https://web.whatsapp.com"));
    let ClientRequest::Register(registration) = &conn.payload.request else {
        panic!("expected a registration payload");
    };
    let identity = signal.identity_key_pair().await.unwrap();
    assert_eq!(&registration.identity, identity.public());
    assert!(registration.signed_prekey_signature_is_valid());
    assert_eq!(
        registration.registration_id,
        signal.local_registration_id().await.unwrap()
    );

    conn.send(&pair_device("pd-1", &["2@first", "2@second", "2@third"]))
        .await;
    let ack = conn.recv().await;
    assert_eq!(ack.attr_str("type"), Some("result"));
    assert_eq!(ack.attr_str("id"), Some("pd-1"));
    assert!(ack.child_nodes().is_empty());

    let Event::Qr {
        code,
        index,
        remaining,
        valid_for,
    } = next_event(&mut events).await
    else {
        panic!("expected a QR");
    };
    assert_eq!((index, remaining, valid_for), (0, 2, Duration::from_secs(60)));
    let qr = parse_qr(&code);
    assert_eq!(qr.reference, "2@first");
    assert_eq!(
        qr.noise,
        *conn.client_static.as_bytes(),
        "QR shows the Noise static key"
    );
    assert_eq!(qr.identity, *identity.public().as_bytes());
    assert_eq!(qr.client_type, "1", "Chrome");
    assert_eq!(client.state(), ConnectionState::Pairing);

    // The phone scans.
    let mut scan = Scan::new(&mut rng);
    conn.send(&scan.pair_success(&qr, "ps-1", &mut rng)).await;
    let answer = conn.recv().await;
    assert_eq!(answer.attr_str("id"), Some("ps-1"));
    scan.check_sign(&answer, &qr);
    match next_event(&mut events).await {
        Event::Paired {
            jid, lid, platform, ..
        } => {
            assert_eq!(jid, scan.jid);
            assert_eq!(lid, Some(scan.lid.clone()));
            assert_eq!(platform.as_deref(), Some("android"));
        }
        other => panic!("expected Paired, got {other:?}"),
    }
    let account = device.account().expect("pairing stored before the reply");
    assert_eq!(account.key_index, 7);

    // 515: the client reconnects at once and logs in with the same Noise key.
    conn.send(&Node::new("stream:error").attr("code", "515")).await;
    conn.close().await;
    assert!(matches!(
        next_event(&mut events).await,
        Event::Disconnected {
            reason: DisconnectReason::RestartRequired,
            reconnect_in: Some(Duration::ZERO)
        }
    ));
    let mut conn = server.accept().await;
    let ClientRequest::Login(login) = &conn.payload.request else {
        panic!("expected a login payload");
    };
    assert_eq!(login.device_jid(), scan.jid);
    assert!(login.passive);
    assert_eq!(conn.client_static.as_bytes(), &qr.noise);

    // success → count 0 → 812 prekeys stored and uploaded → active → Connected.
    let upload = conn.serve_login(0).await.expect("prekeys uploaded");
    let list = upload.child("list").unwrap();
    assert_eq!(list.child_nodes().len(), 812);
    let first_id = list.child_nodes()[0]
        .child("id")
        .unwrap()
        .content_bytes()
        .unwrap();
    assert_eq!(first_id, &[0, 0, 1]);
    assert_eq!(
        upload.child("registration").unwrap().content_bytes().unwrap(),
        &signal.local_registration_id().await.unwrap().to_be_bytes()
    );
    assert_eq!(
        upload
            .child("skey")
            .unwrap()
            .child("signature")
            .unwrap()
            .content_bytes()
            .unwrap()
            .len(),
        64
    );
    assert_eq!(signal.prekey_count().await.unwrap(), 812);
    assert!(matches!(next_event(&mut events).await, Event::Connected { .. }));
    assert_eq!(
        device.account().unwrap().lid.map(|l| l.to_string()).as_deref(),
        Some("98765432109876:3@lid"),
        "the LID from <success> is stored"
    );

    // Offline backlog done; dirty notice cleaned; notification acked.
    conn.send(&Node::new("ib").children([Node::new("offline").attr("count", "3")]))
        .await;
    assert!(matches!(
        next_event(&mut events).await,
        Event::OfflineSyncCompleted { count: 3 }
    ));
    conn.send(
        &Node::new("ib").children([Node::new("dirty")
            .attr("type", "account_sync")
            .attr("timestamp", "1700000000")]),
    )
    .await;
    let clean = conn.expect_iq("urn:xmpp:whatsapp:dirty").await;
    let clean_child = clean.child("clean").unwrap();
    assert_eq!(clean_child.attr_str("type"), Some("account_sync"));
    assert_eq!(clean_child.attr_str("timestamp"), Some("1700000000"));
    conn.send(
        &Node::new("notification")
            .attr("from", Jid::server())
            .attr("id", "n-1")
            .attr("type", "encrypt")
            .children([Node::new("count").attr("value", "3")]),
    )
    .await;
    let ack = conn.recv().await;
    assert_eq!(ack.tag, "ack");
    assert_eq!(ack.attr_str("class"), Some("notification"));
    assert_eq!(ack.attr_str("id"), Some("n-1"));
    assert_eq!(ack.attr_str("type"), Some("encrypt"));
    // Low count: a refill of 50 follows, ids continuing after the first 812.
    let refill = conn.expect_iq("encrypt").await;
    let list = refill.child("list").unwrap();
    assert_eq!(list.child_nodes().len(), 50);
    assert_eq!(
        list.child_nodes()[0]
            .child("id")
            .unwrap()
            .content_bytes()
            .unwrap(),
        &813u32.to_be_bytes()[1..]
    );
    conn.reply(&refill, vec![]).await;

    client.disconnect().await;
    assert!(matches!(
        next_significant(&mut events).await,
        Event::Disconnected {
            reason: DisconnectReason::Requested,
            reconnect_in: None
        }
    ));
    assert_eq!(client.state(), ConnectionState::Disconnected);

    // Rebuilt over the same stores, the client logs straight in.
    drop(client);
    let (client, mut events) = build(&server, signal.clone(), device.clone());
    client.connect().await.unwrap();
    let mut conn = server.accept().await;
    assert!(matches!(conn.payload.request, ClientRequest::Login(_)));
    assert!(
        conn.serve_login(812).await.is_none(),
        "no upload when the server has enough"
    );
    assert!(matches!(next_event(&mut events).await, Event::Connected { .. }));
    client.disconnect().await;
}

#[tokio::test]
async fn forged_pair_success_is_refused() {
    let mut rng = StdRng::seed_from_u64(2);
    let mut server = FakeServer::start().await;
    let device = DeviceSlot::new();
    let (client, mut events) = build(&server, signal_store(&mut rng), device.clone());
    client.connect().await.unwrap();
    let mut conn = server.accept().await;
    conn.send(&pair_device("pd", &["2@only"])).await;
    conn.recv().await;
    let Event::Qr { code, .. } = next_event(&mut events).await else {
        panic!("expected a QR")
    };
    let qr = parse_qr(&code);

    for (corrupt_hmac, expected_text) in [(true, "hmac-mismatch"), (false, "signature-mismatch")] {
        let mut scan = Scan::new(&mut rng);
        scan.corrupt_hmac = corrupt_hmac;
        scan.corrupt_signature = !corrupt_hmac;
        conn.send(&scan.pair_success(&qr, "ps", &mut rng)).await;
        let answer = conn.recv().await;
        assert_eq!(answer.attr_str("type"), Some("error"), "{answer}");
        let error = answer.child("error").unwrap();
        assert_eq!(error.attr_str("code"), Some("401"));
        assert_eq!(error.attr_str("text"), Some(expected_text));
        assert!(matches!(next_event(&mut events).await, Event::PairError { .. }));
        assert!(device.account().is_none(), "nothing stored");
    }
    client.disconnect().await;
}

#[tokio::test]
async fn qr_codes_rotate_and_expire_with_a_clear_event() {
    let mut rng = StdRng::seed_from_u64(3);
    let mut server = FakeServer::start().await;
    let mut config = config(&server);
    config.qr = QrTimings {
        first: Duration::from_millis(300),
        next: Duration::from_millis(100),
    };
    let (client, mut events) = Client::builder(signal_store(&mut rng), DeviceSlot::new())
        .config(config)
        .build();
    client.connect().await.unwrap();
    let mut conn = server.accept().await;
    conn.send(&pair_device("pd", &["2@a", "2@b", "2@c"])).await;
    conn.recv().await;
    let mut refs = Vec::new();
    for expected in [(0, 2, 300), (1, 1, 100), (2, 0, 100)] {
        let Event::Qr {
            code,
            index,
            remaining,
            valid_for,
        } = next_event(&mut events).await
        else {
            panic!("expected a QR")
        };
        assert_eq!(
            (index, remaining, valid_for),
            (expected.0, expected.1, Duration::from_millis(expected.2))
        );
        refs.push(parse_qr(&code).reference);
    }
    assert_eq!(refs, ["2@a", "2@b", "2@c"]);
    assert!(matches!(next_event(&mut events).await, Event::QrExpired));
    // The connection is closed and nothing reconnects.
    assert!(conn.recv_within(Duration::from_secs(2)).await.is_none());
    assert!(server.accept_within(Duration::from_millis(500)).await.is_none());
    assert_eq!(client.state(), ConnectionState::Disconnected);
}

#[tokio::test]
async fn stream_error_401_logs_out_and_clears_the_device() {
    let mut rng = StdRng::seed_from_u64(4);
    let mut server = FakeServer::start().await;
    let device = paired_slot(&mut rng);
    let (client, mut events) = build(&server, signal_store(&mut rng), device.clone());
    let mut conn = logged_in(&mut server, &client, &mut events, 100).await;
    conn.send(
        &Node::new("stream:error")
            .attr("code", "401")
            .children([Node::new("conflict").attr("type", "device_removed")]),
    )
    .await;
    assert!(matches!(
        next_event(&mut events).await,
        Event::LoggedOut {
            reason: LogoutReason::DeviceRemoved
        }
    ));
    assert!(device.load().is_none(), "device cleared");
    assert!(server.accept_within(Duration::from_millis(500)).await.is_none());
    assert_eq!(client.state(), ConnectionState::LoggedOut);
}

#[tokio::test]
async fn replaced_stream_is_not_fought() {
    let mut rng = StdRng::seed_from_u64(5);
    let mut server = FakeServer::start().await;
    let device = paired_slot(&mut rng);
    let (client, mut events) = build(&server, signal_store(&mut rng), device.clone());
    let mut conn = logged_in(&mut server, &client, &mut events, 100).await;
    conn.send(&Node::new("stream:error").children([Node::new("conflict").attr("type", "replaced")]))
        .await;
    assert!(matches!(next_event(&mut events).await, Event::StreamReplaced));
    assert!(server.accept_within(Duration::from_millis(500)).await.is_none());
    assert_eq!(client.state(), ConnectionState::Disconnected);
    assert!(device.account().is_some(), "still paired");

    // Code 440 without a conflict child means the same.
    client.connect().await.unwrap();
    let mut conn = server.accept().await;
    conn.serve_login(100).await;
    assert!(matches!(next_event(&mut events).await, Event::Connected { .. }));
    conn.send(&Node::new("stream:error").attr("code", "440")).await;
    assert!(matches!(next_event(&mut events).await, Event::StreamReplaced));
}

#[tokio::test]
async fn server_errors_and_dropped_connections_reconnect_with_backoff() {
    let mut rng = StdRng::seed_from_u64(6);
    let mut server = FakeServer::start().await;
    let (client, mut events) = build(&server, signal_store(&mut rng), paired_slot(&mut rng));
    let mut conn = logged_in(&mut server, &client, &mut events, 100).await;

    conn.send(&Node::new("stream:error").attr("code", "503")).await;
    match next_event(&mut events).await {
        Event::Disconnected {
            reason: DisconnectReason::StreamError { code: Some(503) },
            reconnect_in: Some(delay),
        } => assert!(delay <= Duration::from_millis(200)),
        other => panic!("expected a 503 disconnect, got {other:?}"),
    }
    let conn = logged_in_again(&mut server, &mut events).await;

    // The TCP connection drops without a WebSocket close.
    conn.drop_tcp();
    match next_event(&mut events).await {
        Event::Disconnected {
            reason: DisconnectReason::ServerClosed | DisconnectReason::ConnectionLost(_),
            reconnect_in: Some(_),
        } => {}
        other => panic!("expected a lost connection, got {other:?}"),
    }
    let mut conn = logged_in_again(&mut server, &mut events).await;

    // A refused login with 503 is retried too; a 515 during login restarts at once.
    conn.send(&Node::new("xmlstreamend")).await;
    assert!(matches!(
        next_event(&mut events).await,
        Event::Disconnected {
            reason: DisconnectReason::ServerClosed,
            ..
        }
    ));
    let mut conn = server.accept().await;
    conn.send(&Node::new("failure").attr("reason", "503")).await;
    assert!(matches!(
        next_event(&mut events).await,
        Event::Disconnected {
            reason: DisconnectReason::LoginFailed { reason: 503 },
            reconnect_in: Some(_)
        }
    ));
    logged_in_again(&mut server, &mut events).await;
    client.disconnect().await;
}

async fn logged_in_again(server: &mut FakeServer, events: &mut Events) -> ServerConn {
    let mut conn = server.accept().await;
    assert!(matches!(conn.payload.request, ClientRequest::Login(_)));
    conn.serve_login(100).await;
    assert!(matches!(next_event(events).await, Event::Connected { .. }));
    conn
}

#[tokio::test]
async fn login_failures_end_in_the_right_state() {
    let mut rng = StdRng::seed_from_u64(7);
    let mut server = FakeServer::start().await;

    let device = paired_slot(&mut rng);
    let (client, mut events) = build(&server, signal_store(&mut rng), device.clone());
    client.connect().await.unwrap();
    server
        .accept()
        .await
        .send(&Node::new("failure").attr("reason", "401"))
        .await;
    assert!(matches!(
        next_event(&mut events).await,
        Event::LoggedOut {
            reason: LogoutReason::LoginRefused { reason: 401 }
        }
    ));
    assert!(device.load().is_none());

    let (client, mut events) = build(&server, signal_store(&mut rng), paired_slot(&mut rng));
    client.connect().await.unwrap();
    server
        .accept()
        .await
        .send(&Node::new("failure").attr("reason", "405"))
        .await;
    assert!(matches!(next_event(&mut events).await, Event::ClientOutdated));
    assert!(server.accept_within(Duration::from_millis(300)).await.is_none());
    assert_eq!(client.state(), ConnectionState::Disconnected);
}

#[tokio::test]
async fn keepalive_pings_are_sent_and_a_silent_server_is_left() {
    let mut rng = StdRng::seed_from_u64(8);
    let mut server = FakeServer::start().await;
    let mut config = config(&server);
    config.keepalive.min_interval = Duration::from_millis(100);
    config.keepalive.max_interval = Duration::from_millis(150);
    config.keepalive.deadline = Duration::from_millis(300);
    let (client, mut events) = Client::builder(signal_store(&mut rng), paired_slot(&mut rng))
        .config(config)
        .build();
    let mut conn = logged_in(&mut server, &client, &mut events, 100).await;
    // Answered pings keep the connection up.
    assert!(conn.recv_within(Duration::from_millis(800)).await.is_none());
    assert!(conn.pings >= 3, "only {} pings", conn.pings);
    // Unanswered, the next one times out and the client reconnects.
    conn.answer_pings = false;
    let _ = conn.recv_within(Duration::from_millis(600)).await;
    assert!(matches!(
        next_event(&mut events).await,
        Event::Disconnected {
            reason: DisconnectReason::KeepaliveTimeout,
            reconnect_in: Some(_)
        }
    ));
    let mut conn = server.accept().await;
    conn.serve_login(100).await;
    assert!(matches!(next_event(&mut events).await, Event::Connected { .. }));
    client.disconnect().await;
}

#[tokio::test]
async fn iq_answers_are_matched_by_id_and_unanswered_ones_time_out() {
    let mut rng = StdRng::seed_from_u64(9);
    let mut server = FakeServer::start().await;
    let mut config = config(&server);
    config.iq_timeout = Duration::from_millis(300);
    let (client, mut events) = Client::builder(signal_store(&mut rng), paired_slot(&mut rng))
        .config(config)
        .build();
    let mut conn = logged_in(&mut server, &client, &mut events, 100).await;

    let query = |xmlns: &'static str| {
        Node::new("iq")
            .attr("to", Jid::server())
            .attr("type", "get")
            .attr("xmlns", xmlns)
    };
    let first = tokio::spawn({
        let client = client.clone();
        async move { client.send_iq(query("one")).await }
    });
    let second = tokio::spawn({
        let client = client.clone();
        async move { client.send_iq(query("two")).await }
    });
    let a = conn.recv().await;
    let b = conn.recv().await;
    assert_ne!(a.attr_str("id"), b.attr_str("id"));
    // Answer in reverse order, each with a marker child.
    for iq in [&b, &a] {
        let marker = iq.attr_str("xmlns").unwrap().to_owned();
        conn.reply(iq, vec![Node::new(marker)]).await;
    }
    assert!(first.await.unwrap().unwrap().child("one").is_some());
    assert!(second.await.unwrap().unwrap().child("two").is_some());

    // An error answer is an error.
    let failing = tokio::spawn({
        let client = client.clone();
        async move { client.send_iq(query("bad")).await }
    });
    let iq = conn.recv().await;
    conn.send(
        &Node::new("iq")
            .attr("type", "error")
            .attr("id", iq.attr_str("id").unwrap().to_owned())
            .children([Node::new("error")
                .attr("code", "404")
                .attr("text", "item-not-found")]),
    )
    .await;
    assert_eq!(
        failing.await.unwrap(),
        Err(wasndr_core::Error::IqError {
            code: 404,
            text: "item-not-found".into()
        })
    );

    // No answer: a timeout naming the id; a late answer is ignored.
    let result = client.send_iq(query("silent")).await;
    let iq = conn.recv().await;
    assert_eq!(
        result,
        Err(wasndr_core::Error::RequestTimedOut {
            id: iq.attr_str("id").unwrap().to_owned()
        })
    );
    conn.reply(&iq, vec![]).await;

    // After disconnect, sending fails at once.
    client.disconnect().await;
    assert_eq!(
        client.send_iq(query("late")).await,
        Err(wasndr_core::Error::NotConnected)
    );
}

#[tokio::test]
async fn disconnect_flushes_queued_stanzas_then_closes() {
    let mut rng = StdRng::seed_from_u64(10);
    let mut server = FakeServer::start().await;
    let (client, mut events) = build(&server, signal_store(&mut rng), paired_slot(&mut rng));
    let mut conn = logged_in(&mut server, &client, &mut events, 100).await;
    for i in 0..20 {
        client
            .send_node(&Node::new("presence").attr("n", i.to_string()))
            .await
            .unwrap();
    }
    client.disconnect().await;
    for i in 0..20 {
        let node = conn.recv().await;
        assert_eq!(node.attr_str("n"), Some(i.to_string().as_str()));
    }
    assert!(
        conn.recv_within(Duration::from_secs(2)).await.is_none(),
        "closed after the flush"
    );
}

#[tokio::test]
async fn an_untrusted_certificate_root_fails_the_handshake() {
    let mut rng = StdRng::seed_from_u64(11);
    let mut server = FakeServer::start().await;
    let mut config = config(&server);
    config.trust_root = wasndr_core::noise::TrustRoot::whatsapp_production();
    config.reconnect.enabled = false;
    let (client, mut events) = Client::builder(signal_store(&mut rng), DeviceSlot::new())
        .config(config)
        .build();
    client.connect().await.unwrap();
    // Accept the TCP/WebSocket side by hand: the handshake helper expects a finish that never comes.
    let accepted = tokio::spawn(async move { server.accept_within(Duration::from_secs(3)).await.is_some() });
    match next_event(&mut events).await {
        Event::Disconnected {
            reason: DisconnectReason::HandshakeFailed(reason),
            reconnect_in: None,
        } => assert!(reason.contains("certificate"), "{reason}"),
        other => panic!("expected a handshake failure, got {other:?}"),
    }
    accepted.abort();
}

#[tokio::test]
async fn a_full_event_buffer_drops_and_reports_the_gap() {
    let mut rng = StdRng::seed_from_u64(12);
    let mut server = FakeServer::start().await;
    let mut config = config(&server);
    config.event_capacity = 1;
    config.event_send_timeout = Duration::from_millis(20);
    let (client, mut events) = Client::builder(signal_store(&mut rng), paired_slot(&mut rng))
        .config(config)
        .build();
    client.connect().await.unwrap();
    let mut conn = server.accept().await;
    conn.serve_login(100).await;
    // Connected (emitted by the post-login task) fills the buffer; the next three notices cannot fit.
    while events.is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for count in 1..=3 {
        conn.send(&Node::new("ib").children([Node::new("offline").attr("count", count.to_string())]))
            .await;
    }
    // The driver still answers IQs while the application is not reading.
    let iq = Node::new("iq")
        .attr("to", Jid::server())
        .attr("type", "get")
        .attr("xmlns", "x");
    let pending = tokio::spawn({
        let client = client.clone();
        async move { client.send_iq(iq).await }
    });
    let asked = conn.recv().await;
    conn.send(&result_for(&asked, vec![])).await;
    pending.await.unwrap().unwrap();

    assert!(matches!(events.recv().await, Some(Event::Lagged { missed: 3 })));
    let next = events.recv().await;
    assert!(matches!(next, Some(Event::Connected { .. })), "{next:?}");
    client.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_clients_in_one_process() {
    let server = FakeServer::start().await;
    let config = config(&server);
    let (listener, keys) = server.into_parts();
    let serving = tokio::spawn(async move {
        let mut seed = 0;
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            seed += 1;
            let keys = keys.clone();
            tokio::spawn(async move {
                let mut rng = StdRng::seed_from_u64(seed);
                // The server holds enough prekeys: no upload, so debug builds stay quick.
                fake_server::handshake(&keys, tcp, &mut rng)
                    .await
                    .serve_idle(812)
                    .await;
            });
        }
    });
    let mut clients = Vec::new();
    for i in 0..200u64 {
        let mut rng = StdRng::seed_from_u64(1000 + i);
        let (client, events) = Client::builder(signal_store(&mut rng), paired_slot(&mut rng))
            .config(config.clone())
            .build();
        client.connect().await.unwrap();
        clients.push((client, events));
    }
    for (client, events) in &mut clients {
        assert!(matches!(next_event(events).await, Event::Connected { .. }));
        assert_eq!(client.state(), ConnectionState::Connected);
    }
    // Every one answers an IQ round trip through its own connection.
    for (client, _) in &clients {
        let iq = Node::new("iq")
            .attr("to", Jid::server())
            .attr("type", "get")
            .attr("xmlns", "probe");
        client.send_iq(iq).await.unwrap();
    }
    for (client, _) in &clients {
        client.disconnect().await;
    }
    serving.abort();
}
