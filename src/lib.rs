//! The napi binding: conversions, error mapping and the processor callback. No
//! lifecycle logic lives here; it all sits in `ferroq-core`.
#![deny(clippy::all)]

use napi::bindgen_prelude::within_runtime_if_available;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Result, Status};
use napi_derive::napi;

use ferroq_core::connection::ConnectionSpec;
use ferroq_core::events::{Delivery, JobSink};
use ferroq_core::job::JobState;
use ferroq_core::options::{parse_concurrency, QueueOptions, WorkerOptions};
use ferroq_core::queue::{check_payload, prepare_job, AddResult, Queue};
use ferroq_core::redis_store::RedisStore;
use ferroq_core::store::Lock;
use ferroq_core::store::Store;
use ferroq_core::worker::{self, Outcome, WorkerHandle};
use serde::Deserialize;
use serde_json::value::RawValue;

/// The one place engine errors become JavaScript errors. The message starts with the
/// stable code (`ERR_…: message`); the JS layer turns it into the matching subclass.
fn js_error(err: ferroq_core::Error) -> napi::Error {
    napi::Error::new(Status::GenericFailure, coded_message(&err))
}

/// `ERR_CODE: message`, the form lib/errors.js maps to an `Error` subclass.
fn coded_message(err: &ferroq_core::Error) -> String {
    format!("{}: {}", err.code(), err)
}

fn parse_json(field: &str, text: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| {
        js_error(ferroq_core::Error::NotSerializable {
            field: field.into(),
            reason: e.to_string(),
        })
    })
}

fn states(types: &[String]) -> Result<Vec<JobState>> {
    types
        .iter()
        .map(|t| JobState::parse(t).map_err(js_error))
        .collect()
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// What `add` says of each job it was given.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum AddOutcome {
    Stored(AddResult),
    Error { error: String },
}

/// Queue operations over one Redis connection.
#[napi]
pub struct NativeQueue {
    queue: Queue<RedisStore>,
    options: QueueOptions,
}

