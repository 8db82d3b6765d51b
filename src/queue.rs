//! `NativeQueue`: a queue's operations, as lib/queue.js calls them.

use napi::bindgen_prelude::within_runtime_if_available;
use napi::{Env, Result};
use napi_derive::napi;

use ferroq_core::connection::ConnectionSpec;
use ferroq_core::job::JobState;
use ferroq_core::options::{operations, QueueOptions, RateLimit, WorkerOptions};
use ferroq_core::queue::{check_payload, prepare_job, AddResult, Queue};
use ferroq_core::redis_store::RedisStore;
use ferroq_core::schedule::Schedule;
use ferroq_core::scheduler::{self, prepare_scheduler};
use ferroq_core::store::{Cancelled, Store};
use ferroq_core::time::now_ms;
use ferroq_core::worker::Manual;

use crate::errors::{answer, parse_json, throw, Answer, ErrorData};
use crate::worker::read_outcome;

fn states(types: &[String]) -> ferroq_core::Result<Vec<JobState>> {
    types.iter().map(|t| JobState::parse(t)).collect()
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// What `add` says of each job it was given.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum AddOutcome {
    Stored(AddResult),
    Error { error: ErrorData },
}

/// Queue operations over one Redis connection.
#[napi]
pub struct NativeQueue {
    pub(crate) queue: Queue<RedisStore>,
    options: QueueOptions,
}

impl NativeQueue {
    fn open(connection: &str, options: &str) -> ferroq_core::Result<Self> {
        let options = QueueOptions::from_json(&parse_json("opts", options)?)?;
        let spec = ConnectionSpec::from_json(&parse_json("connection", connection)?)?;
        let store = within_runtime_if_available(|| RedisStore::open(&spec, &options))?;
        Ok(Self {
            queue: Queue::new(store),
            options,
        })
    }
}

#[napi]
impl NativeQueue {
    /// `connection` is JSON: a URL string or `{host, port, …}`; `options` is JSON of
    /// `{name, prefix, maxPayloadBytes, defaultJobOptions}`, validated here.
    #[napi(constructor)]
    pub fn new(env: Env, connection: String, options: String) -> Result<Self> {
        Self::open(&connection, &options).map_err(|err| throw(&env, err))
    }

    /// The queue's key prefix, as validated.
    #[napi(getter)]
    pub fn prefix(&self) -> String {
        self.options.prefix.clone()
    }

    /// The largest job `add` accepts, in bytes (`maxPayloadBytes`).
    #[napi(getter)]
    pub fn max_payload_bytes(&self) -> f64 {
        self.options.max_payload_bytes as f64
    }

    /// Throws ERR_PAYLOAD_TOO_LARGE when a job of `bytes` bytes is over the queue's
    /// limit: lets the JS layer refuse an oversized job without copying it here.
    #[napi]
    pub fn check_payload(&self, env: Env, bytes: f64) -> Result<()> {
        check_payload(&self.options, bytes as u64).map_err(|err| throw(&env, err))
    }

    /// Adds jobs in one round trip: the i-th job is `names[i]`, `data[i]` and
    /// `opts[i]` (JSON text). `atomic` (addBulk): one invalid job rejects the call and
    /// adds none. Otherwise (separate `add` calls sent together) each job stands alone.
    /// Resolves to a JSON array with, per job, `{"added": {id, timestamp, …}}`,
    /// `{"existing": job}` or `{"error": {code, message}}`.
    #[napi]
    pub async fn add(
        &self,
        names: Vec<String>,
        data: Vec<String>,
        opts: Vec<String>,
        atomic: bool,
    ) -> Result<Answer<String>> {
        let jobs = names
            .into_iter()
            .zip(data)
            .zip(opts)
            .map(|((name, data), opts)| prepare_job(&self.options, name, data, opts));
        let outcomes: Vec<AddOutcome> = if atomic {
            let stored = match jobs.collect::<ferroq_core::Result<Vec<_>>>() {
                Ok(jobs) => self.queue.add(jobs).await,
                Err(err) => Err(err),
            };
            match stored {
                Ok(stored) => stored.into_iter().map(AddOutcome::Stored).collect(),
                Err(err) => return answer(Err(err)),
            }
        } else {
            let stored = self.queue.add_each(jobs.collect()).await;
            stored
                .into_iter()
                .map(|result| match result {
                    Ok(stored) => AddOutcome::Stored(stored),
                    Err(err) => AddOutcome::Error {
                        error: ErrorData::from(&err),
                    },
                })
                .collect()
        };
        answer(Ok(to_json(&outcomes)))
    }

