//! Answering a retry receipt (messaging guide E.6): re-encrypt the kept plaintext for the one device
//! that could not decrypt it, on a fresh session when its receipt carries keys (or a fetched bundle).

use std::sync::Arc;

use rand::rngs::StdRng;
use wasndr_proto::Message as _;
use wasndr_proto::e2e::Message;

use super::Shared;
use super::devices::fetch_bundles;
use super::messaging::{own_device, own_view, records_for_send};
use crate::error::{Error, Result};
use crate::jid::Jid;
use crate::message::{RetryRequest, plan_retry, retry_needs_bundle};
use crate::stanza::IncomingReceipt;
use crate::store::AddressingMode;

/// Runs [`answer`], logging what went wrong (a retry we cannot answer is not fatal to anything).
pub(super) async fn answer_logged(shared: Arc<Shared>, receipt: IncomingReceipt) {
    if let Err(error) = answer(&shared, &receipt).await {
        tracing::info!(id = %receipt.id, %error, "retry receipt not answered");
    }
}

/// Resends the message a retry receipt names to the device that sent the receipt.
pub(super) async fn answer(shared: &Shared, receipt: &IncomingReceipt) -> Result<()> {
    let retry = receipt
        .retry
        .as_ref()
        .ok_or(Error::MalformedMessage("retry receipt without <retry>"))?;
    let device = own_device(shared).await?;
    let own = own_view(&device)?;
    let is_group = receipt.from.is_group();
    let chat = if is_group {
        receipt.from.clone()
    } else {
        receipt.recipient.as_ref().unwrap_or(receipt.sender()).to_non_ad()
    };
    let store = &*shared.store;
    let Some(recent) = store.recent_message(&chat, &retry.id).await? else {
        // Not ours, or too old: every device of the account gets the receipt; only the sender answers.
        tracing::debug!(id = %retry.id, "retry for a message we do not keep");
        return Ok(());
    };
    let original = Message::decode(recent.plaintext.as_slice())
        .map_err(|_| Error::MalformedMessage("kept plaintext is not a Message"))?;
    let requester = receipt.sender().clone();
    let group_sender: Option<&Jid> = if is_group {
        let lid_group = store
            .group(&chat)
            .await?
            .is_some_and(|info| info.addressing_mode == AddressingMode::Lid);
        Some(match (lid_group, own.lid) {
            (true, Some(lid)) => lid,
            _ => own.pn,
        })
    } else {
        None
    };
    let sender_key = group_sender.map(|sender| (&chat, sender));
    let records = records_for_send(shared, std::slice::from_ref(&requester), sender_key).await?;
    let bundle = if retry_needs_bundle(receipt, &records, false) {
        fetch_bundles(shared, std::slice::from_ref(&requester))
            .await?
            .remove(&requester)
    } else {
        None
    };

    let stanza = {
        let _crypto = shared.messaging.crypto.lock().await;
        let read_at = shared.committer.cache().generation();
        let records = records_for_send(shared, std::slice::from_ref(&requester), sender_key).await?;
        let request = RetryRequest {
            receipt,
            original: &original,
            chat: &chat,
            own,
            records: &records,
            bundle: bundle.as_ref(),
            group_sender,
        };
        let planned = {
            let mut rng: StdRng = rand::make_rng();
            plan_retry(&request, &mut rng)?
        };
        shared
            .committer
            .enqueue(planned.changes, Some(read_at))?
            .committed()
            .await?;
        planned.stanza.into_node()
    };
    tracing::debug!(id = %retry.id, count = retry.count, device = %requester, "answering a retry receipt");
    shared.send_node(&stanza).await
}
