//! What a client tells its application, and the bounded stream that carries it.
//!
//! See [`Events`] for the bound and overflow rule.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::jid::Jid;

/// Something that happened to a client.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Event {
    /// A pairing QR to show. Replaced by the next `Qr` when `valid_for` has passed.
    Qr {
        /// The QR text: `https://wa.me/settings/linked_devices#REF,NOISE,IDENTITY,ADV,TYPE`.
        code: String,
        /// Which of the server's refs this is (0 for the first).
        index: usize,
        /// How many refs remain after this one.
        remaining: usize,
        /// How long this QR is shown before the next one.
        valid_for: Duration,
    },
    /// The pairing QRs ran out without a scan: pairing stopped and the connection was closed. Call
    /// [`Client::connect`](super::Client::connect) to start again with fresh codes.
    QrExpired,
    /// The code to type on the phone for phone-number pairing.
    PairCode {
        /// `XXXX-XXXX`.
        code: String,
    },
    /// The phone paired this companion; the server restarts the stream (515) and the client logs in.
    Paired {
        /// Our device JID `PHONE:N@s.whatsapp.net`.
        jid: Jid,
        /// Our device LID `LID:N@lid`, if the server sent one.
        lid: Option<Jid>,
        /// The primary's platform (`android`, `smba`, …).
        platform: Option<String>,
        /// The business name, for WhatsApp Business accounts.
        business_name: Option<String>,
    },
    /// A `pair-success` failed verification and was refused; the QR flow continues.
    PairError {
        /// Why (HMAC mismatch, bad account signature, malformed stanza).
        reason: String,
    },
    /// Logged in, prekeys in place, active: ready to send and receive.
    Connected {
        /// Our device JID.
        jid: Jid,
    },
    /// The server finished delivering what queued up while we were away (`<ib><offline count/>`).
    OfflineSyncCompleted {
        /// How many stanzas it said it delivered.
        count: u32,
    },
    /// The connection ended.
    Disconnected {
        /// Why.
        reason: DisconnectReason,
        /// When the client reconnects by itself, how long it waits first; `None` when it does not.
        reconnect_in: Option<Duration>,
    },
    /// This companion is no longer linked: its device was cleared from the store and the client stopped.
    LoggedOut {
        /// Why.
        reason: LogoutReason,
    },
    /// Another connection of this device took over (`<conflict type=replaced/>`, 440). The client
    /// stopped and does not fight it by reconnecting.
    StreamReplaced,
    /// The account is temporarily banned (`<failure reason=402/>`); the client stopped.
    TemporaryBan {
        /// Seconds until the ban ends, when the server said.
        expire: Option<u64>,
    },
    /// The server refuses this client version (`<failure reason=405/>`); configure a newer
    /// [`WaVersion`](crate::login::WaVersion). The client stopped.
    ClientOutdated,
    /// A message arrived (or one our other device sent was copied to us). It was decrypted, stored in
    /// history and acknowledged before this event; a redelivered duplicate is not reported again.
    Message(Box<MessageEvent>),
    /// A receipt for messages we sent (delivered, read, played, …). Status changes it implies were
    /// stored before this event.
    Receipt(ReceiptEvent),
    /// A message could not be decrypted. A retry receipt asking the sender to resend was sent (unless
    /// the retries are used up); the resend, if it comes, arrives as an ordinary [`Event::Message`].
    UndecryptableMessage {
        /// Who sent what, as far as the stanza tells.
        info: MessageInfo,
        /// Why it failed.
        error: String,
        /// The retry receipt's count, or `None` when no more retries are asked for.
        retry_count: Option<u32>,
    },
    /// A vote in a poll we know the secret of (stored before this event). `selected` holds the option
    /// names, in poll order; empty means the voter withdrew.
    PollVote {
        /// The chat of the poll.
        chat: Jid,
        /// The poll's message id.
        poll_id: String,
        /// Who voted (account JID).
        voter: Jid,
        /// The chosen options.
        selected: Vec<String>,
    },
    /// A group changed (`w:gp2`): created with us in it, members, subject, description, settings. The
    /// group cache in the store was updated before the notification was acknowledged.
    GroupUpdate(Box<crate::stanza::GroupNotification>),
    /// Events were dropped because the application did not keep up (see [`Events`] for the rule).
    Lagged {
        /// How many.
        missed: u64,
    },
}