    /// Closes the queue's connections (see `RedisStore::close`); later calls fail
    /// with ERR_CLOSED.
    #[napi]
    pub async fn close(&self) {
        self.queue.store().close().await;
    }

    /// Pauses (`true`) or resumes the queue for every worker; resolves to whether
    /// it changed.
    #[napi]
    pub async fn set_paused(&self, paused: bool) -> Result<Answer<bool>> {
        answer(self.queue.store().set_paused(paused).await)
    }

    /// The queue's live workers: JSON `[{name, addr, id, age, ...}]` (Redis' client
    /// fields, `name` the worker's `name` option).
    #[napi]
    pub async fn workers(&self) -> Result<Answer<String>> {
        let workers = self.queue.store().workers().await.map(|workers| {
            let objects: Vec<serde_json::Map<String, serde_json::Value>> = workers
                .into_iter()
                .map(|fields| {
                    fields
                        .into_iter()
                        .map(|(k, v)| (k, serde_json::Value::String(v)))
                        .collect()
                })
                .collect();
            to_json(&objects)
        });
        answer(workers)
    }

    #[napi]
    pub async fn is_paused(&self) -> Result<Answer<bool>> {
        answer(self.queue.store().is_paused().await)
    }

    /// Removes a job unless a worker holds it (ERR_JOB_LOCKED); ERR_JOB_NOT_FOUND
    /// when there is none.
    #[napi]
    pub async fn remove_job(&self, id: String) -> Result<Answer<()>> {
        answer(self.queue.store().remove_job(&id).await)
    }

    /// Removes the jobs waiting to run (delayed ones too with `delayed`).
    #[napi]
    pub async fn drain(&self, delayed: bool) -> Result<Answer<f64>> {
        answer(self.queue.store().drain(delayed).await.map(|n| n as f64))
    }

    /// `clean(grace, limit, type)`, each argument JSON; resolves to the ids removed.
    #[napi]
    pub async fn clean(
        &self,
        grace: String,
        limit: String,
        kind: String,
    ) -> Result<Answer<Vec<String>>> {
        let cleaned = async {
            let (state, grace, limit) = operations::clean(
                &parse_json("grace", &grace)?,
                &parse_json("limit", &limit)?,
                &parse_json("type", &kind)?,
            )?;
            let before = now_ms().saturating_sub(grace);
            self.queue.store().clean(state, before, limit).await
        };
        answer(cleaned.await)
    }

    /// `obliterate({ force, count })`, options JSON.
    #[napi]
    pub async fn obliterate(&self, opts: String) -> Result<Answer<()>> {
        let done = async {
            let (force, count) = operations::obliterate(&parse_json("opts", &opts)?)?;
            self.queue.store().obliterate(force, count).await
        };
        answer(done.await)
    }

    /// `retryJobs({ state, count, timestamp })`, options JSON.
    #[napi]
    pub async fn retry_jobs(&self, opts: String) -> Result<Answer<f64>> {
        let moved = async {
            let (state, count, before) =
                operations::retry_jobs(&parse_json("opts", &opts)?, now_ms())?;
            self.queue
                .store()
                .retry(state, None, Default::default(), count, before)
                .await
        };
        answer(moved.await.map(|n| n as f64))
    }

