//! The worker loop: owns every active job's lifecycle. It takes jobs, hands them to
//! the processor side in batches, collects their outcomes and stores them together
//! with the next fetch in one round trip (`Store::cycle`). Idle, it blocks in the
//! store (no polling); delayed jobs are promoted by a timer set to the next due job.
//!
//! The loop only routes events between its roles, one module each:
//! - [`phase`]: not started, running, or closing (gracefully or by force);
//! - [`capacity`]: how many jobs it may take now;
//! - [`active`]: the jobs it runs, their locks and timeout timers;
//! - [`dispatcher`]: its store calls (two in flight at once) and their retries;
//! - [`wakeups`]: what makes an idle worker look for jobs again;
//! - [`cancels`]: cancel requests heard before their job started here;
//! - [`finish`]: how an attempt's outcome is stored (complete, retry or fail);
//! - [`manual`]: the same transitions on the caller's call, for a worker without a
//!   processor.
//!
//! An attempt's end has one name per stage: the processor reports an [`Outcome`];
//! the worker decides a [`Finish`] (the transition to store); once stored, the
//! processor side is told it is [`Finished`](crate::events::Finished).

mod active;
mod cancels;
mod capacity;
mod dispatcher;
mod finish;
mod manual;
mod phase;
#[cfg(test)]
mod tests;
mod wakeups;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::error::Error;
use crate::events::{AbortKind, Delivery, Finished, JobSink, WorkerEvent};
use crate::locks::{spawn_renewal, RenewalReport};
use crate::options::{KeepJobs, WorkerOptions};
use crate::stalled::spawn_checker;
use crate::store::{CancelRequest, Finish, Lock, Store};
use crate::time::now_ms;

use active::ActiveJobs;
use cancels::EarlyCancels;
use capacity::Capacity;
use dispatcher::{Answer, Dispatcher};
use phase::Phase;
use wakeups::{Wakeup, Wakeups};

pub use manual::Manual;

/// How a processor ended an attempt.
#[derive(Clone, Debug, PartialEq)]
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
    /// The job was cancelled (`Store::cancel`): it fails with `reason`, no retry.
    Cancelled { reason: String },
    /// The processor threw BullMQ's `RateLimitError`: the job waits again, the attempt
    /// not counted.
    RateLimited,
}

enum Command {
    /// Outcomes the processor side reported together (one JavaScript tick's worth).
    Outcomes(Vec<(Lock, Outcome)>),
    /// The attempt under `lock` ran longer than its `timeout` (`after` ms).
    TimedOut {
        lock: Lock,
        after: u64,
    },
    Run,
    /// Start the stalled-job checks without processing (manual processing).
    CheckStalled,
    Concurrency(u32),
    /// Take no jobs until `Resume`; `done` is told once none runs (or at once).
    Pause {
        wait_active: bool,
        done: oneshot::Sender<()>,
    },
    Resume,
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
    /// Reports how attempts ended; they are stored together in one round trip.
    /// Unknown or stale locks (timed out, released) are ignored.
    pub fn report(&self, outcomes: Vec<(Lock, Outcome)>) {
        if !outcomes.is_empty() {
            let _ = self.commands.send(Command::Outcomes(outcomes));
        }
    }

    /// Starts fetching (for workers created with `autorun: false`).
    pub fn run(&self) {
        let _ = self.commands.send(Command::Run);
    }

    /// Starts the stalled-job checks of a worker that does not process (BullMQ's
    /// `startStalledCheckTimer`, for manual processing).
    pub fn check_stalled(&self) {
        let _ = self.commands.send(Command::CheckStalled);
    }

    /// Changes how many jobs run at once (BullMQ's `worker.concurrency = n`); jobs
    /// running above the new value finish, no new ones start meanwhile.
    pub fn set_concurrency(&self, concurrency: u32) {
        let _ = self.commands.send(Command::Concurrency(concurrency));
    }

    /// Stops taking jobs (BullMQ's `worker.pause`); resolves once the running jobs
    /// finished and were stored, or at once with `wait_active` false.
    pub async fn pause(&self, wait_active: bool) {
        let (done, wait) = oneshot::channel();
        if self
            .commands
            .send(Command::Pause { wait_active, done })
            .is_ok()
        {
            let _ = wait.await;
        }
    }

