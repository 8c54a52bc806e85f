//! What happens to engine events: session records are updated, webhook deliveries are queued (persisted
//! before the engine may acknowledge the message), and the event is published to live event streams.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use tokio::sync::{Notify, broadcast};

use crate::clock::{now_ms, to_rfc3339};
use crate::engine::{EngineEvent, EventSink, SessionRef};
use crate::ids::new_uuid;
use crate::store::{DeliveryRecord, DeliveryState, GatewayStore, WebhookRecord};

/// An event as streams and webhooks see it: routing fields and the JSON body.
#[derive(Debug, Clone)]
pub struct PublishedEvent {
    /// The event id (`id` in the body; the SSE `id:` line).
    pub id: String,
    /// The owning account (streams filter on it).
    pub account_id: String,
    /// Event name, e.g. `message.received`.
    pub name: &'static str,
    /// The JSON body: `{id, event, timestamp, accountUuid, locationUuid, sessionId, data}`.
    pub body: String,
}

/// Live event fan-out for `GET /api/v1/events`. A subscriber that falls more than the channel's capacity
/// behind skips the oldest events (and is told how many); webhooks, not streams, are the durable path.
#[derive(Debug, Clone)]
pub struct EventHub {
    sender: broadcast::Sender<Arc<PublishedEvent>>,
}

impl EventHub {
    /// A hub buffering `capacity` events per subscriber.
    pub fn new(capacity: usize) -> EventHub {
        EventHub {
            sender: broadcast::channel(capacity.max(16)).0,
        }
    }

    /// A new subscription to every account's events (filter by `account_id`).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<PublishedEvent>> {
        self.sender.subscribe()
    }

    /// Whether any stream listens now (an event nobody will see need not be built).
    fn has_subscribers(&self) -> bool {
        self.sender.receiver_count() > 0
    }

    fn publish(&self, event: PublishedEvent) {
        // No subscribers is normal.
        let _ = self.sender.send(Arc::new(event));
    }
}

/// The gateway's [`EventSink`].
#[derive(Debug)]
pub(crate) struct GatewaySink {
    pub(crate) store: Arc<dyn GatewayStore>,
    pub(crate) hub: EventHub,
    pub(crate) wake_dispatcher: Arc<Notify>,
}

/// The `data` member of an event body.
fn event_data(event: &EngineEvent) -> serde_json::Value {
    match event {
        EngineEvent::MessageReceived { message, .. } | EngineEvent::MessageSent { message, .. } => {
            serde_json::to_value(message).unwrap_or_default()
        }
        EngineEvent::MessageStatus {
            message_id,
            remote_jid,
            status,
            timestamp,
            ..
        } => json!({
            "messageId": message_id, "remoteJid": remote_jid, "status": status, "timestamp": timestamp,
        }),
        EngineEvent::SessionStatus { state, .. } => json!({
            "status": state.status, "phone": state.phone, "jid": state.jid,
        }),
    }
}

impl GatewaySink {
    /// The account's webhooks subscribed to event `name` of `session`'s location.
    async fn webhooks_for(&self, session: &SessionRef, name: &str) -> Vec<WebhookRecord> {
        match self.store.list_webhooks(&session.account_id).await {
            Ok(webhooks) => webhooks
                .into_iter()
                .filter(|w| w.events.iter().any(|e| e == name))
                .filter(|w| w.location_id.as_ref().is_none_or(|l| *l == session.location_id))
                .collect(),
            Err(error) => {
                tracing::error!(%error, event = name, "loading webhooks failed");
                Vec::new()
            }
        }
    }
}

#[async_trait]
impl EventSink for GatewaySink {
    async fn wants(&self, session: &SessionRef, name: &str) -> bool {
        self.hub.has_subscribers() || !self.webhooks_for(session, name).await.is_empty()
    }

    async fn deliver(&self, event: EngineEvent) {
        let session = event.session().clone();
        if let EngineEvent::SessionStatus { state, .. } = &event {
            let update = self
                .store
                .update_session_state(
                    &session.session_id,
                    state.status,
                    state.phone.as_deref(),
                    state.jid.as_deref(),
                )
                .await;
            if let Err(error) = update {
                tracing::error!(session = %session.session_id, %error, "recording a session status failed");
            }
        }
        let name = event.name();
        // The webhooks come from the store's cache; the event body is only built (JSON, an id, a
        // timestamp: a visible share of a send's cost) when a webhook or a stream will receive it.
        let webhooks = self.webhooks_for(&session, name).await;
        if webhooks.is_empty() && !self.hub.has_subscribers() {
            return;
        }
        let now = now_ms();
        let id = new_uuid();
        let body = json!({
            "id": id,
            "event": name,
            "timestamp": to_rfc3339(now),
            "accountUuid": session.account_id,
            "locationUuid": session.location_id,
            "sessionId": session.session_id,
            "data": event_data(&event),
        })
        .to_string();
        let deliveries: Vec<DeliveryRecord> = webhooks
            .iter()
            .map(|w| DeliveryRecord {
                id: new_uuid(),
                webhook_id: w.id.clone(),
                account_id: w.account_id.clone(),
                event: name.to_owned(),
                payload: body.clone(),
                attempts: 0,
                next_attempt_at: now,
                state: DeliveryState::Pending,
                last_error: None,
                created_at: now,
            })
            .collect();
        if !deliveries.is_empty() {
            match self.store.enqueue_deliveries(&deliveries).await {
                Ok(()) => self.wake_dispatcher.notify_one(),
                Err(error) => {
                    tracing::error!(%error, event = name, "queueing webhook deliveries failed")
                }
            }
        }
        self.hub.publish(PublishedEvent {
            id,
            account_id: session.account_id,
            name,
            body,
        });
    }
}
