//! Client configuration: where to connect, whom to trust, how to present ourselves, and the timings of
//! the connection's life.

use std::time::Duration;

use crate::login::{CompanionPlatform, PayloadConfig, WaVersion};
use crate::noise::TrustRoot;

/// WhatsApp's WebSocket endpoint (transport guide A.1).
pub const WHATSAPP_WEB_URL: &str = "wss://web.whatsapp.com/ws/chat";

/// The Origin header every connection sends (A.1).
pub const WHATSAPP_WEB_ORIGIN: &str = "https://web.whatsapp.com";

/// Everything a [`Client`](super::Client) is configured with. [`Default`] is production WhatsApp.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// WebSocket URL, `ws://` or `wss://` ([`WHATSAPP_WEB_URL`] by default; the simulator's otherwise).
    pub url: String,
    /// The root the server's Noise certificate chain must lead to.
    pub trust_root: TrustRoot,
    /// Version, platform, locale and push name sent in every `ClientPayload`.
    pub payload: PayloadConfig,
    /// How long an IQ waits for its answer (whatsmeow: 75 s).
    pub iq_timeout: Duration,
    /// TCP + TLS + WebSocket upgrade deadline.
    pub connect_timeout: Duration,
    /// How long to wait for the ServerHello (both libraries: 20 s).
    pub handshake_timeout: Duration,
    /// Keepalive pings.
    pub keepalive: KeepaliveConfig,
    /// Reconnecting after unexpected disconnects.
    pub reconnect: ReconnectPolicy,
    /// QR rotation.
    pub qr: QrTimings,
    /// Events buffered before the driver waits for the application (see [`Events`](super::Events)).
    pub event_capacity: usize,
    /// How long the driver waits for room in a full event buffer before it drops the event and counts
    /// it in [`Event::Lagged`](super::Event::Lagged).
    pub event_send_timeout: Duration,
    /// How long [`Client::disconnect`](super::Client::disconnect) waits for queued stanzas to be written.
    pub shutdown_timeout: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            url: WHATSAPP_WEB_URL.to_owned(),
            trust_root: TrustRoot::whatsapp_production(),
            payload: PayloadConfig::default(),
            iq_timeout: Duration::from_secs(75),
            connect_timeout: Duration::from_secs(20),
            handshake_timeout: Duration::from_secs(20),
            keepalive: KeepaliveConfig::default(),
            reconnect: ReconnectPolicy::default(),
            qr: QrTimings::default(),
            event_capacity: 256,
            event_send_timeout: Duration::from_secs(5),
            shutdown_timeout: Duration::from_secs(5),
        }
    }
}

impl ClientConfig {
    /// The production configuration with another version.
    pub fn with_version(mut self, version: WaVersion) -> Self {
        self.payload.version = version;
        self
    }

    /// The production configuration with another OS/browser shown on the phone.
    pub fn with_platform(mut self, platform: CompanionPlatform) -> Self {
        self.payload.platform = platform;
        self
    }
}

/// Keepalive pings (transport guide E.4): `<iq xmlns=w:p type=get><ping/></iq>` at a random interval in
/// `min_interval..=max_interval`; an answer later than `deadline` means the connection is dead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeepaliveConfig {
    /// Shortest gap between pings (whatsmeow: 20 s).
    pub min_interval: Duration,
    /// Longest gap between pings (whatsmeow: 30 s).
    pub max_interval: Duration,
    /// How long a ping may go unanswered (whatsmeow: 10 s).
    pub deadline: Duration,
}

impl Default for KeepaliveConfig {
    fn default() -> Self {
        Self {
            min_interval: Duration::from_secs(20),
            max_interval: Duration::from_secs(30),
            deadline: Duration::from_secs(10),
        }
    }
}

/// Capped exponential backoff with jitter between reconnect attempts (transport guide E.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReconnectPolicy {
    /// Whether to reconnect at all after an unexpected disconnect.
    pub enabled: bool,
    /// Delay before the first retry (before jitter).
    pub base_delay: Duration,
    /// Largest delay (before jitter).
    pub max_delay: Duration,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
        }
    }
}

/// How long each pairing QR is shown (transport guide D.1): the first for `first`, each following one
/// for `next`; when the server's refs run out, pairing ends with [`Event::QrExpired`](super::Event::QrExpired).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QrTimings {
    /// Lifetime of the first QR (60 s).
    pub first: Duration,
    /// Lifetime of each later QR (20 s).
    pub next: Duration,
}

impl Default for QrTimings {
    fn default() -> Self {
        Self {
            first: Duration::from_secs(60),
            next: Duration::from_secs(20),
        }
    }
}
