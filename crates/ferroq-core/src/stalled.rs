//! Stalled-job recovery: active jobs whose lock expired (their worker crashed or hung)
//! go back to waiting, or fail after `maxStalledCount` stalls. Every worker runs the
//! timer; the store lets one pass per interval across all of them do the work.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::events::{Delivery, JobSink, WorkerEvent};
use crate::store::Store;

pub fn spawn_checker<S: Store, K: JobSink>(
    store: S,
    sink: Arc<K>,
    every: Duration,
    max_stalled_count: u32,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await; // first tick immediate: recover at start-up
            let interval_ms = every.as_millis() as u64;
            match store.recover_stalled(max_stalled_count, interval_ms).await {
                Ok(report) => {
                    let events: Vec<WorkerEvent> = report
                        .recovered
                        .into_iter()
                        .map(|job_id| WorkerEvent::Stalled { job_id })
                        .collect();
                    if !events.is_empty() {
                        sink.deliver(Delivery {
                            events,
                            ..Default::default()
                        });
                    }
                }
                Err(err) => sink.deliver(Delivery::event(WorkerEvent::error(&err))),
            }
        }
    })
}
