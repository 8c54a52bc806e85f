//! One task per session: reads its client's events, keeps the session's state, and forwards what the
//! gateway must know as [`EngineEvent`]s.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::task::JoinHandle;
use wasndr_core::client::{Client, ConnectionState, DisconnectReason, Event, Events, ReceiptKind};
use wasndr_core::jid::Jid;
use wasndr_store::DeviceId;

use crate::engine::{DeliveryStatus, EngineEvent, EventSink, SessionRef, SessionState, SessionStatus};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section is one assignment or clone: a poisoned value is still whole.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running session: its client, its device and what it last reported.
#[derive(Debug)]
pub(crate) struct LiveSession {
    pub(crate) session: SessionRef,
    pub(crate) device: DeviceId,
    pub(crate) client: Client,
    state: Mutex<SessionState>,
    /// Set when the engine itself ends the session (stop, logout): the supervisor then reports nothing
    /// more, because the engine reports the ending itself (logout) or the process is going away (stop).
    quiet: AtomicBool,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl LiveSession {
    /// A session starting with `state` (`starting`, with the phone and JID of a linked device).
    pub(crate) fn new(
        session: SessionRef,
        device: DeviceId,
        client: Client,
        state: SessionState,
    ) -> Arc<LiveSession> {
        Arc::new(LiveSession {
            session,
            device,
            client,
            state: Mutex::new(state),
            quiet: AtomicBool::new(false),
            task: Mutex::new(None),
        })
    }

    pub(crate) fn state(&self) -> SessionState {
        lock(&self.state).clone()
    }

    /// Stops reporting and stops the supervisor task (the client itself is the caller's to stop).
    pub(crate) fn silence(&self) {
        self.quiet.store(true, Ordering::Release);
    }

    /// Ends the supervisor task.
    pub(crate) fn end(&self) {
        self.silence();
        if let Some(task) = lock(&self.task).take() {
            task.abort();
        }
    }

    /// Starts the supervisor over `events`.
    pub(crate) fn supervise(
        self: &Arc<Self>,
        events: Events,
        sink: Option<Arc<dyn EventSink>>,
        qr_rounds: u32,
    ) {
        let task = tokio::spawn(run(self.clone(), events, sink, qr_rounds));
        *lock(&self.task) = Some(task);
    }

    /// Records `next`; answers whether it differs from what was reported before.
    fn update(&self, next: SessionState) -> bool {
        let mut state = lock(&self.state);
        let changed = *state != next;
        *state = next;
        changed
    }
}

/// The state an event moves the session to, if any. `restart_pairing` is called when the QR codes ran
/// out and another round is allowed.
fn next_state(current: &SessionState, event: &Event, pairing_round_left: bool) -> Option<SessionState> {
    let linked = |status: SessionStatus| SessionState {
        status,
        qr: None,
        phone: current.phone.clone(),
        jid: current.jid.clone(),
    };
    match event {
        Event::Qr { code, .. } => Some(SessionState {
            status: SessionStatus::QrReady,
            qr: Some(code.clone()),
            phone: None,
            jid: None,
        }),
        Event::QrExpired if pairing_round_left => Some(linked(SessionStatus::Starting)),
        Event::QrExpired => Some(linked(SessionStatus::Disconnected)),
        // Paired: the server restarts the stream (515) and the client logs in; `connected` follows.
        Event::Paired { jid, .. } => Some(identity(SessionStatus::Starting, jid)),
        Event::Connected { jid } => Some(identity(SessionStatus::Connected, jid)),
        Event::Disconnected {
            reconnect_in: None, ..
        } => Some(linked(SessionStatus::Disconnected)),
        // The restart after pairing, or a drop while pairing: not a linked session reconnecting.
        Event::Disconnected {
            reason: DisconnectReason::RestartRequired,
            ..
        } => None,
        Event::Disconnected { .. } if current.jid.is_some() => Some(linked(SessionStatus::Reconnecting)),
        Event::Disconnected { .. } => None,
        Event::LoggedOut { .. }
        | Event::StreamReplaced
        | Event::TemporaryBan { .. }
        | Event::ClientOutdated => Some(SessionState::with_status(SessionStatus::Disconnected)),
        _ => None,
    }
}

/// A state naming the linked device `jid`.
pub(crate) fn identity(status: SessionStatus, jid: &Jid) -> SessionState {
    SessionState {
        status,
        qr: None,
        phone: Some(jid.user().to_owned()),
        jid: Some(jid.to_string()),
    }
}

/// The gateway events a receipt event stands for (none for other events). Messages are not here: the
/// client hands them to the session's message gate ([`super::gate`]) before acknowledging them.
fn traffic(session: &SessionRef, event: &Event) -> Vec<EngineEvent> {
    match event {
        Event::Receipt(receipt) => {
            let status = match receipt.kind {
                ReceiptKind::Delivered => DeliveryStatus::Delivered,
                ReceiptKind::Read => DeliveryStatus::Read,
                ReceiptKind::Played => DeliveryStatus::Played,
                _ => return Vec::new(),
            };
            let timestamp = i64::try_from(receipt.timestamp).unwrap_or_else(|_| unix_now());
            receipt
                .ids
                .iter()
                .map(|id| EngineEvent::MessageStatus {
                    session: session.clone(),
                    message_id: id.clone(),
                    remote_jid: receipt.chat.to_non_ad().to_string(),
                    status,
                    timestamp,
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Connects again once the expired pairing connection has ended. The client reports `QrExpired` just
/// before its driver stops, and `connect` does nothing while a driver still runs, so this waits for the
/// old driver to be gone (bounded: a client that never stops is left as it is, and logged).
async fn restart_pairing(live: &LiveSession) {
    for _ in 0..200 {
        if live.client.state() == ConnectionState::Disconnected {
            match live.client.connect().await {
                Ok(()) if live.client.state() != ConnectionState::Disconnected => return,
                Ok(()) => {}
                Err(error) => {
                    tracing::warn!(session = %live.session.session_id, %error, "restarting pairing failed");
                    return;
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tracing::warn!(session = %live.session.session_id, "restarting pairing: the expired connection did not end");
}

async fn run(live: Arc<LiveSession>, mut events: Events, sink: Option<Arc<dyn EventSink>>, qr_rounds: u32) {
    let mut rounds_left = qr_rounds;
    while let Some(event) = events.recv().await {
        if live.quiet.load(Ordering::Acquire) {
            break;
        }
        if let Event::Lagged { missed } = event {
            // Nothing is lost for history or message webhooks (the client stored every message and
            // passed it through the gate before acking it), but receipts and statuses are missed.
            tracing::warn!(session = %live.session.session_id, missed, "the engine lagged: client events dropped");
        }
        let forwarded = traffic(&live.session, &event);
        if !forwarded.is_empty() {
            if let Some(sink) = &sink {
                for engine_event in forwarded {
                    sink.deliver(engine_event).await;
                }
            }
            continue;
        }
        if let Event::Connected { .. } = event {
            rounds_left = qr_rounds;
        }
        let Some(next) = next_state(&live.state(), &event, rounds_left > 0) else {
            continue;
        };
        if let Event::QrExpired = event
            && rounds_left > 0
        {
            // Nobody scanned in time: offer fresh codes, a bounded number of times, so a session
            // created and then forgotten does not hold a pairing connection forever.
            rounds_left -= 1;
            restart_pairing(&live).await;
        }
        if live.update(next.clone())
            && let Some(sink) = &sink
        {
            sink.deliver(EngineEvent::SessionStatus {
                session: live.session.clone(),
                state: next,
            })
            .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn qr() -> Event {
        Event::Qr {
            code: "ref,noise,identity,adv".into(),
            index: 0,
            remaining: 5,
            valid_for: Duration::from_secs(60),
        }
    }

    #[test]
    fn pairing_then_a_drop_then_a_logout() {
        let jid = Jid::parse("15550001111:3@s.whatsapp.net").unwrap();
        let start = SessionState::with_status(SessionStatus::Starting);
        let ready = next_state(&start, &qr(), true).unwrap();
        assert_eq!(ready.status, SessionStatus::QrReady);
        assert_eq!(ready.qr.as_deref(), Some("ref,noise,identity,adv"));

        // Drops and the 515 restart while pairing are not "reconnecting": nothing is linked yet.
        let dropped = Event::Disconnected {
            reason: DisconnectReason::ServerClosed,
            reconnect_in: Some(Duration::from_millis(50)),
        };
        assert_eq!(next_state(&ready, &dropped, true), None);

        let paired = next_state(
            &ready,
            &Event::Paired {
                jid: jid.clone(),
                lid: None,
                platform: None,
                business_name: None,
            },
            true,
        )
        .unwrap();
        assert_eq!(
            (paired.status, paired.qr.as_deref()),
            (SessionStatus::Starting, None)
        );
        let restart = Event::Disconnected {
            reason: DisconnectReason::RestartRequired,
            reconnect_in: Some(Duration::ZERO),
        };
        assert_eq!(next_state(&paired, &restart, true), None);

        let connected = next_state(&paired, &Event::Connected { jid: jid.clone() }, true).unwrap();
        assert_eq!(connected.status, SessionStatus::Connected);
        assert_eq!(connected.phone.as_deref(), Some("15550001111"));
        assert_eq!(connected.jid.as_deref(), Some("15550001111:3@s.whatsapp.net"));

        let reconnecting = next_state(&connected, &dropped, true).unwrap();
        assert_eq!(reconnecting.status, SessionStatus::Reconnecting);
        assert_eq!(
            reconnecting.phone.as_deref(),
            Some("15550001111"),
            "still linked to it"
        );

        let gone = next_state(
            &reconnecting,
            &Event::LoggedOut {
                reason: wasndr_core::client::LogoutReason::DeviceRemoved,
            },
            true,
        )
        .unwrap();
        assert_eq!(gone, SessionState::with_status(SessionStatus::Disconnected));
    }

    #[test]
    fn expired_codes_restart_pairing_until_the_rounds_run_out() {
        let ready = next_state(&SessionState::with_status(SessionStatus::Starting), &qr(), true).unwrap();
        assert_eq!(
            next_state(&ready, &Event::QrExpired, true).map(|s| s.status),
            Some(SessionStatus::Starting)
        );
        let last = next_state(&ready, &Event::QrExpired, false).unwrap();
        assert_eq!((last.status, last.qr), (SessionStatus::Disconnected, None));
    }
}
