//! What the server does with each stanza a connected device (or a waiting companion) sends.

mod devices;
mod encrypt;
mod groups;
pub(crate) mod iq;
pub(crate) mod message;
mod pairing;
mod presence;
pub(crate) mod receipt;
mod usync;

use wasndr_core::binary::Node;

use crate::conn::{ConnCtx, Peer};
use crate::shared::Shared;

pub(crate) use devices::{DeviceChange, notify as notify_devices};
pub(crate) use groups::create_group;
pub(crate) use pairing::{PairingDone, enter_link_code, scan};

/// Dispatches one decoded stanza.
pub(crate) fn handle(shared: &Shared, ctx: &ConnCtx, node: Node) {
    match (&ctx.peer, node.tag.as_ref()) {
        (Peer::Refused, _) => {}
        (_, "iq") => iq::handle(shared, ctx, node),
        (Peer::Device(device), "message") => message::route(shared, device, &node, Some(&ctx.outbox)),
        (Peer::Device(device), "receipt") => receipt::relay(shared, device, &node),
        (Peer::Device(device), "presence") => presence::presence(shared, device, &node),
        (Peer::Device(device), "chatstate") => presence::chatstate(shared, device, &node),
        // Acks of what we delivered, `ib` telemetry and anything else need no answer.
        _ => {}
    }
}
