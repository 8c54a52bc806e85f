//! A minimal WhatsApp-like server for testing the client shell until the simulator lands: the Noise
//! responder with a certificate chain from its own root, and a scripted stanza exchange driven by the
//! test. It answers keepalive pings by itself unless told not to.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::result_large_err)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use futures_util::{SinkExt as _, StreamExt as _};
use rand::SeedableRng as _;
use rand::rngs::StdRng;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use wasndr_core::binary::{self, Node};
use wasndr_core::crypto::{KeyPair, PublicKey, hmac_sha256};
use wasndr_core::jid::Jid;
use wasndr_core::login::{ParsedClientPayload, parse_client_payload};
use wasndr_core::noise::{
    CertificateAuthority, CertificateParams, ClientHeaderReader, FrameDecoder, RecvCipher, Responder,
    SendCipher, TrustRoot,
};
use wasndr_proto::Message as _;
use wasndr_proto::adv::{
    AdvDeviceIdentity, AdvEncryptionType, AdvSignedDeviceIdentity, AdvSignedDeviceIdentityHmac,
};

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// The server's Noise identity: static key and the certificate chain for it, from its own root.
#[derive(Clone)]
pub struct ServerKeys {
    pub root: TrustRoot,
    static_key: KeyPair,
    chain: Vec<u8>,
}

impl ServerKeys {
    pub fn generate(rng: &mut StdRng) -> Self {
        let ca = CertificateAuthority::generate(rng);
        let static_key = KeyPair::generate(rng);
        let window = |serial| CertificateParams {
            serial,
            not_before: now() - 3600,
            not_after: now() + 3600,
        };
        let chain = ca.issue_chain(
            &KeyPair::generate(rng),
            window(1),
            &static_key.public,
            window(2),
            rng,
        );
        Self {
            root: ca.trust_root(),
            static_key,
            chain,
        }
    }
}

/// A listening fake server.
pub struct FakeServer {
    listener: TcpListener,
    pub root: TrustRoot,
    keys: ServerKeys,
    pub url: String,
    rng: StdRng,
}

impl FakeServer {
    pub async fn start() -> Self {
        let mut rng = StdRng::seed_from_u64(0x5eed);
        let keys = ServerKeys::generate(&mut rng);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/ws/chat", listener.local_addr().unwrap());
        Self {
            listener,
            root: keys.root,
            keys,
            url,
            rng,
        }
    }

    /// The listener and keys, for a server that handles connections concurrently.
    pub fn into_parts(self) -> (TcpListener, ServerKeys) {
        (self.listener, self.keys)
    }

    /// Accepts the next connection and runs the handshake.
    pub async fn accept(&mut self) -> ServerConn {
        self.accept_within(Duration::from_secs(10))
            .await
            .expect("no connection came")
    }

    /// The next connection, if one comes within `wait`.
    pub async fn accept_within(&mut self, wait: Duration) -> Option<ServerConn> {
        let (tcp, _) = tokio::time::timeout(wait, self.listener.accept())
            .await
            .ok()?
            .unwrap();
        Some(handshake(&self.keys, tcp, &mut self.rng).await)
    }
}

/// Runs the WebSocket upgrade and the responder side of the handshake on `tcp`.
pub async fn handshake(keys: &ServerKeys, tcp: TcpStream, rng: &mut StdRng) -> ServerConn {
    {
        let mut origin = None;
        let mut ws = tokio_tungstenite::accept_hdr_async(
            tcp,
            |request: &tokio_tungstenite::tungstenite::handshake::server::Request, response| {
                origin = request
                    .headers()
                    .get("origin")
                    .map(|v| v.to_str().unwrap().to_owned());
                Ok(response)
            },
        )
        .await
        .unwrap();
        let mut header = ClientHeaderReader::new();
        let mut decoder = FrameDecoder::new();
        let first = next_binary(&mut ws).await.unwrap();
        let used = header.read(&first).unwrap().expect("header in the first message");
        let hello = decoder.decode(&first[used..]).next_frame().unwrap().to_vec();
        let responder = Responder::new(keys.static_key.clone(), keys.chain.clone());
        let (awaiting, server_hello) = responder.read_client_hello(&hello, rng).unwrap();
        ws.send(Message::Binary(server_hello.into())).await.unwrap();
        let finish = loop {
            let message = next_binary(&mut ws).await.unwrap();
            if let Some(frame) = decoder.decode(&message).next_frame() {
                break frame.to_vec();
            }
        };
        let finished = awaiting.read_client_finish(&finish).unwrap();
        let payload = parse_client_payload(&finished.client_payload).unwrap();
        let (send, recv) = finished.transport.into_split();
        ServerConn {
            ws,
            decoder,
            send,
            recv,
            payload,
            origin,
            client_static: finished.client_static,
            answer_pings: true,
            pings: 0,
        }
    }
}

