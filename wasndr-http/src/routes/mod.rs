//! Handlers, one module per area of the API.

pub(crate) mod account;
pub(crate) mod events;
pub(crate) mod groups;
pub(crate) mod messages;
pub(crate) mod ops;
pub(crate) mod sessions;
