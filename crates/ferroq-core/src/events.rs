//! What the engine tells the processor side, batched: jobs to run, jobs whose end is
//! now stored, and worker events. One `Delivery` is one crossing into JavaScript.

use serde::Serialize;
use serde_json::value::RawValue;

use crate::error::Error;
use crate::job::{ActiveJob, JobRecord};
use crate::store::{Finish, FinishKind, Stored};

/// How an attempt's end was stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FinishedStatus {
    Completed,
    /// The attempt failed and the job will run again (now or after its backoff).
    Retrying,
    Failed,
    /// The job waits again, its attempt not counted (the processor threw
    /// `RateLimitError`).
    Requeued,
    /// The worker no longer held the job's lock (it was recovered as stalled); the
    /// outcome was dropped and the job runs again elsewhere.
    LockLost,
}

/// A finish the store answered for: what the processor side is told of it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finished {
    pub id: String,
    pub token: String,
    pub status: FinishedStatus,
    pub attempts_made: u32,
    pub finished_on: u64,
    /// Why the attempt failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_reason: Option<String>,
    /// Retry delay in ms, when retrying.
    pub delay: u64,
    /// The job's stack traces as now stored (JSON array), after a failed attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stacktrace: Option<Box<RawValue>>,
}

/// Why a running attempt is aborted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum AbortKind {
    /// The job's `timeout` passed: the attempt fails.
    Timeout,
    /// The worker closed by force: the job goes back to the queue untouched.
    Close,
    /// The job was cancelled (`queue.cancel`, from any process): it fails, no retry.
    Cancel,
}

impl Finished {
    /// The report of `finish`, as the store took it, at `finished_on`.
    pub fn of(finish: &Finish, stored: &Stored, finished_on: u64) -> Self {
        let (status, delay) = match (&finish.kind, stored) {
            (_, Stored::LockLost) => (FinishedStatus::LockLost, 0),
            (_, Stored::Cancelled(_)) => (FinishedStatus::Failed, 0),
            (FinishKind::Complete { .. }, Stored::AsSent) => (FinishedStatus::Completed, 0),
            (FinishKind::Retry { delay, .. }, Stored::AsSent) => (FinishedStatus::Retrying, *delay),
            (FinishKind::Fail { .. }, Stored::AsSent) => (FinishedStatus::Failed, 0),
            (FinishKind::Requeue, Stored::AsSent) => (FinishedStatus::Requeued, 0),
        };
        let failed_reason = match stored {
            Stored::Cancelled(reason) => Some(reason.as_str()),
            _ => finish.kind.reason(),
        };
        Finished {
            id: finish.lock.id.clone(),
            token: finish.lock.token.clone(),
            status,
            attempts_made: finish.attempts_made,
            finished_on,
            failed_reason: failed_reason.map(str::to_string),
            delay,
            stacktrace: finish
                .kind
                .stacktrace()
                .and_then(|s| RawValue::from_string(s.to_string()).ok()),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum WorkerEvent {
    /// The first store call succeeded: the worker reached its store (BullMQ's `ready`).
    Ready,
    /// The queue has no more jobs waiting (emitted once per empty spell).
    Drained,
    /// Something went wrong that the worker recovers from by itself.
    Error { code: String, message: String },
    /// A job whose worker vanished was put back to waiting, or failed for stalling
    /// too often (then `Failed` follows).
    #[serde(rename_all = "camelCase")]
    Stalled { job_id: String },
    /// A job failed without an attempt of this worker (it stalled too often).
    Failed { job: Box<JobRecord>, reason: String },
    /// A running attempt must stop: fire its AbortSignal.
    #[serde(rename_all = "camelCase")]
    Abort {
        job_id: String,
        token: String,
        kind: AbortKind,
        reason: String,
    },
    /// The worker stopped; nothing follows.
    Closed,
}

impl WorkerEvent {
    pub fn error(err: &Error) -> Self {
        WorkerEvent::Error {
            code: err.code().to_string(),
            message: err.to_string(),
        }
    }
}

#[derive(Debug, Default, Serialize)]
pub struct Delivery {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub jobs: Vec<ActiveJob>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub finished: Vec<Finished>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<WorkerEvent>,
}

impl Delivery {
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty() && self.finished.is_empty() && self.events.is_empty()
    }

    pub fn event(event: WorkerEvent) -> Self {
        Delivery {
            events: vec![event],
            ..Default::default()
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| {
            format!(r#"{{"events":[{{"type":"error","code":"ERR_CORRUPT","message":"{e}"}}]}}"#)
        })
    }
}

/// The processor side of a worker (the JavaScript wrapper, or a Rust closure in tests).
pub trait JobSink: Send + Sync + 'static {
    fn deliver(&self, delivery: Delivery);
}
