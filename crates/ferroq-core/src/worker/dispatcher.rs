//! The worker's store calls: at most two in flight, each storing the finishes that
//! arrived since the last one and taking new jobs (`Store::cycle`); after a failed
//! call, a pause that doubles while the store stays away.

use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::error::{Error, Result};
use crate::options::WorkerOptions;
use crate::store::{CycleRequest, CycleResult, Finish, Lock, Store};

/// Store calls a worker keeps in flight at once: while one group of jobs is in the
/// store, the other runs in the processor, so both work side by side.
pub(super) const MAX_IN_FLIGHT: usize = 2;
/// Pause after the first failed call.
const FIRST_RETRY_PAUSE: Duration = Duration::from_millis(100);
/// The pause doubles per failure, this many times at most (100 ms … 3.2 s).
const MAX_RETRY_DOUBLINGS: u32 = 5;

/// How a call ended.
pub(super) enum Answer {
    /// A cycle call was stored: the finishes it carried, and what the store said.
    Cycle {
        sent: Vec<Finish>,
        asked: u32,
        result: CycleResult,
    },
    /// A call failed; its finishes wait for the next one, after a pause.
    Failed(Error),
    /// Jobs given back by a forced close (with the error, if that failed).
    Released(Result<()>),
}

/// What a call task hands back.
enum Done {
    Cycle {
        sent: Vec<Finish>,
        asked: u32,
        token: String,
        reclaimed: Vec<String>,
        result: Result<CycleResult>,
    },
    Released(Result<()>),
}

pub(super) struct Dispatcher<S: Store> {
    store: S,
    calls: JoinSet<Done>,
    /// Finishes not yet sent; they go with the next call.
    pending: Vec<Finish>,
    /// Jobs asked for by the calls in flight: slots they may fill.
    reserved: u32,
    /// Lock tokens of calls that failed after asking for jobs. The store may have run
    /// them (the answer was lost with the connection): jobs still locked with these
    /// tokens belong to no one. The next call gives them back to the queue, instead
    /// of leaving them to stalled recovery a lock duration later.
    orphan_tokens: Vec<String>,
    failures: u32,
    /// After a failed call: when to try again.
    retry_at: Option<Instant>,
    worker_id: String,
    calls_made: u64,
}

impl<S: Store> Dispatcher<S> {
    pub fn new(store: S) -> Self {
        Self {
            store,
            calls: JoinSet::new(),
            pending: Vec::new(),
            reserved: 0,
            orphan_tokens: Vec::new(),
            failures: 0,
            retry_at: None,
            worker_id: uuid::Uuid::new_v4().simple().to_string(),
            calls_made: 0,
        }
    }

    /// Queues a finish for the next call.
    pub fn queue(&mut self, finish: Finish) {
        self.pending.push(finish);
    }

    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Jobs the calls in flight may bring.
    pub fn reserved(&self) -> u32 {
        self.reserved
    }

    /// No call in flight.
    pub fn is_quiet(&self) -> bool {
        self.calls.is_empty()
    }

    /// A call may start now (fewer than two in flight, not pausing after a failure).
    pub fn may_call(&self) -> bool {
        !self.is_pausing() && self.calls.len() < MAX_IN_FLIGHT
    }

    /// Starts a cycle call with the pending finishes that fit and a fetch of `fetch`
    /// jobs, as the worker's `options` say (lock duration, name, rate limit).
    pub fn call(&mut self, fetch: u32, pass_on_wakeup: bool, options: &WorkerOptions) {
        // A store takes at most MAX_BATCH jobs a call: asking for more would read as
        // an empty queue.
        let fetch = fetch.min(u32::try_from(S::MAX_BATCH).unwrap_or(u32::MAX));
        let take = self.pending.len().min(S::MAX_BATCH);
        let sent: Vec<Finish> = self.pending.drain(..take).collect();
        self.calls_made += 1;
        let request = CycleRequest {
            finished: sent.clone(),
            fetch,
            token: format!("{}:{}", self.worker_id, self.calls_made),
            lock_duration: options.lock_duration,
            pass_on_wakeup: fetch > 0 && pass_on_wakeup,
            reclaim: std::mem::take(&mut self.orphan_tokens),
            worker_name: options.name.clone(),
            rate_limit: options.limiter,
            metrics_points: options.metrics_points,
        };
        let store = self.store.clone();
        self.reserved += fetch;
        self.calls.spawn(async move {
            let result = store.cycle(&request).await;
            Done::Cycle {
                sent,
                asked: fetch,
                token: request.token,
                reclaimed: request.reclaim,
                result,
            }
        });
    }

    /// Gives jobs back to the queue untouched (forced close); the loop waits for it
    /// like for any call.
    pub fn release(&mut self, locks: Vec<Lock>) {
        let store = self.store.clone();
        self.calls
            .spawn(async move { Done::Released(store.release(&locks).await) });
    }

    /// The next call's end; pending while none is in flight.
    pub async fn answer(&mut self) -> Answer {
        let done = match self.calls.join_next().await {
            Some(Ok(done)) => done,
            Some(Err(_)) => return Answer::Failed(Error::Internal("a store call panicked".into())),
            None => std::future::pending().await,
        };
        match done {
            Done::Released(result) => Answer::Released(result),
            Done::Cycle {
                sent,
                asked,
                token,
                mut reclaimed,
                result,
            } => {
                self.reserved -= asked;
                match result {
                    Ok(result) => {
                        self.failures = 0;
                        Answer::Cycle {
                            sent,
                            asked,
                            result,
                        }
                    }
                    Err(err) => {
                        // Keep the finishes, in order, for the next call.
                        let mut again = sent;
                        again.append(&mut self.pending);
                        self.pending = again;
                        self.orphan_tokens.append(&mut reclaimed);
                        if asked > 0 {
                            self.orphan_tokens.push(token);
                        }
                        Answer::Failed(err)
                    }
                }
            }
        }
    }

    /// After a failed call: pauses the calls, longer with each failure in a row.
    pub fn back_off(&mut self) {
        let pause = FIRST_RETRY_PAUSE * 2u32.pow(self.failures.min(MAX_RETRY_DOUBLINGS));
        self.failures = self.failures.saturating_add(1);
        self.retry_at = Some(Instant::now() + pause);
    }

    /// Pausing after a failed call.
    pub fn is_pausing(&self) -> bool {
        self.retry_at.is_some()
    }

    /// When the pause after a failure is over.
    pub fn retry_at(&self) -> Option<Instant> {
        self.retry_at
    }

    pub fn end_pause(&mut self) {
        self.retry_at = None;
    }

    /// A forced close does not wait out a store outage: unstored finishes are dropped
    /// and their jobs come back through stalled recovery (at-least-once).
    pub fn give_up(&mut self) {
        self.pending.clear();
        self.retry_at = None;
    }

    /// Nothing in flight or waiting to be sent.
    pub fn is_done(&self) -> bool {
        self.calls.is_empty() && self.pending.is_empty()
    }
}
