//! IQ request ids and the table of requests waiting for their answer.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rand_core::Rng;
use tokio::sync::oneshot;

use crate::binary::Node;

/// Stanza ids `<a>.<b>-<n>` (transport guide C.4): two random 16-bit numbers chosen per client, as
/// Baileys does, and a counter from 1.
#[derive(Debug)]
pub(crate) struct RequestIds {
    prefix: String,
    counter: AtomicU64,
}

impl RequestIds {
    pub(crate) fn new<R: Rng + ?Sized>(rng: &mut R) -> Self {
        let a = rng.next_u32() as u16;
        let b = rng.next_u32() as u16;
        Self {
            prefix: format!("{a}.{b}-"),
            counter: AtomicU64::new(0),
        }
    }

    /// The next id.
    pub(crate) fn next(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        format!("{}{n}", self.prefix)
    }
}

/// Requests sent and not yet answered, by id. The caller owns the timeout: it removes its entry when it
/// gives up; the driver fulfils entries as answers arrive and fails them all when the connection ends.
#[derive(Debug, Default)]
pub(crate) struct PendingRequests(Mutex<HashMap<String, oneshot::Sender<Node>>>);

impl PendingRequests {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<Node>>> {
        // Each operation is a single insert or remove: a poisoned map is still consistent.
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn insert(&self, id: String) -> oneshot::Receiver<Node> {
        let (sender, receiver) = oneshot::channel();
        self.lock().insert(id, sender);
        receiver
    }

    pub(crate) fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    /// Hands `node` to the request with its id; gives it back if nobody waits for that id.
    pub(crate) fn resolve(&self, id: &str, node: Node) -> Option<Node> {
        match self.lock().remove(id) {
            Some(sender) => sender.send(node).err(),
            None => Some(node),
        }
    }

    /// Fails every waiting request (the connection ended; their answers can no longer come).
    pub(crate) fn fail_all(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng as _;

    #[test]
    fn ids_have_the_baileys_shape_and_count_from_one() {
        let ids = RequestIds::new(&mut rand::rngs::StdRng::seed_from_u64(1));
        let first = ids.next();
        let (prefix, n) = first.rsplit_once('-').unwrap();
        assert_eq!(n, "1");
        let (a, b) = prefix.split_once('.').unwrap();
        a.parse::<u16>().unwrap();
        b.parse::<u16>().unwrap();
        assert!(ids.next().ends_with("-2"));
    }

    #[test]
    fn answers_reach_their_request_and_strays_come_back() {
        let pending = PendingRequests::default();
        let mut waiting = pending.insert("a".into());
        assert!(pending.resolve("b", Node::new("iq")).is_some());
        assert!(pending.resolve("a", Node::new("iq")).is_none());
        assert_eq!(waiting.try_recv().unwrap().tag, "iq");
        let mut failed = pending.insert("c".into());
        pending.fail_all();
        assert!(failed.try_recv().is_err());
    }
}
