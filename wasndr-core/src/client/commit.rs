//! Group commit: every [`Changes`] batch the client writes goes through one committer task, which
//! writes whatever is queued when it comes round in ONE transaction
//! ([`TransactionalStore::apply_all`](crate::store::TransactionalStore::apply_all)) and only then
//! answers each caller. Concurrent sends each wait for a commit (with the store's configured
//! durability) as before, but share it: under load one commit covers many sends instead of one each.
//!
//! Batches are committed in the order they were queued, and each is taken into the
//! [`DeviceCache`] when queued, so the next step encrypts against it without waiting. A caller acts on
//! its batch (writes the stanza, acks, answers) only after its commit succeeded: nothing reaches the
//! server before the state that produced it is stored. When a commit fails, its callers get the error,
//! the cache is dropped, and every batch queued behind it fails too (they were computed from the failed
//! state); none of them is written or sent.
//!
//! Stanzas go out in the order their batches were queued, which is the order their ratchets advanced:
//! a send hands its encoded stanza with its batch, and after each commit one writer task (chained
//! after the previous batch's) queues them to the connection in order before answering their callers.
//! Batches without a stanza are answered as soon as they are committed, so the connection driver,
//! which waits for its own commits, never waits behind a writer that waits for the driver.

use std::sync::{Arc, OnceLock};

use tokio::sync::{mpsc, oneshot};

use super::Command;
use super::cache::{DeviceCache, Stale};
use crate::error::{Error, Result};
use crate::store::{Changes, Store};

/// Most batches written in one transaction: bounds the transaction and the wait of the first caller.
const MAX_BATCHES_PER_COMMIT: usize = 256;

/// An encoded stanza to write once its batch is committed, and the connection to write it to.
pub(super) struct Outgoing {
    pub(super) commands: mpsc::Sender<Command>,
    pub(super) payload: Vec<u8>,
}

struct Job {
    changes: Changes,
    /// Its sequence number in the cache, reported back once committed.
    seq: u64,
    then: Option<Outgoing>,
    done: oneshot::Sender<Result<()>>,
}

/// A queued batch; await [`Queued::committed`] before acting on it.
#[derive(Debug)]
pub(super) struct Queued(oneshot::Receiver<Result<()>>);

impl Queued {
    /// Waits until the batch is committed (and its stanza, if it had one, queued to the connection).
    /// [`Error::Store`] if its commit (or one before it) failed: nothing was stored or sent;
    /// [`Error::NotConnected`] if the batch was committed but the connection was gone for its stanza,
    /// or the client went away meanwhile.
    pub(super) async fn committed(self) -> Result<()> {
        self.await
    }
}

/// The same wait as [`Queued::committed`], pollable in place (the driver keeps receipts waiting for
/// their commits in a queue and polls the oldest).
impl std::future::Future for Queued {
    type Output = Result<()>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0)
            .poll(cx)
            .map(|answer| answer.unwrap_or(Err(Error::NotConnected)))
    }
}

/// See the [module docs](self).
pub(super) struct Committer {
    store: Arc<dyn Store>,
    cache: Arc<DeviceCache>,
    /// The committer task's queue; the task starts with the first batch (a runtime is needed) and ends
    /// when the client is dropped.
    queue: OnceLock<mpsc::UnboundedSender<Job>>,
}

impl std::fmt::Debug for Committer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Committer").finish_non_exhaustive()
    }
}

impl Committer {
    pub(super) fn new(store: Arc<dyn Store>, cache: Arc<DeviceCache>) -> Self {
        Self {
            store,
            cache,
            queue: OnceLock::new(),
        }
    }

    /// The cache the committer keeps current.
    pub(super) fn cache(&self) -> &DeviceCache {
        &self.cache
    }

