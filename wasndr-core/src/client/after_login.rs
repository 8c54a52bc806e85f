//! What runs after `<success>` (transport guide E.2, E.3): make sure the server holds enough of our
//! prekeys, then turn active, then report [`Event::Connected`]. It runs in its own short-lived task
//! because each step waits for an IQ answer that the driver has to read.

use std::sync::Arc;

use super::device::current_signed_prekey;
use super::event::Event;
use super::stanzas;
use super::{ConnectionState, Shared};
use crate::error::{Error, Result};
use crate::jid::Jid;
use crate::signal::{INITIAL_PREKEY_COUNT, MIN_PREKEY_COUNT, PREKEY_BATCH, generate_prekeys};
use crate::stanza::{parse_prekey_count, prekey_count_query, upload_prekeys};
use crate::store::Device;

/// The post-login sequence; emits `Connected` unless the connection went away meanwhile.
pub(super) async fn run(shared: Arc<Shared>, jid: Jid, device: Device) {
    match top_up_prekeys(&shared, &device).await {
        Ok(()) => {}
        Err(Error::NotConnected) => return,
        // Not fatal: the server tells us again when it runs low (encrypt notification).
        Err(error) => tracing::warn!(%error, "prekey check after login failed"),
    }
    let mut active = stanzas::set_active();
    let id = shared.ids.next();
    active.set_attr("id", id.clone());
    // The driver reports `Connected` when the answer arrives (see `Shared::take_active_request`).
    shared.expect_active_answer(id.clone());
    match shared.send_iq(active).await {
        Ok(_) => return,
        Err(Error::NotConnected) => return,
        // An error answer was reported by the driver as it came; a missing one is reported here.
        Err(Error::IqError { .. }) => return,
        Err(error) => tracing::warn!(%error, "setting the connection active failed"),
    }
    if shared.take_active_request(&id) {
        shared.set_state(ConnectionState::Connected);
        shared.events.emit(Event::Connected { jid }).await;
    }
}

/// Asks the server how many prekeys it holds and uploads more when it is below the threshold: the
/// full initial set when it has none, a batch otherwise.
pub(super) async fn top_up_prekeys(shared: &Shared, device: &Device) -> Result<()> {
    let answer = shared.send_iq(prekey_count_query().into()).await?;
    let count = parse_prekey_count(&answer)?;
    upload_if_low(shared, device, count).await
}

/// Uploads prekeys if the server holds fewer than [`MIN_PREKEY_COUNT`].
pub(super) async fn upload_if_low(shared: &Shared, device: &Device, server_count: u32) -> Result<()> {
    if server_count >= MIN_PREKEY_COUNT {
        return Ok(());
    }
    let wanted = if server_count == 0 {
        INITIAL_PREKEY_COUNT
    } else {
        PREKEY_BATCH
    };
    upload(shared, device, wanted).await
}

/// Generates `count` prekeys, stores them (before the server can hand them out), and uploads them with
/// the current signed prekey.
async fn upload(shared: &Shared, device: &Device, count: u32) -> Result<()> {
    let store = &*shared.store;
    let signed = current_signed_prekey(store, device).await?;
    let first = store.next_prekey_id().await?;
    let (prekeys, _next) = {
        let mut rng: rand::rngs::StdRng = rand::make_rng();
        generate_prekeys(first, count, &mut rng)?
    };
    store.store_prekeys(&prekeys).await?;
    shared
        .send_iq(
            upload_prekeys(
                device.registration_id,
                device.identity.public(),
                &signed,
                &prekeys,
            )
            .into(),
        )
        .await?;
    tracing::debug!(count, first, "uploaded prekeys");
    Ok(())
}
