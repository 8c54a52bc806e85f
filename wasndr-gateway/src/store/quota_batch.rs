//! Group commit for the monthly quota: concurrent sends hand their unit (or refund) to one writer task,
//! which applies everything queued in one [`GatewayStore::apply_quota_changes`] transaction and answers
//! each caller only after that commit. Under load this turns one commit (an fsync with SQLite FULL) per
//! send into one per batch; exactness stays the store's (the transaction locks the counters), so units are
//! never granted twice, on one node or many.

use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

use super::{GatewayStore, QuotaChange};
use crate::error::{GatewayError, Result};

/// Most changes in one transaction: bounds how long a batch holds the counters' locks.
const MAX_BATCH: usize = 512;

struct Job {
    change: QuotaChange,
    reply: oneshot::Sender<Result<Option<u64>>>,
}

/// Queues quota changes for one writer task; see the module documentation.
pub struct QuotaBatcher {
    store: Arc<dyn GatewayStore>,
    /// The writer's queue, started on first use (it needs a runtime, which `new` may not have) and again
    /// if the runtime it ran on went away.
    queue: Mutex<Option<mpsc::UnboundedSender<Job>>>,
}

impl std::fmt::Debug for QuotaBatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuotaBatcher").finish_non_exhaustive()
    }
}

impl QuotaBatcher {
    /// A batcher writing to `store`.
    pub fn new(store: Arc<dyn GatewayStore>) -> QuotaBatcher {
        QuotaBatcher {
            store,
            queue: Mutex::new(None),
        }
    }

    /// Takes one unit of `period` if fewer than `limit` are used; answers the new used count, or `None`
    /// when the quota is used up. Returns after the unit is committed.
    pub async fn consume(&self, account_id: &str, period: &str, limit: u64) -> Result<Option<u64>> {
        self.apply(QuotaChange::Consume {
            account_id: account_id.to_owned(),
            period: period.to_owned(),
            limit,
        })
        .await
    }

    /// Gives one unit back; returns after the refund is committed.
    pub async fn refund(&self, account_id: &str, period: &str) -> Result<()> {
        self.apply(QuotaChange::Refund {
            account_id: account_id.to_owned(),
            period: period.to_owned(),
        })
        .await
        .map(|_| ())
    }

    /// Queues `change` and waits for the commit of the batch that carried it.
    pub async fn apply(&self, change: QuotaChange) -> Result<Option<u64>> {
        if tokio::runtime::Handle::try_current().is_err() {
            // Polled outside a Tokio runtime: no writer task can run, so this change goes alone.
            let outcomes = self
                .store
                .apply_quota_changes(std::slice::from_ref(&change))
                .await?;
            return outcomes
                .into_iter()
                .next()
                .ok_or_else(|| GatewayError::Internal("the store answered no quota outcome".to_owned()));
        }
        let (reply, answer) = oneshot::channel();
        let mut job = Job { change, reply };
        // Two attempts: the second after restarting a writer whose runtime has gone.
        for _ in 0..2 {
            let sender = self.sender();
            match sender.send(job) {
                Ok(()) => {
                    return answer
                        .await
                        .map_err(|_| GatewayError::Internal("the quota writer stopped".to_owned()))?;
                }
                Err(mpsc::error::SendError(returned)) => {
                    job = returned;
                    let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
                    if queue.as_ref().is_some_and(|q| q.same_channel(&sender)) {
                        *queue = None;
                    }
                }
            }
        }
        Err(GatewayError::Internal("the quota writer cannot start".to_owned()))
    }

    fn sender(&self) -> mpsc::UnboundedSender<Job> {
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        match queue.as_ref() {
            Some(sender) if !sender.is_closed() => sender.clone(),
            _ => {
                let (sender, receiver) = mpsc::unbounded_channel();
                tokio::spawn(write(self.store.clone(), receiver));
                *queue = Some(sender.clone());
                sender
            }
        }
    }
}

/// The writer: takes what is queued (up to [`MAX_BATCH`]), commits it, answers, repeats. Ends when every
/// sender is gone (the batcher was dropped).
async fn write(store: Arc<dyn GatewayStore>, mut receiver: mpsc::UnboundedReceiver<Job>) {
    let mut jobs = Vec::new();
    while receiver.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let changes: Vec<QuotaChange> = jobs.iter().map(|job| job.change.clone()).collect();
        match store.apply_quota_changes(&changes).await {
            Ok(outcomes) if outcomes.len() == jobs.len() => {
                for (job, outcome) in jobs.drain(..).zip(outcomes) {
                    // A caller that gave up (its request was dropped) no longer listens.
                    let _ = job.reply.send(Ok(outcome));
                }
            }
            Ok(outcomes) => {
                let error = format!(
                    "the store answered {} quota outcomes for {} changes",
                    outcomes.len(),
                    jobs.len()
                );
                for job in jobs.drain(..) {
                    let _ = job.reply.send(Err(GatewayError::Internal(error.clone())));
                }
            }
            // Nothing of the batch was applied (or, if the commit's answer was lost, possibly all of
            // it): each caller gets the error, as a single failed statement would have given it. No
            // retry, which could count a committed unit twice.
            Err(error) => {
                let text = match &error {
                    GatewayError::Storage(text) => text.clone(),
                    other => other.to_string(),
                };
                for job in jobs.drain(..) {
                    let _ = job.reply.send(Err(GatewayError::Storage(text.clone())));
                }
            }
        }
    }
}
