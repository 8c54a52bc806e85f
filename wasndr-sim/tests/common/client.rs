//! A minimal companion for tests, built from wasndr-core's pure pieces (Noise initiator, binary codec,
//! pairing): enough to pair by QR, log in and exchange raw stanzas with the simulator. The real Client
//! lives in wasndr-core's client module; this one exists so the simulator is tested on its own.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use wasndr_core::binary::{self, Node};
use wasndr_core::crypto::{KeyPair, PublicKey};
use wasndr_core::noise::{FrameDecoder, Initiator, RecvCipher, SendCipher, TrustRoot};
use wasndr_core::signal::{IdentityKeyPair, SignedPreKeyRecord};
use wasndr_proto::Message as _;
use wasndr_proto::client_payload::ClientPayload;
use wasndr_proto::client_payload::client_payload::DevicePairingRegistrationData;
use wasndr_sim::SimInfo;

/// Everything a companion keeps between connections.
pub struct CompanionKeys {
    pub noise: KeyPair,
    pub identity: IdentityKeyPair,
    pub registration_id: u32,
    pub signed_prekey: SignedPreKeyRecord,
    pub adv_secret: [u8; 32],
}

impl CompanionKeys {
    pub fn generate(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let identity = IdentityKeyPair::generate(&mut rng);
        let signed_prekey = SignedPreKeyRecord::generate(&identity, 1, 1_700_000_000, &mut rng).unwrap();
        let mut adv_secret = [0u8; 32];
        rand::Rng::fill_bytes(&mut rng, &mut adv_secret);
        Self {
            noise: KeyPair::generate(&mut rng),
            identity,
            registration_id: 4242,
            signed_prekey,
            adv_secret,
        }
    }

    /// The payload of a new device (transport guide A.7, registration column).
    pub fn registration_payload(&self) -> Vec<u8> {
        ClientPayload {
            passive: Some(false),
            connect_type: Some(1),
            connect_reason: Some(1),
            pull: Some(false),
            device_pairing_data: Some(DevicePairingRegistrationData {
                e_regid: Some(self.registration_id.to_be_bytes().to_vec()),
                e_keytype: Some(vec![5]),
                e_ident: Some(self.identity.public().as_bytes().to_vec()),
                e_skey_id: Some(self.signed_prekey.id.to_be_bytes()[1..].to_vec()),
                e_skey_val: Some(self.signed_prekey.key_pair.public.as_bytes().to_vec()),
                e_skey_sig: Some(self.signed_prekey.signature.to_vec()),
                ..Default::default()
            }),
            ..Default::default()
        }
        .encode_to_vec()
    }
}

/// The payload of a paired device logging in.
pub fn login_payload(phone: &str, device: u32, passive: bool) -> Vec<u8> {
    ClientPayload {
        username: Some(phone.parse().unwrap()),
        device: Some(device),
        passive: Some(passive),
        connect_type: Some(1),
        connect_reason: Some(1),
        pull: Some(true),
        ..Default::default()
    }
    .encode_to_vec()
}

pub fn trust_root(info: &SimInfo) -> TrustRoot {
    TrustRoot {
        public_key: PublicKey::from_slice(&hex::decode(&info.root_public_key).unwrap()).unwrap(),
        serial: info.root_serial,
    }
}

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A connected, handshaken test client.
pub struct TestClient {
    socket: Socket,
    send: SendCipher,
    recv: RecvCipher,
    decoder: FrameDecoder,
    queued: VecDeque<Node>,
}

/// Opens a raw WebSocket to the simulator.
pub async fn open(info: &SimInfo) -> Socket {
    tokio_tungstenite::connect_async(info.ws_url.as_str())
        .await
        .unwrap()
        .0
}

impl TestClient {
    /// Connects, runs the Noise handshake against the simulator's root and sends `payload`.
    pub async fn connect(info: &SimInfo, noise: &KeyPair, payload: &[u8]) -> Self {
        let mut socket = open(info).await;
        let mut rng = StdRng::seed_from_u64(9);
        let (awaiting, hello) = Initiator::new(noise.clone(), trust_root(info)).start(&mut rng);
        socket.send(Message::Binary(hello.into())).await.unwrap();
        let mut decoder = FrameDecoder::new();
        let server_hello = loop {
            let Some(Ok(Message::Binary(bytes))) = socket.next().await else {
                panic!("closed during the handshake")
            };
            let mut frames = decoder.decode(&bytes);
            if let Some(frame) = frames.next_frame() {
                break frame.to_vec();
            }
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let ready = awaiting.read_server_hello(&server_hello, now).unwrap();
        let (transport, finish) = ready.write_client_finish(payload).unwrap();
        socket.send(Message::Binary(finish.into())).await.unwrap();
        let (send, recv) = transport.into_split();
        Self {
            socket,
            send,
            recv,
            decoder,
            queued: VecDeque::new(),
        }
    }

    pub async fn send(&mut self, node: &Node) {
        let mut frame = vec![0u8; 3];
        binary::encode_into(node, &mut frame).unwrap();
        self.send.encrypt_frame_in_place(&mut frame).unwrap();
        self.socket.send(Message::Binary(frame.into())).await.unwrap();
    }

    /// The next stanza, or `None` once the server closed the connection (or after 10 s of silence).
    pub async fn recv(&mut self) -> Option<Node> {
        loop {
            if let Some(node) = self.queued.pop_front() {
                return Some(node);
            }
            let message = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .ok()??;
            let Ok(Message::Binary(bytes)) = message else {
                match message {
                    Ok(Message::Close(_)) | Err(_) => return None,
                    _ => continue,
                }
            };
            let mut frames = self.decoder.decode(&bytes);
            while let Some(frame) = frames.next_frame() {
                let mut frame = frame.to_vec();
                let plaintext = self.recv.decrypt_frame_in_place(&mut frame).unwrap();
                self.queued.push_back(binary::decode_owned(plaintext).unwrap());
            }
        }
    }

    /// Skips stanzas until one with `tag` (and, if given, whose `id` matches) arrives.
    pub async fn expect(&mut self, tag: &str) -> Node {
        loop {
            let node = self
                .recv()
                .await
                .unwrap_or_else(|| panic!("closed while waiting for <{tag}>"));
            if node.tag == tag {
                return node;
            }
        }
    }

    /// Sends an iq and returns its answer.
    pub async fn iq(&mut self, node: Node) -> Node {
        let id = node.attr_str("id").unwrap().to_owned();
        self.send(&node).await;
        loop {
            let answer = self.expect("iq").await;
            if answer.attr_str("id") == Some(id.as_str()) {
                return answer;
            }
        }
    }

    /// Waits until the server closes; returns the last stanza it sent before closing, if any.
    pub async fn closed(&mut self) -> Option<Node> {
        let mut last = None;
        while let Some(node) = self.recv().await {
            last = Some(node);
        }
        last
    }
}
