//! Queue operations: adding jobs and reading them back. Validation happens here, before
//! anything reaches the store, so bad input changes nothing.

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::job::{Added, JobRecord, JobState, NewJob};
use crate::options::{JobOptions, QueueOptions};
use crate::store::Store;
use crate::time::now_ms;

/// Checks a job's size in bytes (name, data and options serialized) against the
/// queue's `maxPayloadBytes`.
pub fn check_payload(limits: &QueueOptions, job_bytes: u64) -> Result<()> {
    if job_bytes > limits.max_payload_bytes {
        return Err(Error::PayloadTooLarge {
            field: "job".into(),
            size: job_bytes,
            limit: limits.max_payload_bytes,
            setting: "maxPayloadBytes".into(),
        });
    }
    Ok(())
}

/// Validates one job to add. `data` and `opts` are JSON text (the JavaScript layer
/// serialises them); `opts` already holds the queue's defaults. Size limits are
/// checked before the data is parsed, so an oversized job costs no more work.
pub fn prepare_job(
    limits: &QueueOptions,
    name: impl Into<String>,
    data: impl Into<String>,
    opts_json: impl Into<String>,
) -> Result<NewJob> {
    let (name, data, opts_json) = (name.into(), data.into(), opts_json.into());
    check_payload(limits, (name.len() + data.len() + opts_json.len()) as u64)?;
    let mut opts_value: Value =
        serde_json::from_str(&opts_json).map_err(|e| Error::NotSerializable {
            field: "opts".into(),
            reason: e.to_string(),
        })?;
    // The queue's `defaultJobOptions` under the job's own, key by key (BullMQ's merge).
    let opts_json = if limits.default_job_options.is_empty() {
        opts_json
    } else {
        let own = match opts_value {
            Value::Null => Map::new(),
            Value::Object(map) => map,
            other => {
                return Err(Error::invalid(
                    "opts",
                    format!("must be an object, got {other}"),
                ))
            }
        };
        let mut merged = limits.default_job_options.clone();
        merged.extend(own);
        opts_value = Value::Object(merged);
        serde_json::to_string(&opts_value).map_err(|e| Error::NotSerializable {
            field: "opts".into(),
            reason: e.to_string(),
        })?
    };
    let opts = JobOptions::from_json(&opts_value)?;
    if let Some(limit) = opts.size_limit.filter(|&limit| data.len() as u64 > limit) {
        return Err(Error::PayloadTooLarge {
            field: "data".into(),
            size: data.len() as u64,
            limit,
            setting: "sizeLimit".into(),
        });
    }
    if serde_json::from_str::<&RawValue>(&data).is_err() {
        return Err(Error::NotSerializable {
            field: "data".into(),
            reason: "is not valid JSON".into(),
        });
    }
    let timestamp = match opts_value.get("timestamp").and_then(Value::as_f64) {
        Some(t) if t.is_finite() && t > 0.0 => t as u64,
        _ => now_ms(),
    };
    Ok(NewJob {
        name,
        data,
        opts_json,
        opts,
        timestamp,
    })
}

/// Most jobs of separate `add` calls stored in one step: keeps each step short, so
/// other clients of the same Redis are not held up.
pub const ADD_GROUP_JOBS: usize = 1000;
/// About the most bytes of separate `add` calls stored in one step (a single larger
/// job goes alone).
pub const ADD_GROUP_BYTES: usize = 16 << 20;

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

    /// Adds jobs in one atomic step (addBulk): all are stored, or none. A job whose
    /// custom id existed comes back as the stored job (read in one more round trip;
    /// if that read fails, as the job given, like BullMQ's); a new one as what the
    /// store assigned, since the caller has its name, data and options already.
    pub async fn add(&self, jobs: Vec<NewJob>) -> Result<Vec<AddResult>> {
        let added = self.store.add(&jobs).await?;
        let existing_ids: Vec<String> = added
            .iter()
            .filter(|a| a.existed || a.deduplicated)
            .map(|a| a.id.clone())
            .collect();
        let mut existing = if existing_ids.is_empty() {
            Vec::new()
        } else {
            self.store.get_jobs(&existing_ids).await.unwrap_or_default()
        }
        .into_iter();
        let mut records = Vec::with_capacity(jobs.len());
        for (job, added) in jobs.into_iter().zip(added) {
            // A job removed between the add and the read is reported as given.
            let stored = if added.existed || added.deduplicated {
                existing.next().flatten()
            } else {
                None
            };
            records.push(match stored {
                Some(record) if added.deduplicated => AddResult::Deduplicated(Box::new(record)),
                Some(record) => AddResult::Existing(Box::new(record)),
                None => AddResult::Added(AddedJob::new(added, &job)),
            });
        }
        Ok(records)
    }

    /// Adds jobs that stand alone (separate `add` calls sent together), in groups of
    /// at most [`ADD_GROUP_JOBS`] jobs and about [`ADD_GROUP_BYTES`] bytes, each one
    /// atomic step. Each job's result is its group's: a failed group stored nothing.
    pub async fn add_each(&self, jobs: Vec<Result<NewJob>>) -> Vec<Result<AddResult>> {
        let mut results: Vec<Option<Result<AddResult>>> = Vec::with_capacity(jobs.len());
        let mut group: Vec<NewJob> = Vec::new();
        let mut slots: Vec<usize> = Vec::new();
        let mut bytes = 0;
        let mut jobs = jobs.into_iter().peekable();
        while let Some(job) = jobs.next() {
            match job {
                Ok(job) => {
                    bytes += job.data.len() + job.opts_json.len() + job.name.len();
                    slots.push(results.len());
                    results.push(None);
                    group.push(job);
                }
                Err(err) => results.push(Some(Err(err))),
            }
            let full = group.len() >= ADD_GROUP_JOBS || bytes >= ADD_GROUP_BYTES;
            if !group.is_empty() && (full || jobs.peek().is_none()) {
                let outcome = self.add(std::mem::take(&mut group)).await;
                bytes = 0;
                match outcome {
                    Ok(stored) => {
                        for (slot, result) in slots.drain(..).zip(stored) {
                            results[slot] = Some(Ok(result));
                        }
                    }
                    Err(err) => {
                        for slot in slots.drain(..) {
                            results[slot] = Some(Err(err.clone()));
                        }
                    }
                }
            }
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::Corrupt("an add got no result".into()))))
            .collect()
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

