//! The worker loop: owns every active job's lifecycle. It takes jobs, hands them to
//! the processor side in batches, collects outcomes, and stores them together with
//! the next fetch in one round trip (`Store::cycle`). Idle, it blocks in the store
//! (no polling); delayed jobs are promoted by a timer set to the next due job.
//!
//! Up to two store calls are in flight at once, each fetching at most half the
//! concurrency: while one group of jobs is in Redis, the other runs in the processor,
//! so Redis and the JavaScript thread work side by side instead of taking turns.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::value::RawValue;
use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::backoff::{after_failure, AfterFailure};
use crate::error::{Error, Result};
use crate::events::{AbortKind, Delivery, Finished, FinishedStatus, JobSink, WorkerEvent};
use crate::job::ActiveJob;
use crate::locks::{spawn_renewal, HeldLocks, RenewalReport};
use crate::options::{JobOptions, KeepJobs, WorkerOptions};
use crate::stalled::spawn_checker;
use crate::store::{CycleRequest, CycleResult, Finish, FinishItem, Lock, Store};
use crate::time::now_ms;

/// Store calls a worker keeps in flight at once (see the module comment).
const MAX_IN_FLIGHT: usize = 2;

/// How a processor ended an attempt.
#[derive(Clone, Debug)]
pub enum Outcome {
    Completed {
        /// JSON text of the return value.
        returnvalue: String,
    },
    Failed {
        message: String,
        stack: Option<String>,
        /// `UnrecoverableError`: fail now, whatever attempts remain.
        unrecoverable: bool,
    },
}

/// How one attempt ended, as the processor side reports it.
#[derive(Clone, Debug)]
pub struct Settled {
    pub id: String,
    pub token: String,
    pub outcome: Outcome,
}

enum Command {
    /// Outcomes the processor side reported together (one JavaScript tick's worth).
    Outcomes(Vec<Settled>),
    TimedOut {
        id: String,
        token: String,
        after: u64,
    },
    Run,
    /// A new concurrency; running jobs above it finish, no new ones start meanwhile.
    Concurrency(u32),
    Close {
        force: bool,
        done: oneshot::Sender<()>,
    },
}

/// Handle to a running worker loop; cheap to clone, usable from any thread.
#[derive(Clone)]
pub struct WorkerHandle {
    commands: mpsc::UnboundedSender<Command>,
}

impl WorkerHandle {
    /// Reports how an attempt ended. Unknown or stale (id, token) pairs are ignored.
    pub fn complete(&self, id: String, token: String, outcome: Outcome) {
        self.settle(vec![Settled { id, token, outcome }]);
    }

    /// Reports several attempts' ends at once; they are stored in one round trip.
    pub fn settle(&self, settled: Vec<Settled>) {
        if !settled.is_empty() {
            let _ = self.commands.send(Command::Outcomes(settled));
        }
    }

    /// Starts fetching (for workers created with `autorun: false`).
    pub fn run(&self) {
        let _ = self.commands.send(Command::Run);
    }

    /// Changes how many jobs run at once (BullMQ's `worker.concurrency = n`); checked
    /// by the caller (≥ 1).
    pub fn set_concurrency(&self, concurrency: u32) {
        let _ = self.commands.send(Command::Concurrency(concurrency.max(1)));
    }

    /// Stops the worker. Graceful: waits for active jobs and stores their outcomes.
    /// Forced: aborts them and gives them back to the queue. Resolves when stopped.
    pub async fn close(&self, force: bool) {
        let (done, wait) = oneshot::channel();
        if self.commands.send(Command::Close { force, done }).is_ok() {
            let _ = wait.await;
        }
    }
}

/// What the loop keeps of a job it is running.
struct Running {
    token: String,
    opts: JobOptions,
    attempts_made: u32,
    /// JSON array of earlier stack traces.
    stacktrace: String,
    processed_on: u64,
    timeout: Option<JoinHandle<()>>,
}

