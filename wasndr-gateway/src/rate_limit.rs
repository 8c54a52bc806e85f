//! Per-account token buckets: one for sends (the plan's per-minute limit) and one, much larger, for reads.
//!
//! A bucket holds up to `per_minute` tokens and refills continuously at `per_minute / 60` per second, so
//! a burst of a full minute's sends is allowed and then one more every `60 / per_minute` seconds. The
//! buckets live in this process; a multi-node deployment routes an account's requests to one node or puts
//! a shared limiter behind [`RateLimiter`].

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::Instant;

/// The answer of a rate-limit check, with what the `X-RateLimit-*` headers show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    /// Whether the request may proceed (a token was taken).
    pub allowed: bool,
    /// The limit per minute.
    pub limit: u32,
    /// Whole tokens left after this request.
    pub remaining: u32,
    /// Seconds until the bucket is full again (`X-RateLimit-Reset`, as a delta).
    pub reset_after_secs: u64,
    /// When refused: seconds until one token is available (`Retry-After`).
    pub retry_after_secs: u64,
}

/// A limiter keyed by account.
pub trait RateLimiter: Send + Sync + fmt::Debug {
    /// Takes one token from `key`'s bucket of `per_minute` capacity, if there is one.
    fn check(&self, key: &str, per_minute: u32) -> RateDecision;
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// In-process token buckets.
#[derive(Debug, Default)]
pub struct TokenBuckets {
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl TokenBuckets {
    /// Empty buckets (every key starts full).
    pub fn new() -> TokenBuckets {
        TokenBuckets::default()
    }

    fn check_at(&self, key: &str, per_minute: u32, now: Instant) -> RateDecision {
        let capacity = f64::from(per_minute.max(1));
        let per_second = capacity / 60.0;
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() > 100_000 {
            // Forget full buckets so the map stays bounded; a full bucket is the default state anyway.
            buckets.retain(|_, bucket| {
                bucket.tokens + now.duration_since(bucket.updated).as_secs_f64() * per_second < capacity
            });
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(capacity);
        bucket.updated = now;
        let allowed = bucket.tokens >= 1.0;
        if allowed {
            bucket.tokens -= 1.0;
        }
        let missing_for_one = (1.0 - bucket.tokens).max(0.0);
        RateDecision {
            allowed,
            limit: per_minute,
            remaining: bucket.tokens.floor() as u32,
            reset_after_secs: ((capacity - bucket.tokens) / per_second).ceil() as u64,
            retry_after_secs: if allowed {
                0
            } else {
                (missing_for_one / per_second).ceil().max(1.0) as u64
            },
        }
    }
}

impl RateLimiter for TokenBuckets {
    fn check(&self, key: &str, per_minute: u32) -> RateDecision {
        self.check_at(key, per_minute, Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn allows_a_minute_burst_then_refills_at_the_rate() {
        let buckets = TokenBuckets::new();
        let start = Instant::now();
        for i in 0..5 {
            let decision = buckets.check_at("a", 5, start);
            assert!(decision.allowed, "send {i}");
            assert_eq!(decision.remaining, 4 - i);
        }
        let refused = buckets.check_at("a", 5, start);
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after_secs, 12);
        assert_eq!(refused.reset_after_secs, 60);
        // another account is not affected
        assert!(buckets.check_at("b", 5, start).allowed);
        // 12 s later one token is back
        assert!(buckets.check_at("a", 5, start + Duration::from_secs(12)).allowed);
        assert!(!buckets.check_at("a", 5, start + Duration::from_secs(13)).allowed);
    }
}
