//! Shared state of the REST shell.

use std::sync::Arc;

use wasndr_gateway::Gateway;

use crate::metrics::Metrics;

/// What every handler reaches.
#[derive(Debug)]
pub struct AppState {
    /// The service.
    pub gateway: Arc<Gateway>,
    /// Request counters for `/metrics`.
    pub metrics: Metrics,
}