/// A finish waiting to be stored, with what the processor side must be told after.
struct PendingFinish {
    item: FinishItem,
    report: Finished,
}

/// Starts a worker loop on the current tokio runtime.
pub fn spawn<S: Store, K: JobSink>(
    store: S,
    options: WorkerOptions,
    autorun: bool,
    sink: K,
) -> WorkerHandle {
    let (commands, inbox) = mpsc::unbounded_channel();
    let worker = WorkerLoop {
        store,
        sink: Arc::new(sink),
        options,
        running: autorun,
        inbox,
        commands: commands.clone(),
        active: HashMap::new(),
        held: HeldLocks::default(),
        pending: Vec::new(),
        in_flight: JoinSet::new(),
        reserved: 0,
        orphan_tokens: Vec::new(),
        blocking: None,
        stalled_checker: None,
        want_fetch: true,
        drained: false,
        reached_store: false,
        woken: true,
        next_delayed: None,
        retry_at: None,
        failures: 0,
        closing: None,
        worker_id: uuid::Uuid::new_v4().simple().to_string(),
        fetch_seq: 0,
    };
    tokio::spawn(worker.run());
    WorkerHandle { commands }
}

/// A store call that ended: what it carried, and what the store answered.
struct CycleDone {
    /// The finishes it carried.
    sent: Vec<PendingFinish>,
    /// How many jobs it asked for.
    fetched: u32,
    /// The lock token of the jobs it asked for.
    token: String,
    /// Tokens of earlier calls whose jobs it gave back (see `orphan_tokens`).
    reclaimed: Vec<String>,
    result: Result<CycleResult>,
}

impl CycleDone {
    /// The end of a call that fetched and finished nothing (a release).
    fn empty() -> Self {
        CycleDone {
            sent: Vec::new(),
            fetched: 0,
            token: String::new(),
            reclaimed: Vec::new(),
            result: Ok(CycleResult::default()),
        }
    }
}

struct WorkerLoop<S: Store, K: JobSink> {
    store: S,
    sink: Arc<K>,
    options: WorkerOptions,
    /// False until `run()` for workers made with `autorun: false`, and once closing.
    running: bool,
    inbox: mpsc::UnboundedReceiver<Command>,
    commands: mpsc::UnboundedSender<Command>,
    active: HashMap<String, Running>,
    held: HeldLocks,
    /// Outcomes not yet sent to the store.
    pending: Vec<PendingFinish>,
    /// Store calls in flight (at most `MAX_IN_FLIGHT`); outcomes arriving meanwhile
    /// batch into the next.
    in_flight: JoinSet<CycleDone>,
    /// Jobs asked for by the calls in flight: slots they may fill.
    reserved: u32,
    /// Lock tokens of calls that failed after asking for jobs. Redis may have run them
    /// (the answer was lost with the connection): jobs still locked with these tokens
    /// belong to no one. The next call gives them back to the queue, instead of leaving
    /// them to stalled recovery a lock duration later.
    orphan_tokens: Vec<String>,
    /// The blocking wait for new work, when idle.
    blocking: Option<JoinHandle<Result<()>>>,
    stalled_checker: Option<JoinHandle<()>>,
    /// Whether the queue may hold jobs we could take.
    want_fetch: bool,
    /// `drained` was emitted and no job was taken since.
    drained: bool,
    /// A store call succeeded once (`ready` was emitted).
    reached_store: bool,
    /// Woken by a producer's signal (or just started); the next fetch passes it on.
    woken: bool,
    next_delayed: Option<Instant>,
    /// After a failed store call: when to try again.
    retry_at: Option<Instant>,
    failures: u32,
    closing: Option<(bool, Vec<oneshot::Sender<()>>)>,
    worker_id: String,
    fetch_seq: u64,
}

/// Waits for a task that may not exist (a branch of `select!` that never fires).
async fn join_opt<T>(task: &mut Option<JoinHandle<T>>) -> Option<T> {
    match task {
        Some(handle) => {
            let result = handle.await.ok();
            *task = None;
            result
        }
        None => std::future::pending().await,
    }
}

