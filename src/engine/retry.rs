//! When to try a failed send (or a failed save) again: a pure policy of the number of
//! attempts, and the bookkeeping of a channel whose send failed. The shell reads the clock
//! and carries the sends out; what a failure means for the next attempt is decided here.

use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Delays after failures: `first`, doubling with each further failure, at most `longest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub first: Duration,
    pub longest: Duration,
}

impl RetryPolicy {
    /// 1, 2, 4, … minutes, at most an hour.
    pub const STANDARD: RetryPolicy = RetryPolicy {
        first: Duration::from_secs(60),
        longest: Duration::from_secs(60 * 60),
    };

    /// The standard doubling and cap from another first delay (tests need not wait a minute).
    pub fn starting_at(first: Duration) -> RetryPolicy {
        RetryPolicy {
            first,
            ..RetryPolicy::STANDARD
        }
    }

    /// How long to wait after the `attempts`-th failure in a row (the first is 1).
    pub fn delay(&self, attempts: u32) -> Duration {
        let factor = 1u32 << attempts.saturating_sub(1).min(6);
        self.first.saturating_mul(factor).min(self.longest)
    }

    /// When to try again after the `attempts`-th failure at `now`; `None` past the end of
    /// time (never, in practice).
    pub fn next_attempt(&self, now: Timestamp, attempts: u32) -> Option<Timestamp> {
        now.checked_add(self.delay(attempts)).ok()
    }
}

/// A channel whose last send failed: kept in the state file until a send succeeds or the
/// channel has nothing due any more.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Pending {
    pub attempts: u32,
    pub last_error: String,
    pub next_attempt: Option<Timestamp>,
}

impl Pending {
    /// Counts one more failed send at `now`, with its error, and schedules the next.
    pub fn failed(&mut self, policy: &RetryPolicy, now: Timestamp, error: String) {
        self.attempts = self.attempts.saturating_add(1);
        self.last_error = error;
        self.next_attempt = policy.next_attempt(now, self.attempts);
    }

    /// Whether a retry of this channel is due at `now` (one with no time set always is).
    pub fn is_due(&self, now: Timestamp) -> bool {
        self.next_attempt.is_none_or(|at| at <= now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_doubles_from_one_minute_up_to_an_hour() {
        let policy = RetryPolicy::STANDARD;
        let minutes = |attempts| policy.delay(attempts).as_secs() / 60;
        let schedule: Vec<u64> = (1..=9).map(minutes).collect();
        assert_eq!(schedule, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(policy.delay(1), Duration::from_secs(60));
        // Attempt 0 never happens (a failure counts itself first), but must not be shorter.
        assert_eq!(minutes(0), 1);
        assert_eq!(policy.delay(u32::MAX), policy.longest);
        let fast = RetryPolicy::starting_at(Duration::from_secs(1));
        assert_eq!(fast.delay(3), Duration::from_secs(4));
    }

    #[test]
    fn a_failure_counts_and_schedules_the_next_attempt() {
        let now: Timestamp = "2026-11-23T09:00:00Z".parse().unwrap();
        let mut pending = Pending::default();
        assert!(pending.is_due(now));
        pending.failed(&RetryPolicy::STANDARD, now, "refused".into());
        pending.failed(&RetryPolicy::STANDARD, now, "refused again".into());
        assert_eq!(pending.attempts, 2);
        assert_eq!(pending.last_error, "refused again");
        assert_eq!(
            pending.next_attempt,
            Some("2026-11-23T09:02:00Z".parse().unwrap())
        );
        assert!(!pending.is_due(now));
        assert!(pending.is_due("2026-11-23T09:02:00Z".parse().unwrap()));
    }
}