async fn next_binary(ws: &mut WebSocketStream<TcpStream>) -> Option<Vec<u8>> {
    loop {
        match ws.next().await? {
            Ok(Message::Binary(bytes)) => return Some(bytes.to_vec()),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// One handshaken connection, seen from the server.
pub struct ServerConn {
    ws: WebSocketStream<TcpStream>,
    decoder: FrameDecoder,
    send: SendCipher,
    recv: RecvCipher,
    pub payload: ParsedClientPayload,
    pub origin: Option<String>,
    pub client_static: PublicKey,
    pub answer_pings: bool,
    pub pings: usize,
    // Frames decrypted but not yet handed out.
}

impl ServerConn {
    pub async fn send(&mut self, node: &Node) {
        let payload = binary::encode(node).unwrap();
        let mut frame = Vec::new();
        self.send.encrypt_frame(&payload, &mut frame).unwrap();
        self.ws.send(Message::Binary(frame.into())).await.unwrap();
    }

    /// The next stanza from the client (pings answered on the way unless disabled); `None` when the
    /// client closed or `wait` passed.
    pub async fn recv_within(&mut self, wait: Duration) -> Option<Node> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let message = tokio::time::timeout_at(deadline, next_binary(&mut self.ws))
                .await
                .ok()??;
            let mut nodes = Vec::new();
            {
                let mut frames = self.decoder.decode(&message);
                while let Some(frame) = frames.next_frame() {
                    let mut plain = Vec::new();
                    self.recv.decrypt_frame(frame, &mut plain).unwrap();
                    nodes.push(binary::decode_owned(&plain).unwrap());
                }
            }
            let mut result = None;
            for node in nodes {
                let is_ping = node.tag == "iq" && node.attr_str("xmlns") == Some("w:p");
                if is_ping {
                    self.pings += 1;
                    if self.answer_pings {
                        let answer = result_for(&node, vec![]);
                        self.send(&answer).await;
                    }
                    continue;
                }
                assert!(result.is_none(), "two stanzas in one WebSocket message");
                result = Some(node);
            }
            if result.is_some() {
                return result;
            }
        }
    }

    pub async fn recv(&mut self) -> Node {
        self.recv_within(Duration::from_secs(10))
            .await
            .expect("client sent nothing")
    }

    /// The next iq with this xmlns (other stanzas in between are returned in `skipped`).
    pub async fn expect_iq(&mut self, xmlns: &str) -> Node {
        let node = self.recv().await;
        assert_eq!(node.tag, "iq", "expected an iq xmlns={xmlns}, got {node}");
        assert_eq!(node.attr_str("xmlns"), Some(xmlns), "got {node}");
        node
    }

    pub async fn reply(&mut self, iq: &Node, children: Vec<Node>) {
        let answer = result_for(iq, children);
        self.send(&answer).await;
    }

    /// Answers the post-login sequence: count → (upload) → active. Returns the upload iq if there was one.
    pub async fn serve_login(&mut self, server_count: u32) -> Option<Node> {
        self.send(
            &Node::new("success")
                .attr("t", now().to_string())
                .attr("lid", Jid::lid("98765432109876").with_device(3)),
        )
        .await;
        let count = self.expect_iq("encrypt").await;
        assert!(count.child("count").is_some(), "{count}");
        self.reply(
            &count,
            vec![Node::new("count").attr("value", server_count.to_string())],
        )
        .await;
        let mut upload = None;
        let mut next = self.recv().await;
        if next.attr_str("xmlns") == Some("encrypt") {
            self.reply(&next, vec![]).await;
            upload = Some(next);
            next = self.recv().await;
        }
        assert_eq!(next.attr_str("xmlns"), Some("passive"), "{next}");
        assert!(next.child("active").is_some());
        self.reply(&next, vec![]).await;
        upload
    }

    /// Serves the login, then answers every iq with an empty result (and pings) until the client goes.
    pub async fn serve_idle(mut self, server_count: u32) {
        self.serve_login(server_count).await;
        while let Some(node) = self.recv_within(Duration::from_secs(3600)).await {
            if node.tag == "iq" && matches!(node.attr_str("type"), Some("get" | "set")) {
                self.reply(&node, vec![]).await;
            }
        }
    }

    /// Closes the TCP connection without a WebSocket close.
    pub fn drop_tcp(self) {
        drop(self);
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

pub fn result_for(iq: &Node, children: Vec<Node>) -> Node {
    let node = Node::new("iq")
        .attr("from", Jid::server())
        .attr("type", "result")
        .attr("id", iq.attr_str("id").unwrap().to_owned());
    if children.is_empty() {
        node
    } else {
        node.children(children)
    }
}

/// The parts of a pairing QR string.
pub struct QrParts {
    pub reference: String,
    pub noise: [u8; 32],
    pub identity: [u8; 32],
    pub adv: [u8; 32],
    pub client_type: String,
}

pub fn parse_qr(code: &str) -> QrParts {
    let (prefix, rest) = code.split_once('#').unwrap();
    assert_eq!(prefix, "https://wa.me/settings/linked_devices");
    let parts: Vec<&str> = rest.split(',').collect();
    assert_eq!(parts.len(), 5, "{code}");
    let b64 = |s: &str| -> [u8; 32] {
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .unwrap()
            .try_into()
            .unwrap()
    };
    QrParts {
        reference: parts[0].to_owned(),
        noise: b64(parts[1]),
        identity: b64(parts[2]),
        adv: b64(parts[3]),
        client_type: parts[4].to_owned(),
    }
}

/// What a primary phone sends when it scans a QR, with knobs to break it.
pub struct Scan {
    pub primary: KeyPair,
    pub key_index: u32,
    pub jid: Jid,
    pub lid: Jid,
    pub corrupt_hmac: bool,
    pub corrupt_signature: bool,
    pub details: Vec<u8>,
}

impl Scan {
    pub fn new(rng: &mut StdRng) -> Self {
        Self {
            primary: KeyPair::generate(rng),
            key_index: 7,
            jid: Jid::pn("15551234567").with_device(3),
            lid: Jid::lid("98765432109876").with_device(3),
            corrupt_hmac: false,
            corrupt_signature: false,
            details: Vec::new(),
        }
    }

    /// The pair-success iq for the companion of `qr`.
    pub fn pair_success(&mut self, qr: &QrParts, id: &str, rng: &mut StdRng) -> Node {
        let details = AdvDeviceIdentity {
            raw_id: Some(42),
            timestamp: Some(now()),
            key_index: Some(self.key_index),
            account_type: Some(AdvEncryptionType::E2ee as i32),
            device_type: Some(AdvEncryptionType::E2ee as i32),
        }
        .encode_to_vec();
        self.details = details.clone();
        let mut message = vec![6, 0];
        message.extend_from_slice(&details);
        message.extend_from_slice(&qr.identity);
        let mut signature = self.primary.private.sign(&message, rng);
        if self.corrupt_signature {
            signature[5] ^= 1;
        }
        let signed = AdvSignedDeviceIdentity {
            details: Some(details),
            account_signature_key: Some(self.primary.public.as_bytes().to_vec()),
            account_signature: Some(signature.to_vec()),
            device_signature: None,
        }
        .encode_to_vec();
        let mut hmac = hmac_sha256(&qr.adv, &signed);
        if self.corrupt_hmac {
            hmac[0] ^= 1;
        }
        let container = AdvSignedDeviceIdentityHmac {
            details: Some(signed),
            hmac: Some(hmac.to_vec()),
            account_type: Some(AdvEncryptionType::E2ee as i32),
        }
        .encode_to_vec();
        Node::new("iq")
            .attr("from", Jid::server())
            .attr("type", "set")
            .attr("id", id.to_owned())
            .attr("t", now().to_string())
            .children([Node::new("pair-success").children([
                Node::new("device-identity").bytes(container),
                Node::new("device")
                    .attr("jid", self.jid.clone())
                    .attr("lid", self.lid.clone()),
                Node::new("platform").attr("name", "android"),
            ])])
    }

    /// Checks the client's pair-device-sign answer: key index kept, our device signature valid.
    pub fn check_sign(&self, answer: &Node, qr: &QrParts) {
        assert_eq!(answer.attr_str("type"), Some("result"), "{answer}");
        let identity = answer
            .child("pair-device-sign")
            .and_then(|s| s.child("device-identity"))
            .expect("pair-device-sign/device-identity");
        assert_eq!(
            identity.attr_str("key-index"),
            Some(self.key_index.to_string().as_str())
        );
        let signed = AdvSignedDeviceIdentity::decode(identity.content_bytes().unwrap()).unwrap();
        assert_eq!(
            signed.account_signature_key, None,
            "the reply omits the account key"
        );
        assert_eq!(signed.details.as_deref(), Some(&self.details[..]));
        let mut message = vec![6, 1];
        message.extend_from_slice(&self.details);
        message.extend_from_slice(&qr.identity);
        message.extend_from_slice(self.primary.public.as_bytes());
        let companion = PublicKey::from_bytes(qr.identity);
        assert!(companion.verify(&message, signed.device_signature.as_deref().unwrap()));
    }
}

/// `<iq type=set><pair-device><ref>…</ref>…</pair-device></iq>` with `refs`.
pub fn pair_device(id: &str, refs: &[&str]) -> Node {
    Node::new("iq")
        .attr("from", Jid::server())
        .attr("type", "set")
        .attr("id", id.to_owned())
        .attr("xmlns", "md")
        .children([Node::new("pair-device")
            .children(refs.iter().map(|r| Node::new("ref").bytes(r.as_bytes().to_vec())))])
}
