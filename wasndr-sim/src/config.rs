//! How a simulator is started.

use std::net::SocketAddr;
use std::time::Duration;

/// Settings of one simulator instance. `Default` listens on an ephemeral loopback port with a fresh
/// trust root and real-time QR refs.
#[derive(Clone)]
pub struct SimConfig {
    /// Where the WebSocket, admin API and media host listen (one port for all three).
    pub listen: SocketAddr,
    /// A fixed root private key for reproducible certificate chains; `None` draws a new root per start.
    pub root_private_key: Option<[u8; 32]>,
    /// Multiplies every pairing time window (QR refs: 60 s, then 20 s each). Tests shrink it, e.g. 0.01.
    pub time_scale: f64,
    /// How many refs one `pair-device` carries.
    pub qr_refs: usize,
    /// How many one-time prekeys a virtual phone publishes (it refills when they run low).
    pub phone_prekeys: u32,
    /// Per-connection WebSocket read buffer, bytes. Small, so idle connections stay cheap.
    pub ws_read_buffer: usize,
    /// How long a connection may take to finish the Noise handshake.
    pub handshake_timeout: Duration,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            root_private_key: None,
            time_scale: 1.0,
            qr_refs: 6,
            phone_prekeys: 50,
            ws_read_buffer: 4096,
            handshake_timeout: Duration::from_secs(20),
        }
    }
}

impl std::fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimConfig")
            .field("listen", &self.listen)
            .field("root_private_key", &self.root_private_key.map(|_| "<fixed>"))
            .field("time_scale", &self.time_scale)
            .field("qr_refs", &self.qr_refs)
            .field("phone_prekeys", &self.phone_prekeys)
            .field("ws_read_buffer", &self.ws_read_buffer)
            .field("handshake_timeout", &self.handshake_timeout)
            .finish()
    }
}

impl SimConfig {
    /// `seconds` of real-server time scaled by [`SimConfig::time_scale`].
    pub(crate) fn scaled(&self, seconds: f64) -> Duration {
        Duration::from_secs_f64((seconds * self.time_scale).max(0.001))
    }
}
