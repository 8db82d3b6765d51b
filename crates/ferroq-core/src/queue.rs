//! Queue operations: adding jobs and reading them back. Validation happens here, before
//! anything reaches the store, so bad input changes nothing.

use serde_json::value::RawValue;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::job::{JobRecord, JobState, NewJob};
use crate::options::JobOptions;
use crate::store::Store;
use crate::time::now_ms;

/// Checks a queue name: a non-empty string without the characters keys are built with.
pub fn validate_queue_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid(
            "name",
            "the queue name must be a non-empty string",
        ));
    }
    if name.contains(['{', '}', ':']) {
        return Err(Error::invalid(
            "name",
            format!("the queue name must not contain '{{', '}}' or ':', got {name:?}"),
        ));
    }
    Ok(())
}

/// Validates one job to add. `data` and `opts` are JSON text (the JavaScript layer
/// serialises them); `opts` already holds the queue's defaults.
pub fn prepare_job(name: &str, data: &str, opts_json: &str) -> Result<NewJob> {
    if serde_json::from_str::<&RawValue>(data).is_err() {
        return Err(Error::NotSerializable {
            field: "data".into(),
            reason: "is not valid JSON".into(),
        });
    }
    let opts_value: Value =
        serde_json::from_str(opts_json).map_err(|e| Error::NotSerializable {
            field: "opts".into(),
            reason: e.to_string(),
        })?;
    let opts = JobOptions::from_json(&opts_value)?;
    let timestamp = match opts_value.get("timestamp").and_then(Value::as_f64) {
        Some(t) if t.is_finite() && t > 0.0 => t as u64,
        _ => now_ms(),
    };
    Ok(NewJob {
        name: name.to_string(),
        data: data.to_string(),
        opts_json: opts_json.to_string(),
        opts,
        timestamp,
    })
}

/// A queue over some store.
#[derive(Clone)]
pub struct Queue<S: Store> {
    store: S,
}

impl<S: Store> Queue<S> {
    pub fn new(store: S) -> Self {
        Self { store }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// Adds jobs in one atomic step; returns them as stored. A job whose custom id
    /// existed comes back as the existing job (read in one more round trip).
    pub async fn add(&self, jobs: Vec<NewJob>) -> Result<Vec<JobRecord>> {
        let added = self.store.add(&jobs).await?;
        let existing_ids: Vec<String> = added
            .iter()
            .filter(|a| a.existed)
            .map(|a| a.id.clone())
            .collect();
        let mut existing = if existing_ids.is_empty() {
            Vec::new()
        } else {
            self.store.get_jobs(&existing_ids).await?
        }
        .into_iter();
        let mut records = Vec::with_capacity(jobs.len());
        for (job, added) in jobs.into_iter().zip(added) {
            // A job removed between the add and the read is reported as added.
            let stored = if added.existed {
                existing.next().flatten()
            } else {
                None
            };
            records.push(match stored {
                Some(record) => record,
                None => new_record(added.id, job)?,
            });
        }
        Ok(records)
    }

    pub async fn get_job(&self, id: &str) -> Result<Option<JobRecord>> {
        self.store.get_job(id).await
    }

    /// Jobs in the given states, each state's range `start..=end` in turn (BullMQ's
    /// `getJobs`), read in one round trip after the id lookups. Ids whose job vanished
    /// meanwhile are skipped.
    pub async fn get_jobs(
        &self,
        states: &[JobState],
        start: i64,
        end: i64,
        asc: bool,
    ) -> Result<Vec<JobRecord>> {
        let mut ids = Vec::new();
        for state in states {
            ids.extend(self.store.job_ids(*state, start, end, asc).await?);
        }
        Ok(self
            .store
            .get_jobs(&ids)
            .await?
            .into_iter()
            .flatten()
            .collect())
    }
}

/// The record of a job just added, without reading it back.
fn new_record(id: String, job: NewJob) -> Result<JobRecord> {
    let raw = |text: String| RawValue::from_string(text).map_err(|e| Error::Corrupt(e.to_string()));
    let state = if job.opts.delay > 0 {
        JobState::Delayed
    } else if job.opts.priority > 0 {
        JobState::Prioritized
    } else {
        JobState::Waiting
    };
    Ok(JobRecord {
        id,
        name: job.name,
        data: raw(job.data)?,
        opts: raw(job.opts_json)?,
        progress: raw("0".into())?,
        returnvalue: None,
        failed_reason: None,
        stacktrace: raw("[]".into())?,
        attempts_made: 0,
        attempts_started: 0,
        stalled_counter: 0,
        timestamp: job.timestamp,
        processed_on: None,
        finished_on: None,
        delay: job.opts.delay,
        priority: job.opts.priority,
        state: Some(state.as_str().to_string()),
    })
}
