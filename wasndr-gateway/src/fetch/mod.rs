//! Safe outbound HTTP: the address policy and the client that enforces it.

mod address;
mod client;

pub use address::{AllowEntry, check_address, refusal_reason};
pub use client::{FetchFailure, FetchPolicy, FetchResponse, OutboundClient};
