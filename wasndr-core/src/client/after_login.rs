//! What runs after `<success>` (transport guide E.2, E.3): make sure the server holds enough of our
//! prekeys, then turn active, then report [`Event::Connected`]. It runs in its own short-lived task
//! because each step waits for an IQ answer that the driver has to read.

use std::sync::Arc;

use super::event::Event;
use super::stanzas;
use super::{ConnectionState, Shared};
use crate::error::{Error, Result};
use crate::jid::Jid;
use crate::signal::{
    INITIAL_PREKEY_COUNT, MIN_PREKEY_COUNT, PREKEY_BATCH, SignedPreKeyRecord, generate_prekeys,
};

/// The post-login sequence; emits `Connected` unless the connection went away meanwhile.
pub(super) async fn run(shared: Arc<Shared>, jid: Jid) {
    match top_up_prekeys(&shared).await {
        Ok(()) => {}
        Err(Error::NotConnected) => return,
        // Not fatal: the server tells us again when it runs low (encrypt notification).
        Err(error) => tracing::warn!(%error, "prekey check after login failed"),
    }
    match shared.send_iq(stanzas::set_active()).await {
        Ok(_) => {}
        Err(Error::NotConnected) => return,
        Err(error) => tracing::warn!(%error, "setting the connection active failed"),
    }
    shared.set_state(ConnectionState::Connected);
    shared.events.emit(Event::Connected { jid }).await;
}

/// Asks the server how many prekeys it holds and uploads more when it is below the threshold: the
/// full initial set when it has none, a batch otherwise.
pub(super) async fn top_up_prekeys(shared: &Shared) -> Result<()> {
    let answer = shared.send_iq(stanzas::prekey_count()).await?;
    let count = answer
        .child("count")
        .and_then(|count| count.attr_str("value"))
        .and_then(|value| value.parse::<u32>().ok())
        .ok_or(Error::UnexpectedStanza {
            expected: "<count value=N/> in the prekey count answer",
            received: answer.to_string(),
        })?;
    upload_if_low(shared, count).await
}

/// Uploads prekeys if the server holds fewer than [`MIN_PREKEY_COUNT`].
pub(super) async fn upload_if_low(shared: &Shared, server_count: u32) -> Result<()> {
    if server_count >= MIN_PREKEY_COUNT {
        return Ok(());
    }
    let wanted = if server_count == 0 {
        INITIAL_PREKEY_COUNT
    } else {
        PREKEY_BATCH
    };
    upload(shared, wanted).await
}

/// Generates `count` prekeys, stores them (before the server can hand them out), and uploads them with
/// the current signed prekey.
async fn upload(shared: &Shared, count: u32) -> Result<()> {
    let store = &shared.signal;
    let identity = store.identity_key_pair().await?;
    let registration_id = store.local_registration_id().await?;
    let signed = current_signed_prekey(shared).await?;
    let first = store.next_prekey_id().await?;
    let (prekeys, _next) = {
        let mut rng: rand::rngs::StdRng = rand::make_rng();
        generate_prekeys(first, count, &mut rng)?
    };
    store.store_prekeys(&prekeys).await?;
    shared
        .send_iq(stanzas::prekey_upload(
            registration_id,
            &identity,
            &prekeys,
            &signed,
        ))
        .await?;
    tracing::debug!(count, first, "uploaded prekeys");
    Ok(())
}

/// The newest signed prekey in the store, created (id 1) if there is none.
pub(super) async fn current_signed_prekey(shared: &Shared) -> Result<SignedPreKeyRecord> {
    let store = &shared.signal;
    if let Some(newest) = store
        .signed_prekeys()
        .await?
        .into_iter()
        .max_by_key(|k| (k.timestamp, k.id))
    {
        return Ok(newest);
    }
    let identity = store.identity_key_pair().await?;
    let record = {
        let mut rng: rand::rngs::StdRng = rand::make_rng();
        SignedPreKeyRecord::generate(&identity, 1, super::driver::unix_now(), &mut rng)?
    };
    store.store_signed_prekey(&record).await?;
    Ok(record)
}
