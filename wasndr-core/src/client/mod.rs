//! The async client: one WebSocket connection to WhatsApp (or the simulator) kept alive over a
//! pluggable store.
//!
//! Shape (h2/quinn style): [`Client`] is a cheap cloneable handle; [`Client::connect`] spawns one
//! connection driver task that owns the socket, the Noise transport, the keepalive and QR timers, and is
//! the only writer. Handles talk to it through a bounded command queue; IQ answers come back through a
//! table of pending requests keyed by stanza id. Events reach the application through [`Events`] (see
//! there for the bound and overflow rule). A second, short-lived task runs the post-login
//! sequence (prekey count and upload, `<active/>`) because it waits for IQ answers the driver must read.
//!
//! Life of a connection:
//! 1. WebSocket, Noise handshake (the server's certificate chain is verified against
//!    [`ClientConfig::trust_root`]), `ClientPayload`: registration if the device is not paired yet,
//!    login otherwise.
//! 2. Registration: `pair-device` refs become [`Event::Qr`] codes, rotated 60 s then 20 s each, ending
//!    in [`Event::QrExpired`]; [`Client::pair_phone`] offers an 8-character code instead
//!    ([`Event::PairCode`]); a verified `pair-success` is stored, answered with `pair-device-sign`
//!    and reported as [`Event::Paired`]; the server's 515 makes the client reconnect and log in.
//! 3. Login: `<success>` → prekeys topped up → `<active/>` → [`Event::Connected`].
//! 4. Stream errors: 515 reconnects at once; 401/device removed wipes the device's data from the store
//!    ([`DeviceStore::delete_device`](crate::store::DeviceStore::delete_device)) and ends with
//!    [`Event::LoggedOut`]; a replaced stream ends with [`Event::StreamReplaced`] and no reconnect;
//!    anything else, a dead keepalive or a dropped socket reconnects with capped exponential backoff and
//!    jitter ([`ReconnectPolicy`]).
//!
//! Messaging (messaging guide B–E), once `Connected`:
//! - [`Client::send_message`] (and [`Client::send_text`], [`Client::send_reply`], [`Client::send_poll`],
//!   [`Client::send_poll_vote`], [`Client::send_reaction`]) encrypts for every device of a user — our
//!   own other devices get a device-sent copy — or of a group with sender keys, stores the advanced
//!   ratchets and the message (status `pending`) before writing the stanza, and returns a
//!   [`SentMessage`] on the server's ack (status `sent`). Device lists (and group metadata) are cached in the
//!   store for 10 minutes, and dropped sooner when a `devices` (`w:gp2`) notification says they changed; bundles are fetched in one request for
//!   the devices without a session; which group devices hold our sender key is remembered so they get
//!   no distribution message again.
//! - An incoming `<message>` is decrypted, its ratchet, history row, poll secret and poll vote are
//!   applied in one [`Changes`](crate::store::Changes) batch, then the application's [`MessageGate`]
//!   (if one is set) is awaited, bounded, then the delivery receipt (or the retry
//!   receipt and ack) goes out, then [`Event::Message`] (or [`Event::UndecryptableMessage`],
//!   [`Event::PollVote`]) is emitted. A retry receipt for one of ours is answered by re-encrypting the
//!   kept plaintext, on a fresh session when the receipt carries keys.
//! - Receipts move stored statuses (`delivered`, `read`, `played`) before [`Event::Receipt`];
//!   [`Client::mark_read`] sends read receipts; [`Client::poll_results`] tallies stored votes.
//!
//! Groups, numbers and media (messaging guide F–H):
//! - [`Client::create_group`], [`Client::group_info`], [`Client::joined_groups`],
//!   [`Client::update_group_participants`], [`Client::set_group_subject`],
//!   [`Client::set_group_description`], [`Client::group_invite_code`], [`Client::revoke_group_invite`]
//!   and [`Client::leave_group`] are `w:g2` IQs; a server refusal is [`Error::IqError`] with
//!   WhatsApp's code. Their answers refresh the group cache in the store, and every `w:gp2`
//!   notification is applied to it (or drops the entry when it cannot be applied) before it is
//!   acknowledged and reported as [`Event::GroupUpdate`].
//! - [`Client::is_on_whatsapp`] checks a batch of numbers in one usync query, answering in the order
//!   asked ([`NumberStatus`]).
//! - With the default `media-http` feature: [`Client::upload_media`] encrypts under a fresh media key and
//!   POSTs to the hosts of the cached `media_conn` grant; [`Client::download_media`] fetches by direct
//!   path (or URL) and checks SHA-256 and the MAC before decrypting; [`Client::send_media`] uploads and
//!   sends. Media hosts are spoken to over https, or plain http when the chat socket is plain `ws://`
//!   (the simulator).
//!
//! Storage: everything the client keeps lives in the [`Store`] it is built with, one store per device.
//! The first `connect` of an empty store creates the [`Device`] (keys, registration id, signed prekey)
//! and stores it before anything about it is sent; pairing is stored before the phone is answered.
//!
//! Private keys never reach logs or `Debug` output: key types redact themselves, and stanzas are logged
//! by tag only.