#[napi]
impl NativeQueue {
    /// `connection` is JSON: a URL string or `{host, port, …}`; `options` is JSON of
    /// `{name, prefix, maxPayloadBytes, defaultJobOptions}`, validated here.
    #[napi(constructor)]
    pub fn new(connection: String, options: String) -> Result<Self> {
        let options = QueueOptions::from_json(&parse_json("opts", &options)?).map_err(js_error)?;
        let spec =
            ConnectionSpec::from_json(&parse_json("connection", &connection)?).map_err(js_error)?;
        let store =
            within_runtime_if_available(|| RedisStore::new(&spec, &options.prefix, &options.name))
                .map_err(js_error)?;
        Ok(Self {
            queue: Queue::new(store),
            options,
        })
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
    pub fn check_payload(&self, bytes: f64) -> Result<()> {
        check_payload(&self.options, bytes as u64).map_err(js_error)
    }

    /// Adds jobs in one round trip: the i-th job is `names[i]`, `data[i]` and
    /// `opts[i]` (JSON text). `atomic` (addBulk): one invalid job rejects the call and
    /// adds none. Otherwise (separate `add` calls sent together) each job stands alone.
    /// Resolves to a JSON array with, per job, `{"added": {id, timestamp, …}}`,
    /// `{"existing": job}` or `{"error": "ERR_CODE: message"}`.
    #[napi]
    pub async fn add(
        &self,
        names: Vec<String>,
        data: Vec<String>,
        opts: Vec<String>,
        atomic: bool,
    ) -> Result<String> {
        let jobs = names
            .into_iter()
            .zip(data)
            .zip(opts)
            .map(|((name, data), opts)| prepare_job(&self.options, name, data, opts));
        let outcomes: Vec<AddOutcome> = if atomic {
            let jobs = jobs
                .collect::<ferroq_core::Result<Vec<_>>>()
                .map_err(js_error)?;
            let stored = self.queue.add(jobs).await.map_err(js_error)?;
            stored.into_iter().map(AddOutcome::Stored).collect()
        } else {
            let stored = self.queue.add_each(jobs.collect()).await;
            stored
                .into_iter()
                .map(|result| match result {
                    Ok(stored) => AddOutcome::Stored(stored),
                    Err(err) => AddOutcome::Error {
                        error: coded_message(&err),
                    },
                })
                .collect()
        };
        Ok(to_json(&outcomes))
    }

    /// Closes the queue's connections (see `RedisStore::close`); later calls fail
    /// with ERR_CLOSED.
    #[napi]
    pub async fn close(&self) {
        self.queue.store().close().await;
    }

    /// Resolves once Redis answers.
    #[napi]
    pub async fn ping(&self) -> Result<()> {
        self.queue.store().ping().await.map_err(js_error)
    }

    /// Resolves to the job as JSON, or null.
    #[napi]
    pub async fn get_job(&self, id: String) -> Result<Option<String>> {
        let job = self.queue.get_job(&id).await.map_err(js_error)?;
        Ok(job.map(|j| j.to_json()))
    }

    #[napi]
    pub async fn get_state(&self, id: String) -> Result<String> {
        let state = self.queue.store().get_state(&id).await.map_err(js_error)?;
        Ok(state.as_str().to_string())
    }

    #[napi]
    pub async fn counts(&self, types: Vec<String>) -> Result<Vec<f64>> {
        let states = states(&types)?;
        let counts = self.queue.store().counts(&states).await.map_err(js_error)?;
        Ok(counts.into_iter().map(|c| c as f64).collect())
    }

    /// Resolves to a JSON array of jobs.
    #[napi]
    pub async fn get_jobs(
        &self,
        types: Vec<String>,
        start: i64,
        end: i64,
        asc: bool,
    ) -> Result<String> {
        let states = states(&types)?;
        let jobs = self
            .queue
            .get_jobs(&states, start, end, asc)
            .await
            .map_err(js_error)?;
        Ok(to_json(&jobs))
    }

    #[napi]
    pub async fn update_progress(&self, id: String, progress: String) -> Result<()> {
        parse_json("progress", &progress)?;
        self.queue
            .store()
            .update_progress(&id, &progress)
            .await
            .map_err(js_error)
    }

    /// Resolves to the number of log lines.
    #[napi]
    pub async fn add_log(&self, id: String, line: String) -> Result<f64> {
        let count = self
            .queue
            .store()
            .add_log(&id, &line)
            .await
            .map_err(js_error)?;
        Ok(count as f64)
    }

    /// Resolves to JSON `{logs, count}`.
    #[napi]
    pub async fn logs(&self, id: String, start: i64, end: i64, asc: bool) -> Result<String> {
        let (logs, count) = self
            .queue
            .store()
            .logs(&id, start, end, asc)
            .await
            .map_err(js_error)?;
        Ok(to_json(
            &serde_json::json!({ "logs": logs, "count": count }),
        ))
    }
}

/// Delivers batches to the JavaScript wrapper as one JSON string per crossing.
struct JsSink {
    on_delivery: ThreadsafeFunction<String, (), String, Status, false>,
}

impl JobSink for JsSink {
    fn deliver(&self, delivery: Delivery) {
        self.on_delivery
            .call(delivery.to_json(), ThreadsafeFunctionCallMode::NonBlocking);
    }
}

/// One attempt's outcome as lib/worker.js writes it: `{"returnvalue": <raw JSON>}` for
/// a completed attempt (stored as given, not re-parsed), or
/// `{"failed": {message, stack, unrecoverable}}`.
#[derive(Deserialize)]
struct OutcomeJs<'a> {
    #[serde(borrow, default)]
    returnvalue: Option<&'a RawValue>,
    #[serde(default)]
    failed: Option<FailedJs>,
}

