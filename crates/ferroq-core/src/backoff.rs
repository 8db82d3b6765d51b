//! Retry decisions: whether a failed attempt is retried and after how long.

use crate::options::{Backoff, BackoffKind, JobOptions};

/// A uniformly distributed number in `[0, 1)`, from the OS-seeded generator behind uuid v4.
fn random_unit() -> f64 {
    (uuid::Uuid::new_v4().as_u128() >> 75) as f64 / (1u64 << 53) as f64
}

/// Delay before the next attempt, after `attempts_made` attempts have failed (≥ 1).
///
/// fixed: `delay`; exponential: `2^(attempts_made-1) · delay`. With a jitter `j`,
/// the delay is drawn uniformly from `[(1-j)·d, d]`.
pub fn retry_delay(backoff: &Backoff, attempts_made: u32) -> u64 {
    let base = match backoff.kind {
        BackoffKind::Fixed => backoff.delay as f64,
        BackoffKind::Exponential => {
            let exponent = attempts_made.saturating_sub(1).min(62) as i32;
            (2f64.powi(exponent) * backoff.delay as f64).round()
        }
    };
    let delay = if backoff.jitter > 0.0 {
        (base * (1.0 - backoff.jitter) + random_unit() * base * backoff.jitter).floor()
    } else {
        base
    };
    delay.min(u64::MAX as f64) as u64
}

/// What happens after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again after this many milliseconds (0: straight back to waiting).
    Retry { delay: u64 },
    /// No attempts left (or the error was unrecoverable): the job fails.
    Fail,
}

/// Decides the fate of a job whose attempt number `attempts_made` just failed.
pub fn after_failure(opts: &JobOptions, attempts_made: u32, unrecoverable: bool) -> AfterFailure {
    if unrecoverable || attempts_made >= opts.attempts {
        return AfterFailure::Fail;
    }
    let delay = opts
        .backoff
        .as_ref()
        .map_or(0, |b| retry_delay(b, attempts_made));
    AfterFailure::Retry { delay }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_doubles_per_attempt() {
        let b = Backoff {
            kind: BackoffKind::Exponential,
            delay: 1000,
            jitter: 0.0,
        };
        assert_eq!(retry_delay(&b, 1), 1000);
        assert_eq!(retry_delay(&b, 2), 2000);
        assert_eq!(retry_delay(&b, 3), 4000);
    }

    #[test]
    fn jitter_stays_within_its_band() {
        let b = Backoff {
            kind: BackoffKind::Fixed,
            delay: 1000,
            jitter: 0.5,
        };
        for _ in 0..200 {
            let d = retry_delay(&b, 1);
            assert!((500..=1000).contains(&d), "{d}");
        }
    }

    #[test]
    fn unrecoverable_and_last_attempts_fail() {
        let opts = JobOptions {
            attempts: 3,
            ..Default::default()
        };
        assert_eq!(
            after_failure(&opts, 1, false),
            AfterFailure::Retry { delay: 0 }
        );
        assert_eq!(after_failure(&opts, 3, false), AfterFailure::Fail);
        assert_eq!(after_failure(&opts, 1, true), AfterFailure::Fail);
    }
}
