//! One client connection: WebSocket in, connection header, Noise handshake as responder, then encrypted
//! binary stanzas both ways. Everything a peer sends is checked; anything malformed closes this
//! connection only.

mod login;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
use wasndr_core::binary::{self, Node};
use wasndr_core::noise::{
    ClientHeaderReader, FrameDecoder, RecvCipher, Responder, ResponderAwaitingClientFinish, SendCipher,
};

use crate::handlers;
use crate::network::{DeviceId, Outbound, Outbox};
use crate::shared::{Shared, rng};

/// Who is on the other end once the handshake is done.
#[derive(Debug, Clone)]
pub(crate) enum Peer {
    /// A new companion waiting to be paired.
    Registering,
    /// A logged-in device.
    Device(DeviceId),
    /// Login was refused; the connection is closing.
    Refused,
}

/// Where the handshake stands.
enum Phase {
    Header(ClientHeaderReader),
    Hello(Responder),
    Finish(ResponderAwaitingClientFinish),
    Ready(RecvCipher),
    /// Nothing more is read (closing).
    Done,
}

/// Why a connection ends early.
#[derive(Debug)]
struct Closing(&'static str);

/// A connection's own context, handed to stanza handlers.
#[derive(Debug, Clone)]
pub(crate) struct ConnCtx {
    pub(crate) conn_id: u64,
    pub(crate) outbox: Outbox,
    pub(crate) peer: Peer,
}

/// Runs one connection until either side closes.
pub(crate) async fn serve(shared: Arc<Shared>, mut socket: WebSocket) {
    let conn_id = shared.next_conn_id();
    let (outbox, mut inbox) = mpsc::unbounded_channel();
    let mut conn = Connection {
        phase: Phase::Header(ClientHeaderReader::new()),
        decoder: FrameDecoder::new(),
        send: None,
        ctx: None,
        conn_id,
        outbox,
        shared: shared.clone(),
    };
    let handshake_deadline = Instant::now() + shared.config.handshake_timeout;
    let mut deadline = Some(handshake_deadline);
    loop {
        let timer = sleep_until(deadline.unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400)));
        tokio::select! {
            message = socket.recv() => {
                let bytes = match message {
                    Some(Ok(Message::Binary(bytes))) => bytes,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    // Clients send binary only; whatsmeow ignores text, so do we.
                    Some(Ok(Message::Text(_))) => continue,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                };
                match conn.on_message(&bytes) {
                    Ok(raw) => {
                        for message in raw {
                            if socket.send(Message::Binary(message.into())).await.is_err() {
                                break;
                            }
                        }
                    }
                    Err(Closing(_reason)) => {
                        conn.phase = Phase::Done;
                        break;
                    }
                }
                if matches!(conn.phase, Phase::Ready(_)) && deadline == Some(handshake_deadline) {
                    deadline = conn.registration_deadline();
                }
            }
            outbound = inbox.recv() => match outbound {
                Some(Outbound::Node(node)) => {
                    if conn.send_node(&mut socket, &node).await.is_err() {
                        break;
                    }
                }
                Some(Outbound::Close(last)) => {
                    if let Some(node) = last {
                        let _ = conn.send_node(&mut socket, &node).await;
                    }
                    break;
                }
                None => break,
            },
            () = timer => break,
        }
    }
    let _ = socket.send(Message::Close(None)).await;
    conn.cleanup();
}

struct Connection {
    phase: Phase,
    decoder: FrameDecoder,
    send: Option<SendCipher>,
    ctx: Option<ConnCtx>,
    conn_id: u64,
    outbox: Outbox,
    shared: Arc<Shared>,
}