mod after_login;
mod backoff;
mod cache;
mod commit;
mod config;
mod contacts;
mod device;
mod devices;
mod driver;
mod event;
mod gate;
mod groups;
mod history;
mod iq;
mod link_code;
#[cfg(feature = "media-http")]
mod media;
#[cfg(feature = "media-http")]
mod media_http;
mod messaging;
mod pairing;
mod polls;
#[cfg(feature = "qr")]
mod qr_render;
mod receipts;
mod receive;
mod retry;
mod send;
mod socket;
mod stanzas;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

pub use config::{
    ClientConfig, KeepaliveConfig, QrTimings, ReconnectPolicy, WHATSAPP_WEB_ORIGIN, WHATSAPP_WEB_URL,
};
pub use contacts::NumberStatus;
pub use event::{
    DisconnectReason, Event, Events, LogoutReason, MessageEvent, MessageInfo, ReceiptEvent, ReceiptKind,
};
pub use gate::{DEFAULT_GATE_TIMEOUT, GateDelivery, MessageGate};
#[cfg(feature = "media-http")]
pub use media::OutgoingMedia;
#[cfg(feature = "qr")]
pub use qr_render::{qr_png, qr_terminal};
pub use send::SentMessage;

use crate::binary::{self, Node};
use crate::error::{Error, Result};
use crate::jid::Jid;
use crate::login::{CompanionPlatform, WaVersion};
use crate::noise::TrustRoot;
use crate::store::{Device, Store};
use event::EventSender;
use iq::{PendingRequests, RequestIds};
use link_code::LinkCodeState;

/// Where a client is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConnectionState {
    /// No connection and none being made.
    Disconnected,
    /// Opening the socket and running the handshake.
    Connecting,
    /// Registered as a new device: waiting for the phone to scan a QR (or enter a code).
    Pairing,
    /// Logged in; the post-login sequence (prekeys, active) is running.
    LoggingIn,
    /// Ready.
    Connected,
    /// Waiting to reconnect after an unexpected disconnect.
    Reconnecting,
    /// Unlinked: the device was cleared. `connect` starts a new registration.
    LoggedOut,
}

/// What handles ask the driver to do.
#[derive(Debug)]
enum Command {
    /// Write this encoded stanza (a frame payload: flags byte + node).
    Send(Vec<u8>),
    /// Flush what is queued, close the socket, stop; then signal `done`.
    Stop { done: oneshot::Sender<()> },
}

/// Queued commands per client. Small: commands are written as fast as the socket takes them, and a full
/// queue makes senders wait (backpressure) rather than grow memory.
const COMMAND_QUEUE: usize = 32;

/// The running driver.
#[derive(Debug)]
struct Control {
    commands: mpsc::Sender<Command>,
    task: JoinHandle<()>,
}

/// State shared by the handles and the driver.
struct Shared {
    config: ClientConfig,
    store: Arc<dyn Store>,
    /// Writes every `Changes` batch (group commit) and keeps the cache of what sends read.
    committer: commit::Committer,
    /// The application's hook between storing an incoming message and acknowledging it.
    gate: Option<gate::Gate>,
    /// Our device JID once known (loaded at connect, set by pairing, cleared by logout), for
    /// [`Client::jid`] without a store round trip.
    jid: Mutex<Option<Jid>>,
    /// Phone-number pairing in progress on the current connection.
    link_code: Mutex<LinkCodeState>,
    /// The id of the `<active/>` request of the current login, until its answer makes the client
    /// `Connected`.
    active_request: Mutex<Option<String>>,
    /// Set while [`Client::logout`] runs, so that the server's `device_removed` answer is reported as
    /// the logout the application asked for.
    logout_requested: AtomicBool,
    events: EventSender,
    /// Signal-state lock, retry counters and our cached device, for sending and receiving.
    messaging: messaging::MessagingState,
    ids: RequestIds,
    pending: PendingRequests,
    state: watch::Sender<ConnectionState>,
    control: Mutex<Option<Control>>,
    /// Taken by `connect`, `disconnect` and `logout` for their whole run: a `connect` while a
    /// `disconnect` is still flushing would otherwise start a second driver whose state the first one's
    /// last write contradicts.
    lifecycle: tokio::sync::Mutex<()>,
    /// The media upload/download grant, cached for its ttl.
    #[cfg(feature = "media-http")]
    media: media::MediaConnCache,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("url", &self.config.url)
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section here is a single assignment or take: a poisoned value is still whole.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    fn state(&self) -> ConnectionState {
        *self.state.borrow()
    }

