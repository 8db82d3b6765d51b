//! Manual processing (BullMQ's `new Worker(name, null)`): the caller takes a job with
//! a token of its own and ends the attempt itself. The same transitions as the worker
//! loop (`Store::cycle`, `finish::finish`), one call at a time. Locks are not renewed
//! for the caller: it extends them (`extend_lock`), as in BullMQ.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::events::Finished;
use crate::job::ActiveJob;
use crate::options::WorkerOptions;
use crate::scheduler::{self, StartedJob};
use crate::store::{CycleRequest, Lock, Store, Stored};
use crate::time::now_ms;

use super::active::RunningJob;
use super::{finish, Outcome};

pub struct Manual<S: Store> {
    store: S,
    options: WorkerOptions,
}

impl<S: Store> Manual<S> {
    /// Manual processing on `store` with a worker's options (lock duration, retention
    /// and `drainDelay`).
    pub fn new(store: S, options: WorkerOptions) -> Self {
        Self { store, options }
    }

    /// Takes the next job, locked with `token` for the lock duration. With `block`
    /// and none waiting, waits up to `drainDelay` for one. `None`: no job came.
    pub async fn next_job(&self, token: &str, block: bool) -> Result<Option<ActiveJob>> {
        let job = self.cycle(token, vec![], true).await?.1;
        if job.is_some() || !block {
            return Ok(job);
        }
        let wait = Duration::from_millis(self.options.drain_delay);
        self.store.wait_for_work(wait).await?;
        Ok(self.cycle(token, vec![], true).await?.1)
    }

    /// Ends the attempt job `id` runs under `token` with `outcome`, as the worker
    /// loop would (a failure retries while attempts remain); with `fetch_next`, takes
    /// the next job with the same token in the same round trip. A job this token does
    /// not hold is `JobState` and nothing changes.
    pub async fn finish(
        &self,
        id: &str,
        token: &str,
        outcome: Outcome,
        fetch_next: bool,
    ) -> Result<(Finished, Option<ActiveJob>)> {
        let record = self
            .store
            .get_job(id)
            .await?
            .ok_or_else(|| Error::JobNotFound(id.to_string()))?;
        let lock = Lock {
            id: id.to_string(),
            token: token.to_string(),
        };
        let running = RunningJob::of(&record, token);
        let finish = finish::finish(lock, &running, outcome, &self.options);
        // The finish first, on its own: a token that does not hold the job must not take
        // the next one (nobody would hold that one).
        let (stored, _) = self.cycle(token, vec![finish.clone()], false).await?;
        let stored = stored.into_iter().next().unwrap_or(Stored::LockLost);
        if stored == Stored::LockLost {
            return Err(Error::JobState {
                id: id.to_string(),
                needs: "active and locked with this token".into(),
                action: "moved to completed or failed".into(),
            });
        }
        let next = if fetch_next {
            self.cycle(token, vec![], true).await?.1
        } else {
            None
        };
        Ok((Finished::of(&finish, &stored, now_ms()), next))
    }

    /// Extends the lock `token` holds on job `id` to `duration` ms from now; false
    /// when the token no longer holds it.
    pub async fn extend_lock(&self, id: &str, token: &str, duration: u64) -> Result<bool> {
        let lock = Lock {
            id: id.to_string(),
            token: token.to_string(),
        };
        Ok(self
            .store
            .extend_locks(&[lock], duration)
            .await?
            .lost
            .is_empty())
    }

    async fn cycle(
        &self,
        token: &str,
        finished: Vec<crate::store::Finish>,
        fetch: bool,
    ) -> Result<(Vec<Stored>, Option<ActiveJob>)> {
        let request = CycleRequest {
            finished,
            fetch: u32::from(fetch),
            token: token.to_string(),
            lock_duration: self.options.lock_duration,
            pass_on_wakeup: false,
            reclaim: vec![],
            worker_name: self.options.name.clone(),
            rate_limit: self.options.limiter,
            metrics_points: self.options.metrics_points,
        };
        let mut result = self.store.cycle(&request).await?;
        let job = result.jobs.pop();
        if let Some(started) = job.as_ref().and_then(|job| StartedJob::of(&job.record)) {
            // A failure here must not lose the job just taken: the stalled check
            // makes the scheduler's next job later.
            let _ = scheduler::advance(&self.store, &started).await;
        }
        Ok((result.finished, job))
    }
}
