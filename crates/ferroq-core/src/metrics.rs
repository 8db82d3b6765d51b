//! Processing-time histogram buckets (ferroq's own, beyond BullMQ's per-minute
//! counts): how long finished attempts ran, so a Prometheus scrape can compute rates
//! and quantiles.

use crate::store::Finish;

/// Upper bounds of the buckets, in ms (the last bucket, above them all, is +Inf).
pub const BUCKET_BOUNDS_MS: [u64; 14] = [
    5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000,
];

/// Attempts per bucket (`BUCKET_BOUNDS_MS`, then +Inf) and their total run time (ms),
/// for `finishes` that ended at `now`.
pub fn durations(finishes: &[Finish], now: u64) -> ([u64; 15], u64) {
    let mut buckets = [0u64; 15];
    let mut total = 0u64;
    for finish in finishes {
        let ran = now.saturating_sub(finish.processed_on);
        total = total.saturating_add(ran);
        let at = BUCKET_BOUNDS_MS
            .iter()
            .position(|&bound| ran <= bound)
            .unwrap_or(BUCKET_BOUNDS_MS.len());
        buckets[at] += 1;
    }
    (buckets, total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::KeepJobs;
    use crate::store::{FinishKind, Lock};

    fn ran_from(processed_on: u64) -> Finish {
        Finish {
            lock: Lock {
                id: "1".into(),
                token: "t".into(),
            },
            processed_on,
            attempts_made: 1,
            kind: FinishKind::Complete {
                returnvalue: "1".into(),
                keep: KeepJobs::All,
            },
            release_dedup: None,
        }
    }

    #[test]
    fn run_times_fall_in_the_first_bucket_that_holds_them() {
        let now = 1_000_000;
        let finishes = [
            ran_from(now),
            ran_from(now - 5),
            ran_from(now - 6),
            ran_from(now - 400_000),
        ];
        let (buckets, total) = durations(&finishes, now);
        assert_eq!(buckets[0], 2, "0 and 5 ms: up to 5 ms");
        assert_eq!(buckets[1], 1, "6 ms: up to 10 ms");
        assert_eq!(buckets[14], 1, "400 s: above every bound");
        assert_eq!(buckets.iter().sum::<u64>(), 4);
        assert_eq!(total, 400_011);
    }
}