/// Who sent a message, where, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageInfo {
    /// The message id.
    pub id: String,
    /// The chat: the other user (no device) for a 1:1 chat, the group for a group message. A copy our
    /// other device sent to someone is filed under that someone.
    pub chat: Jid,
    /// The device that sent it.
    pub sender: Jid,
    /// Whether our own account sent it (from another of our devices).
    pub from_me: bool,
    /// The server's time of the message, unix seconds.
    pub timestamp: u64,
    /// The sender's push name (`notify`), when the stanza carried one.
    pub push_name: Option<String>,
    /// Whether the chat is a group.
    pub is_group: bool,
    /// Whether it was queued while we were offline.
    pub offline: bool,
}

/// A received message.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageEvent {
    /// Who, where, when.
    pub info: MessageInfo,
    /// The content, unwrapped from a device-sent copy. `None` only if the plaintext did not parse.
    pub message: Option<wasndr_proto::e2e::Message>,
    /// The plaintext protobuf as it arrived (unpadded): message types this crate does not model are
    /// never lost.
    pub raw: bytes::Bytes,
}

/// What a receipt reports.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReceiptKind {
    /// Delivered to a device of the recipient (no `type`, or `inactive`).
    Delivered,
    /// Read (`read`).
    Read,
    /// Played (`played`).
    Played,
    /// Any other type (`read-self`, `sender`, `server-error`, …), as on the wire.
    Other(String),
}

/// A receipt about messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptEvent {
    /// The chat the messages belong to.
    pub chat: Jid,
    /// The device that sent the receipt.
    pub sender: Jid,
    /// The message ids it covers.
    pub ids: Vec<String>,
    /// What it reports.
    pub kind: ReceiptKind,
    /// The receipt's time (unix seconds); our clock when it carried none.
    pub timestamp: u64,
}

/// Why a connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// [`Client::disconnect`](super::Client::disconnect) was called.
    Requested,
    /// `<stream:error code=515/>`: the server asked for a new connection (always after pairing).
    RestartRequired,
    /// Another `<stream:error>`.
    StreamError {
        /// Its code, if any.
        code: Option<u16>,
    },
    /// `<failure>` after login, with a reason that allows retrying (500, 503) or that the client does
    /// not know.
    LoginFailed {
        /// The reason code.
        reason: u16,
    },
    /// A keepalive ping went unanswered past its deadline.
    KeepaliveTimeout,
    /// The server ended the stream (`<xmlstreamend/>`) or closed the socket.
    ServerClosed,
    /// The socket failed (read or write error, reset, TLS failure).
    ConnectionLost(String),
    /// Connecting failed before the handshake (DNS, TCP, TLS, WebSocket upgrade, timeout).
    ConnectFailed(String),
    /// The Noise handshake failed, or the server's certificate chain did not verify.
    HandshakeFailed(String),
    /// The server broke the protocol (an undecryptable frame).
    ProtocolError(String),
}

/// Why this companion was logged out.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogoutReason {
    /// [`Client::logout`](super::Client::logout) was called.
    Requested,
    /// `<stream:error code=401/>` or `<conflict type=device_removed/>`: unlinked from the phone.
    DeviceRemoved,
    /// `<failure reason=401|403|406/>` at login.
    LoginRefused {
        /// The reason code.
        reason: u16,
    },
}

