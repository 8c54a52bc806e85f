//! Reconnect delays: capped exponential backoff with jitter.

use std::time::Duration;

use rand_core::Rng;

use super::config::ReconnectPolicy;

/// The delay before reconnect attempt `attempt` (0 for the first retry): `base · 2^attempt`, capped at
/// `max`, then drawn uniformly from its upper half so that many clients dropped at once (a server
/// restart) do not come back in lockstep.
pub(crate) fn reconnect_delay<R: Rng + ?Sized>(
    policy: &ReconnectPolicy,
    attempt: u32,
    rng: &mut R,
) -> Duration {
    let factor = 1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX);
    let capped = policy.base_delay.saturating_mul(factor).min(policy.max_delay);
    let half = capped / 2;
    let spread = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
    let jitter = if spread == 0 {
        0
    } else {
        rng.next_u64() % (spread + 1)
    };
    half + Duration::from_millis(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_within_the_cap_and_jitters() {
        let policy = ReconnectPolicy {
            enabled: true,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut seen = std::collections::HashSet::new();
        for attempt in 0..40 {
            let ceiling = Duration::from_secs(1u64 << attempt.min(6)).min(policy.max_delay);
            for _ in 0..20 {
                let delay = reconnect_delay(&policy, attempt, &mut rng);
                assert!(delay <= ceiling, "attempt {attempt}: {delay:?} > {ceiling:?}");
                assert!(
                    delay >= ceiling / 2,
                    "attempt {attempt}: {delay:?} < half of {ceiling:?}"
                );
                seen.insert(delay);
            }
        }
        assert!(seen.len() > 100, "jitter spreads the delays");
    }

    use rand::SeedableRng as _;
}