    /// `job.retry(state, opts)`, both JSON.
    #[napi]
    pub async fn retry_job(&self, id: String, state: String, opts: String) -> Result<Answer<()>> {
        let moved = async {
            let (state, resets) =
                operations::retry_job(&parse_json("state", &state)?, &parse_json("opts", &opts)?)?;
            self.queue
                .store()
                .retry(state, Some(&id), resets, 1, 0)
                .await
        };
        answer(moved.await.map(drop))
    }

    /// `promoteJobs({ count })` (options JSON), or `job.promote()` with an id.
    #[napi]
    pub async fn promote(&self, id: Option<String>, opts: String) -> Result<Answer<f64>> {
        let moved = async {
            let count = operations::promote_jobs(&parse_json("opts", &opts)?)?;
            self.queue.store().promote(id.as_deref(), count).await
        };
        answer(moved.await.map(|n| n as f64))
    }

    /// `queue.setGlobalConcurrency(n)` (`n` JSON), or with null its removal.
    #[napi]
    pub async fn set_global_concurrency(&self, concurrency: String) -> Result<Answer<()>> {
        let set = async {
            let limit = match parse_json("concurrency", &concurrency)? {
                serde_json::Value::Null => None,
                value => Some(operations::global_concurrency(&value)?),
            };
            self.queue.store().set_global_concurrency(limit).await
        };
        answer(set.await)
    }

    /// `queue.getMetrics(type, start, end)` as JSON `{meta, data, count}` (BullMQ's).
    #[napi]
    pub async fn metrics(&self, state: String, start: i64, end: i64) -> Result<Answer<String>> {
        let metrics = async {
            let state = match state.as_str() {
                "completed" => JobState::Completed,
                "failed" => JobState::Failed,
                _ => {
                    return Err(ferroq_core::Error::invalid(
                        "type",
                        format!("must be 'completed' or 'failed', got {state:?}"),
                    ))
                }
            };
            self.queue.store().metrics(state, start, end).await
        };
        answer(metrics.await.map(|m| {
            to_json(&serde_json::json!({
                "meta": { "count": m.count, "prevTS": m.prev_ts, "prevCount": m.prev_count },
                "data": m.data,
                "count": m.points,
            }))
        }))
    }

    /// The run-time histogram as JSON `{bounds, buckets, sum}` (ms; the last bucket
    /// is +Inf).
    #[napi]
    pub async fn run_times(&self) -> Result<Answer<String>> {
        let times = self.queue.store().run_times().await;
        answer(times.map(|(buckets, sum)| {
            to_json(&serde_json::json!({
                "bounds": ferroq_core::metrics::BUCKET_BOUNDS_MS,
                "buckets": buckets,
                "sum": sum,
            }))
        }))
    }

    /// The live job holding deduplication id `id`, or null.
    #[napi]
    pub async fn dedup_job_id(&self, id: String) -> Result<Answer<Option<String>>> {
        answer(self.queue.store().dedup_job_id(&id).await)
    }

    /// Frees deduplication id `id` (only while job `holder` holds it, when given).
    #[napi]
    pub async fn remove_dedup(&self, id: String, holder: Option<String>) -> Result<Answer<bool>> {
        answer(
            self.queue
                .store()
                .remove_dedup(&id, holder.as_deref())
                .await,
        )
    }

    /// `queue.upsertJobScheduler(id, repeat, {name, data, opts})` (JSON text each), or
    /// with no `id` the repeatable job of `add(name, data, {repeat, jobId})`: the
    /// scheduler's job that has not started (JSON), or null when none is due any more.
    #[napi]
    pub async fn upsert_scheduler(
        &self,
        id: Option<String>,
        repeat: String,
        name: Option<String>,
        data: String,
        opts: String,
        legacy_job_id: Option<String>,
    ) -> Result<Answer<Option<String>>> {
        let upsert = async {
            let scheduler =
                prepare_scheduler(&self.options, id, &repeat, name, data, opts, legacy_job_id)?;
            scheduler::upsert(self.queue.store(), &scheduler).await
        };
        answer(upsert.await.map(|job| job.map(|job| job.to_json())))
    }

