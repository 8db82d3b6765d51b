//! The jobs a worker runs: what it keeps of each, the locks it holds (shared with the
//! renewal timer) and each attempt's timeout timer.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::job::ActiveJob;
use crate::locks::HeldLocks;
use crate::options::JobOptions;
use crate::store::Lock;
use crate::time::now_ms;

use super::Command;

/// What the worker keeps of a job it runs.
pub(super) struct RunningJob {
    pub token: String,
    pub opts: JobOptions,
    /// Attempts made before this one.
    pub attempts_made: u32,
    /// JSON array of earlier stack traces.
    pub stacktrace: String,
    pub processed_on: u64,
    /// Fails the attempt when the job's `timeout` passes.
    pub timeout: Option<JoinHandle<()>>,
}

impl RunningJob {
    /// A job as its record stands, run under `token` with no timer (manual processing).
    pub fn of(record: &crate::job::JobRecord, token: &str) -> Self {
        RunningJob {
            token: token.to_string(),
            opts: record.options(),
            attempts_made: record.attempts_made,
            stacktrace: record.stacktrace.get().to_string(),
            processed_on: record.processed_on.unwrap_or_else(now_ms),
            timeout: None,
        }
    }
}

impl Drop for RunningJob {
    fn drop(&mut self) {
        if let Some(timer) = self.timeout.take() {
            timer.abort();
        }
    }
}

/// Running jobs by id, and the locks held for them. A lock outlives its job here: it
/// stays held (and renewed) until the job's outcome is stored, so a Redis outage
/// longer than the lock cannot hand a finished job to another worker.
#[derive(Default)]
pub(super) struct ActiveJobs {
    jobs: HashMap<String, RunningJob>,
    held: HeldLocks,
}

impl ActiveJobs {
    /// The locks, as the renewal timer reads them.
    pub fn held(&self) -> HeldLocks {
        self.held.clone()
    }

    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// Starts running a job just taken; its timeout (if any) reports to `commands`.
    pub fn start(&mut self, job: &ActiveJob, commands: &mpsc::UnboundedSender<Command>) {
        let record = &job.record;
        let mut running = RunningJob::of(record, &job.token);
        running.timeout = running.opts.timeout.map(|after| {
            let commands = commands.clone();
            let lock = Lock {
                id: record.id.clone(),
                token: job.token.clone(),
            };
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(after)).await;
                let _ = commands.send(Command::TimedOut { lock, after });
            })
        });
        if let Ok(mut held) = self.held.lock() {
            held.insert(record.id.clone(), job.token.clone());
        }
        self.jobs.insert(record.id.clone(), running);
    }

    /// True while the job runs under this lock (not timed out, released or replaced).
    pub fn runs(&self, lock: &Lock) -> bool {
        self.jobs
            .get(&lock.id)
            .is_some_and(|job| job.token == lock.token)
    }

    /// The lock of job `id`, while it runs here.
    pub fn lock_of(&self, id: &str) -> Option<Lock> {
        self.jobs.get(id).map(|job| Lock {
            id: id.to_string(),
            token: job.token.clone(),
        })
    }

    /// Ends the attempt running under `lock`: the job leaves the running set (its timer
    /// stops); its lock stays held until `release_lock`.
    pub fn end(&mut self, lock: &Lock) -> Option<RunningJob> {
        if !self.runs(lock) {
            return None;
        }
        self.jobs.remove(&lock.id)
    }

    /// Stops renewing a lock: its job's outcome is stored, or the lock was lost.
    /// Returns whether it was still held (a lost lock is let go when first reported).
    pub fn release_lock(&self, lock: &Lock) -> bool {
        let Ok(mut held) = self.held.lock() else {
            return false;
        };
        if held.get(&lock.id) == Some(&lock.token) {
            held.remove(&lock.id);
            return true;
        }
        false
    }

    /// Ends every running attempt at once (forced close): their locks, to give back.
    pub fn end_all(&mut self) -> Vec<Lock> {
        if let Ok(mut held) = self.held.lock() {
            held.clear();
        }
        self.jobs
            .drain()
            .map(|(id, job)| Lock {
                id,
                token: job.token.clone(),
            })
            .collect()
    }
}
