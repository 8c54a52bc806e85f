//! The connection driver: one task per client that connects, runs the handshake, reads and writes
//! frames, answers the server, and reconnects.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt as _, StreamExt as _};
use rand::rngs::StdRng;
use rand_core::Rng as _;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::tungstenite::Message;
use wasndr_proto::Message as _;

use super::after_login;
use super::backoff::reconnect_delay;
use super::commit::Queued;
use super::device;
use super::devices;
use super::event::{DisconnectReason, Event, LogoutReason};
use super::link_code;
use super::pairing::{self, PairFailure};
use super::receipts::{self, ReceiptAction};
use super::socket::{self, Socket};
use super::stanzas;
use super::{Command, ConnectionState, Shared};
use super::{receive, retry};
use crate::binary::{self, Node};
use crate::error::Error;
use crate::login::{
    LoginFailure, RegistrationKeys, StreamError, parse_failure, parse_stream_error, parse_success,
};
use crate::noise::{FrameDecoder, Initiator, RecvCipher, SendCipher};
use crate::pair::stanza::iq_result_to_server;
use crate::stanza::{Ack, DevicesNotification, EncryptNotification};
use crate::store::Device;

/// Seconds since the Unix epoch, for certificate checks and key timestamps.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// How one connection ended, and so what the driver does next.
#[derive(Debug)]
enum End {
    /// 515: connect again at once.
    Restart {
        /// Whether this connection had logged in.
        logged_in: bool,
    },
    /// Unexpected: reconnect after a backoff (if enabled).
    Retry {
        reason: DisconnectReason,
        /// Whether this connection had logged in (a success resets the backoff).
        logged_in: bool,
    },
    /// Over for good; the events saying why were emitted, the client settles in `state`.
    Final { state: ConnectionState },
    /// `disconnect()` asked for it.
    Stopped { done: Option<oneshot::Sender<()>> },
}

/// Fails what waits on the driver when it goes, however it goes (also when its task is aborted because
/// the last [`Client`](super::Client) handle was dropped): waiting requests learn at once instead of
/// at their timeout.
struct DriverGone<'a>(&'a Shared);

impl Drop for DriverGone<'_> {
    fn drop(&mut self) {
        self.0.connection_ended();
    }
}

/// Tasks a connection started (post-login sequence, prekey refill, link-code answer): they serve that
/// connection only, so they are aborted when it ends.
#[derive(Default)]
struct Background(Vec<JoinHandle<()>>);

