//! The state one simulator instance shares between its connection tasks, phones and APIs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use wasndr_core::noise::Responder;

use crate::config::SimConfig;
use crate::info::SimInfo;
use crate::network::Network;

/// One simulator's shared state.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: SimConfig,
    pub(crate) info: SimInfo,
    /// Static key and certificate chain; cloned per connection.
    pub(crate) responder: Responder,
    net: Mutex<Network>,
    next_conn: AtomicU64,
}

impl Shared {
    pub(crate) fn new(config: SimConfig, info: SimInfo, responder: Responder) -> Self {
        Self {
            config,
            info,
            responder,
            net: Mutex::new(Network::default()),
            next_conn: AtomicU64::new(1),
        }
    }

    /// The network. A panic while it was held cannot leave it half-updated in a way later operations
    /// trip over (each operation re-checks what it reads), so poisoning is ignored.
    pub(crate) fn net(&self) -> MutexGuard<'_, Network> {
        self.net.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }
}

/// Unix seconds now. The simulator is the server shell, so it reads the clock (the pure protocol code
/// it calls never does).
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default()
}

/// A fresh CSPRNG seeded from the OS.
pub(crate) fn rng() -> rand::rngs::StdRng {
    rand::make_rng()
}
