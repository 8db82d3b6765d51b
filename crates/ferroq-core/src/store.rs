//! The storage contract. Each method is one whole atomic transition of the job
//! lifecycle, so the worker loop never builds storage commands itself and a second
//! backend (an in-process store for tests and demos) plugs in behind the same trait.

use std::future::Future;
use std::time::Duration;

use crate::error::Result;
use crate::job::{ActiveJob, Added, JobRecord, JobState, NewJob};
use crate::options::operations::Resets;
use crate::options::{KeepJobs, RateLimit};
use crate::scheduler::{NewScheduler, SchedulerRecord, UpsertTiming};

/// How an attempt's end is stored: the transition the worker decided from the
/// processor's [`Outcome`](crate::worker::Outcome) (see `worker::finish`).
#[derive(Clone, Debug)]
pub struct Finish {
    /// The job and the lock token of the attempt.
    pub lock: Lock,
    /// The attempt's start, stored as `processedOn`.
    pub processed_on: u64,
    /// Attempts made, this one included.
    pub attempts_made: u32,
    pub kind: FinishKind,
    /// The deduplication id the job holds until it ends (simple mode), freed when
    /// this finish ends it.
    pub release_dedup: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FinishKind {
    /// The attempt succeeded: the job completes.
    Complete {
        /// JSON text of the processor's return value.
        returnvalue: String,
        keep: KeepJobs,
    },
    /// The attempt failed and another one follows after `delay` ms.
    Retry {
        reason: String,
        /// JSON array of stack traces, newest last.
        stacktrace: String,
        delay: u64,
    },
    /// The processor said an upstream limited it (BullMQ's `RateLimitError`): the job
    /// goes back to wait, first in line, and the attempt does not count.
    Requeue,
    /// The attempt failed and it was the last one.
    Fail {
        reason: String,
        stacktrace: String,
        keep: KeepJobs,
        /// Every attempt was spent (not an `UnrecoverableError` that cut them short):
        /// BullMQ's `retries-exhausted`.
        exhausted: bool,
    },
}

impl FinishKind {
    /// The stack traces stored with a failed attempt (JSON array).
    pub fn stacktrace(&self) -> Option<&str> {
        match self {
            FinishKind::Complete { .. } | FinishKind::Requeue => None,
            FinishKind::Retry { stacktrace, .. } | FinishKind::Fail { stacktrace, .. } => {
                Some(stacktrace)
            }
        }
    }

    /// Why the attempt failed, when it did.
    pub fn reason(&self) -> Option<&str> {
        match self {
            FinishKind::Complete { .. } | FinishKind::Requeue => None,
            FinishKind::Retry { reason, .. } | FinishKind::Fail { reason, .. } => Some(reason),
        }
    }
}

/// One call of the worker cycle: finish some jobs, then take up to `fetch` new ones.
#[derive(Clone, Debug)]
pub struct CycleRequest {
    pub finished: Vec<Finish>,
    pub fetch: u32,
    /// Lock token for the jobs taken by this call.
    pub token: String,
    pub lock_duration: u64,
    /// The worker was just woken by a producer's signal: if jobs remain after this
    /// call, signal again so the next idle worker wakes too.
    pub pass_on_wakeup: bool,
    /// Lock tokens of earlier calls whose answer was lost: jobs still locked with them
    /// go back to waiting, first in line, before this call fetches.
    pub reclaim: Vec<String>,
    /// The worker's `name`, stored with the jobs it takes (`job.processedBy`).
    pub worker_name: Option<String>,
    /// The worker's `limiter` (the queue's global rate limit takes precedence).
    pub rate_limit: Option<RateLimit>,
    /// The worker's `metrics.maxDataPoints`: count the jobs this call finishes.
    pub metrics_points: Option<u32>,
}

/// How the store took one finish of a `cycle` call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stored {
    /// Stored as sent.
    AsSent,
    /// The lock was lost (the job was recovered as stalled and belongs to someone
    /// else now); nothing was written.
    LockLost,
    /// The job was cancelled (`Store::cancel`) before its worker heard of it: it
    /// failed with this reason instead of completing or retrying.
    Cancelled(String),
}

#[derive(Debug, Default)]
pub struct CycleResult {
    /// One per finish sent, in order.
    pub finished: Vec<Stored>,
    pub jobs: Vec<ActiveJob>,
    /// Due time (ms) of the earliest delayed job, when the call took fewer jobs than asked.
    pub next_delayed: Option<u64>,
    /// The queue is paused: no job was taken.
    pub paused: bool,
    /// The queue's global concurrency held the fetch back: fewer jobs were taken than
    /// asked although more wait (a finish anywhere signals when there is room).
    pub maxed: bool,
    /// The rate limit held the fetch back: `next_delayed` says when a job may start
    /// (if before the next delayed job is due).
    pub rate_limited: bool,
}