    fn set_state(&self, state: ConnectionState) {
        self.state.send_replace(state);
    }

    fn set_jid(&self, jid: Option<Jid>) {
        *lock(&self.jid) = jid;
    }

    /// Forgets what belonged to the connection that just ended: waiting requests fail at once, a
    /// link-code exchange and an awaited `<active/>` answer cannot complete on another connection.
    fn connection_ended(&self) {
        self.pending.fail_all();
        self.reset_link_code();
        *lock(&self.active_request) = None;
    }

    /// Notes the id of the `<active/>` request whose answer completes the login.
    fn expect_active_answer(&self, id: String) {
        *lock(&self.active_request) = Some(id);
    }

    /// Whether `id` is the awaited `<active/>` request; if so it is no longer awaited, so exactly one
    /// caller reports `Connected`.
    fn take_active_request(&self, id: &str) -> bool {
        let mut awaited = lock(&self.active_request);
        if awaited.as_deref() == Some(id) {
            *awaited = None;
            true
        } else {
            false
        }
    }

    fn command_sender(&self) -> Option<mpsc::Sender<Command>> {
        lock(&self.control)
            .as_ref()
            .filter(|control| !control.task.is_finished())
            .map(|control| control.commands.clone())
    }

    /// Encodes `node` and queues it for the driver to write.
    async fn send_node(&self, node: &Node) -> Result<()> {
        let payload = binary::encode(node)?;
        let sender = self.command_sender().ok_or(Error::NotConnected)?;
        sender
            .send(Command::Send(payload))
            .await
            .map_err(|_| Error::NotConnected)
    }

    /// Sends an iq (assigning an id if it has none) and waits for the answer.
    async fn send_iq(&self, mut node: Node) -> Result<Node> {
        let id = match node.attr_str("id") {
            Some(id) => id.to_owned(),
            None => {
                let id = self.ids.next();
                node.set_attr("id", id.clone());
                id
            }
        };
        let mut waiting = self.pending.wait(id.clone());
        self.send_node(&node).await?;
        let answer = match tokio::time::timeout(self.config.iq_timeout, &mut waiting.answer).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => return Err(Error::NotConnected),
            Err(_) => return Err(Error::RequestTimedOut { id }),
        };
        if answer.attr_str("type") == Some("error") {
            let error = answer.child("error");
            return Err(Error::IqError {
                code: error
                    .and_then(|e| e.attr_str("code"))
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(0),
                text: error
                    .and_then(|e| e.attr_str("text"))
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
        Ok(answer)
    }
}

/// Builds a [`Client`].
pub struct ClientBuilder {
    config: ClientConfig,
    store: Arc<dyn Store>,
    gate: Option<Arc<dyn MessageGate>>,
    gate_timeout: std::time::Duration,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// A production client over `store`, which holds one device: empty for a new companion (the first
    /// [`Client::connect`] creates the device and registers it), or a paired one to log in again.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            config: ClientConfig::default(),
            store,
            gate: None,
            gate_timeout: DEFAULT_GATE_TIMEOUT,
        }
    }

    /// Replaces the whole configuration.
    pub fn config(mut self, config: ClientConfig) -> Self {
        self.config = config;
        self
    }