    /// Takes jobs again after `pause`.
    pub fn resume(&self) {
        let _ = self.commands.send(Command::Resume);
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

/// Starts a worker loop on the current tokio runtime.
pub fn spawn<S: Store, K: JobSink>(
    store: S,
    options: WorkerOptions,
    autorun: bool,
    sink: K,
) -> WorkerHandle {
    let (commands, inbox) = mpsc::unbounded_channel();
    let worker = WorkerLoop {
        phase: if autorun { Phase::Running } else { Phase::Idle },
        capacity: Capacity::new(options.concurrency),
        active: ActiveJobs::default(),
        dispatcher: Dispatcher::new(store.clone()),
        wakeups: Wakeups::new(),
        store,
        sink: Arc::new(sink),
        options,
        inbox,
        commands: commands.clone(),
        stalled_checker: None,
        reached_store: false,
        pause_waiters: Vec::new(),
        early_cancels: EarlyCancels::default(),
    };
    tokio::spawn(worker.run());
    WorkerHandle { commands }
}

struct WorkerLoop<S: Store, K: JobSink> {
    phase: Phase,
    capacity: Capacity,
    active: ActiveJobs,
    dispatcher: Dispatcher<S>,
    wakeups: Wakeups,
    store: S,
    sink: Arc<K>,
    options: WorkerOptions,
    inbox: mpsc::UnboundedReceiver<Command>,
    commands: mpsc::UnboundedSender<Command>,
    stalled_checker: Option<JoinHandle<()>>,
    /// A store call succeeded once (`ready` was emitted).
    reached_store: bool,
    /// `pause()` callers waiting for the running jobs to be done.
    pause_waiters: Vec<oneshot::Sender<()>>,
    /// Cancels heard for jobs not (yet) running here, kept briefly: the request can
    /// arrive before the answer of the call that took the job.
    early_cancels: EarlyCancels,
}

impl<S: Store, K: JobSink> WorkerLoop<S, K> {
    async fn run(mut self) {
        let (renewal_tx, mut renewal_rx) = mpsc::unbounded_channel();
        let renewal = spawn_renewal(
            self.store.clone(),
            self.active.held(),
            Duration::from_millis(self.options.lock_renew_time),
            self.options.lock_duration,
            renewal_tx,
        );
        self.start_stalled_checker();
        let mut cancels = self.store.cancel_requests();

        loop {
            self.step();
            self.tell_paused();
            if self.phase.is_closing() && self.active.is_empty() && self.dispatcher.is_done() {
                break;
            }
            let retry_at = self.dispatcher.retry_at();
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
                Some(request) = cancels.recv() => self.on_cancel(request),
                answer = self.dispatcher.answer() => self.on_answer(answer),
                wakeup = self.wakeups.next() => {
                    if let Wakeup::Signalled(Err(err)) = wakeup {
                        self.on_error(err);
                    }
                }
                _ = wakeups::sleep_opt(retry_at) => self.dispatcher.end_pause(),
            }
        }

        renewal.abort();
        if let Some(stalled) = self.stalled_checker.take() {
            stalled.abort();
        }
        self.wakeups.stop(&self.store);
        self.sink.deliver(Delivery::event(WorkerEvent::Closed));
        for done in self.phase.take_waiters() {
            let _ = done.send(());
        }
    }

    /// Stalled checks start with processing (as BullMQ's, at `run()`).
    fn start_stalled_checker(&mut self) {
        if self.phase.takes_jobs() {
            self.check_stalled();
        }
    }

    fn check_stalled(&mut self) {
        if self.stalled_checker.is_none() {
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

    /// Tells the `pause()` callers once nothing runs or waits to be stored.
    fn tell_paused(&mut self) {
        if !self.pause_waiters.is_empty() && self.active.is_empty() && self.dispatcher.is_done() {
            for done in self.pause_waiters.drain(..) {
                let _ = done.send(());
            }
        }
    }

    /// Jobs the worker may ask for now.
    fn free_slots(&self) -> u32 {
        if !self.phase.takes_jobs() {
            return 0;
        }
        self.capacity
            .free(self.active.len(), self.dispatcher.reserved())
    }

    /// Starts whatever the state calls for: store calls, or a blocking wait. Nothing
    /// while pausing after a failed call.
    fn step(&mut self) {
        if self.dispatcher.is_pausing() {
            return;
        }
        while self.dispatcher.may_call() {
            let fetch = if self.wakeups.want_jobs {
                self.free_slots().min(self.capacity.per_call())
            } else {
                0
            };
            if !self.dispatcher.has_pending() && fetch == 0 {
                break;
            }
            let pass_on = fetch > 0 && self.wakeups.take_woken();
            if fetch > 0 {
                self.wakeups.fetch_sent();
            }
            self.dispatcher.call(fetch, pass_on, &self.options);
        }
        if self.dispatcher.is_quiet() && self.free_slots() > 0 {
            self.wakeups
                .block(&self.store, Duration::from_millis(self.options.drain_delay));
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Outcomes(outcomes) => {
                for (lock, outcome) in outcomes {
                    self.on_outcome(lock, outcome);
                }
            }
            Command::TimedOut { lock, after } => {
                if self.active.runs(&lock) {
                    let reason = format!("job {} timed out after {after} ms", lock.id);
                    let outcome = Outcome::Failed {
                        message: reason.clone(),
                        stack: None,
                        unrecoverable: false,
                    };
                    self.abort(lock, AbortKind::Timeout, reason, outcome);
                }
            }
            Command::Run => {
                if self.phase.start() {
                    self.wakeups.want_jobs = true;
                    self.start_stalled_checker();
                }
            }
            Command::CheckStalled => self.check_stalled(),
            Command::Concurrency(concurrency) => {
                self.capacity.set_concurrency(concurrency);
                self.wakeups.want_jobs = true;
            }
            Command::Pause { wait_active, done } => {
                self.capacity.set_paused(true);
                // A blocked wait would take a producer's signal meant for another worker.
                self.wakeups.stop(&self.store);
                if wait_active {
                    self.pause_waiters.push(done);
                } else {
                    let _ = done.send(());
                }
            }
            Command::Resume => {
                self.capacity.set_paused(false);
                self.wakeups.want_jobs = true;
            }
            Command::Close { force, done } => self.on_close(force, done),
        }
    }

    fn on_outcome(&mut self, lock: Lock, outcome: Outcome) {
        // A late answer (timed out, or released already) changes nothing.
        let Some(job) = self.active.end(&lock) else {
            return;
        };
        self.dispatcher
            .queue(finish::finish(lock, &job, outcome, &self.options));
        self.wakeups.want_jobs = true;
    }

    fn on_answer(&mut self, answer: Answer) {
        match answer {
            Answer::Cycle {
                sent,
                asked,
                result,
            } => self.on_cycle(sent, asked, result),
            Answer::Failed(err) => self.on_error(err),
            Answer::Released(Err(err)) => self.deliver(Delivery::event(WorkerEvent::error(&err))),
            Answer::Released(Ok(())) => {}
        }
    }

    fn on_cycle(&mut self, sent: Vec<Finish>, asked: u32, result: crate::store::CycleResult) {
        let mut delivery = Delivery::default();
        if !std::mem::replace(&mut self.reached_store, true) {
            delivery.events.push(WorkerEvent::Ready);
        }
        let finished_on = now_ms();
        for (finish, stored) in sent.iter().zip(&result.finished) {
            self.active.release_lock(&finish.lock);
            delivery
                .finished
                .push(Finished::of(finish, stored, finished_on));
        }
        for job in &result.jobs {
            self.active.start(job, &self.commands);
        }
        crate::scheduler::advance_taken(&self.store, &self.sink, &result.jobs);
        let cancelled: Vec<CancelRequest> = result
            .jobs
            .iter()
            .filter_map(|job| self.early_cancels.take(&job.record.id))
            .collect();
        if self.phase.is_forced_close() {
            // Taken while a forced close was under way: give them straight back.
            self.deliver(delivery);
            self.release_active();
            return;
        }
        let got = result.jobs.len() as u32;
        delivery.jobs = result.jobs;
        // The jobs reach the processor side first, then their aborts.
        if !cancelled.is_empty() {
            self.deliver(std::mem::take(&mut delivery));
            for request in cancelled {
                self.on_cancel(request);
            }
        }
        // The store looks the next delayed job up only when it did not fill the fetch;
        // a full fetch says nothing about delayed jobs, so the timer stays as it was.
        if got < asked || asked == 0 {
            self.wakeups.set_next_delayed(result.next_delayed);
        }
        // Paused, or held back by the global concurrency or the rate limit: not drained,
        // and blocked until a resume or a finish elsewhere signals, or (rate limit) the
        // window opens (the store gives that time as the next delayed one).
        let held_back = result.paused || result.maxed || result.rate_limited;
        if self.wakeups.after_fetch(asked, got, held_back) && self.phase.takes_jobs() {
            delivery.events.push(WorkerEvent::Drained);
        }
        self.deliver(delivery);
    }

    fn on_renewal(&mut self, report: RenewalReport) {
        match report {
            RenewalReport::Lost(locks) => {
                for lock in locks {
                    // A job whose outcome arrived meanwhile released its lock by being
                    // stored (or learns of the loss from its finish): not an error.
                    if !self.active.runs(&lock) {
                        continue;
                    }
                    // Reported once: the lock is not renewed again, and its finish
                    // will not report it a second time.
                    self.active.release_lock(&lock);
                    self.deliver(Delivery::event(WorkerEvent::error(&Error::LockLost(
                        lock.id,
                    ))));
                }
            }
            RenewalReport::Cancelled(requests) => {
                for request in requests {
                    self.on_cancel(request);
                }
            }
            RenewalReport::Failed(err) => self.deliver(Delivery::event(WorkerEvent::error(&err))),
        }
    }

    /// A job was cancelled from somewhere: if it runs here, its signal fires and the
    /// attempt ends now, failed (as a timeout does), whatever the processor does next.
    fn on_cancel(&mut self, request: CancelRequest) {
        let Some(lock) = self.active.lock_of(&request.id) else {
            self.early_cancels.keep(request);
            return;
        };
        let outcome = Outcome::Cancelled {
            reason: request.reason.clone(),
        };
        self.abort(lock, AbortKind::Cancel, request.reason, outcome);
    }

    /// Ends a running attempt from the engine's side: its AbortSignal fires, and it
    /// ends with `outcome` now, whatever the processor reports later.
    fn abort(&mut self, lock: Lock, kind: AbortKind, reason: String, outcome: Outcome) {
        self.deliver(Delivery::event(WorkerEvent::Abort {
            job_id: lock.id.clone(),
            token: lock.token.clone(),
            kind,
            reason,
        }));
        self.on_outcome(lock, outcome);
    }

    fn on_error(&mut self, err: Error) {
        self.deliver(Delivery::event(WorkerEvent::error(&err)));
        self.wakeups.want_jobs = true;
        if self.phase.is_forced_close() {
            self.dispatcher.give_up();
        } else {
            self.dispatcher.back_off();
        }
    }

    fn on_close(&mut self, force: bool, done: oneshot::Sender<()>) {
        self.phase.close(force, done);
        self.wakeups.stop(&self.store);
        // With store calls in flight, their answers come first (they may bring new
        // jobs to give back); `on_cycle` releases then.
        if self.phase.is_forced_close() && self.dispatcher.is_quiet() {
            self.release_active();
        }
    }

    /// Aborts every running job and gives it back to the queue untouched.
    fn release_active(&mut self) {
        let locks = self.active.end_all();
        if locks.is_empty() {
            return;
        }
        let events = locks
            .iter()
            .map(|lock| WorkerEvent::Abort {
                job_id: lock.id.clone(),
                token: lock.token.clone(),
                kind: AbortKind::Close,
                reason: "worker closed by force".into(),
            })
            .collect();
        self.deliver(Delivery {
            events,
            ..Default::default()
        });
        self.dispatcher.release(locks);
    }
}
