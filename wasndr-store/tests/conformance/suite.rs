//! The conformance tests, as async functions over a container. Each takes a fresh, empty container.

mod changes;
mod contacts;
mod devices;
mod groups;
mod history;
mod messages;
mod signal;

pub(crate) use changes::*;
pub(crate) use contacts::*;
pub(crate) use devices::*;
pub(crate) use groups::*;
pub(crate) use history::*;
pub(crate) use messages::*;
pub(crate) use signal::*;

use std::sync::Arc;

use rand::SeedableRng;
use rand::rngs::StdRng;
use wasndr_core::jid::Jid;
use wasndr_core::store::{Device, MessageStatus, Store, StoredMessage};
use wasndr_store::{DeviceId, StoreContainer};

/// A deterministic RNG, so a failure reproduces.
pub(crate) fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// A new device with a generated [`Device`] saved, and its store.
pub(crate) async fn new_device(
    container: &dyn StoreContainer,
    seed: u64,
) -> (DeviceId, Arc<dyn Store>, Device) {
    let id = container.create_device().await.unwrap();
    let store = container.open_device(id).await.unwrap();
    let (device, signed_prekey) = Device::generate(1_700_000_000 + seed, &mut rng(seed)).unwrap();
    store.save_device(&device).await.unwrap();
    store.store_signed_prekey(&signed_prekey).await.unwrap();
    (id, store, device)
}

pub(crate) fn pn(user: &str) -> Jid {
    Jid::pn(user)
}

/// A received text message.
pub(crate) fn text_message(chat: &Jid, id: &str, timestamp: u64, text: &str) -> StoredMessage {
    StoredMessage {
        chat: chat.clone(),
        id: id.to_owned(),
        sender: chat.clone(),
        from_me: false,
        timestamp,
        status: MessageStatus::Sent,
        message_type: "text".into(),
        text: Some(text.to_owned()),
        raw: format!("raw:{id}").into_bytes(),
        media: None,
    }
}

/// The ids of a page, in order.
pub(crate) fn ids(messages: &[StoredMessage]) -> Vec<&str> {
    messages.iter().map(|m| m.id.as_str()).collect()
}