    /// The WebSocket URL (`ws://` or `wss://`).
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.config.url = url.into();
        self
    }

    /// The certificate root to trust (the simulator's, in tests).
    pub fn trust_root(mut self, root: TrustRoot) -> Self {
        self.config.trust_root = root;
        self
    }

    /// The OS name and browser kind shown on the phone.
    pub fn platform(mut self, platform: CompanionPlatform) -> Self {
        self.config.payload.platform = platform;
        self
    }

    /// The WhatsApp Web version claimed.
    pub fn version(mut self, version: WaVersion) -> Self {
        self.config.payload.version = version;
        self
    }

    /// The push name sent in the payload.
    pub fn push_name(mut self, name: impl Into<String>) -> Self {
        self.config.payload.push_name = Some(name.into());
        self
    }

    /// A hook awaited for every incoming message after it is stored and before it is acknowledged to
    /// WhatsApp (see [`MessageGate`] for the timeout and redelivery rules). Without one, messages are
    /// acknowledged as soon as they are stored.
    pub fn message_gate(mut self, hook: Arc<dyn MessageGate>) -> Self {
        self.gate = Some(hook);
        self
    }

    /// How long the driver waits for the [`MessageGate`] before acknowledging anyway
    /// ([`DEFAULT_GATE_TIMEOUT`] unless set). Only meaningful with a gate.
    pub fn message_gate_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.gate_timeout = timeout;
        self
    }

    /// The client handle and its event stream. Nothing connects until [`Client::connect`].
    pub fn build(self) -> (Client, Events) {
        let (events, receiver) = event::channel(self.config.event_capacity, self.config.event_send_timeout);
        let mut rng: rand::rngs::StdRng = rand::make_rng();
        let shared = Arc::new(Shared {
            ids: RequestIds::new(&mut rng),
            config: self.config,
            committer: commit::Committer::new(self.store.clone(), Arc::default()),
            store: self.store,
            gate: self.gate.map(|hook| gate::Gate {
                hook,
                timeout: self.gate_timeout,
            }),
            jid: Mutex::new(None),
            link_code: Mutex::new(LinkCodeState::default()),
            active_request: Mutex::new(None),
            logout_requested: AtomicBool::new(false),
            events,
            messaging: messaging::MessagingState::default(),
            pending: PendingRequests::default(),
            state: watch::Sender::new(ConnectionState::Disconnected),
            control: Mutex::new(None),
            lifecycle: tokio::sync::Mutex::new(()),
            #[cfg(feature = "media-http")]
            media: media::MediaConnCache::default(),
        });
        let client = Client {
            inner: Arc::new(Handle { shared }),
        };
        (client, receiver)
    }
}

/// Owned by the handles; stops the driver when the last handle goes.
#[derive(Debug)]
struct Handle {
    shared: Arc<Shared>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        if let Some(control) = lock(&self.shared.control).take() {
            control.task.abort();
        }
    }
}

/// A WhatsApp companion client. Cheap to clone; the connection stops when the last clone is dropped
/// (call [`Client::disconnect`] first for a clean close).
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<Handle>,
}

impl Client {
    /// A builder over `store`; see [`ClientBuilder::new`].
    pub fn builder(store: Arc<dyn Store>) -> ClientBuilder {
        ClientBuilder::new(store)
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.inner.shared
    }

    /// Starts the connection driver, which connects, pairs or logs in, and keeps the connection up
    /// (reconnecting as [`ReconnectPolicy`] says). Returns at once; progress arrives as events. Does
    /// nothing if a driver is already running. Must be called within a Tokio runtime.
    pub async fn connect(&self) -> Result<()> {
        let shared = self.shared();
        let _turn = shared.lifecycle.lock().await;
        let mut control = lock(&shared.control);
        if control.as_ref().is_some_and(|c| !c.task.is_finished()) {
            return Ok(());
        }
        let (commands, receiver) = mpsc::channel(COMMAND_QUEUE);
        shared.set_state(ConnectionState::Connecting);
        let task = tokio::spawn(driver::run(shared.clone(), receiver));
        *control = Some(Control { commands, task });
        Ok(())
    }

    /// Closes the connection cleanly: stanzas already queued are written, the socket is closed, and no
    /// reconnect follows. Emits [`Event::Disconnected`] with [`DisconnectReason::Requested`].
    pub async fn disconnect(&self) {
        let _turn = self.shared().lifecycle.lock().await;
        self.stop_driver().await;
    }

    async fn stop_driver(&self) {
        let shared = self.shared();
        let Some(control) = lock(&shared.control).take() else {
            return;
        };
        let (done, stopped) = oneshot::channel();
        let timeout = shared.config.shutdown_timeout;
        let asked = control.commands.send(Command::Stop { done }).await.is_ok();
        if !asked || tokio::time::timeout(timeout, stopped).await.is_err() {
            control.task.abort();
        }
        let _ = tokio::time::timeout(timeout, control.task).await;
        if shared.state() != ConnectionState::LoggedOut {
            shared.set_state(ConnectionState::Disconnected);
        }
    }

