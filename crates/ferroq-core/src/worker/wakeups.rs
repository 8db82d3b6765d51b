//! What makes an idle worker look for jobs again: a producer's signal (the worker
//! blocks in the store until one comes, or its `drainDelay` passes) or the due time of
//! the next delayed job (a timer). Nothing polls.

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::error::Result;
use crate::store::Store;
use crate::time::now_ms;

pub(super) enum Wakeup {
    /// The blocking wait ended: a producer's signal, its timeout, or an error.
    Signalled(Result<()>),
    /// The next delayed job is due.
    DelayedDue,
}

pub(super) struct Wakeups {
    /// The blocking wait for new work, when idle.
    blocking: Option<JoinHandle<Result<()>>>,
    next_delayed: Option<Instant>,
    /// Whether the queue may hold jobs this worker could take.
    pub want_jobs: bool,
    /// Woken by a producer's signal (or just started): the next fetch passes the
    /// signal on if jobs remain, so the next idle worker wakes too.
    woken: bool,
    /// `drained` was emitted and no job was taken since.
    drained: bool,
    /// A signal came after the latest fetch was sent: that fetch may have run in the
    /// store before what the signal announces, so its empty answer proves nothing.
    signal_unseen: bool,
}

impl Wakeups {
    pub fn new() -> Self {
        Self {
            blocking: None,
            next_delayed: None,
            want_jobs: true,
            woken: true,
            drained: false,
            signal_unseen: false,
        }
    }

    /// Resolves with the next wake-up; pending while there is nothing to wait for.
    pub async fn next(&mut self) -> Wakeup {
        tokio::select! {
            result = join_opt(&mut self.blocking) => {
                self.want_jobs = true;
                self.woken = true;
                self.signal_unseen = true;
                Wakeup::Signalled(result.unwrap_or(Ok(())))
            }
            _ = sleep_opt(self.next_delayed) => {
                self.next_delayed = None;
                self.want_jobs = true;
                Wakeup::DelayedDue
            }
        }
    }

    /// Blocks in the store until a producer signals, `drain_delay` passes or the next
    /// delayed job is due, unless a wait is under way.
    pub fn block<S: Store>(&mut self, store: &S, drain_delay: Duration) {
        if self.blocking.is_some() {
            return;
        }
        let mut wait = drain_delay;
        if let Some(due) = self.next_delayed {
            wait = wait.min(due.saturating_duration_since(Instant::now()));
        }
        let store = store.clone();
        self.blocking = Some(tokio::spawn(async move { store.wait_for_work(wait).await }));
    }

    /// Stops a wait under way (closing), here and in the store.
    pub fn stop<S: Store>(&mut self, store: &S) {
        if let Some(blocking) = self.blocking.take() {
            blocking.abort();
            let store = store.clone();
            tokio::spawn(async move { store.stop_waiting().await });
        }
    }

    /// A fetch is on its way to the store: signals from now on are news to it.
    pub fn fetch_sent(&mut self) {
        self.signal_unseen = false;
    }

    /// Whether the next fetch passes a producer's signal on (and forgets it).
    pub fn take_woken(&mut self) -> bool {
        std::mem::take(&mut self.woken)
    }

    /// The due time (ms since the epoch) of the earliest delayed job, as the store
    /// last saw it.
    pub fn set_next_delayed(&mut self, due_ms: Option<u64>) {
        self.next_delayed =
            due_ms.map(|due| Instant::now() + Duration::from_millis(due.saturating_sub(now_ms())));
    }

    /// A fetch took `got` of the `asked` jobs (fewer, or none, when the queue `held`
    /// it back: paused, or at its global concurrency). Returns true when the queue just
    /// ran empty (BullMQ's `drained`, once per empty spell). Either way the worker
    /// blocks until a producer (or a resume, or a finish elsewhere) signals.
    pub fn after_fetch(&mut self, asked: u32, got: u32, held: bool) -> bool {
        if got > 0 {
            self.drained = false;
        }
        if got < asked && self.signal_unseen {
            // A job may have come after this fetch ran (the signal was taken by a wait
            // still under way): look again rather than block on a signal already spent.
            self.want_jobs = true;
            return false;
        }
        if held {
            self.want_jobs = false;
            return false;
        }
        if got < asked {
            // Fewer than asked: the queue is empty for now. Block until told otherwise.
            self.want_jobs = false;
            return !std::mem::replace(&mut self.drained, true);
        }
        false
    }
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

pub(super) async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
