//! `NativeWorker`: a running worker loop, and the processor side it delivers to.

use napi::bindgen_prelude::within_runtime_if_available;
use napi::{Env, Result};
use napi_derive::napi;
use serde::Deserialize;
use serde_json::value::RawValue;

use ferroq_core::options::{parse_concurrency, WorkerOptions};
use ferroq_core::store::Lock;
use ferroq_core::worker::{self, Outcome, WorkerHandle};

use crate::callback::{JsCallback, OnDelivery};
use crate::errors::{parse_json, throw};
use crate::queue::NativeQueue;

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
    /// BullMQ's `RateLimitError`: back to wait, the attempt not counted.
    #[serde(default, rename = "rateLimited")]
    rate_limited: bool,
}

/// Reads one outcome. One that cannot be read still ends its attempt, as a failure
/// saying why: a job must never stay active because its outcome was unreadable.
pub(crate) fn read_outcome(text: &str) -> Outcome {
    match serde_json::from_str::<OutcomeJs>(text) {
        Ok(OutcomeJs {
            failed: Some(FailedJs {
                rate_limited: true, ..
            }),
            ..
        }) => Outcome::RateLimited,
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
        env: Env,
        queue: &NativeQueue,
        options: String,
        autorun: bool,
        on_delivery: OnDelivery,
    ) -> Result<Self> {
        let options = parse_json("opts", &options)
            .and_then(|options| WorkerOptions::from_json(&options))
            .map_err(|err| throw(&env, err))?;
        let concurrency = options.concurrency;
        let store = queue.queue.store().clone();
        let name = options.name.clone().unwrap_or_default();
        let handle = within_runtime_if_available(|| {
            // Listed by `getWorkers` once this connects (a failure shows in the loop).
            let listed = store.clone();
            tokio::spawn(async move { listed.serve_worker(&name).await });
            worker::spawn(store, options, autorun, JsCallback(on_delivery))
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

    /// Starts the stalled-job checks without processing (manual processing).
    #[napi]
    pub fn check_stalled(&self) {
        self.handle.check_stalled();
    }

    /// Changes how many jobs run at once; `concurrency` is JSON, validated here.
    /// Returns the new value.
    #[napi]
    pub fn set_concurrency(&self, env: Env, concurrency: String) -> Result<u32> {
        let concurrency = parse_json("concurrency", &concurrency)
            .and_then(|value| parse_concurrency(&value))
            .map_err(|err| throw(&env, err))?;
        self.handle.set_concurrency(concurrency);
        Ok(concurrency)
    }

    /// Stops taking jobs; resolves once the running ones are done (at once with
    /// `wait_active` false).
    #[napi]
    pub async fn pause(&self, wait_active: bool) {
        self.handle.pause(wait_active).await;
    }

    /// Takes jobs again after `pause`.
    #[napi]
    pub fn resume(&self) {
        self.handle.resume();
    }

    /// Resolves once the worker stopped (see `WorkerHandle::close`).
    #[napi]
    pub async fn close(&self, force: bool) {
        self.handle.close(force).await;
    }
}
