//! The message gate: an application hook the receive path awaits after an incoming message is stored
//! and before WhatsApp is told (delivery receipt, ack). An application that must not lose a message's
//! side effects (a gateway queueing webhooks) does them here: once WhatsApp has the receipt it never
//! delivers the message again, so anything not done by then is lost in a crash.
//!
//! Decisions, and why:
//! - **Bounded.** The gate runs while the connection driver waits, so nothing else is read meanwhile
//!   (other messages, IQ answers, pings). After [`ClientBuilder::message_gate_timeout`] (10 s by
//!   default) the driver stops waiting, logs, and acknowledges anyway: a stuck gate must not stall the
//!   connection until the server drops it. The gate call itself is not cancelled (it runs on its own
//!   task), so its work still completes late; only a crash inside that late window loses it.
//! - **At least once.** A crash (or a dropped connection) after the store apply but before the receipt
//!   makes the server deliver the message again. The ratchet has already moved, so the client sees a
//!   duplicate; with a gate installed it reads the stored message back and calls the gate again with
//!   [`GateDelivery::Redelivered`]. The gate may therefore see a message twice (the first call finished
//!   but the receipt never left): the gate decides whether to deduplicate (by chat and message id).
//!   [`Event::Message`](super::Event::Message) is still emitted once, for the first delivery only: the
//!   event stream is best-effort, the gate is the durable path.
//! - Do not call the [`Client`](super::Client) from a gate and wait for WhatsApp's answer: the driver
//!   that would read it is waiting for the gate (the call would end at the timeout).
//!
//! [`ClientBuilder::message_gate_timeout`]: super::ClientBuilder::message_gate_timeout

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::event::MessageEvent;

/// How long the driver waits for the gate by default before acknowledging anyway.
pub const DEFAULT_GATE_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether this is the first time the gate sees a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GateDelivery {
    /// Decrypted and stored just now.
    First,
    /// The server delivered an already stored message again (it never got our receipt): the gate may
    /// or may not have run for it before.
    Redelivered,
}

/// A hook awaited for every incoming message (also copies our own account sent from another device)
/// after it is persisted in the store and before it is acknowledged to WhatsApp. See the module docs.
#[async_trait]
pub trait MessageGate: Send + Sync + 'static {
    /// Called once per message content of a stanza, in order. Returning is the permission to
    /// acknowledge; there is no failure path (a gate that cannot do its work should retry inside,
    /// bounded by the driver's timeout, or log).
    async fn before_ack(&self, message: &MessageEvent, delivery: GateDelivery);
}

/// The installed gate and its bound.
#[derive(Clone)]
pub(super) struct Gate {
    pub(super) hook: Arc<dyn MessageGate>,
    pub(super) timeout: Duration,
}

impl Gate {
    /// Runs the gate over `messages` (in order, on a task of their own so a timeout does not cancel
    /// them) and waits for it at most `timeout`.
    pub(super) async fn pass(&self, messages: Vec<MessageEvent>, delivery: GateDelivery) {
        if messages.is_empty() {
            return;
        }
        let hook = self.hook.clone();
        let ids: Vec<String> = messages.iter().map(|m| m.info.id.clone()).collect();
        let task = tokio::spawn(async move {
            for message in &messages {
                hook.before_ack(message, delivery).await;
            }
        });
        match tokio::time::timeout(self.timeout, task).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                tracing::error!(?ids, %error, "the message gate failed; acknowledging anyway");
            }
            Err(_) => tracing::error!(
                ?ids,
                timeout = ?self.timeout,
                "the message gate did not return in time; acknowledging anyway (it keeps running)"
            ),
        }
    }
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Instant;

    use super::*;
    use crate::client::event::MessageInfo;
    use crate::jid::Jid;

    fn message(id: &str) -> MessageEvent {
        let jid = Jid::parse("15550001111@s.whatsapp.net").unwrap();
        MessageEvent {
            info: MessageInfo {
                id: id.to_owned(),
                chat: jid.clone(),
                sender: jid,
                from_me: false,
                timestamp: 0,
                push_name: None,
                is_group: false,
                offline: false,
            },
            message: None,
            raw: bytes::Bytes::new(),
        }
    }

    /// Records the ids it sees, in order, after waiting `delay` for each.
    struct Slow {
        delay: Duration,
        done: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl MessageGate for Slow {
        async fn before_ack(&self, message: &MessageEvent, _: GateDelivery) {
            tokio::time::sleep(self.delay).await;
            self.done.lock().unwrap().push(message.info.id.clone());
        }
    }

    fn gate(delay: Duration, timeout: Duration) -> (Gate, Arc<Slow>) {
        let slow = Arc::new(Slow {
            delay,
            done: Mutex::new(Vec::new()),
        });
        let gate = Gate {
            hook: slow.clone(),
            timeout,
        };
        (gate, slow)
    }

    #[tokio::test]
    async fn a_gate_in_time_has_run_for_every_message_in_order_when_pass_returns() {
        let (gate, slow) = gate(Duration::from_millis(5), Duration::from_secs(10));
        gate.pass(vec![message("a"), message("b")], GateDelivery::First)
            .await;
        assert_eq!(*slow.done.lock().unwrap(), vec!["a", "b"]);
    }

    #[tokio::test]
    async fn a_slow_gate_is_given_up_on_at_the_timeout_and_still_finishes() {
        let (gate, slow) = gate(Duration::from_millis(1000), Duration::from_millis(30));
        let started = Instant::now();
        gate.pass(vec![message("a")], GateDelivery::First).await;
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(30) && waited < Duration::from_millis(800),
            "{waited:?}"
        );
        assert!(
            slow.done.lock().unwrap().is_empty(),
            "not finished at the timeout"
        );
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(
            *slow.done.lock().unwrap(),
            vec!["a"],
            "not cancelled by the timeout"
        );
    }
}