impl Background {
    fn spawn(&mut self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        self.0.retain(|task| !task.is_finished());
        self.0.push(tokio::spawn(task));
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// 515s in a row, without a login in between, that are followed at once; after that they wait like any
/// other failure, so a server that keeps restarting the stream is not hammered. Pairing needs one.
const QUICK_RESTARTS: u32 = 3;

/// Runs connections until one ends for good.
pub(super) async fn run(shared: Arc<Shared>, mut commands: mpsc::Receiver<Command>) {
    let _gone = DriverGone(&shared);
    let mut rng: StdRng = rand::make_rng();
    let mut failures = 0u32;
    let mut quick_restarts = 0u32;
    loop {
        shared.set_state(ConnectionState::Connecting);
        let end = connect_once(&shared, &mut commands, &mut rng).await;
        shared.connection_ended();
        let (reason, logged_in) = match end {
            End::Restart { logged_in } => {
                if logged_in {
                    failures = 0;
                    quick_restarts = 0;
                }
                quick_restarts += 1;
                if quick_restarts <= QUICK_RESTARTS {
                    shared
                        .events
                        .emit(Event::Disconnected {
                            reason: DisconnectReason::RestartRequired,
                            reconnect_in: Some(Duration::ZERO),
                        })
                        .await;
                    continue;
                }
                (DisconnectReason::RestartRequired, false)
            }
            End::Final { state } => {
                shared.set_state(state);
                return;
            }
            End::Stopped { done } => {
                shared.set_state(ConnectionState::Disconnected);
                shared
                    .events
                    .emit(Event::Disconnected {
                        reason: DisconnectReason::Requested,
                        reconnect_in: None,
                    })
                    .await;
                if let Some(done) = done {
                    let _ = done.send(());
                }
                return;
            }
            End::Retry { reason, logged_in } => (reason, logged_in),
        };
        if logged_in {
            failures = 0;
            quick_restarts = 0;
        }
        let policy = shared.config.reconnect;
        if !policy.enabled {
            shared.set_state(ConnectionState::Disconnected);
            shared
                .events
                .emit(Event::Disconnected {
                    reason,
                    reconnect_in: None,
                })
                .await;
            return;
        }
        let delay = reconnect_delay(&policy, failures, &mut rng);
        failures = failures.saturating_add(1);
        tracing::info!(?reason, ?delay, "connection lost; reconnecting");
        shared.set_state(ConnectionState::Reconnecting);
        shared
            .events
            .emit(Event::Disconnected {
                reason,
                reconnect_in: Some(delay),
            })
            .await;
        if let Some(done) = wait_backoff(&shared, &mut commands, delay).await {
            shared.set_state(ConnectionState::Disconnected);
            shared
                .events
                .emit(Event::Disconnected {
                    reason: DisconnectReason::Requested,
                    reconnect_in: None,
                })
                .await;
            let _ = done.send(());
            return;
        }
    }
}

/// Sleeps `delay` while refusing stanzas (nothing can be sent while disconnected); returns the stop
/// request if one came.
async fn wait_backoff(
    shared: &Shared,
    commands: &mut mpsc::Receiver<Command>,
    delay: Duration,
) -> Option<oneshot::Sender<()>> {
    let wake = Instant::now() + delay;
    loop {
        tokio::select! {
            () = sleep_until(wake) => return None,
            command = commands.recv() => match command {
                Some(Command::Stop { done }) => return Some(done),
                Some(Command::Send(payload)) => refuse(shared, &payload),
                None => return None,
            },
        }
    }
}

/// Fails the waiting request of a stanza that cannot be sent, so its caller learns at once.
fn refuse(shared: &Shared, payload: &[u8]) {
    if let Ok(node) = binary::decode_owned(payload)
        && let Some(id) = node.attr_str("id")
    {
        shared.pending.remove(id);
    }
}

/// A handshaken connection, before it is handed to [`Connection`].
struct Opened {
    socket: Socket,
    decoder: FrameDecoder,
    send: SendCipher,
    recv: RecvCipher,
    device: Device,
}

/// Loads (or creates) the device, opens the socket and runs the handshake.
async fn open(shared: &Shared, rng: &mut StdRng) -> Result<Opened, DisconnectReason> {
    let device = device::load_or_create(&*shared.store, unix_now(), rng)
        .await
        .map_err(|error| DisconnectReason::ConnectFailed(format!("store: {error}")))?;
    shared.set_jid(device.jid.clone());
    let payload = client_payload(shared, &device)
        .await
        .map_err(|error| DisconnectReason::ConnectFailed(format!("payload: {error}")))?;
    let mut socket = socket::open(&shared.config.url, shared.config.connect_timeout)
        .await
        .map_err(DisconnectReason::ConnectFailed)?;
    let mut decoder = FrameDecoder::new();
    let (send, recv) = handshake(shared, &mut socket, &mut decoder, &device, &payload, rng).await?;
    Ok(Opened {
        socket,
        decoder,
        send,
        recv,
        device,
    })
}

/// One connection from socket to end.
async fn connect_once(shared: &Arc<Shared>, commands: &mut mpsc::Receiver<Command>, rng: &mut StdRng) -> End {
    // Connecting can take up to the connect and handshake timeouts: a stop request must not wait for it.
    let opened = {
        let opening = open(shared, rng);
        tokio::pin!(opening);
        loop {
            tokio::select! {
                biased;
                opened = &mut opening => break opened,
                command = commands.recv() => match command {
                    Some(Command::Stop { done }) => return End::Stopped { done: Some(done) },
                    Some(Command::Send(payload)) => refuse(shared, &payload),
                    None => return End::Stopped { done: None },
                },
            }
        }
    };
    let Opened {
        socket,
        decoder,
        send,
        recv,
        device,
    } = match opened {
        Ok(opened) => opened,
        Err(reason) => {
            return End::Retry {
                reason,
                logged_in: false,
            };
        }
    };
    let registering = !device.is_paired();
    shared.set_state(if registering {
        ConnectionState::Pairing
    } else {
        ConnectionState::LoggingIn
    });
    let mut connection = Connection {
        shared: shared.clone(),
        socket,
        decoder,
        send,
        recv,
        device,
        plaintext: Vec::new(),
        out: Vec::new(),
        qr: None,
        next_ping: Instant::now(),
        ping: None,
        logged_in: false,
        background: Background::default(),
        deferred: VecDeque::new(),
    };
    connection.schedule_ping(rng);
    connection.run(commands, rng).await
}

/// The registration payload for a new device, the login payload for a paired one. The configured push
/// name wins over the one the device learnt.
async fn client_payload(shared: &Shared, device: &Device) -> crate::Result<Vec<u8>> {
    let mut with_name;
    let mut config = &shared.config.payload;
    if config.push_name.is_none() && device.push_name.is_some() {
        with_name = config.clone();
        with_name.push_name.clone_from(&device.push_name);
        config = &with_name;
    }
    let payload = match &device.jid {
        Some(jid) => config.login_payload(jid)?,
        None => {
            let signed = device::current_signed_prekey(&*shared.store, device).await?;
            config.registration_payload(&RegistrationKeys {
                registration_id: device.registration_id,
                identity: device.identity.public(),
                signed_prekey_id: signed.id,
                signed_prekey: &signed.key_pair.public,
                signed_prekey_signature: &signed.signature,
            })
        }
    };
    Ok(payload.encode_to_vec())
}

/// Header + ClientHello, ServerHello (certificate chain checked), ClientFinish with the payload.
async fn handshake(
    shared: &Shared,
    socket: &mut Socket,
    decoder: &mut FrameDecoder,
    device: &Device,
    payload: &[u8],
    rng: &mut StdRng,
) -> Result<(SendCipher, RecvCipher), DisconnectReason> {
    let lost = |error: String| DisconnectReason::ConnectionLost(error);
    let failed = |error: Error| DisconnectReason::HandshakeFailed(error.to_string());
    let (awaiting, hello) = Initiator::new(device.noise_key.clone(), shared.config.trust_root).start(rng);
    socket
        .send(Message::Binary(hello.into()))
        .await
        .map_err(|e| lost(e.to_string()))?;
    let server_hello =
        tokio::time::timeout(shared.config.handshake_timeout, read_first_frame(socket, decoder))
            .await
            .map_err(|_| DisconnectReason::HandshakeFailed("no ServerHello in time".to_owned()))??;
    let ready = awaiting
        .read_server_hello(&server_hello, unix_now())
        .map_err(failed)?;
    let (transport, finish) = ready.write_client_finish(payload).map_err(failed)?;
    socket
        .send(Message::Binary(finish.into()))
        .await
        .map_err(|e| lost(e.to_string()))?;
    Ok(transport.into_split())
}

/// Reads until one whole frame has arrived; later frames stay in the decoder.
async fn read_first_frame(
    socket: &mut Socket,
    decoder: &mut FrameDecoder,
) -> Result<Vec<u8>, DisconnectReason> {
    loop {
        match socket.next().await {
            Some(Ok(Message::Binary(bytes))) => {
                if let Some(frame) = decoder.decode(&bytes).next_frame() {
                    return Ok(frame.to_vec());
                }
            }
            Some(Ok(Message::Close(_))) | None => return Err(DisconnectReason::ServerClosed),
            Some(Ok(_)) => {}
            Some(Err(error)) => return Err(DisconnectReason::ConnectionLost(error.to_string())),
        }
    }
}

/// QR rotation while pairing.
#[derive(Debug)]
struct QrState {
    refs: Vec<String>,
    index: usize,
    deadline: Instant,
}

/// A live, handshaken connection.
struct Connection {
    shared: Arc<Shared>,
    socket: Socket,
    decoder: FrameDecoder,
    send: SendCipher,
    recv: RecvCipher,
    /// Our device as stored (updated when pairing or `<success>` teach us more).
    device: Device,
    /// Reused decryption buffer.
    plaintext: Vec<u8>,
    /// Reused encryption buffer.
    out: Vec<u8>,
    qr: Option<QrState>,
    next_ping: Instant,
    /// The unanswered ping and its deadline.
    ping: Option<(String, Instant)>,
    logged_in: bool,
    /// Tasks serving this connection, aborted when it ends.
    background: Background,
    /// Receipts waiting for their status commits, oldest first (see `handle_receipt`). Dropped un-acked
    /// when the connection ends: the server delivers them again.
    deferred: VecDeque<DeferredReceipt>,
}

/// A receipt whose status update is queued for commit; acked and reported once committed.
struct DeferredReceipt {
    queued: Option<Queued>,
    ack: Option<Node>,
    action: ReceiptAction,
}

/// The commit result of the oldest deferred receipt (at once for one without a status to store).
async fn oldest_committed(deferred: &mut VecDeque<DeferredReceipt>) -> crate::Result<()> {
    match deferred.front_mut().and_then(|receipt| receipt.queued.as_mut()) {
        Some(queued) => queued.await,
        None => Ok(()),
    }
}

/// Our `<ack>` of a received stanza, if it has what an ack needs (an id and a sender).
fn ack_for(received: &Node) -> Option<Node> {
    match Ack::for_stanza(received) {
        Ok(ack) => Some(ack.to_node()),
        Err(error) => {
            tracing::debug!(%error, tag = %received.tag, "stanza cannot be acknowledged");
            None
        }
    }
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

impl Connection {
    async fn run(&mut self, commands: &mut mpsc::Receiver<Command>, rng: &mut StdRng) -> End {
        // Frames that arrived with the ServerHello.
        if let Some(end) = self.process(&[], rng).await {
            return end;
        }
        loop {
            let ping_deadline = self.ping.as_ref().map(|(_, deadline)| *deadline);
            let qr_deadline = self.qr.as_ref().map(|qr| qr.deadline);
            tokio::select! {
                message = self.socket.next() => match message {
                    Some(Ok(Message::Binary(bytes))) => {
                        if let Some(end) = self.process(&bytes, rng).await {
                            return end;
                        }
                    }
                    Some(Ok(Message::Close(_))) | None => return self.lost(DisconnectReason::ServerClosed).await,
                    // Text is not part of the protocol; WebSocket pings are answered by the library.
                    Some(Ok(_)) => {}
                    Some(Err(error)) => {
                        return self.lost(DisconnectReason::ConnectionLost(error.to_string())).await;
                    }
                },
                command = commands.recv() => match command {
                    Some(Command::Send(payload)) => {
                        if let Err(reason) = self.write_payload(&payload).await {
                            return self.retry(reason);
                        }
                    }
                    Some(Command::Stop { done }) => return self.stop(commands, Some(done)).await,
                    None => return self.stop(commands, None).await,
                },
                () = sleep_until(self.next_ping), if self.ping.is_none() => {
                    let id = self.shared.ids.next();
                    if let Err(reason) = self.write(&stanzas::ping(id.clone())).await {
                        return self.retry(reason);
                    }
                    self.ping = Some((id, Instant::now() + self.shared.config.keepalive.deadline));
                    self.schedule_ping(rng);
                }
                () = sleep_until_opt(ping_deadline) => {
                    return self.retry(DisconnectReason::KeepaliveTimeout);
                }
                () = sleep_until_opt(qr_deadline) => {
                    if let Some(end) = self.next_qr().await {
                        return end;
                    }
                }
                committed = oldest_committed(&mut self.deferred), if !self.deferred.is_empty() => {
                    if let Some(receipt) = self.deferred.pop_front()
                        && let Some(end) = self.finish_receipt(receipt, committed).await
                    {
                        return end;
                    }
                }
            }
        }
    }

    /// The server went away. While the last QR is on show that ends pairing, as our own QR timeout
    /// would: the server drops a registration whose refs ran out, and a new connection would only start
    /// over with new codes.
    async fn lost(&mut self, reason: DisconnectReason) -> End {
        if self.qr.as_ref().is_some_and(|qr| qr.index + 1 >= qr.refs.len()) {
            self.qr = None;
            self.shared.events.emit(Event::QrExpired).await;
            return End::Final {
                state: ConnectionState::Disconnected,
            };
        }
        self.retry(reason)
    }

    fn retry(&self, reason: DisconnectReason) -> End {
        End::Retry {
            reason,
            logged_in: self.logged_in,
        }
    }

    fn schedule_ping(&mut self, rng: &mut StdRng) {
        let keepalive = self.shared.config.keepalive;
        let spread = keepalive.max_interval.saturating_sub(keepalive.min_interval);
        let spread_ms = u64::try_from(spread.as_millis()).unwrap_or(u64::MAX);
        let jitter = if spread_ms == 0 {
            0
        } else {
            rng.next_u64() % (spread_ms + 1)
        };
        self.next_ping = Instant::now() + keepalive.min_interval + Duration::from_millis(jitter);
    }

    /// Writes what is queued, closes the socket and stops.
    async fn stop(
        &mut self,
        commands: &mut mpsc::Receiver<Command>,
        mut done: Option<oneshot::Sender<()>>,
    ) -> End {
        // Receipts whose statuses are being committed are acked first (a failed write only means the
        // server delivers them again).
        let _ = self.drain_receipts().await;
        while let Ok(command) = commands.try_recv() {
            match command {
                Command::Send(payload) => {
                    if self.write_payload(&payload).await.is_err() {
                        break;
                    }
                }
                // A second stop: answer it too.
                Command::Stop { done: other } => {
                    let _ = other.send(());
                }
            }
        }
        let _ = self.socket.close(None).await;
        End::Stopped { done: done.take() }
    }

    async fn write(&mut self, node: &Node) -> Result<(), DisconnectReason> {
        match binary::encode(node) {
            Ok(payload) => self.write_payload(&payload).await,
            Err(error) => {
                // Our own stanza builders make encodable nodes; refuse quietly rather than drop the link.
                tracing::error!(%error, tag = %node.tag, "cannot encode an outgoing stanza");
                Ok(())
            }
        }
    }

    async fn write_payload(&mut self, payload: &[u8]) -> Result<(), DisconnectReason> {
        self.out.clear();
        if let Err(error) = self.send.encrypt_frame(payload, &mut self.out) {
            return Err(DisconnectReason::ProtocolError(error.to_string()));
        }
        let frame = std::mem::take(&mut self.out);
        self.socket
            .send(Message::Binary(frame.into()))
            .await
            .map_err(|error| DisconnectReason::ConnectionLost(error.to_string()))
    }

    /// Decrypts and handles every whole frame in `bytes` (plus what was buffered).
    async fn process(&mut self, bytes: &[u8], rng: &mut StdRng) -> Option<End> {
        let mut nodes = Vec::new();
        {
            let mut frames = self.decoder.decode(bytes);
            while let Some(frame) = frames.next_frame() {
                if let Err(error) = self.recv.decrypt_frame(frame, &mut self.plaintext) {
                    return Some(End::Retry {
                        reason: DisconnectReason::ProtocolError(error.to_string()),
                        logged_in: self.logged_in,
                    });
                }
                match binary::decode_owned(&self.plaintext) {
                    Ok(node) => nodes.push(node),
                    // One bad stanza does not take the connection down (whatsmeow does the same).
                    Err(error) => tracing::warn!(%error, "undecodable stanza dropped"),
                }
            }
        }
        // A large frame's buffer is not kept for an idle connection.
        self.plaintext.shrink_to(4 * 1024);
        for node in nodes {
            if let Some(end) = self.handle(node, rng).await {
                return Some(end);
            }
        }
        None
    }

    async fn handle(&mut self, node: Node, rng: &mut StdRng) -> Option<End> {
        tracing::trace!(tag = %node.tag, id = node.attr_str("id"), "received");
        if !matches!(node.tag.as_ref(), "receipt" | "ack")
            && let Some(end) = self.drain_receipts().await
        {
            return Some(end);
        }
        match node.tag.as_ref() {
            "iq" => return self.handle_iq(node, rng).await,
            "ack" => self.resolve(node).await,
            "success" => self.handle_success(&node).await,
            "failure" => return Some(self.handle_failure(&parse_failure(&node)).await),
            "stream:error" => return Some(self.handle_stream_error(&node).await),
            "xmlstreamend" => return Some(self.lost(DisconnectReason::ServerClosed).await),
            "ib" => return self.handle_ib(&node).await,
            "notification" => return self.handle_notification(node).await,
            "message" => return self.handle_message(&node).await,
            "receipt" => return self.handle_receipt(&node).await,
            "call" => {
                if let Some(ack) = ack_for(&node) {
                    return self.write(&ack).await.err().map(|r| self.retry(r));
                }
            }
            other => tracing::debug!(tag = other, "unhandled stanza"),
        }
        None
    }

    /// An answer to one of our requests (or a ping).
    async fn resolve(&mut self, node: Node) {
        let Some(id) = node.attr_str("id").map(str::to_owned) else {
            return;
        };
        if self.ping.as_ref().is_some_and(|(ping, _)| *ping == id) {
            self.ping = None;
            return;
        }
        // The answer to `<active/>` completes the login: reported here, before any stanza that follows
        // it on the wire (the offline backlog comes right after), rather than by the post-login task.
        if self.shared.take_active_request(&id)
            && let Some(jid) = self.device.jid.clone()
        {
            self.shared.set_state(ConnectionState::Connected);
            self.shared.events.emit(Event::Connected { jid }).await;
        }
        if self.shared.pending.resolve(&id, node).is_some() {
            tracing::debug!(id, "answer to no pending request");
        }
    }

    async fn handle_iq(&mut self, node: Node, rng: &mut StdRng) -> Option<End> {
        match node.attr_str("type") {
            Some("result" | "error") => {
                self.resolve(node).await;
                None
            }
            Some("set") => {
                let id = node.attr_str("id").unwrap_or_default().to_owned();
                if let Some(pair_device) = node.child("pair-device") {
                    let refs = pairing::pair_device_refs(pair_device);
                    if let Err(reason) = self.write(&iq_result_to_server(&id)).await {
                        return Some(self.retry(reason));
                    }
                    return self.start_qr(refs).await;
                }
                if let Some(pair_success) = node.child("pair-success") {
                    return self.handle_pair_success(&id, &node, pair_success, rng).await;
                }
                tracing::debug!(id, "unhandled iq set");
                None
            }
            _ => {
                tracing::debug!(id = node.attr_str("id"), "unhandled iq");
                None
            }
        }
    }

    async fn start_qr(&mut self, refs: Vec<String>) -> Option<End> {
        if self.device.is_paired() || refs.is_empty() {
            return None;
        }
        self.qr = Some(QrState {
            refs,
            index: 0,
            deadline: Instant::now(),
        });
        self.show_qr().await
    }

    /// Emits the QR of the current ref, or ends pairing when none is left.
    async fn show_qr(&mut self) -> Option<End> {
        let timings = self.shared.config.qr;
        let qr = self.qr.as_mut()?;
        let Some(reference) = qr.refs.get(qr.index) else {
            self.qr = None;
            self.shared.events.emit(Event::QrExpired).await;
            let _ = self.socket.close(None).await;
            return Some(End::Final {
                state: ConnectionState::Disconnected,
            });
        };
        let valid_for = if qr.index == 0 {
            timings.first
        } else {
            timings.next
        };
        qr.deadline = Instant::now() + valid_for;
        let code = pairing::qr_code(
            reference,
            &self.device.noise_key.public,
            self.device.identity.public(),
            &self.device.adv_secret_key,
            self.shared.config.payload.platform.web_client_type(),
        );
        let event = Event::Qr {
            code,
            index: qr.index,
            remaining: qr.refs.len() - qr.index - 1,
            valid_for,
        };
        self.shared.events.emit(event).await;
        None
    }

    async fn next_qr(&mut self) -> Option<End> {
        self.qr.as_mut()?.index += 1;
        self.show_qr().await
    }

    async fn handle_pair_success(
        &mut self,
        id: &str,
        iq: &Node,
        pair_success: &Node,
        rng: &mut StdRng,
    ) -> Option<End> {
        // A link-code exchange's secret first; the QR's still counts if the phone scanned instead.
        let secrets: Vec<[u8; 32]> = self
            .shared
            .link_code_secret()
            .into_iter()
            .chain([self.device.adv_secret_key])
            .collect();
        let verified = match pairing::verify_pair_success(
            iq,
            pair_success,
            &secrets,
            &self.device.identity,
            unix_now(),
            rng,
        ) {
            Ok(verified) => verified,
            Err(failure) => return self.refuse_pairing(id, &failure).await,
        };
        // Stored before the phone hears back: a crash after the reply must not lose the pairing.
        let (paired, changes) = device::pairing_changes(&self.device, &verified.pairing);
        if let Err(error) = self.shared.committer.commit(changes).await {
            return self
                .refuse_pairing(id, &PairFailure::Storage(error.to_string()))
                .await;
        }
        self.device = paired;
        self.shared.set_jid(self.device.jid.clone());
        if let Err(reason) = self.write(&pairing::pair_device_sign(id, &verified)).await {
            return Some(self.retry(reason));
        }
        self.qr = None;
        let pairing = verified.pairing;
        self.shared
            .events
            .emit(Event::Paired {
                jid: pairing.jid,
                lid: pairing.lid,
                platform: pairing.platform,
                business_name: pairing.business_name,
            })
            .await;
        None
    }

    async fn refuse_pairing(&mut self, id: &str, failure: &PairFailure) -> Option<End> {
        let (code, text) = failure.wire_error();
        tracing::warn!(reason = %failure.describe(), "pair-success refused");
        if let Err(reason) = self.write(&stanzas::iq_error(id, code, text)).await {
            return Some(self.retry(reason));
        }
        self.shared
            .events
            .emit(Event::PairError {
                reason: failure.describe(),
            })
            .await;
        None
    }

    async fn handle_success(&mut self, node: &Node) {
        let Some(jid) = self.device.jid.clone() else {
            tracing::warn!("success for a connection that is not paired: ignored");
            return;
        };
        let success = parse_success(node);
        if let Some(lid) = success.lid
            && self.device.lid.as_ref() != Some(&lid)
        {
            self.device.lid = Some(lid);
            // Informational (the server tells us again at each login): a failed write is not fatal.
            if let Err(error) = self.shared.store.save_device(&self.device).await {
                tracing::warn!(%error, "storing the LID from <success> failed");
            }
        }
        self.logged_in = true;
        self.shared.set_state(ConnectionState::LoggingIn);
        let shared = self.shared.clone();
        let device = self.device.clone();
        self.background.spawn(after_login::run(shared, jid, device));
    }

    async fn handle_failure(&mut self, failure: &LoginFailure) -> End {
        tracing::warn!(reason = failure.reason, "login refused");
        let events = &self.shared.events;
        if failure.is_logged_out() {
            return self
                .logged_out(LogoutReason::LoginRefused {
                    reason: failure.reason,
                })
                .await;
        }
        match failure.reason {
            402 => {
                events
                    .emit(Event::TemporaryBan {
                        expire: failure.expire,
                    })
                    .await;
            }
            405 => events.emit(Event::ClientOutdated).await,
            _ if failure.is_retryable() => {
                return self.retry(DisconnectReason::LoginFailed {
                    reason: failure.reason,
                });
            }
            _ => {
                events
                    .emit(Event::Disconnected {
                        reason: DisconnectReason::LoginFailed {
                            reason: failure.reason,
                        },
                        reconnect_in: None,
                    })
                    .await;
            }
        }
        End::Final {
            state: ConnectionState::Disconnected,
        }
    }

    async fn handle_stream_error(&mut self, node: &Node) -> End {
        let error = parse_stream_error(node);
        tracing::info!(?error, "stream error");
        match error {
            StreamError::RestartRequired => End::Restart {
                logged_in: self.logged_in,
            },
            StreamError::LoggedOut { .. } => self.logged_out(LogoutReason::DeviceRemoved).await,
            StreamError::Replaced => {
                self.shared.events.emit(Event::StreamReplaced).await;
                End::Final {
                    state: ConnectionState::Disconnected,
                }
            }
            StreamError::ServerError { code } => {
                self.retry(DisconnectReason::StreamError { code: Some(code) })
            }
            StreamError::Other { code, .. } => self.retry(DisconnectReason::StreamError { code }),
            // Future variants: treat as an ordinary stream error.
            #[allow(unreachable_patterns)]
            _ => self.retry(DisconnectReason::StreamError { code: None }),
        }
    }

    /// Wipes the device's data and ends for good.
    async fn logged_out(&mut self, reason: LogoutReason) -> End {
        let reason = if self.shared.logout_requested.load(Ordering::Acquire) {
            LogoutReason::Requested
        } else {
            reason
        };
        // Queued batches commit before the wipe, never after it.
        let _ = self.shared.committer.flush_and_forget().await;
        // If the wipe fails the device stays, the next login is refused again, and the wipe retried.
        if let Err(error) = self.shared.store.delete_device().await {
            tracing::error!(%error, "wiping the logged-out device from the store failed");
        }
        self.shared.committer.forget();
        self.shared.set_jid(None);
        self.shared.events.emit(Event::LoggedOut { reason }).await;
        End::Final {
            state: ConnectionState::LoggedOut,
        }
    }

    async fn handle_ib(&mut self, node: &Node) -> Option<End> {
        for child in node.child_nodes() {
            let reply = match child.tag.as_ref() {
                "offline" => {
                    let count = child.attr_str("count").and_then(|c| c.parse().ok()).unwrap_or(0);
                    self.shared
                        .events
                        .emit(Event::OfflineSyncCompleted { count })
                        .await;
                    None
                }
                "offline_preview" => Some(stanzas::offline_batch()),
                "dirty" => child.attr_str("type").map(|kind| {
                    let mut clean = stanzas::clean_dirty(kind, child.attr_str("timestamp"));
                    clean.set_attr("id", self.shared.ids.next());
                    clean
                }),
                other => {
                    tracing::debug!(child = other, "ib ignored");
                    None
                }
            };
            if let Some(reply) = reply
                && let Err(reason) = self.write(&reply).await
            {
                return Some(self.retry(reason));
            }
        }
        None
    }

    /// Decrypts, stores, then answers (delivery or retry receipt, ack), then reports. A store failure
    /// leaves the message unanswered, so the server delivers it again.
    async fn handle_message(&mut self, node: &Node) -> Option<End> {
        let handled = match receive::handle_message(&self.shared, node).await {
            Ok(handled) => handled,
            Err(error) => {
                tracing::error!(%error, "an incoming message could not be stored; not acknowledged");
                return None;
            }
        };
        for reply in &handled.replies {
            if let Err(reason) = self.write(reply).await {
                return Some(self.retry(reason));
            }
        }
        for event in handled.events {
            self.shared.events.emit(event).await;
        }
        None
    }

    /// Queues the status a receipt reports for commit; once committed it is acked, then reported (a
    /// retry receipt is answered in the background: it may need a bundle fetch, whose answer this task
    /// has to read). Receipts waiting for their commits do not stop the connection: the next stanzas
    /// are read meanwhile (so sends get their acks and receipts share commits), and any stanza but a
    /// receipt or an ack first waits for them, so acks and events keep the order stanzas arrived in.
    async fn handle_receipt(&mut self, node: &Node) -> Option<End> {
        let (queued, action) = match receipts::handle_receipt(&self.shared, node) {
            Ok(handled) => handled,
            Err(error) => {
                tracing::error!(%error, "a receipt could not be stored; not acknowledged");
                return None;
            }
        };
        let receipt = DeferredReceipt {
            queued,
            ack: ack_for(node),
            action,
        };
        if receipt.queued.is_none() && self.deferred.is_empty() {
            return self.finish_receipt(receipt, Ok(())).await;
        }
        self.deferred.push_back(receipt);
        None
    }

    /// Acks and reports a receipt whose status commit ended with `committed`.
    async fn finish_receipt(
        &mut self,
        receipt: DeferredReceipt,
        committed: crate::Result<()>,
    ) -> Option<End> {
        if let Err(error) = committed {
            tracing::error!(%error, "a receipt could not be stored; not acknowledged");
            return None;
        }
        if let Some(ack) = &receipt.ack
            && let Err(reason) = self.write(ack).await
        {
            return Some(self.retry(reason));
        }
        match receipt.action {
            ReceiptAction::Report(event) => self.shared.events.emit(event).await,
            ReceiptAction::Retry(receipt) => self
                .background
                .spawn(retry::answer_logged(self.shared.clone(), *receipt)),
            ReceiptAction::Ignore => {}
        }
        None
    }

    /// Waits for every deferred receipt's commit, in order, acking and reporting each.
    async fn drain_receipts(&mut self) -> Option<End> {
        while let Some(mut receipt) = self.deferred.pop_front() {
            let committed = match receipt.queued.take() {
                Some(queued) => queued.await,
                None => Ok(()),
            };
            if let Some(end) = self.finish_receipt(receipt, committed).await {
                return Some(end);
            }
        }
        None
    }

    async fn handle_notification(&mut self, node: Node) -> Option<End> {
        let kind = node.attr_str("type").unwrap_or_default().to_owned();
        if kind == "devices"
            && let Ok(changed) = DevicesNotification::parse(&node)
        {
            // Cached lists are only trusted until the server says they changed.
            devices::invalidate(&self.shared, &changed.user).await;
            if let Some(lid) = &changed.lid {
                devices::invalidate(&self.shared, lid).await;
            }
        }
        if kind == "encrypt"
            && self.logged_in
            && let Ok(EncryptNotification::PreKeyCount(count)) = EncryptNotification::parse(&node)
        {
            let shared = self.shared.clone();
            let device = self.device.clone();
            self.background.spawn(async move {
                if let Err(error) = after_login::upload_if_low(&shared, &device, count).await {
                    tracing::warn!(%error, "prekey refill failed");
                }
            });
        }
        if kind == "link_code_companion_reg" && !self.device.is_paired() {
            match link_code::parse_primary_hello(&node) {
                Some(hello) => self
                    .background
                    .spawn(link_code::answer_primary(self.shared.clone(), hello)),
                None => tracing::warn!("malformed link_code_companion_reg notification ignored"),
            }
        }
        let ack = ack_for(&node);
        if kind == "w:gp2" {
            match crate::stanza::GroupNotification::parse(&node) {
                Ok(notification) => {
                    // The cached metadata (which group sends address) is brought up to date, or dropped
                    // when the change cannot be applied, before the ack; if the store fails the
                    // notification stays unacknowledged and the server sends it again.
                    if let Err(error) = super::groups::on_notification(&self.shared, &notification).await {
                        tracing::warn!(%error, "caching a group change failed; not acknowledged");
                        return None;
                    }
                    devices::group_changed(&self.shared, &notification).await;
                    self.shared
                        .events
                        .emit(Event::GroupUpdate(Box::new(notification)))
                        .await;
                }
                Err(error) => {
                    tracing::warn!(%error, "malformed w:gp2 notification acknowledged and dropped");
                    // Members may have changed: the next send to the group asks for its metadata again.
                    if let Some(group) = node.attr_jid("from").map(|jid| jid.to_owned())
                        && let Err(error) = self.shared.store.delete_group(&group).await
                    {
                        tracing::warn!(%error, "dropping cached group metadata failed");
                    }
                }
            }
        }
        match ack {
            Some(ack) => self.write(&ack).await.err().map(|r| self.retry(r)),
            None => None,
        }
    }
}