#[derive(Deserialize)]
struct FailedJs {
    message: String,
    #[serde(default)]
    stack: Option<String>,
    #[serde(default)]
    unrecoverable: bool,
}

/// Reads one outcome. One that cannot be read still ends its attempt, as a failure
/// saying why: a job must never stay active because its outcome was unreadable.
fn read_outcome(text: &str) -> Outcome {
    match serde_json::from_str::<OutcomeJs>(text) {
        Ok(OutcomeJs {
            failed: Some(f), ..
        }) => Outcome::Failed {
            message: f.message,
            stack: f.stack,
            unrecoverable: f.unrecoverable,
        },
        Ok(OutcomeJs { returnvalue, .. }) => Outcome::Completed {
            returnvalue: returnvalue.map_or("null", RawValue::get).to_string(),
        },
        Err(err) => Outcome::Failed {
            message: format!("the outcome of this attempt could not be read: {err}"),
            stack: None,
            unrecoverable: false,
        },
    }
}

/// A running worker loop. The JS wrapper runs the processor and reports the outcomes
/// back with `report`, one batch per JavaScript tick.
#[napi]
pub struct NativeWorker {
    handle: WorkerHandle,
    /// The concurrency the worker was made with.
    concurrency: u32,
}

#[napi]
impl NativeWorker {
    #[napi(
        constructor,
        ts_args_type = "queue: NativeQueue, options: string, autorun: boolean, onDelivery: (delivery: string) => void"
    )]
    pub fn new(
        queue: &NativeQueue,
        options: String,
        autorun: bool,
        on_delivery: ThreadsafeFunction<String, (), String, Status, false>,
    ) -> Result<Self> {
        let options = WorkerOptions::from_json(&parse_json("opts", &options)?).map_err(js_error)?;
        let concurrency = options.concurrency;
        let store = queue.queue.store().clone();
        let handle = within_runtime_if_available(|| {
            worker::spawn(store, options, autorun, JsSink { on_delivery })
        });
        Ok(Self {
            handle,
            concurrency,
        })
    }

    /// How many jobs run at once, as validated.
    #[napi(getter)]
    pub fn concurrency(&self) -> u32 {
        self.concurrency
    }

    /// Several attempts ended: the i-th job id, its lock token and its outcome (JSON,
    /// see `OutcomeJs`); stored together in one round trip.
    #[napi]
    pub fn report(&self, ids: Vec<String>, tokens: Vec<String>, outcomes: Vec<String>) {
        let outcomes = ids
            .into_iter()
            .zip(tokens)
            .zip(outcomes)
            .map(|((id, token), outcome)| (Lock { id, token }, read_outcome(&outcome)))
            .collect();
        self.handle.report(outcomes);
    }

    /// Starts fetching (workers created with `autorun: false`).
    #[napi]
    pub fn run(&self) {
        self.handle.run();
    }

    /// Changes how many jobs run at once; `concurrency` is JSON, validated here.
    /// Returns the new value.
    #[napi]
    pub fn set_concurrency(&self, concurrency: String) -> Result<u32> {
        let concurrency =
            parse_concurrency(&parse_json("concurrency", &concurrency)?).map_err(js_error)?;
        self.handle.set_concurrency(concurrency);
        Ok(concurrency)
    }

    /// Resolves once the worker stopped (see `WorkerHandle::close`).
    #[napi]
    pub async fn close(&self, force: bool) {
        self.handle.close(force).await;
    }
}

/// The engine's tokio runtime, sized for this process. The worker loops, Redis
/// connections and timers are light work; one thread (the default) keeps wake-ups
/// between threads rare, which is what a job's round trip mostly waits on.
/// `FERROQ_RUNTIME_THREADS` sets another size.
#[napi_derive::module_init]
fn init_runtime() {
    let threads = std::env::var("FERROQ_RUNTIME_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(1);
    if let Ok(runtime) = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
    {
        napi::bindgen_prelude::create_custom_tokio_runtime(runtime);
    }
}