    /// `queue.getJobScheduler(id)` as JSON (BullMQ's `JobSchedulerJson`), or null.
    #[napi]
    pub async fn scheduler(&self, id: String) -> Result<Answer<Option<String>>> {
        let found = self.queue.store().scheduler(&id).await;
        answer(found.map(|s| s.map(|s| s.to_json().to_string())))
    }

    /// Schedulers by next due time, as a JSON array of `JobSchedulerJson`, or with
    /// `repeatable` of BullMQ's `RepeatableJob` (`getRepeatableJobs`).
    #[napi]
    pub async fn schedulers(
        &self,
        start: i64,
        end: i64,
        asc: bool,
        repeatable: bool,
    ) -> Result<Answer<String>> {
        let found = self.queue.store().schedulers(start, end, asc).await;
        answer(found.map(|list| {
            let json: Vec<serde_json::Value> = list
                .iter()
                .map(|s| {
                    if repeatable {
                        s.to_repeatable_json()
                    } else {
                        s.to_json()
                    }
                })
                .collect();
            to_json(&json)
        }))
    }

    #[napi]
    pub async fn scheduler_count(&self) -> Result<Answer<f64>> {
        answer(self.queue.store().scheduler_count().await.map(|n| n as f64))
    }

    #[napi]
    pub async fn remove_scheduler(&self, id: String) -> Result<Answer<bool>> {
        answer(self.queue.store().remove_scheduler(&id).await)
    }

    /// The id of the scheduler behind `add(name, data, {repeat, jobId})`: BullMQ's
    /// repeat key (for `removeRepeatable`).
    #[napi]
    pub fn repeat_key(
        &self,
        env: Env,
        name: String,
        repeat: String,
        job_id: Option<String>,
    ) -> Result<String> {
        let key = parse_json("repeat", &repeat).and_then(|repeat| {
            let schedule = Schedule::parse(&repeat)?;
            Ok(scheduler::repeat_key(
                &repeat,
                &schedule,
                &name,
                job_id.as_deref(),
            ))
        });
        key.map_err(|err| throw(&env, err))
    }

    /// `queue.setGlobalRateLimit(max, duration)` (JSON each).
    #[napi]
    pub async fn set_global_rate_limit(&self, max: String, duration: String) -> Result<Answer<()>> {
        let set = async {
            let limit = RateLimit::parse(
                "rateLimit",
                &parse_json("max", &max)?,
                &parse_json("duration", &duration)?,
            )?;
            self.queue.store().set_global_rate_limit(Some(limit)).await
        };
        answer(set.await)
    }

    /// Removes the global rate limit.
    #[napi]
    pub async fn remove_global_rate_limit(&self) -> Result<Answer<()>> {
        answer(self.queue.store().set_global_rate_limit(None).await)
    }

    /// The global rate limit as JSON `{max, duration}`, or null.
    #[napi]
    pub async fn global_rate_limit(&self) -> Result<Answer<Option<String>>> {
        let limit = self.queue.store().global_rate_limit().await;
        answer(limit.map(|limit| {
            limit.map(|l| to_json(&serde_json::json!({ "max": l.max, "duration": l.duration })))
        }))
    }

    /// `rateLimit(ms)`: holds every fetch of the queue for `ms` (JSON).
    #[napi]
    pub async fn rate_limit(&self, ms: String) -> Result<Answer<()>> {
        let limited = async {
            let ms = operations::rate_limit_ms(&parse_json("expireTimeMs", &ms)?)?;
            self.queue.store().rate_limit_for(ms).await
        };
        answer(limited.await)
    }

    /// Ms until a job may start under the rate limit (0: now).
    #[napi]
    pub async fn rate_limit_ttl(&self) -> Result<Answer<f64>> {
        let ttl = self.queue.store().rate_limit_ttl(None).await;
        answer(ttl.map(|ms| ms as f64))
    }

