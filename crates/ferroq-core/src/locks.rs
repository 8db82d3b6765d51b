//! Lock renewal: one batched call per worker per interval, on a tokio timer, so a busy
//! JavaScript event loop can never let a healthy job's lock expire.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use crate::store::{CancelRequest, Lock, Renewal, Store};

/// The locks a worker holds: job id → token. Written by the worker loop, read here.
pub type HeldLocks = Arc<Mutex<HashMap<String, String>>>;

/// What the renewal task reports back to the worker loop.
pub enum RenewalReport {
    /// These locks were gone from the store when renewed: taken over (the job was
    /// recovered as stalled), or released because the job just finished. Only the
    /// worker loop knows which: it reports the ones it still runs.
    Lost(Vec<Lock>),
    /// Jobs held that were cancelled (a request the worker may have missed).
    Cancelled(Vec<CancelRequest>),
    Failed(crate::error::Error),
}

pub fn spawn_renewal<S: Store>(
    store: S,
    held: HeldLocks,
    every: Duration,
    lock_duration: u64,
    report: UnboundedSender<RenewalReport>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await; // the first tick is immediate; fresh locks need no renewal
        loop {
            ticker.tick().await;
            let locks: Vec<Lock> = match held.lock() {
                Ok(held) => held
                    .iter()
                    .map(|(id, token)| Lock {
                        id: id.clone(),
                        token: token.clone(),
                    })
                    .collect(),
                Err(_) => return,
            };
            if locks.is_empty() {
                continue;
            }
            let reports = match store.extend_locks(&locks, lock_duration).await {
                Ok(Renewal { lost, cancelled }) => {
                    let lost: Vec<Lock> = locks
                        .into_iter()
                        .filter(|lock| lost.contains(&lock.id))
                        .collect();
                    [
                        (!lost.is_empty()).then_some(RenewalReport::Lost(lost)),
                        (!cancelled.is_empty()).then_some(RenewalReport::Cancelled(cancelled)),
                    ]
                }
                Err(err) => [Some(RenewalReport::Failed(err)), None],
            };
            for outcome in reports.into_iter().flatten() {
                if report.send(outcome).is_err() {
                    return;
                }
            }
        }
    })
}