/// What `add` gives back for each job.
#[derive(Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AddResult {
    /// A new job: what the store assigned to it.
    Added(AddedJob),
    /// A job with this custom id was there already; it is left as it was.
    Existing(Box<JobRecord>),
    /// A live job holds the same deduplication id: nothing was added, this is it.
    Deduplicated(Box<JobRecord>),
}

impl AddResult {
    pub fn id(&self) -> &str {
        match self {
            AddResult::Added(job) => &job.id,
            AddResult::Existing(job) | AddResult::Deduplicated(job) => &job.id,
        }
    }
}

/// The fields of a job just added that its caller does not know yet. Its name, data
/// and options are not echoed back: a 50 MB document would cross twice for nothing.
#[derive(Debug, Serialize)]
pub struct AddedJob {
    pub id: String,
    /// The options as stored: the job's own over the queue's defaults.
    pub opts: Option<Box<RawValue>>,
    pub timestamp: u64,
    pub delay: u64,
    pub priority: u32,
    pub state: JobState,
}

impl AddedJob {
    fn new(added: Added, job: &NewJob) -> Self {
        // A job that existed and vanished before it could be read is reported as given.
        let state = match added.state {
            JobState::Unknown => JobState::Waiting,
            state => state,
        };
        Self {
            id: added.id,
            opts: RawValue::from_string(job.opts_json.clone()).ok(),
            timestamp: job.timestamp,
            delay: job.opts.delay,
            priority: job.opts.priority,
            state,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn limits(defaults: Value, max: u64) -> QueueOptions {
        QueueOptions {
            name: "q".into(),
            max_payload_bytes: max,
            default_job_options: defaults.as_object().cloned().unwrap_or_default(),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_merge_under_the_jobs_own_options_key_by_key() {
        let queue = limits(json!({"attempts": 3, "removeOnComplete": true}), 1 << 20);
        let job = prepare_job(&queue, "n", "{}", r#"{"attempts":1}"#).unwrap();
        assert_eq!(job.opts.attempts, 1);
        assert_eq!(
            job.opts.remove_on_complete,
            Some(crate::options::KeepJobs::Nothing)
        );
        let stored: Value = serde_json::from_str(&job.opts_json).unwrap();
        assert_eq!(stored, json!({"attempts": 1, "removeOnComplete": true}));
        let plain = prepare_job(&queue, "n", "{}", "{}").unwrap();
        assert_eq!(plain.opts.attempts, 3);
        let bad = prepare_job(&limits(json!({"attempts": 0}), 1 << 20), "n", "{}", "{}");
        assert!(bad.unwrap_err().to_string().contains("`attempts`"));
    }

    #[test]
    fn size_limits_count_bytes_and_name_the_setting() {
        let err = prepare_job(&limits(json!({}), 10), "n", r#""é é é""#, "{}").unwrap_err();
        assert_eq!(err.code(), "ERR_PAYLOAD_TOO_LARGE");
        assert!(err.to_string().contains("`job` is 13 bytes"), "{err}");
        let err = prepare_job(
            &limits(json!({}), 1000),
            "n",
            r#""abc""#,
            r#"{"sizeLimit":4}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("`sizeLimit`"), "{err}");
    }
}