    /// Forgets the rate limit's recorded starts and any `rateLimit(ms)`.
    #[napi]
    pub async fn remove_rate_limit(&self) -> Result<Answer<()>> {
        answer(self.queue.store().remove_rate_limit().await)
    }

    /// The queue's global concurrency, or null.
    #[napi]
    pub async fn global_concurrency(&self) -> Result<Answer<Option<u32>>> {
        answer(self.queue.store().global_concurrency().await)
    }

    /// Whether the active jobs fill the global concurrency.
    #[napi]
    pub async fn is_maxed(&self) -> Result<Answer<bool>> {
        answer(self.queue.store().is_maxed().await)
    }

    /// ferroq's cross-process cancel: `reason` JSON (a string, or null for the
    /// default). Resolves to "failed" (the job waited: it failed now) or "active" (its
    /// worker aborts it; it ends failed).
    #[napi]
    pub async fn cancel(&self, id: String, reason: String) -> Result<Answer<String>> {
        let cancelled = async {
            let reason = operations::cancel_reason(&parse_json("reason", &reason)?)?;
            self.queue.store().cancel(&id, &reason).await
        };
        answer(cancelled.await.map(|done| {
            match done {
                Cancelled::Failed => "failed",
                Cancelled::Requested => "active",
            }
            .to_string()
        }))
    }

    /// Manual processing: the next job (JSON) locked with `token`, or null when none
    /// came (with `block`, after waiting up to the worker's `drainDelay`).
    /// `worker_options`: the worker's options JSON.
    #[napi]
    pub async fn next_job(
        &self,
        token: String,
        block: bool,
        worker_options: String,
    ) -> Result<Answer<Option<String>>> {
        let next = async {
            let manual = self.manual(&worker_options)?;
            manual.next_job(operations::token(&token)?, block).await
        };
        answer(next.await.map(|job| job.map(|job| to_json(&job))))
    }

    /// Manual processing: ends the attempt job `id` runs under `token` with `outcome`
    /// (as `NativeWorker.report` reads it); with `fetch_next` takes the next job.
    /// Resolves to JSON `{finished, next}`.
    #[napi]
    pub async fn move_to_finished(
        &self,
        id: String,
        token: String,
        outcome: String,
        fetch_next: bool,
        worker_options: String,
    ) -> Result<Answer<String>> {
        let moved = async {
            let manual = self.manual(&worker_options)?;
            let token = operations::token(&token)?;
            manual
                .finish(&id, token, read_outcome(&outcome), fetch_next)
                .await
        };
        answer(moved.await.map(|(finished, next)| {
            to_json(&serde_json::json!({ "finished": finished, "next": next }))
        }))
    }

    /// `job.extendLock(token, duration)`: false when `token` no longer holds the lock.
    #[napi]
    pub async fn extend_lock(
        &self,
        id: String,
        token: String,
        duration: String,
    ) -> Result<Answer<bool>> {
        let extended = async {
            let duration = operations::lock_extension(&parse_json("duration", &duration)?)?;
            let manual = Manual::new(self.queue.store().clone(), WorkerOptions::default());
            manual
                .extend_lock(&id, operations::token(&token)?, duration)
                .await
        };
        answer(extended.await)
    }

    fn manual(&self, worker_options: &str) -> ferroq_core::error::Result<Manual<RedisStore>> {
        let options = WorkerOptions::from_json(&parse_json("opts", worker_options)?)?;
        Ok(Manual::new(self.queue.store().clone(), options))
    }

    /// `job.changeDelay(delay)`, the delay JSON.
    #[napi]
    pub async fn change_delay(&self, id: String, delay: String) -> Result<Answer<()>> {
        let changed = async {
            let delay = operations::change_delay(&parse_json("delay", &delay)?)?;
            self.queue.store().change_delay(&id, delay).await
        };
        answer(changed.await)
    }