#[derive(Debug, Default)]
pub struct StalledReport {
    /// Jobs moved back to waiting.
    pub recovered: Vec<String>,
    /// Jobs failed for stalling more than `maxStalledCount` times.
    pub failed: Vec<String>,
}

/// One event of a queue's stream: its id and its fields (`event`, `jobId`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventEntry {
    pub id: String,
    pub fields: Vec<(String, String)>,
}

/// What renewing a worker's locks found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Renewal {
    /// Ids whose lock the worker no longer holds.
    pub lost: Vec<String>,
    /// Jobs renewed that were cancelled meanwhile, with the reason (the worker may
    /// have missed the request).
    pub cancelled: Vec<CancelRequest>,
}

/// BullMQ's metrics of one finished state (`queue.getMetrics`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    pub count: u64,
    pub prev_ts: u64,
    pub prev_count: u64,
    /// Jobs finished per minute, newest first.
    pub data: Vec<u64>,
    /// How many data points are kept in all.
    pub points: u64,
}

/// A request to cancel an active job, wherever it runs (`Store::cancel`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CancelRequest {
    pub id: String,
    pub reason: String,
}

/// What `Store::cancel` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cancelled {
    /// The job was waiting to run (waiting, prioritized or delayed): it failed now.
    Failed,
    /// The job is active: it is marked and its worker told; the attempt ends failed.
    Requested,
}

/// A lock held by a worker: job id and token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lock {
    pub id: String,
    pub token: String,
}

