//! `GET /api/v1/events`: a server-sent event stream of the caller's account's events.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use crate::error::ApiError;
use crate::extract::Auth;
use crate::state::AppState;

#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    responses((status = 200, description = "text/event-stream: `event: <name>`, `id: <event id>`, `data: <the webhook body>`", content_type = "text/event-stream")),
    security(("bearer" = [])))]
/// Live events of the caller's account: message events with `messages:read`, session events with
/// `sessions:read`. A client that falls far behind gets a `lagged` event saying how many it missed;
/// webhooks are the durable path.
pub(crate) async fn stream(
    State(s): State<Arc<AppState>>,
    Auth(caller): Auth,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    s.gateway.authorize_event_stream(&caller)?;
    let receiver = s.gateway.events().subscribe();
    let shutdown = s.gateway.shutdown_signal();
    // The stream ends when the server shuts down, so graceful shutdown is not held up by open streams.
    let events = futures_util::stream::unfold(
        (receiver, caller, shutdown),
        |(mut receiver, caller, mut shutdown)| async move {
            loop {
                if *shutdown.borrow() {
                    return None;
                }
                let received = tokio::select! {
                    received = receiver.recv() => received,
                    _ = shutdown.changed() => return None,
                };
                match received {
                    Ok(event) if caller.sees_event(&event) => {
                        let sse = Event::default()
                            .event(event.name)
                            .id(event.id.clone())
                            .data(event.body.clone());
                        return Some((Ok(sse), (receiver, caller, shutdown)));
                    }
                    Ok(_) => continue,
                    Err(RecvError::Lagged(missed)) => {
                        let sse = Event::default()
                            .event("lagged")
                            .data(format!("{{\"missed\":{missed}}}"));
                        return Some((Ok(sse), (receiver, caller, shutdown)));
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    );
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
