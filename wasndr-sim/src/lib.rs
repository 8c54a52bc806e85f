//! wasndr-sim: a WhatsApp-compatible network that real clients accept — Noise responder with its own
//! certificate chain, binary stanzas, QR and link-code pairing with virtual primary phones that hold
//! real Signal identities (they send and receive text, group text and media themselves), login,
//! prekeys, device lists, message routing with offline queues, receipts, presence, groups and a media
//! host — controlled from Rust ([`SimHandle`]) or over HTTP (`/admin/...`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), wasndr_sim::SimError> {
//! use wasndr_sim::{SimConfig, Simulator};
//! let sim = Simulator::start(SimConfig::default()).await?;
//! let alice = sim.create_phone("15550001111").await?;
//! println!("connect to {} trusting {}", sim.info().ws_url, sim.info().root_public_key);
//! # let _ = alice; Ok(()) }
//! ```

mod config;
mod conn;
mod error;
mod handlers;
mod http;
mod info;
mod media;
mod media_tls;
mod network;
mod phone;
mod shared;
mod simulator;
mod stanzas;

pub use config::SimConfig;
pub use error::SimError;
pub use info::SimInfo;
pub use media_tls::MEDIA_CA_PEM;
pub use phone::{PhoneMedia, ReceivedMedia, ReceivedMessage};
pub use simulator::{PhoneInfo, SimHandle, Simulator};
