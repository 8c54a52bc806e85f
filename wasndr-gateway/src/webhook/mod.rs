//! Webhooks: signing and the persisted delivery queue's worker.

mod dispatcher;
mod signature;

pub use dispatcher::{WebhookDispatcher, WebhookSettings};
pub use signature::{sign, verify};

/// The event names a webhook may subscribe to.
pub const EVENT_NAMES: [&str; 4] = [
    "message.received",
    "message.sent",
    "message.status",
    "session.status",
];
