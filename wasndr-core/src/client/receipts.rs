//! Receipts: the ones we receive move our sent messages' status (messaging guide E.4, E.5); retry
//! receipts are answered by [`super::retry`]; [`Client::mark_read`] sends read receipts.

use super::commit::Queued;
use super::driver::unix_now;
use super::event::{Event, ReceiptEvent, ReceiptKind};
use super::{Client, Shared};
use crate::error::{Error, Result};
use crate::jid::Jid;
use crate::stanza::{IncomingReceipt, ReadType, read_receipt};
use crate::store::{Changes, MessageStatus, StatusUpdate};

/// What an incoming receipt asks of the client.
#[derive(Debug)]
pub(super) enum ReceiptAction {
    /// Report it (status changes already stored).
    Report(Event),
    /// A retry receipt: resend the message to its sender.
    Retry(Box<IncomingReceipt>),
    /// Nothing to do (unparseable, or about no message).
    Ignore,
}

fn kind_of(receipt_type: &str) -> ReceiptKind {
    match receipt_type {
        "" | "inactive" => ReceiptKind::Delivered,
        "read" => ReceiptKind::Read,
        "played" => ReceiptKind::Played,
        other => ReceiptKind::Other(other.to_owned()),
    }
}

/// The chat a receipt is about: the group, or for a 1:1 chat the other user (`recipient` when our own
/// other device reports on a message to someone).
fn chat_of(receipt: &IncomingReceipt) -> Jid {
    if receipt.from.is_group() {
        receipt.from.clone()
    } else {
        receipt.recipient.as_ref().unwrap_or(&receipt.from).to_non_ad()
    }
}

/// Handles an incoming `<receipt>` up to its ack: queues the status it implies for each message for
/// commit. The caller acks and acts only once the returned batch is committed.
pub(super) fn handle_receipt(
    shared: &Shared,
    node: &crate::binary::Node,
) -> Result<(Option<Queued>, ReceiptAction)> {
    let receipt = match IncomingReceipt::parse(node) {
        Ok(receipt) => receipt,
        Err(error) => {
            tracing::warn!(%error, "malformed receipt ignored");
            return Ok((None, ReceiptAction::Ignore));
        }
    };
    if receipt.receipt_type == "retry" {
        return Ok((None, ReceiptAction::Retry(Box::new(receipt))));
    }
    let kind = kind_of(&receipt.receipt_type);
    let chat = chat_of(&receipt);
    let status = match kind {
        ReceiptKind::Delivered => Some(MessageStatus::Delivered),
        ReceiptKind::Read => Some(MessageStatus::Read),
        ReceiptKind::Played => Some(MessageStatus::Played),
        ReceiptKind::Other(_) => None,
    };
    let queued = match status {
        Some(status) => {
            let mut changes = Changes::new();
            changes.status_updates = receipt
                .ids
                .iter()
                .map(|id| StatusUpdate {
                    chat: chat.clone(),
                    id: id.clone(),
                    status,
                })
                .collect();
            Some(shared.committer.enqueue(changes, None)?)
        }
        None => None,
    };
    let event = Event::Receipt(ReceiptEvent {
        chat,
        sender: receipt.sender().clone(),
        ids: receipt.ids,
        kind,
        timestamp: receipt.timestamp.unwrap_or_else(unix_now),
    });
    Ok((queued, ReceiptAction::Report(event)))
}

impl Client {
    /// Marks messages of `chat` as read: sends a read receipt (blue ticks for the sender) and moves
    /// them to `read` in history. All `ids` must come from one sender; in a group `sender` names them
    /// (it is ignored in a 1:1 chat).
    pub async fn mark_read(&self, chat: &Jid, sender: Option<&Jid>, ids: &[String]) -> Result<()> {
        let chat = if chat.is_group() {
            chat.clone()
        } else {
            chat.to_non_ad()
        };
        if chat.is_group() && sender.is_none() {
            return Err(Error::InvalidArgument("a group read receipt needs the sender"));
        }
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let Some(receipt) = read_receipt(&chat, sender, &refs, ReadType::Read, unix_now()) else {
            return Ok(());
        };
        let shared = self.shared();
        shared.send_node(&receipt).await?;
        let mut changes = Changes::new();
        changes.status_updates = ids
            .iter()
            .map(|id| StatusUpdate {
                chat: chat.clone(),
                id: id.clone(),
                status: MessageStatus::Read,
            })
            .collect();
        shared.committer.commit(changes).await?;
        Ok(())
    }
}