    fn queue(&self) -> &mpsc::UnboundedSender<Job> {
        self.queue.get_or_init(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            tokio::spawn(run(self.store.clone(), self.cache.clone(), receiver));
            sender
        })
    }

    /// Queues `changes` without waiting (call it under the crypto lock, so the order of queuing is the
    /// order of the ratchets). `read_at` is the cache generation the step read its records under
    /// (`None` if it read no cached state); a step that read before a failed commit is refused.
    /// Unbounded: callers wait for their commit, so at most one batch per caller is queued.
    pub(super) fn enqueue(&self, changes: Changes, read_at: Option<u64>) -> Result<Queued> {
        self.enqueue_then(changes, read_at, None)
    }

    /// [`Self::enqueue`], and once committed write `then` to the connection, in queue order.
    pub(super) fn enqueue_then(
        &self,
        changes: Changes,
        read_at: Option<u64>,
        then: Option<Outgoing>,
    ) -> Result<Queued> {
        let (done, receiver) = oneshot::channel();
        let queue = self.queue();
        let admitted = self
            .cache
            .admit(&changes, read_at)
            .map_err(|Stale(reason)| Error::Store(reason))?;
        let seq = admitted.seq();
        let sent = queue
            .send(Job {
                changes,
                seq,
                then,
                done,
            })
            .is_ok();
        drop(admitted);
        if !sent {
            // The task is gone (it only ends with the client): what was admitted will never be stored.
            self.cache.invalidate(None, || ());
            return Err(Error::NotConnected);
        }
        Ok(Queued(receiver))
    }

    /// Queues `changes` (read nothing cached) and waits until they are committed.
    pub(super) async fn commit(&self, changes: Changes) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        self.enqueue(changes, None)?.committed().await
    }

    /// Waits for everything queued so far to be committed, then drops the cache.
    pub(super) async fn flush_and_forget(&self) -> Result<()> {
        // An empty batch is a barrier: batches commit in queue order.
        let flushed = self.enqueue(Changes::new(), None)?.committed().await;
        self.forget();
        flushed
    }

    /// Drops the cache after the store was wiped behind it (logout).
    pub(super) fn forget(&self) {
        self.cache.invalidate(None, || ());
    }
}