/// The receiving end of a client's events.
///
/// # Bound and overflow rule
///
/// Events go through a bounded buffer of [`ClientConfig::event_capacity`](super::ClientConfig) entries
/// (256 by default). When it is full, the connection driver waits up to
/// [`ClientConfig::event_send_timeout`](super::ClientConfig) (5 s) for the application to make room —
/// that wait is backpressure: the driver reads nothing from the socket meanwhile, so the server slows
/// down rather than the client buffering without bound. If the buffer is still full after that, the
/// event is dropped, the drop is counted, and the next [`Events::recv`] returns [`Event::Lagged`] with
/// the number missed before anything else. No stanza is acknowledged to the server because an event
/// was delivered: anything that needs keeping (messages, their status changes, poll votes) is persisted
/// in the store before its ack, so a lagging application can always re-read it from there.
///
/// If [`Events`] is dropped, events are discarded at once and the driver never waits.
#[derive(Debug)]
pub struct Events {
    receiver: mpsc::Receiver<Event>,
    dropped: Arc<AtomicU64>,
}

impl Events {
    /// The next event; `None` once every [`Client`](super::Client) handle and its driver are gone.
    ///
    /// A gap is reported as soon as it is noticed: [`Event::Lagged`] may come before events that were
    /// already buffered when the dropped one was refused.
    pub async fn recv(&mut self) -> Option<Event> {
        if let Some(missed) = self.take_dropped() {
            return Some(Event::Lagged { missed });
        }
        self.receiver.recv().await
    }

    /// How many events wait in the buffer.
    pub fn len(&self) -> usize {
        self.receiver.len()
    }

    /// Whether no event waits in the buffer.
    pub fn is_empty(&self) -> bool {
        self.receiver.is_empty()
    }

    fn take_dropped(&self) -> Option<u64> {
        match self.dropped.swap(0, Ordering::AcqRel) {
            0 => None,
            missed => Some(missed),
        }
    }
}

/// The driver's end: sends with the overflow rule.
#[derive(Debug, Clone)]
pub(crate) struct EventSender {
    sender: mpsc::Sender<Event>,
    dropped: Arc<AtomicU64>,
    timeout: Duration,
}

impl EventSender {
    /// Delivers `event`, waiting at most the configured timeout for room; counts it as dropped otherwise.
    pub(crate) async fn emit(&self, event: Event) {
        match self.sender.send_timeout(event, self.timeout).await {
            Ok(()) => {}
            Err(mpsc::error::SendTimeoutError::Timeout(event)) => {
                self.dropped.fetch_add(1, Ordering::AcqRel);
                tracing::warn!(event = event_name(&event), "event buffer full: event dropped");
            }
            // Nobody listens: nothing to do.
            Err(mpsc::error::SendTimeoutError::Closed(_)) => {}
        }
    }
}

/// A new event channel of `capacity` entries.
pub(crate) fn channel(capacity: usize, timeout: Duration) -> (EventSender, Events) {
    let (sender, receiver) = mpsc::channel(capacity.max(1));
    let dropped = Arc::new(AtomicU64::new(0));
    (
        EventSender {
            sender,
            dropped: dropped.clone(),
            timeout,
        },
        Events { receiver, dropped },
    )
}

/// The variant name, for logs (events may carry secrets such as QR codes, so never log them whole).
pub(crate) fn event_name(event: &Event) -> &'static str {
    match event {
        Event::Qr { .. } => "qr",
        Event::QrExpired => "qr_expired",
        Event::PairCode { .. } => "pair_code",
        Event::Paired { .. } => "paired",
        Event::PairError { .. } => "pair_error",
        Event::Connected { .. } => "connected",
        Event::OfflineSyncCompleted { .. } => "offline_sync_completed",
        Event::Disconnected { .. } => "disconnected",
        Event::LoggedOut { .. } => "logged_out",
        Event::StreamReplaced => "stream_replaced",
        Event::TemporaryBan { .. } => "temporary_ban",
        Event::ClientOutdated => "client_outdated",
        Event::Message(_) => "message",
        Event::Receipt(_) => "receipt",
        Event::UndecryptableMessage { .. } => "undecryptable_message",
        Event::PollVote { .. } => "poll_vote",
        Event::GroupUpdate(_) => "group_update",
        Event::Lagged { .. } => "lagged",
    }
}