    /// Unlinks this companion: asks the server to remove the device (if connected), disconnects, wipes
    /// the device's data from the store, and emits [`Event::LoggedOut`] with [`LogoutReason::Requested`].
    /// The next [`Client::connect`] registers a new device. Fails with the first error met (the server's
    /// refusal or the store's), after doing every step it could.
    pub async fn logout(&self) -> Result<()> {
        let shared = self.shared();
        let _turn = shared.lifecycle.lock().await;
        shared.logout_requested.store(true, Ordering::Release);
        let jid = match shared.store.load_device().await {
            Ok(device) => device.and_then(|device| device.jid),
            Err(_) => lock(&shared.jid).clone(),
        };
        let removed = match &jid {
            Some(jid) if shared.state() == ConnectionState::Connected => shared
                .send_iq(stanzas::remove_companion_device(jid))
                .await
                .map(|_| ()),
            _ => Ok(()),
        };
        self.stop_driver().await;
        // The server may answer the removal by ending the stream with 401 device_removed before the iq
        // result arrives; then the driver has already wiped the device and reported the logout.
        let driver_logged_out = shared.state() == ConnectionState::LoggedOut;
        let removed = match removed {
            Err(Error::NotConnected) if driver_logged_out => Ok(()),
            other => other,
        };
        // Batches queued before the wipe commit first, so none lands after it in a store that no
        // longer has this device (a failed one is moot: everything is wiped anyway).
        let _ = shared.committer.flush_and_forget().await;
        let wiped = shared.store.delete_device().await.map_err(Error::from);
        shared.committer.forget();
        shared.set_jid(None);
        shared.set_state(ConnectionState::LoggedOut);
        if !driver_logged_out {
            shared
                .events
                .emit(Event::LoggedOut {
                    reason: LogoutReason::Requested,
                })
                .await;
        }
        shared.logout_requested.store(false, Ordering::Release);
        removed.and(wiped)
    }

    /// Pairs by phone number instead of QR (transport guide D.6): asks the server to send the phone of
    /// `phone` (international digits; `+`, spaces and dashes are fine) a pairing request, and returns
    /// the 8-character code (`XXXX-XXXX`) the user types on that phone under Linked devices → Link with
    /// phone number. The code is also emitted as [`Event::PairCode`]; [`Event::Paired`] follows as for a
    /// QR scan. `show_push_notification` asks the phone to notify the user.
    ///
    /// Call it after [`Client::connect`] on an unpaired device (it waits for the registration connection
    /// to come up). The QR codes keep coming meanwhile, and the window closes when they run out.
    pub async fn pair_phone(&self, phone: &str, show_push_notification: bool) -> Result<String> {
        link_code::request_code(self.shared(), phone, None, show_push_notification).await
    }

    /// [`Client::pair_phone`] with a code of your choosing: 8 characters (dashes and spaces are
    /// dropped, letters upper-cased).
    pub async fn pair_phone_with_code(
        &self,
        phone: &str,
        code: &str,
        show_push_notification: bool,
    ) -> Result<String> {
        link_code::request_code(self.shared(), phone, Some(code), show_push_notification).await
    }

    /// Where the client is in its life.
    pub fn state(&self) -> ConnectionState {
        self.shared().state()
    }

    /// Our device JID, once paired and known to this client (after pairing, or once `connect` loaded a
    /// paired device from the store).
    pub fn jid(&self) -> Option<Jid> {
        lock(&self.shared().jid).clone()
    }

    /// The device in the store (`None` before the first `connect` of an empty store, and after a
    /// logout).
    pub async fn device(&self) -> Result<Option<Device>> {
        Ok(self.shared().store.load_device().await?)
    }

    /// The store this client keeps its device in. Read what you like; while the client runs it must
    /// stay the only writer of the Signal state (sessions, identities, sender keys), settings and
    /// device lists, which it caches (see `client/cache.rs`).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.shared().store
    }

    /// Drops the client's in-memory copy of its store's Signal state, settings and device lists, after
    /// waiting for the batches already queued to be committed; later reads load from the store again.
    /// Only for a store written behind the client's back (tests, repairs), which [`Client::store`]
    /// otherwise forbids; call it while nothing is being sent or received.
    pub async fn forget_cached_state(&self) -> Result<()> {
        self.shared().committer.flush_and_forget().await
    }

    /// A fresh stanza id (`<a>.<b>-<n>`).
    pub fn next_request_id(&self) -> String {
        self.shared().ids.next()
    }

    /// Sends an `iq` and waits for the server's answer (matched by id; one is assigned if `iq` has none)
    /// for at most [`ClientConfig::iq_timeout`]. An `type=error` answer is [`Error::IqError`].
    pub async fn send_iq(&self, iq: Node) -> Result<Node> {
        self.shared().send_iq(iq).await
    }

    /// Queues a stanza for the connection to write.
    pub async fn send_node(&self, node: &Node) -> Result<()> {
        self.shared().send_node(node).await
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.shared().config
    }
}
