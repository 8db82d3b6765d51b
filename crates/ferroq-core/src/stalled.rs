//! Stalled-job recovery: active jobs whose lock expired (their worker crashed or hung)
//! go back to waiting, or fail after `maxStalledCount` stalls. Every worker runs the
//! timer; the store lets one pass per interval across all of them do the work. The
//! same timer finishes job schedulers' steps that a dead worker left (scheduler.rs).

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::events::{Delivery, JobSink, WorkerEvent};
use crate::options::KeepJobs;
use crate::store::Store;

/// Why a job that stalled too often failed (BullMQ's words).
pub const STALLED_TOO_OFTEN: &str = "job stalled more than allowable limit";

/// Starts the timer. `keep_failed`: the worker's `removeOnFail`, for jobs that fail
/// by stalling and store no rule of their own.
pub fn spawn_checker<S: Store, K: JobSink>(
    store: S,
    sink: Arc<K>,
    every: Duration,
    max_stalled_count: u32,
    keep_failed: KeepJobs,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await; // first tick immediate: recover at start-up
            let interval_ms = every.as_millis() as u64;
            let report = store
                .recover_stalled(max_stalled_count, interval_ms, keep_failed)
                .await;
            // Schedulers whose worker died between a job's start and making the next
            // job get it now.
            if let Err(err) = crate::scheduler::repair(&store).await {
                sink.deliver(Delivery::event(WorkerEvent::error(&err)));
            }
            let report = match report {
                Ok(report) => report,
                Err(err) => {
                    sink.deliver(Delivery::event(WorkerEvent::error(&err)));
                    continue;
                }
            };
            // `stalled` for every stalled job, as BullMQ; `failed` too for those that
            // failed (read back for the event; one removed meanwhile gets none).
            let mut events: Vec<WorkerEvent> = report
                .recovered
                .iter()
                .chain(&report.failed)
                .map(|job_id| WorkerEvent::Stalled {
                    job_id: job_id.clone(),
                })
                .collect();
            if !report.failed.is_empty() {
                match store.get_jobs(&report.failed).await {
                    Ok(jobs) => {
                        events.extend(jobs.into_iter().flatten().map(|job| {
                            // Stalled too often, or cancelled (its cancel reason).
                            let reason = job
                                .failed_reason
                                .clone()
                                .unwrap_or_else(|| STALLED_TOO_OFTEN.into());
                            WorkerEvent::Failed {
                                job: Box::new(job),
                                reason,
                            }
                        }))
                    }
                    Err(err) => events.push(WorkerEvent::error(&err)),
                }
            }
            if !events.is_empty() {
                sink.deliver(Delivery {
                    events,
                    ..Default::default()
                });
            }
        }
    })
}
