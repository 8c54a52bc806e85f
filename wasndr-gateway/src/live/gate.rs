//! The engine's message gate: a session's incoming messages become `MessageReceived` (or, for copies
//! of what our account sent from another device, `MessageSent`) events delivered to the gateway's sink
//! while the client waits to acknowledge them, so their webhooks are persisted before WhatsApp gets
//! the receipt.

use std::sync::Arc;

use async_trait::async_trait;
use wasndr_core::client::{GateDelivery, MessageEvent, MessageGate};

use super::history;
use crate::engine::{EngineEvent, EventSink, SessionRef};

/// Delivers each incoming message of one session to the sink before the client acknowledges it.
pub(crate) struct SinkGate {
    pub(crate) session: SessionRef,
    pub(crate) sink: Arc<dyn EventSink>,
}

/// The gateway event a message stands for.
pub(crate) fn message_event(session: &SessionRef, message: &MessageEvent) -> EngineEvent {
    let entry = history::received_message(message);
    let session = session.clone();
    if message.info.from_me {
        // Sent by our account from the phone or another companion.
        EngineEvent::MessageSent {
            session,
            message: entry,
        }
    } else {
        EngineEvent::MessageReceived {
            session,
            message: entry,
        }
    }
}

#[async_trait]
impl MessageGate for SinkGate {
    async fn before_ack(&self, message: &MessageEvent, delivery: GateDelivery) {
        if delivery == GateDelivery::Redelivered {
            // We cannot tell whether the first call finished before the receipt was lost, so the
            // event goes out again: webhooks are at least once (receivers dedupe by message id).
            tracing::info!(session = %self.session.session_id, id = %message.info.id, "message redelivered by WhatsApp; delivering its event again");
        }
        self.sink.deliver(message_event(&self.session, message)).await;
    }
}