impl Connection {
    /// Handles one WebSocket message; returns raw messages to write back (the ServerHello).
    fn on_message(&mut self, bytes: &[u8]) -> Result<Vec<Vec<u8>>, Closing> {
        let mut bytes = bytes;
        if let Phase::Header(reader) = &mut self.phase {
            match reader.read(bytes) {
                Ok(Some(used)) => {
                    bytes = bytes.get(used..).unwrap_or_default();
                    self.phase = Phase::Hello(self.shared.responder.clone());
                }
                Ok(None) => return Ok(Vec::new()),
                Err(_) => return Err(Closing("wrong connection header")),
            }
        }
        let mut frames = Vec::new();
        {
            let mut decoded = self.decoder.decode(bytes);
            while let Some(frame) = decoded.next_frame() {
                frames.push(frame.to_vec());
            }
        }
        let mut raw = Vec::new();
        for frame in frames {
            self.on_frame(frame, &mut raw)?;
        }
        Ok(raw)
    }

    fn on_frame(&mut self, mut frame: Vec<u8>, raw: &mut Vec<Vec<u8>>) -> Result<(), Closing> {
        match std::mem::replace(&mut self.phase, Phase::Done) {
            Phase::Hello(responder) => {
                let (next, hello) = responder
                    .read_client_hello(&frame, &mut rng())
                    .map_err(|_| Closing("bad ClientHello"))?;
                raw.push(hello);
                self.phase = Phase::Finish(next);
            }
            Phase::Finish(awaiting) => {
                let finished = awaiting
                    .read_client_finish(&frame)
                    .map_err(|_| Closing("bad ClientFinish"))?;
                let (send, recv) = finished.transport.into_split();
                self.send = Some(send);
                self.phase = Phase::Ready(recv);
                let peer = login::authenticate(
                    &self.shared,
                    self.conn_id,
                    &self.outbox,
                    &finished.client_static,
                    &finished.client_payload,
                )
                .ok_or(Closing("login refused"))?;
                self.ctx = Some(ConnCtx {
                    conn_id: self.conn_id,
                    outbox: self.outbox.clone(),
                    peer,
                });
            }
            Phase::Ready(mut recv) => {
                let plaintext = recv
                    .decrypt_frame_in_place(&mut frame)
                    .map_err(|_| Closing("transport frame does not decrypt"))?;
                let node = binary::decode_owned(plaintext).map_err(|_| Closing("malformed stanza"))?;
                self.phase = Phase::Ready(recv);
                if let Some(ctx) = &self.ctx {
                    handlers::handle(&self.shared, ctx, node);
                }
            }
            Phase::Header(_) | Phase::Done => return Err(Closing("frame after close")),
        }
        Ok(())
    }

    /// Encrypts one stanza into one frame and writes it as one WebSocket message (never split: whatsmeow
    /// mis-reassembles frames cut across messages).
    async fn send_node(&mut self, socket: &mut WebSocket, node: &Node) -> Result<(), ()> {
        let send = self.send.as_mut().ok_or(())?;
        let mut frame = vec![0u8; 3];
        binary::encode_into(node, &mut frame).map_err(|_| ())?;
        send.encrypt_frame_in_place(&mut frame).map_err(|_| ())?;
        socket.send(Message::Binary(frame.into())).await.map_err(|_| ())
    }

    /// When a waiting companion's last QR ref expires, the connection ends.
    fn registration_deadline(&self) -> Option<Instant> {
        let net = self.shared.net();
        let registration = net.registrations.get(&self.conn_id)?;
        let last = registration.refs.iter().map(|(_, expiry)| *expiry).max()?;
        Some(Instant::from_std(last))
    }

    fn cleanup(&mut self) {
        let mut net = self.shared.net();
        if let Some(mut registration) = net.registrations.remove(&self.conn_id) {
            for (reference, _) in &registration.refs {
                net.refs.remove(reference);
            }
            if let Some(done) = registration.pending.take().and_then(|pending| pending.done) {
                let _ = done.send(Err(crate::SimError::PairingFailed(
                    "the companion disconnected before pair-device-sign".into(),
                )));
            }
        }
        if let Some(ConnCtx {
            peer: Peer::Device(device),
            ..
        }) = &self.ctx
            && net
                .sessions
                .get(device)
                .is_some_and(|session| session.conn_id == self.conn_id)
        {
            net.sessions.remove(device);
        }
    }
}
