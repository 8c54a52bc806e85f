//! What sending and receiving share: the lock that serialises Signal state changes, our own device as
//! the pipelines need it, retry counters, and loading the records a step reads.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{Shared, lock};
use crate::error::{Error, Result};
use crate::jid::Jid;
use crate::message::{OwnDevice, RecordKeys, Records, protocol_address};
use crate::signal::{ProtocolAddress, SenderKeyName};
use crate::store::Device;

/// Retry counters kept per message id; past this many entries the oldest knowledge is dropped (a
/// counter only stops us from asking forever, so forgetting one costs at most a few extra receipts).
const MAX_RETRY_COUNTERS: usize = 4096;

/// Messaging state of one client.
#[derive(Debug, Default)]
pub(super) struct MessagingState {
    /// Held from loading records to queuing the changes of one send, receive or retry (see
    /// [`super::commit`]): two steps must never advance the same ratchet from the same record.
    pub(super) crypto: tokio::sync::Mutex<()>,
    /// Retry receipts we sent, per incoming message id.
    retries: Mutex<HashMap<String, u32>>,
    /// Our paired device, loaded once (the store is read again when our JID changes).
    device: Mutex<Option<Arc<Device>>>,
}

impl MessagingState {
    pub(super) fn retries_sent(&self, id: &str) -> u32 {
        lock(&self.retries).get(id).copied().unwrap_or(0)
    }

    pub(super) fn note_retry(&self, id: &str, count: u32) {
        let mut retries = lock(&self.retries);
        if retries.len() >= MAX_RETRY_COUNTERS {
            retries.clear();
        }
        retries.insert(id.to_owned(), count);
    }

    pub(super) fn forget_retries(&self, id: &str) {
        lock(&self.retries).remove(id);
    }
}

/// The setting that remembers which devices hold our current sender key in `group` (Baileys'
/// "sender-key memory"): they get no distribution message again. Kept as a setting so it is written in
/// the same [`crate::store::Changes`] as the sender key it describes.
pub(super) fn sender_key_memory_key(group: &Jid) -> String {
    format!("wasndr.sender-key-memory.{group}")
}

/// Our paired device. [`Error::NotConnected`] before pairing or after a logout.
pub(super) async fn own_device(shared: &Shared) -> Result<Arc<Device>> {
    let jid = lock(&shared.jid).clone().ok_or(Error::NotConnected)?;
    if let Some(device) = lock(&shared.messaging.device).as_ref()
        && device.jid.as_ref() == Some(&jid)
    {
        return Ok(device.clone());
    }
    let device = shared
        .store
        .load_device()
        .await?
        .filter(|device| device.jid.as_ref() == Some(&jid))
        .ok_or(Error::NotConnected)?;
    let device = Arc::new(device);
    *lock(&shared.messaging.device) = Some(device.clone());
    Ok(device)
}

/// The pipelines' view of our device (which must be paired).
pub(super) fn own_view(device: &Device) -> Result<OwnDevice<'_>> {
    Ok(OwnDevice {
        identity: &device.identity,
        registration_id: device.registration_id,
        pn: device.jid.as_ref().ok_or(Error::NotConnected)?,
        lid: device.lid.as_ref(),
        device_identity: device.account.as_deref().unwrap_or_default(),
    })
}

/// Loads the records named by `keys`: Signal state from the client's cache (which includes batches
/// queued but not yet committed), prekeys from the store.
pub(super) async fn load_records(shared: &Shared, keys: &RecordKeys) -> Result<Records> {
    let store = &*shared.store;
    let mut records = Records::default();
    load_sessions(shared, &keys.sessions, &mut records).await?;
    for id in &keys.prekeys {
        if let Some(prekey) = store.load_prekey(*id).await? {
            records.prekeys.insert(*id, prekey);
        }
    }
    for id in &keys.signed_prekeys {
        if let Some(signed) = store.load_signed_prekey(*id).await? {
            records.signed_prekeys.insert(*id, signed);
        }
    }
    load_sender_keys(shared, &keys.sender_keys, &mut records).await?;
    Ok(records)
}

/// Adds the sessions and trusted identities of `addresses` to `records`.
pub(super) async fn load_sessions(
    shared: &Shared,
    addresses: &[ProtocolAddress],
    records: &mut Records,
) -> Result<()> {
    let (store, cache) = (&*shared.store, shared.committer.cache());
    for address in addresses {
        if let Some(session) = cache.session(store, address).await? {
            records.sessions.insert(address.clone(), session);
        }
        if let Some(identity) = cache.identity(store, address).await? {
            records.identities.insert(address.clone(), identity);
        }
    }
    Ok(())
}

/// Adds the sender keys `names` to `records`.
pub(super) async fn load_sender_keys(
    shared: &Shared,
    names: &[SenderKeyName],
    records: &mut Records,
) -> Result<()> {
    let (store, cache) = (&*shared.store, shared.committer.cache());
    for name in names {
        if let Some(record) = cache.sender_key(store, name).await? {
            records.sender_keys.insert(name.clone(), record);
        }
    }
    Ok(())
}

/// The records a send to `devices` reads: their sessions and identities, and our sender key in
/// `group` under `sender_key_device`.
pub(super) async fn records_for_send(
    shared: &Shared,
    devices: &[Jid],
    group: Option<(&Jid, &Jid)>,
) -> Result<Records> {
    let mut records = Records::default();
    let addresses: Vec<ProtocolAddress> = devices.iter().map(protocol_address).collect();
    load_sessions(shared, &addresses, &mut records).await?;
    if let Some((group, sender)) = group {
        let name = SenderKeyName::new(group.to_string(), protocol_address(sender));
        load_sender_keys(shared, &[name], &mut records).await?;
    }
    Ok(records)
}
