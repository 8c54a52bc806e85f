//! The webhook delivery worker: claims due deliveries from the persisted queue, POSTs them signed, and
//! reschedules failures with exponential backoff and jitter. Because the queue is in the database and a
//! claim is only a lease, deliveries survive restarts and a crashed worker's claims come back.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rand::RngExt;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use super::signature::sign;
use crate::clock::now_ms;
use crate::fetch::OutboundClient;
use crate::store::{DeliveryRecord, GatewayStore};

/// Retry schedule for deliveries.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Delay after the first failure; doubled after each further one.
    pub base_delay: Duration,
    /// Longest delay between attempts.
    pub max_delay: Duration,
    /// Attempts before a delivery is marked failed.
    pub max_attempts: u32,
    /// How long a claim holds a delivery (a crashed worker's deliveries return after this).
    pub lease: Duration,
    /// Deliveries sent at once.
    pub concurrency: u32,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            base_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(3600),
            max_attempts: 15,
            lease: Duration::from_secs(120),
            concurrency: 16,
        }
    }
}

impl WebhookSettings {
    /// The delay before attempt `failed_attempts + 1`: exponential, capped, with "equal jitter" (half
    /// fixed, half random) so a receiver that comes back is not hit by every retry at once.
    pub fn backoff(&self, failed_attempts: u32) -> Duration {
        let exponent = failed_attempts.saturating_sub(1).min(30);
        let full = self
            .base_delay
            .saturating_mul(1u32 << exponent.min(20))
            .min(self.max_delay);
        let half = full / 2;
        let jitter_ms = rand::rng().random_range(0..=half.as_millis().min(u128::from(u64::MAX)) as u64);
        half + Duration::from_millis(jitter_ms)
    }
}

/// Sends queued deliveries until shut down.
#[derive(Debug, Clone)]
pub struct WebhookDispatcher {
    store: Arc<dyn GatewayStore>,
    client: OutboundClient,
    settings: WebhookSettings,
    wake: Arc<Notify>,
}

impl WebhookDispatcher {
    /// A dispatcher over `store`'s queue; `wake` is notified when deliveries are queued.
    pub fn new(
        store: Arc<dyn GatewayStore>,
        client: OutboundClient,
        settings: WebhookSettings,
        wake: Arc<Notify>,
    ) -> Self {
        WebhookDispatcher {
            store,
            client,
            settings,
            wake,
        }
    }

    /// Runs until `shutdown` turns true. Deliveries in flight then finish; unclaimed ones stay queued.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut in_flight = JoinSet::new();
        loop {
            if *shutdown.borrow() {
                break;
            }
            let now = now_ms();
            let free = self.settings.concurrency.saturating_sub(in_flight.len() as u32);
            let claimed = if free == 0 {
                Vec::new()
            } else {
                let lease_until = now + self.settings.lease.as_millis() as i64;
                match self.store.claim_due_deliveries(now, lease_until, free).await {
                    Ok(claimed) => claimed,
                    Err(error) => {
                        tracing::error!(%error, "claiming webhook deliveries failed");
                        Vec::new()
                    }
                }
            };
            let claimed_any = !claimed.is_empty();
            for delivery in claimed {
                let worker = self.clone();
                in_flight.spawn(async move { worker.deliver(delivery).await });
            }
            while in_flight.try_join_next().is_some() {}
            if claimed_any && free > 0 {
                continue;
            }
            let sleep = self.next_wait(now).await;
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(sleep) => {}
                _ = in_flight.join_next(), if !in_flight.is_empty() => {}
                _ = shutdown.changed() => {}
            }
        }
        while in_flight.join_next().await.is_some() {}
    }

    async fn next_wait(&self, now: i64) -> Duration {
        let cap = Duration::from_secs(5);
        match self.store.next_delivery_due().await {
            Ok(Some(due)) if due > now => Duration::from_millis((due - now) as u64).min(cap),
            Ok(Some(_)) => Duration::from_millis(50),
            _ => cap,
        }
    }

    async fn deliver(&self, delivery: DeliveryRecord) {
        let outcome = self.attempt(&delivery).await;
        let result = match outcome {
            Ok(()) => self.store.mark_delivered(&delivery.id, now_ms()).await,
            Err(error) => {
                let failed = delivery.attempts + 1;
                let next = (failed < self.settings.max_attempts)
                    .then(|| now_ms() + self.settings.backoff(failed).as_millis() as i64);
                tracing::warn!(delivery = %delivery.id, attempt = failed, %error, "webhook delivery failed");
                self.store.mark_attempt_failed(&delivery.id, &error, next).await
            }
        };
        if let Err(error) = result {
            // The lease expires and the delivery is tried again: a duplicate the receiver drops by id.
            tracing::error!(delivery = %delivery.id, %error, "recording a webhook delivery result failed");
        }
    }

    async fn attempt(&self, delivery: &DeliveryRecord) -> Result<(), String> {
        let webhook = match self.store.get_webhook(&delivery.webhook_id).await {
            Ok(Some(webhook)) => webhook,
            Ok(None) => return Err("the webhook was deleted".to_owned()),
            Err(error) => return Err(format!("loading the webhook failed: {error}")),
        };
        let timestamp = now_ms() / 1000;
        let body = Bytes::from(delivery.payload.clone());
        let headers = [
            ("content-type", "application/json".to_owned()),
            ("x-wasndr-signature", sign(&webhook.secret, timestamp, &body)),
            ("x-wasndr-timestamp", timestamp.to_string()),
            ("x-wasndr-event", delivery.event.clone()),
            ("x-wasndr-delivery", delivery.id.clone()),
        ];
        match self.client.post(&webhook.url, &headers, body).await {
            Ok(response) if (200..300).contains(&response.status) => Ok(()),
            Ok(response) => Err(format!("the receiver answered HTTP {}", response.status)),
            Err(failure) => Err(failure.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let settings = WebhookSettings {
            base_delay: Duration::from_secs(10),
            ..WebhookSettings::default()
        };
        for _ in 0..50 {
            let first = settings.backoff(1);
            assert!(
                first >= Duration::from_secs(5) && first <= Duration::from_secs(10),
                "{first:?}"
            );
            let fourth = settings.backoff(4);
            assert!(
                fourth >= Duration::from_secs(40) && fourth <= Duration::from_secs(80),
                "{fourth:?}"
            );
            let late = settings.backoff(40);
            assert!(
                late >= Duration::from_secs(1800) && late <= Duration::from_secs(3600),
                "{late:?}"
            );
        }
    }
}
