//! Hostile or broken peers: a wrong connection header, garbage instead of a ClientHello, a failed
//! handshake (garbage ClientFinish), transport frames that do not decrypt, and a well-encrypted stanza
//! that is not a binary node. Each time that connection is closed, the simulator keeps running, and a
//! logged-in client on another connection is unaffected (it still gets its pings answered).

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::client::{TestClient, login_payload, open, trust_root};
use common::{pair, simulator};
use futures_util::{SinkExt, StreamExt};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio_tungstenite::tungstenite::Message;
use wasndr_core::binary::Node;
use wasndr_core::crypto::KeyPair;
use wasndr_core::jid::Jid;
use wasndr_core::noise::{FrameDecoder, Initiator, encode_frame};

const PHONE: &str = "15550006666";

/// Reads until the server closes the socket; fails if it stays open.
async fn assert_closed(socket: &mut common::client::Socket) {
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match socket.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the server kept a broken connection open");
}

async fn ping(client: &mut TestClient, id: &str) {
    let answer = client
        .iq(Node::new("iq")
            .attr("id", id.to_owned())
            .attr("to", Jid::server())
            .attr("type", "get")
            .attr("xmlns", "w:p")
            .children([Node::new("ping")]))
        .await;
    assert_eq!(answer.attr_str("type"), Some("result"));
}

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_frame(payload, &mut out).unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_peers_lose_their_connection_and_nobody_else_notices() {
    let sim = simulator().await;
    sim.create_phone(PHONE).await.unwrap();
    let (keys, device) = pair(&sim, PHONE, 21, false).await;
    let info = sim.info();
    let mut good = TestClient::connect(&info, &keys.noise, &login_payload(PHONE, device, false)).await;
    good.expect("success").await;
    ping(&mut good, "p-0").await;

    // 1. Wrong connection header.
    let mut socket = open(&info).await;
    socket
        .send(Message::Binary(b"GET / HTTP/1.1\r\n\r\n".to_vec().into()))
        .await
        .unwrap();
    assert_closed(&mut socket).await;
    ping(&mut good, "p-1").await;

    // 2. Right header, garbage instead of a ClientHello.
    let mut socket = open(&info).await;
    let mut bytes = b"WA\x06\x03".to_vec();
    bytes.extend(frame(&[0xff; 40]));
    socket.send(Message::Binary(bytes.into())).await.unwrap();
    assert_closed(&mut socket).await;
    ping(&mut good, "p-2").await;

    // 3. A real ClientHello, then a ClientFinish that does not decrypt (failed handshake).
    let mut rng = StdRng::seed_from_u64(3);
    let mut socket = open(&info).await;
    let (_, hello) = Initiator::new(KeyPair::generate(&mut rng), trust_root(&info)).start(&mut rng);
    socket.send(Message::Binary(hello.into())).await.unwrap();
    let _server_hello = socket.next().await.unwrap().unwrap();
    let mut finish = vec![0x22, 0x52, 0x0a, 0x30];
    finish.extend([7u8; 48]);
    finish.extend([0x12, 0x20]);
    finish.extend([9u8; 32]);
    socket.send(Message::Binary(frame(&finish).into())).await.unwrap();
    assert_closed(&mut socket).await;
    ping(&mut good, "p-3").await;

    // 4. A completed handshake, then a transport frame that does not decrypt.
    let mut socket = handshaken(&info, &keys).await;
    socket
        .0
        .send(Message::Binary(frame(&[1u8; 64]).into()))
        .await
        .unwrap();
    assert_closed(&mut socket.0).await;
    ping(&mut good, "p-4").await;

    // 5. A completed handshake, then a correctly encrypted frame that is not a binary node.
    let mut socket = handshaken(&info, &keys).await;
    let mut bad = vec![0u8; 3];
    bad.extend([0x00, 0xf8, 0x09, 0xff, 0xff]);
    socket.1.encrypt_frame_in_place(&mut bad).unwrap();
    socket.0.send(Message::Binary(bad.into())).await.unwrap();
    assert_closed(&mut socket.0).await;
    ping(&mut good, "p-5").await;

    // 6. A header split across messages with a frame cut in the middle still works.
    let mut socket = open(&info).await;
    let (awaiting, hello) = Initiator::new(KeyPair::generate(&mut rng), trust_root(&info)).start(&mut rng);
    for chunk in hello.chunks(5) {
        socket.send(Message::Binary(chunk.to_vec().into())).await.unwrap();
    }
    let Some(Ok(Message::Binary(reply))) = socket.next().await else {
        panic!("no ServerHello for a fragmented ClientHello")
    };
    let mut decoder = FrameDecoder::new();
    let mut frames = decoder.decode(&reply);
    let server_hello = frames.next_frame().unwrap().to_vec();
    assert!(awaiting.read_server_hello(&server_hello, now()).is_ok());

    assert!(sim.is_connected(PHONE, device as u16));
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A socket after a full handshake with a registration payload (the server then sends pair-device;
/// the caller sends its garbage right behind the ClientFinish).
async fn handshaken(
    info: &wasndr_sim::SimInfo,
    keys: &common::client::CompanionKeys,
) -> (common::client::Socket, wasndr_core::noise::SendCipher) {
    let mut rng = StdRng::seed_from_u64(4);
    let mut socket = open(info).await;
    let (awaiting, hello) = Initiator::new(keys.noise.clone(), trust_root(info)).start(&mut rng);
    socket.send(Message::Binary(hello.into())).await.unwrap();
    let Some(Ok(Message::Binary(reply))) = socket.next().await else {
        panic!("no ServerHello")
    };
    let mut decoder = FrameDecoder::new();
    let server_hello = decoder.decode(&reply).next_frame().unwrap().to_vec();
    let ready = awaiting.read_server_hello(&server_hello, now()).unwrap();
    let (transport, finish) = ready.write_client_finish(&keys.registration_payload()).unwrap();
    socket.send(Message::Binary(finish.into())).await.unwrap();
    let (send, _) = transport.into_split();
    (socket, send)
}