pub trait Store: Clone + Send + Sync + 'static {
    /// Most finishes one `cycle` call carries (a store whose calls block others keeps
    /// each one short); the worker sends the rest with the next call.
    const MAX_BATCH: usize = usize::MAX;

    /// Adds jobs atomically (one round trip for the whole batch).
    fn add(&self, jobs: &[NewJob]) -> impl Future<Output = Result<Vec<Added>>> + Send;

    /// Finishes jobs, promotes due delayed jobs and takes up to `fetch` jobs.
    fn cycle(&self, request: &CycleRequest) -> impl Future<Output = Result<CycleResult>> + Send;

    /// Renews the locks still held; says which were lost and which jobs were cancelled.
    fn extend_locks(
        &self,
        locks: &[Lock],
        lock_duration: u64,
    ) -> impl Future<Output = Result<Renewal>> + Send;

    /// Cancels job `id` with `reason` from any process (ferroq's own). A job waiting to
    /// run fails at once, without retry. An active one ends failed with `reason`
    /// whatever its attempt reports: its worker hears of it through
    /// `cancel_requests` (else at its next lock renewal) and aborts the attempt; a job
    /// whose worker died fails when found stalled. A finished job is `JobState`, a
    /// missing one `JobNotFound`; neither changes anything.
    fn cancel(&self, id: &str, reason: &str) -> impl Future<Output = Result<Cancelled>> + Send;

    /// The queue's cancel requests for active jobs, as they are made, for a worker of
    /// this store. Requests made while the store was unreachable may be missed (lock
    /// renewal catches them).
    fn cancel_requests(&self) -> tokio::sync::mpsc::UnboundedReceiver<CancelRequest>;

    /// One stalled-job pass for the queue; at most one pass per `interval` across all
    /// workers does any work. Jobs that fail by stalling keep or go by their own
    /// `removeOnFail`, else by `keep_failed` (the worker's).
    fn recover_stalled(
        &self,
        max_stalled_count: u32,
        interval: u64,
        keep_failed: KeepJobs,
    ) -> impl Future<Output = Result<StalledReport>> + Send;

    /// Gives active jobs back to the queue untouched (forced close).
    fn release(&self, locks: &[Lock]) -> impl Future<Output = Result<()>> + Send;

    /// Blocks until a producer signals new work or `timeout` passes.
    fn wait_for_work(&self, timeout: Duration) -> impl Future<Output = Result<()>> + Send;

    /// Ends this store's `wait_for_work` or `read_events` in progress, if any (its
    /// worker or reader is closing), so the wait does not take a producer's signal
    /// meant for a worker that stays, and its connection can close at once.
    fn stop_waiting(&self) -> impl Future<Output = ()> + Send;

    /// The id of the queue's newest event (`0-0` when there is none): where a reader
    /// that starts "from now" starts.
    fn last_event_id(&self) -> impl Future<Output = Result<String>> + Send;

    /// Up to `count` events after event `after`, oldest first; blocks up to `block`
    /// while there are none (then returns none).
    fn read_events(
        &self,
        after: &str,
        block: Duration,
        count: usize,
    ) -> impl Future<Output = Result<Vec<EventEntry>>> + Send;

    /// Resolves once the store answers (BullMQ's `waitUntilReady`).
    fn ping(&self) -> impl Future<Output = Result<()>> + Send;

    fn get_job(&self, id: &str) -> impl Future<Output = Result<Option<JobRecord>>> + Send;
    /// Several jobs in one round trip, in the order of `ids`; `None` where one is gone.
    fn get_jobs(
        &self,
        ids: &[String],
    ) -> impl Future<Output = Result<Vec<Option<JobRecord>>>> + Send;
    fn get_state(&self, id: &str) -> impl Future<Output = Result<JobState>> + Send;
    /// Jobs per state; while the queue is paused, its waiting jobs count as `paused`.
    fn counts(&self, states: &[JobState]) -> impl Future<Output = Result<Vec<u64>>> + Send;

    /// Pauses (no worker anywhere takes jobs; running ones finish) or resumes the
    /// queue; returns whether it changed (its `paused`/`resumed` event is appended).
    fn set_paused(&self, paused: bool) -> impl Future<Output = Result<bool>> + Send;

    fn is_paused(&self) -> impl Future<Output = Result<bool>> + Send;

    /// Sets (or with `None` removes) the queue's global concurrency: no fetch takes a
    /// job while that many are active across all workers.
    fn set_global_concurrency(&self, limit: Option<u32>)
        -> impl Future<Output = Result<()>> + Send;

    /// The queue's global concurrency, if set.
    fn global_concurrency(&self) -> impl Future<Output = Result<Option<u32>>> + Send;

    /// Whether the active jobs fill the global concurrency (false when none is set).
    fn is_maxed(&self) -> impl Future<Output = Result<bool>> + Send;

    /// The per-minute metrics of jobs finished as `state` (completed or failed): the
    /// running count, the minute and count last turned into a data point, and the
    /// data points `start..=end` (newest first), with how many there are.
    fn metrics(
        &self,
        state: JobState,
        start: i64,
        end: i64,
    ) -> impl Future<Output = Result<Metrics>> + Send;

    /// The run-time histogram of attempts finished by workers with `metrics`: counts
    /// per bucket (`metrics::BUCKET_BOUNDS_MS`, then +Inf) and the total ms.
    fn run_times(&self) -> impl Future<Output = Result<([u64; 15], u64)>> + Send;

    /// The live job holding deduplication id `dedup_id`, if any.
    fn dedup_job_id(&self, dedup_id: &str) -> impl Future<Output = Result<Option<String>>> + Send;

    /// Frees deduplication id `dedup_id` (only if job `holder` holds it, when given);
    /// returns whether a key was removed.
    fn remove_dedup(
        &self,
        dedup_id: &str,
        holder: Option<&str>,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Sets (or with `None` removes) the queue's global rate limit, which takes
    /// precedence over the workers' `limiter`.
    fn set_global_rate_limit(
        &self,
        limit: Option<RateLimit>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// The queue's global rate limit, if set.
    fn global_rate_limit(&self) -> impl Future<Output = Result<Option<RateLimit>>> + Send;

    /// Holds every fetch of the queue for `ms` (BullMQ's `rateLimit`: an upstream
    /// service said "too many requests").
    fn rate_limit_for(&self, ms: u64) -> impl Future<Output = Result<()>> + Send;

    /// How long (ms) until a job may start under the rate limit (`limit`, else the
    /// queue's global one): 0 when one may start now.
    fn rate_limit_ttl(&self, limit: Option<RateLimit>) -> impl Future<Output = Result<u64>> + Send;

    /// Forgets the recorded starts and any `rate_limit_for`: jobs may start at once.
    fn remove_rate_limit(&self) -> impl Future<Output = Result<()>> + Send;

    /// The queue's live workers (that reached the store), each as the store knows
    /// it: field/value pairs, `name` the worker's `name` option.
    fn workers(&self) -> impl Future<Output = Result<Vec<Vec<(String, String)>>>> + Send;

    /// Creates or updates a job scheduler, keeping exactly one job of it that has not
    /// started, due as `timing` says. Gives that job's id and state, or `None` when the
    /// scheduler's limit is reached (it ended); fails with `JobState`, changing nothing,
    /// when a job for that due time exists already (it ran or runs).
    fn upsert_scheduler(
        &self,
        scheduler: &NewScheduler,
        timing: &UpsertTiming,
    ) -> impl Future<Output = Result<Option<(String, JobState)>>> + Send;
    /// Scheduler `id`'s job `from` started: makes its next job, due at `due` (ms), or
    /// ends the scheduler when `due` is `None`. Once per start: a second call for the
    /// same start, or one after the scheduler changed, changes nothing.
    fn advance_scheduler(
        &self,
        id: &str,
        from: &str,
        due: Option<u64>,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Schedulers whose latest job started before `started_before` (ms) and has no
    /// successor yet (its worker died in between); at most 100.
    fn stuck_schedulers(
        &self,
        started_before: u64,
    ) -> impl Future<Output = Result<Vec<SchedulerRecord>>> + Send;
    fn scheduler(&self, id: &str) -> impl Future<Output = Result<Option<SchedulerRecord>>> + Send;
    /// Schedulers ranked by when their next job is due (`start`, `end` inclusive;
    /// negative counts from the end).
    fn schedulers(
        &self,
        start: i64,
        end: i64,
        asc: bool,
    ) -> impl Future<Output = Result<Vec<SchedulerRecord>>> + Send;
    fn scheduler_count(&self) -> impl Future<Output = Result<u64>> + Send;
    /// Removes a scheduler and its job that has not started; false when there was none.
    fn remove_scheduler(&self, id: &str) -> impl Future<Output = Result<bool>> + Send;
    /// Removes one job, whatever its state (its `removed` event is appended); fails
    /// with `JobLocked` while a worker runs it, `JobNotFound` when there is none.
    fn remove_job(&self, id: &str) -> impl Future<Output = Result<()>> + Send;

    /// Removes the jobs waiting to run (waiting and prioritized; delayed too when
    /// `delayed`); returns how many.
    fn drain(&self, delayed: bool) -> impl Future<Output = Result<u64>> + Send;

    /// Removes up to `limit` (0: all) jobs in `state` from before `before` (ms; for
    /// finished jobs, when they finished); never an active job a worker holds.
    /// Returns their ids.
    fn clean(
        &self,
        state: JobState,
        before: u64,
        limit: u64,
    ) -> impl Future<Output = Result<Vec<String>>> + Send;

    /// Removes the queue and all its jobs, `count` jobs a step; without `force`
    /// refuses (`ActiveJobs`) while jobs are active, and changes nothing.
    fn obliterate(&self, force: bool, count: u64) -> impl Future<Output = Result<()>> + Send;

    /// Moves finished jobs in `state` back to waiting: the job `id`, or all of those
    /// finished before `before` (ms), `count` a step; `resets` says which attempt
    /// counts start again from 0. Returns how many moved; one job not in `state` is
    /// `JobState`, a missing one `JobNotFound`.
    fn retry(
        &self,
        state: JobState,
        id: Option<&str>,
        resets: Resets,
        count: u64,
        before: u64,
    ) -> impl Future<Output = Result<u64>> + Send;

    /// Makes delayed jobs wait to run now: the job `id`, or all of them, `count` a
    /// step. Returns how many moved; one job not delayed is `JobState`.
    fn promote(&self, id: Option<&str>, count: u64) -> impl Future<Output = Result<u64>> + Send;

    /// Makes a delayed job due `delay` ms from now; `JobState` when it is not delayed.
    fn change_delay(&self, id: &str, delay: u64) -> impl Future<Output = Result<()>> + Send;

    /// Gives a job a new priority and lifo; a waiting one moves to its new place.
    fn change_priority(
        &self,
        id: &str,
        priority: u32,
        lifo: bool,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Replaces a job's data (JSON text).
    fn update_data(&self, id: &str, data: &str) -> impl Future<Output = Result<()>> + Send;
    /// Ids in one state, newest first unless `asc`; `start`/`end` inclusive, negative from the end.
    fn job_ids(
        &self,
        state: JobState,
        start: i64,
        end: i64,
        asc: bool,
    ) -> impl Future<Output = Result<Vec<String>>> + Send;
    fn update_progress(&self, id: &str, progress: &str) -> impl Future<Output = Result<()>> + Send;
    /// Appends a log line; returns the number of lines.
    fn add_log(&self, id: &str, line: &str) -> impl Future<Output = Result<u64>> + Send;
    /// Log lines `start..=end` (oldest first unless `!asc`) and the total count.
    fn logs(
        &self,
        id: &str,
        start: i64,
        end: i64,
        asc: bool,
    ) -> impl Future<Output = Result<(Vec<String>, u64)>> + Send;
}