async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl<S: Store, K: JobSink> WorkerLoop<S, K> {
    async fn run(mut self) {
        let (renewal_tx, mut renewal_rx) = mpsc::unbounded_channel();
        let renewal = spawn_renewal(
            self.store.clone(),
            self.held.clone(),
            Duration::from_millis(self.options.lock_renew_time),
            self.options.lock_duration,
            renewal_tx,
        );
        self.start_stalled_checker();

        loop {
            self.step();
            if self.finished_closing() {
                break;
            }
            tokio::select! {
                Some(command) = self.inbox.recv() => {
                    self.on_command(command);
                    // Outcomes of one JavaScript tick arrive together: take them all
                    // before the next store call, so they share its round trip.
                    while let Ok(command) = self.inbox.try_recv() {
                        self.on_command(command);
                    }
                }
                Some(report) = renewal_rx.recv() => self.on_renewal(report),
                Some(done) = self.in_flight.join_next() => match done {
                    Ok(done) => self.on_cycle(done),
                    Err(_) => self.on_error(Error::Corrupt("worker cycle task panicked".into())),
                },
                woke = join_opt(&mut self.blocking) => {
                    if let Some(Err(err)) = woke {
                        self.on_error(err);
                    }
                    self.want_fetch = true;
                    self.woken = true;
                }
                _ = sleep_opt(self.next_delayed) => {
                    self.next_delayed = None;
                    self.want_fetch = true;
                }
                _ = sleep_opt(self.retry_at) => self.retry_at = None,
            }
        }

        renewal.abort();
        if let Some(stalled) = self.stalled_checker.take() {
            stalled.abort();
        }
        if let Some(blocking) = self.blocking.take() {
            blocking.abort();
        }
        self.sink.deliver(Delivery::event(WorkerEvent::Closed));
        if let Some((_, waiters)) = self.closing.take() {
            for done in waiters {
                let _ = done.send(());
            }
        }
    }

    /// Stalled checks start with processing (as BullMQ's, at `run()`).
    fn start_stalled_checker(&mut self) {
        if self.running && self.stalled_checker.is_none() {
            self.stalled_checker = Some(spawn_checker(
                self.store.clone(),
                self.sink.clone(),
                Duration::from_millis(self.options.stalled_interval),
                self.options.max_stalled_count,
                self.options.remove_on_fail.unwrap_or(KeepJobs::All),
            ));
        }
    }

    fn deliver(&self, delivery: Delivery) {
        if !delivery.is_empty() {
            self.sink.deliver(delivery);
        }
    }

    /// Slots neither running a job nor promised to a store call in flight.
    fn free_slots(&self) -> u32 {
        if !self.running {
            return 0;
        }
        let busy = self.active.len() + self.reserved as usize;
        (self.options.concurrency as usize).saturating_sub(busy) as u32
    }

    /// Most jobs one store call asks for: half the concurrency (rounded up), so two
    /// calls in flight keep Redis and the processor busy at the same time.
    fn fetch_cap(&self) -> u32 {
        self.options
            .concurrency
            .div_ceil(MAX_IN_FLIGHT as u32)
            .max(1)
    }

    /// Starts whatever the state calls for: store calls, or a blocking wait.
    fn step(&mut self) {
        if self.retry_at.is_some() {
            return;
        }
        while self.in_flight.len() < MAX_IN_FLIGHT {
            let fetch = if self.want_fetch {
                self.free_slots().min(self.fetch_cap())
            } else {
                0
            };
            if self.pending.is_empty() && fetch == 0 {
                break;
            }
            self.start_cycle(fetch);
        }
        if self.in_flight.is_empty()
            && self.running
            && self.free_slots() > 0
            && self.blocking.is_none()
        {
            self.start_blocking();
        }
    }

    fn start_cycle(&mut self, fetch: u32) {
        let take = self.pending.len().min(S::MAX_BATCH);
        let sent: Vec<PendingFinish> = self.pending.drain(..take).collect();
        self.fetch_seq += 1;
        let request = CycleRequest {
            finished: sent.iter().map(|p| p.item.clone()).collect(),
            fetch,
            token: format!("{}:{}", self.worker_id, self.fetch_seq),
            lock_duration: self.options.lock_duration,
            pass_on_wakeup: fetch > 0 && std::mem::take(&mut self.woken),
            reclaim: std::mem::take(&mut self.orphan_tokens),
        };
        let store = self.store.clone();
        self.reserved += fetch;
        self.in_flight.spawn(async move {
            let result = store.cycle(&request).await;
            CycleDone {
                sent,
                fetched: fetch,
                token: request.token,
                reclaimed: request.reclaim,
                result,
            }
        });
    }

    fn start_blocking(&mut self) {
        let mut wait = Duration::from_millis(self.options.drain_delay);
        if let Some(due) = self.next_delayed {
            wait = wait.min(due.saturating_duration_since(Instant::now()));
        }
        let store = self.store.clone();
        self.blocking = Some(tokio::spawn(async move { store.wait_for_work(wait).await }));
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Outcomes(settled) => {
                for Settled { id, token, outcome } in settled {
                    self.on_outcome(id, token, outcome);
                }
            }
            Command::TimedOut { id, token, after } => {
                let holds = self.active.get(&id).is_some_and(|r| r.token == token);
                if holds {
                    let reason = format!("job {id} timed out after {after} ms");
                    self.deliver(Delivery::event(WorkerEvent::Abort {
                        job_id: id.clone(),
                        token: token.clone(),
                        kind: AbortKind::Timeout,
                        reason: reason.clone(),
                    }));
                    let outcome = Outcome::Failed {
                        message: reason.clone(),
                        stack: None,
                        unrecoverable: false,
                    };
                    self.on_outcome(id, token, outcome);
                    if let Some(last) = self.pending.last_mut() {
                        last.report.failed_reason = Some(reason);
                    }
                }
            }
            Command::Run => {
                if self.closing.is_none() {
                    self.running = true;
                    self.want_fetch = true;
                    self.start_stalled_checker();
                }
            }
            Command::Concurrency(concurrency) => {
                self.options.concurrency = concurrency;
                self.want_fetch = true;
            }
            Command::Close { force, done } => self.on_close(force, done),
        }
    }

    fn on_outcome(&mut self, id: String, token: String, outcome: Outcome) {
        let holds = self.active.get(&id).is_some_and(|r| r.token == token);
        if !holds {
            return; // timed out or released already; a late answer changes nothing
        }
        let Some(job) = self.active.remove(&id) else {
            return;
        };
        // The lock stays held (and renewed) until the outcome is stored: a Redis outage
        // longer than the lock must not hand a finished job to another worker.
        if let Some(timer) = &job.timeout {
            timer.abort();
        }
        let keep = |job_opt: Option<KeepJobs>, worker_opt: Option<KeepJobs>| {
            job_opt.or(worker_opt).unwrap_or(KeepJobs::All)
        };
        let attempts_made = job.attempts_made + 1;
        let (finish, status, delay) = match outcome {
            Outcome::Completed { returnvalue } => (
                Finish::Completed {
                    attempts_made,
                    returnvalue,
                    keep: keep(job.opts.remove_on_complete, self.options.remove_on_complete),
                },
                FinishedStatus::Completed,
                0,
            ),
            Outcome::Failed {
                message,
                stack,
                unrecoverable,
            } => {
                let stacktrace = append_stack(
                    &job.stacktrace,
                    stack.as_deref(),
                    job.opts.stack_trace_limit,
                );
                match after_failure(&job.opts, attempts_made, unrecoverable) {
                    AfterFailure::Retry { delay } => (
                        Finish::Retry {
                            attempts_made,
                            reason: message,
                            stacktrace,
                            delay,
                        },
                        FinishedStatus::Retrying,
                        delay,
                    ),
                    AfterFailure::Fail => (
                        Finish::Failed {
                            attempts_made,
                            reason: message,
                            stacktrace,
                            keep: keep(job.opts.remove_on_fail, self.options.remove_on_fail),
                        },
                        FinishedStatus::Failed,
                        0,
                    ),
                }
            }
        };
        self.pending.push(PendingFinish {
            report: Finished {
                id: id.clone(),
                token: token.clone(),
                status,
                attempts_made,
                finished_on: now_ms(),
                failed_reason: None,
                delay,
                stacktrace: finish
                    .stacktrace()
                    .and_then(|s| RawValue::from_string(s.to_string()).ok()),
            },
            item: FinishItem {
                id,
                token,
                finish,
                processed_on: job.processed_on,
            },
        });
        self.want_fetch = true;
    }

    fn on_cycle(&mut self, done: CycleDone) {
        let CycleDone {
            sent,
            fetched,
            token,
            mut reclaimed,
            result,
        } = done;
        self.reserved -= fetched;
        let result = match result {
            Ok(result) => result,
            Err(err) => {
                // Keep the outcomes, in order, and try again after a pause.
                let mut retry = sent;
                retry.append(&mut self.pending);
                self.pending = retry;
                self.orphan_tokens.append(&mut reclaimed);
                if fetched > 0 {
                    self.orphan_tokens.push(token);
                }
                self.on_error(err);
                return;
            }
        };
        self.failures = 0;
        let mut delivery = Delivery::default();
        if !std::mem::replace(&mut self.reached_store, true) {
            delivery.events.push(WorkerEvent::Ready);
        }
        if let Ok(mut held) = self.held.lock() {
            for pending in &sent {
                if held.get(&pending.item.id) == Some(&pending.item.token) {
                    held.remove(&pending.item.id);
                }
            }
        }
        for (pending, ok) in sent.into_iter().zip(result.finished_ok) {
            let mut report = pending.report;
            if !ok {
                report.status = FinishedStatus::LockLost;
            }
            delivery.finished.push(report);
        }
        for job in &result.jobs {
            self.start_job(job);
        }
        let got = result.jobs.len() as u32;
        if self.is_forced_close() {
            // Taken while a forced close was under way: give them straight back.
            self.deliver(delivery);
            self.release_active();
            return;
        }
        delivery.jobs = result.jobs;
        if got > 0 {
            self.drained = false;
        }
        // The store looks the next delayed job up only when it did not fill the fetch;
        // a full fetch says nothing about delayed jobs, so the timer stays as it was.
        if got < fetched || fetched == 0 {
            self.next_delayed = result
                .next_delayed
                .map(|due| Instant::now() + Duration::from_millis(due.saturating_sub(now_ms())));
        }
        if got < fetched {
            // Fewer than asked: the queue is empty for now. Block until told otherwise.
            // (A call that asked for nothing says nothing about the queue.)
            self.want_fetch = false;
            if !self.drained && self.running {
                self.drained = true;
                delivery.events.push(WorkerEvent::Drained);
            }
        }
        self.deliver(delivery);
    }

    fn start_job(&mut self, job: &ActiveJob) {
        let record = &job.record;
        let opts = record.options();
        let timeout = opts.timeout.map(|after| {
            let commands = self.commands.clone();
            let (id, token) = (record.id.clone(), job.token.clone());
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(after)).await;
                let _ = commands.send(Command::TimedOut { id, token, after });
            })
        });
        if let Ok(mut held) = self.held.lock() {
            held.insert(record.id.clone(), job.token.clone());
        }
        self.active.insert(
            record.id.clone(),
            Running {
                token: job.token.clone(),
                opts,
                attempts_made: record.attempts_made,
                stacktrace: record.stacktrace.get().to_string(),
                processed_on: record.processed_on.unwrap_or_else(now_ms),
                timeout,
            },
        );
    }

    fn on_renewal(&mut self, report: RenewalReport) {
        match report {
            RenewalReport::Lost(locks) => {
                for Lock { id, token } in locks {
                    // A job whose outcome arrived meanwhile released its lock by being
                    // stored (or will learn of the loss from its finish): not an error.
                    let running = self.active.get(&id).is_some_and(|job| job.token == token);
                    if !running {
                        continue;
                    }
                    // Reported once: the lock is not renewed again.
                    if let Ok(mut held) = self.held.lock() {
                        held.remove(&id);
                    }
                    self.deliver(Delivery::event(WorkerEvent::Error {
                        code: "ERR_LOCK_LOST".into(),
                        message: format!("lost the lock of job {id}: it was recovered as stalled"),
                    }));
                }
            }
            RenewalReport::Failed(err) => self.deliver(Delivery::event(WorkerEvent::error(&err))),
        }
    }

    fn on_error(&mut self, err: Error) {
        self.deliver(Delivery::event(WorkerEvent::error(&err)));
        self.failures = (self.failures + 1).min(6);
        // 100 ms, 200 ms, … up to 3.2 s between attempts while Redis is away.
        let pause = Duration::from_millis(100 << (self.failures - 1));
        self.retry_at = Some(Instant::now() + pause);
        self.want_fetch = true;
        if self.is_forced_close() {
            // A forced close does not wait out a Redis outage: unstored outcomes are
            // dropped and their jobs come back through stalled recovery (at-least-once).
            self.pending.clear();
            self.retry_at = None;
        }
    }

    fn is_forced_close(&self) -> bool {
        matches!(self.closing, Some((true, _)))
    }

    fn on_close(&mut self, force: bool, done: oneshot::Sender<()>) {
        self.running = false;
        if let Some(blocking) = self.blocking.take() {
            blocking.abort();
        }
        match &mut self.closing {
            Some((_, waiters)) => waiters.push(done),
            None => self.closing = Some((force, vec![done])),
        }
        if force {
            if let Some((f, _)) = &mut self.closing {
                *f = true;
            }
            // With store calls in flight, their results arrive first (they may carry
            // new jobs to give back); `on_cycle` releases then.
            if self.in_flight.is_empty() {
                self.release_active();
            }
        }
    }

    /// Aborts every running job and gives it back to the queue untouched.
    fn release_active(&mut self) {
        if self.active.is_empty() {
            return;
        }
        let mut locks = Vec::with_capacity(self.active.len());
        let mut delivery = Delivery::default();
        for (id, job) in self.active.drain() {
            if let Some(timer) = &job.timeout {
                timer.abort();
            }
            delivery.events.push(WorkerEvent::Abort {
                job_id: id.clone(),
                token: job.token.clone(),
                kind: AbortKind::Close,
                reason: "worker closed by force".into(),
            });
            locks.push(Lock {
                id,
                token: job.token,
            });
        }
        if let Ok(mut held) = self.held.lock() {
            held.clear();
        }
        self.deliver(delivery);
        let store = self.store.clone();
        let sink = self.sink.clone();
        // Part of closing: the loop waits for it through `in_flight`.
        self.in_flight.spawn(async move {
            if let Err(err) = store.release(&locks).await {
                sink.deliver(Delivery::event(WorkerEvent::error(&err)));
            }
            CycleDone::empty()
        });
    }

    fn finished_closing(&self) -> bool {
        self.closing.is_some()
            && self.active.is_empty()
            && self.pending.is_empty()
            && self.in_flight.is_empty()
    }
}

/// Appends one stack trace to the stored JSON array, keeping the newest `limit`.
fn append_stack(stored: &str, stack: Option<&str>, limit: usize) -> String {
    let mut stacks: Vec<String> = serde_json::from_str(stored).unwrap_or_default();
    if let Some(stack) = stack {
        stacks.push(stack.to_string());
    }
    if stacks.len() > limit {
        stacks.drain(..stacks.len() - limit);
    }
    serde_json::to_string(&stacks).unwrap_or_else(|_| "[]".into())
}