/// The committer task: takes everything queued, writes it in one transaction, answers.
async fn run(store: Arc<dyn Store>, cache: Arc<DeviceCache>, mut queue: mpsc::UnboundedReceiver<Job>) {
    let mut jobs = Vec::new();
    // The writer of the previous batch's stanzas; the next one starts after it.
    let mut writer: Option<tokio::task::JoinHandle<()>> = None;
    while let Some(first) = queue.recv().await {
        jobs.push(first);
        while jobs.len() < MAX_BATCHES_PER_COMMIT {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let mut batches = Vec::with_capacity(jobs.len());
        let mut waiters = Vec::with_capacity(jobs.len());
        let last_seq = jobs.last().map_or(0, |job| job.seq);
        for job in jobs.drain(..) {
            batches.push(job.changes);
            waiters.push((job.done, job.then));
        }
        match store.apply_all(&batches).await {
            Ok(()) => {
                // Jobs are queued in sequence order, so everything up to the last one is stored.
                cache.committed(last_seq);
                let mut outgoing = Vec::new();
                for (done, then) in waiters {
                    match then {
                        Some(then) => outgoing.push((done, then)),
                        // A caller that went away no longer needs the answer; its batch is stored.
                        None => drop(done.send(Ok(()))),
                    }
                }
                if !outgoing.is_empty() {
                    writer = Some(tokio::spawn(write_in_order(writer.take(), outgoing)));
                }
            }
            Err(error) => {
                tracing::warn!(%error, batches = batches.len(), "a group commit failed");
                // Whatever was queued behind the failed batches was computed from them: drained under
                // the cache lock, so nothing more can be queued from the dropped state.
                let behind = cache.invalidate(Some(error.clone()), || {
                    let mut behind = Vec::new();
                    while let Ok(job) = queue.try_recv() {
                        behind.push(job.done);
                    }
                    behind
                });
                let waiters = waiters.into_iter().map(|(done, _)| done);
                for done in waiters.chain(behind) {
                    let _ = done.send(Err(Error::Store(error.clone())));
                }
            }
        }
    }
}

/// Queues committed stanzas to the connection in order, after the previous batch's, answering each
/// caller once its stanza is queued.
async fn write_in_order(
    previous: Option<tokio::task::JoinHandle<()>>,
    outgoing: Vec<(oneshot::Sender<Result<()>>, Outgoing)>,
) {
    if let Some(previous) = previous {
        // It only fails if it panicked; its stanzas are then lost either way.
        let _ = previous.await;
    }
    for (done, then) in outgoing {
        let written = then
            .commands
            .send(Command::Send(then.payload))
            .await
            .map_err(|_| Error::NotConnected);
        let _ = done.send(written);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{MemoryStore, SettingsStore, StoreError};

    fn setting(key: &str, value: &[u8]) -> Changes {
        let mut changes = Changes::new();
        changes.settings.push((key.to_owned(), value.to_vec()));
        changes
    }

    fn committer() -> (Arc<MemoryStore>, Committer) {
        let store = Arc::new(MemoryStore::empty());
        let committer = Committer::new(store.clone(), Arc::default());
        (store, committer)
    }

    #[tokio::test]
    async fn queued_batches_commit_together_in_order() {
        let (store, committer) = committer();
        let read_at = committer.cache().generation();
        // Queued back to back before the task runs: one transaction, the later value wins.
        let first = committer.enqueue(setting("k", b"1"), Some(read_at)).unwrap();
        let second = committer.enqueue(setting("k", b"2"), Some(read_at)).unwrap();
        assert_eq!(
            store.setting("k").await.unwrap(),
            None,
            "nothing stored before the commit"
        );
        assert_eq!(
            committer.cache().setting(&*store, "k").await.unwrap(),
            Some(b"2".to_vec()),
            "the cache already holds the queued state"
        );
        first.committed().await.unwrap();
        second.committed().await.unwrap();
        assert_eq!(store.setting("k").await.unwrap(), Some(b"2".to_vec()));
    }

    #[tokio::test]
    async fn a_failed_commit_fails_every_batch_queued_with_or_behind_it() {
        let (store, committer) = committer();
        committer.commit(setting("k", b"stored")).await.unwrap();
        let read_at = committer.cache().generation();
        // An invalid key fails the whole transaction; the valid batches queued with it fail too.
        let bad = committer.enqueue(setting("", b"bad"), Some(read_at)).unwrap();
        let good = committer.enqueue(setting("k", b"lost"), Some(read_at)).unwrap();
        assert!(matches!(
            bad.committed().await,
            Err(Error::Store(StoreError::Invalid(_)))
        ));
        assert!(matches!(
            good.committed().await,
            Err(Error::Store(StoreError::Invalid(_)))
        ));
        assert_eq!(store.setting("k").await.unwrap(), Some(b"stored".to_vec()));
        // The cache forgot the uncommitted value and reads the store again.
        assert_eq!(
            committer.cache().setting(&*store, "k").await.unwrap(),
            Some(b"stored".to_vec())
        );
        // A step that read before the failure is refused without being queued...
        let refused = committer.enqueue(setting("k", b"stale"), Some(read_at));
        assert!(matches!(refused, Err(Error::Store(StoreError::Invalid(_)))));
        assert_eq!(
            committer.cache().setting(&*store, "k").await.unwrap(),
            Some(b"stored".to_vec())
        );
        // ...and one that reads afterwards commits.
        let read_at = committer.cache().generation();
        committer
            .enqueue(setting("k", b"new"), Some(read_at))
            .unwrap()
            .committed()
            .await
            .unwrap();
        assert_eq!(store.setting("k").await.unwrap(), Some(b"new".to_vec()));
    }

    #[tokio::test]
    async fn stanzas_go_out_after_their_commit_in_queue_order() {
        let (store, committer) = committer();
        let (commands, mut written) = mpsc::channel(8);
        let read_at = committer.cache().generation();
        let outgoing = |payload: &[u8]| {
            Some(Outgoing {
                commands: commands.clone(),
                payload: payload.to_vec(),
            })
        };
        let first = committer
            .enqueue_then(setting("a", b"1"), Some(read_at), outgoing(b"first"))
            .unwrap();
        let second = committer
            .enqueue_then(setting("b", b"2"), Some(read_at), outgoing(b"second"))
            .unwrap();
        first.committed().await.unwrap();
        second.committed().await.unwrap();
        for (expected, key) in [(b"first".as_slice(), "a"), (b"second".as_slice(), "b")] {
            match written.try_recv() {
                Ok(Command::Send(payload)) => assert_eq!(payload, expected),
                other => panic!("expected {expected:?}, got {other:?}"),
            }
            assert!(
                store.setting(key).await.unwrap().is_some(),
                "stored before written"
            );
        }

        // A failed commit writes nothing.
        let bad = committer
            .enqueue_then(setting("", b"bad"), None, outgoing(b"never"))
            .unwrap();
        assert!(bad.committed().await.is_err());
        assert!(written.try_recv().is_err());
    }
}