    /// `job.changePriority({ priority, lifo })`, options JSON.
    #[napi]
    pub async fn change_priority(&self, id: String, opts: String) -> Result<Answer<()>> {
        let changed = async {
            let (priority, lifo) = operations::change_priority(&parse_json("opts", &opts)?)?;
            self.queue
                .store()
                .change_priority(&id, priority, lifo)
                .await
        };
        answer(changed.await)
    }

    /// Replaces a job's data (JSON text), within the queue's `maxPayloadBytes`.
    #[napi]
    pub async fn update_data(&self, id: String, data: String) -> Result<Answer<()>> {
        let updated = async {
            check_payload(&self.options, data.len() as u64)?;
            parse_json("data", &data)?;
            self.queue.store().update_data(&id, &data).await
        };
        answer(updated.await)
    }

    /// Resolves once Redis answers.
    #[napi]
    pub async fn ping(&self) -> Result<Answer<()>> {
        answer(self.queue.store().ping().await)
    }

    /// Resolves to the job as JSON, or null.
    #[napi]
    pub async fn get_job(&self, id: String) -> Result<Answer<Option<String>>> {
        answer(
            self.queue
                .get_job(&id)
                .await
                .map(|job| job.map(|j| j.to_json())),
        )
    }

    /// How the job stands, read at once: JSON `{state, returnvalue, failedReason}`
    /// (state `unknown` when it no longer exists).
    #[napi]
    pub async fn finish_state(&self, id: String) -> Result<Answer<String>> {
        let read = self.queue.get_job(&id).await.map(|job| match job {
            None => r#"{"state":"unknown"}"#.to_string(),
            Some(job) => to_json(&serde_json::json!({
                "state": job.job_state().as_str(),
                "returnvalue": job.returnvalue,
                "failedReason": job.failed_reason,
            })),
        });
        answer(read)
    }

    #[napi]
    pub async fn get_state(&self, id: String) -> Result<Answer<String>> {
        answer(
            self.queue
                .store()
                .get_state(&id)
                .await
                .map(|s| s.as_str().to_string()),
        )
    }

    #[napi]
    pub async fn counts(&self, types: Vec<String>) -> Result<Answer<Vec<f64>>> {
        let counts = match states(&types) {
            Ok(states) => self.queue.store().counts(&states).await,
            Err(err) => Err(err),
        };
        answer(counts.map(|counts| counts.into_iter().map(|c| c as f64).collect()))
    }

    /// Resolves to a JSON array of jobs.
    #[napi]
    pub async fn get_jobs(
        &self,
        types: Vec<String>,
        start: i64,
        end: i64,
        asc: bool,
    ) -> Result<Answer<String>> {
        let jobs = match states(&types) {
            Ok(states) => self.queue.get_jobs(&states, start, end, asc).await,
            Err(err) => Err(err),
        };
        answer(jobs.map(|jobs| to_json(&jobs)))
    }

    #[napi]
    pub async fn update_progress(&self, id: String, progress: String) -> Result<Answer<()>> {
        answer(match parse_json("progress", &progress) {
            Ok(_) => self.queue.store().update_progress(&id, &progress).await,
            Err(err) => Err(err),
        })
    }

    /// Resolves to the number of log lines.
    #[napi]
    pub async fn add_log(&self, id: String, line: String) -> Result<Answer<f64>> {
        answer(
            self.queue
                .store()
                .add_log(&id, &line)
                .await
                .map(|n| n as f64),
        )
    }

    /// Resolves to JSON `{logs, count}`.
    #[napi]
    pub async fn logs(
        &self,
        id: String,
        start: i64,
        end: i64,
        asc: bool,
    ) -> Result<Answer<String>> {
        let logs = self.queue.store().logs(&id, start, end, asc).await;
        answer(
            logs.map(|(logs, count)| to_json(&serde_json::json!({ "logs": logs, "count": count }))),
        )
    }
}
