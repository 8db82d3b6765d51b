//! Job schedulers (BullMQ 5's `upsertJobScheduler`, and the repeatable jobs of `add`
//! with `repeat` mapped onto them): a scheduler keeps exactly one job that has not
//! started. When that job starts, the worker computes when the next one is due (in
//! Rust: cron patterns and time zones, schedule.rs) and the store makes it, so no
//! process polls and a schedule lives on in Redis alone.
//!
//! A worker that dies between a start and that step leaves a mark in the store; the
//! stalled check finishes the step ([`repair`]). Every step is keyed by the started
//! job, so doing it twice makes one job.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::events::{Delivery, JobSink, WorkerEvent};
use crate::job::{ActiveJob, JobRecord, NewJob};
use crate::options::QueueOptions;
use crate::queue::prepare_job;
use crate::schedule::{Repeat, Schedule};
use crate::store::Store;
use crate::time::now_ms;

/// How long a start may wait for its next job before the stalled check makes it (ms).
pub const STUCK_AFTER_MS: u64 = 5_000;

/// Template options a scheduler sets on each job itself.
const SET_PER_JOB: [&str; 5] = ["jobId", "repeat", "delay", "deduplication", "debounce"];

/// A scheduler to create or update, validated.
#[derive(Clone, Debug)]
pub struct NewScheduler {
    pub id: String,
    pub schedule: Schedule,
    /// The schedule as JSON text (`Schedule::to_json`).
    pub schedule_json: String,
    /// The template of its jobs (name, data, options with the queue's defaults).
    pub template: NewJob,
    /// The options as given, for `getJobScheduler`'s `template.opts`.
    pub template_opts_json: String,
    /// The options its jobs store, as JSON text around each job's `delay` and
    /// iteration number: the template's, `repeatJobKey`, `delay`, and `repeat` (the
    /// schedule with `count`), as BullMQ's. The store puts the numbers in between.
    pub job_opts: JobOptsText,
}

/// Validates a scheduler. `id` is `None` for the repeatable job of `add(name, data,
/// {repeat, jobId})`: its id is BullMQ's repeat key (`legacy_job_id` is that jobId).
/// `name` defaults to the id, as BullMQ's.
pub fn prepare_scheduler(
    limits: &QueueOptions,
    id: Option<String>,
    repeat_json: &str,
    name: Option<String>,
    data: String,
    opts_json: String,
    legacy_job_id: Option<String>,
) -> Result<NewScheduler> {
    let repeat: Value = serde_json::from_str(repeat_json).map_err(|e| Error::NotSerializable {
        field: "repeat".into(),
        reason: e.to_string(),
    })?;
    let schedule = Schedule::parse(&repeat)?;
    let opts: Value = serde_json::from_str(&opts_json).map_err(|e| Error::NotSerializable {
        field: "opts".into(),
        reason: e.to_string(),
    })?;
    match &opts {
        Value::Null => {}
        Value::Object(map) => {
            if let Some(key) = SET_PER_JOB.iter().find(|key| map.contains_key(**key)) {
                return Err(Error::invalid(
                    format!("opts.{key}"),
                    "is set by the job scheduler for each job it makes",
                ));
            }
        }
        other => {
            return Err(Error::invalid(
                "opts",
                format!("must be an object, got {other}"),
            ))
        }
    }
    let id = match id {
        Some(id) if id.is_empty() => {
            return Err(Error::invalid(
                "jobSchedulerId",
                "must be a non-empty string",
            ))
        }
        Some(id) => id,
        None => repeat_key(
            &repeat,
            &schedule,
            name.as_deref().unwrap_or(""),
            legacy_job_id.as_deref(),
        ),
    };
    let name = name.unwrap_or_else(|| id.clone());
    let template = prepare_job(limits, name, data, opts_json.clone())?;
    let job_opts = JobOptsText::new(&template.opts_json, &id, &schedule);
    Ok(NewScheduler {
        id,
        schedule_json: schedule.to_json().to_string(),
        schedule,
        template,
        template_opts_json: if opts.is_null() {
            "{}".into()
        } else {
            opts_json
        },
        job_opts,
    })
}

/// The id of the scheduler behind `add(name, data, {repeat, jobId})`: `repeat.key`
/// when given, else BullMQ's repeat key (see `Schedule::legacy_key`).
pub fn repeat_key(repeat: &Value, schedule: &Schedule, name: &str, job_id: Option<&str>) -> String {
    match repeat.get("key") {
        Some(Value::String(key)) if !key.is_empty() => key.clone(),
        _ => schedule.legacy_key(name, job_id),
    }
}

/// The JSON text of a scheduler's jobs' options, split where each job's numbers go:
/// `{<template's options>,"repeatJobKey":…,"delay":` (`head`), `,"repeat":{"count":`
/// (`middle`) and `,<schedule>}}` (`tail`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobOptsText {
    pub head: String,
    pub middle: String,
    pub tail: String,
}

impl JobOptsText {
    fn new(template_opts: &str, id: &str, schedule: &Schedule) -> Self {
        let mut opts = match serde_json::from_str::<Value>(template_opts) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        opts.remove("repeat");
        opts.remove("delay");
        opts.insert("repeatJobKey".into(), id.into());
        let opts = Value::Object(opts).to_string();
        let repeat = schedule.to_json().to_string();
        // Both are non-empty objects: `{…}`.
        Self {
            head: format!("{},\"delay\":", &opts[..opts.len() - 1]),
            middle: ",\"repeat\":{\"count\":".into(),
            tail: format!(",{}}}", &repeat[1..]),
        }
    }
}

/// A scheduler as the store holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SchedulerRecord {
    pub id: String,
    /// The schedule (JSON text, `Schedule::to_json`).
    pub repeat: String,
    pub name: String,
    /// The template's data and options as given (JSON text).
    pub data: String,
    pub opts: String,
    /// Jobs made so far.
    pub iteration_count: u64,
    /// Its latest job, and when that is due (ms).
    pub job: Option<String>,
    pub next: Option<u64>,
}

impl SchedulerRecord {
    /// BullMQ's `JobSchedulerJson`: `key` (the id), `name`, `next`, `iterationCount`,
    /// the schedule's fields (`offset` always, as BullMQ's) and `template: {data, opts}`
    /// with what the template holds (none when it holds nothing).
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("key".into(), self.id.clone().into());
        out.insert("name".into(), self.name.clone().into());
        if let Some(next) = self.next {
            out.insert("next".into(), next.into());
        }
        out.insert("iterationCount".into(), self.iteration_count.into());
        out.insert("offset".into(), 0.into());
        if let Ok(Value::Object(repeat)) = serde_json::from_str::<Value>(&self.repeat) {
            for (key, value) in repeat {
                if key != "immediately" {
                    out.insert(key, value);
                }
            }
        }
        let mut template = Map::new();
        for (key, text) in [("data", &self.data), ("opts", &self.opts)] {
            match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(map)) if map.is_empty() => {}
                Ok(value) => {
                    template.insert(key.into(), value);
                }
                Err(_) => {}
            }
        }
        if !template.is_empty() {
            out.insert("template".into(), Value::Object(template));
        }
        Value::Object(out)
    }

    /// BullMQ's `RepeatableJob` (what `getRepeatableJobs` lists): `key`, `name`,
    /// `endDate`, `tz`, `pattern`, `every`, `next`, and `id` for a repeatable job
    /// added with a `jobId`.
    pub fn to_repeatable_json(&self) -> Value {
        let repeat = serde_json::from_str::<Value>(&self.repeat).unwrap_or(Value::Null);
        let field = |name: &str| repeat.get(name).cloned().unwrap_or(Value::Null);
        // A repeatable job's key is `name:jobId:endDate:tz:pattern`; a scheduler's id
        // is its own.
        let parts: Vec<&str> = self.id.splitn(5, ':').collect();
        let job_id = match parts.get(1) {
            Some(id) if parts.len() == 5 && !id.is_empty() => Value::from(*id),
            _ => Value::Null,
        };
        let mut out = serde_json::json!({
            "key": self.id,
            "name": self.name,
            "endDate": field("endDate"),
            "tz": field("tz"),
            "pattern": field("pattern"),
            "every": repeat.get("every").map_or(Value::Null, |e| Value::from(e.to_string())),
            "next": self.next,
        });
        if !job_id.is_null() {
            out["id"] = job_id;
        }
        out
    }
}

/// A scheduler's job that started: the next one is due after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartedJob {
    pub scheduler_id: String,
    pub job_id: String,
    /// The schedule (`Schedule::to_json`) and when the started job was due (ms).
    pub repeat: Value,
    pub due: u64,
}

impl StartedJob {
    /// The scheduler step a job taken by a worker calls for, if it is a scheduler's.
    pub fn of(record: &JobRecord) -> Option<Self> {
        let scheduler_id = record.repeat_job_key.clone()?;
        let mut opts: Value = serde_json::from_str(record.opts.get()).ok()?;
        // A scheduler's job ids end in their due time (`repeat:<id>:<due>`); its delay
        // does not tell it once the job was made late.
        let due = record
            .id
            .rsplit(':')
            .next()
            .and_then(|due| due.parse().ok())
            .unwrap_or(record.timestamp + record.delay);
        Some(Self {
            scheduler_id,
            job_id: record.id.clone(),
            repeat: opts.get_mut("repeat")?.take(),
            due,
        })
    }

    /// The step a scheduler whose latest job started still waits for, if any.
    fn of_scheduler(record: &SchedulerRecord) -> Result<Option<Self>> {
        let (Some(job_id), Some(due)) = (record.job.clone(), record.next) else {
            return Ok(None);
        };
        let repeat = serde_json::from_str(&record.repeat)
            .map_err(|e| Error::Corrupt(format!("a job scheduler's schedule is not JSON: {e}")))?;
        Ok(Some(Self {
            scheduler_id: record.id.clone(),
            job_id,
            repeat,
            due,
        }))
    }
}

/// Makes the next job of a started job's scheduler (or ends the scheduler when its
/// schedule has).
pub async fn advance<S: Store>(store: &S, started: &StartedJob) -> Result<()> {
    let due = Schedule::parse(&started.repeat)?.next_due(started.due, now_ms());
    store
        .advance_scheduler(&started.scheduler_id, &started.job_id, due)
        .await
}

/// After a fetch: makes the next job of every scheduler whose job was taken, without
/// holding the worker up. A failure is reported as the worker's `error` event; the
/// stalled check makes the job later ([`repair`]).
pub fn advance_taken<S: Store, K: JobSink>(store: &S, sink: &Arc<K>, jobs: &[ActiveJob]) {
    let started: Vec<StartedJob> = jobs
        .iter()
        .filter_map(|job| StartedJob::of(&job.record))
        .collect();
    if started.is_empty() {
        return;
    }
    let (store, sink) = (store.clone(), sink.clone());
    tokio::spawn(async move {
        for started in &started {
            match advance(&store, started).await {
                // Closed (by force) meanwhile: the stalled check of another worker, or
                // of this one when it runs again, makes the job.
                Ok(()) | Err(Error::Closed(_)) => {}
                Err(err) => sink.deliver(Delivery::event(WorkerEvent::error(&err))),
            }
        }
    });
}

/// Makes the next jobs that workers which died after a start did not make.
pub async fn repair<S: Store>(store: &S) -> Result<()> {
    let stuck = store
        .stuck_schedulers(now_ms().saturating_sub(STUCK_AFTER_MS))
        .await?;
    for record in &stuck {
        if let Some(started) = StartedJob::of_scheduler(record)? {
            advance(store, &started).await?;
        }
    }
    Ok(())
}

/// When an upserted scheduler's job that has not started is due.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpsertTiming {
    /// For a new scheduler, or a changed pattern.
    pub first_due: u64,
    /// An existing scheduler that goes on (the same schedule, or an `every` one, as
    /// BullMQ's) keeps its waiting job's due time...
    pub keeps_due: bool,
    /// ...or, when its latest job started already, its next job is the one that
    /// start would have made, due then: an app that upserts on every start adds no
    /// run.
    pub following: Option<u64>,
    /// The job's creation time.
    pub now: u64,
}

/// Creates or updates a scheduler (see `Store::upsert_scheduler`): its job that has
/// not started, read back; `None` when the schedule has ended already (past its
/// `endDate`) or its limit is reached, as BullMQ's `undefined`.
pub async fn upsert<S: Store>(store: &S, scheduler: &NewScheduler) -> Result<Option<JobRecord>> {
    let now = now_ms();
    let Some(first_due) = scheduler.schedule.first_due(now) else {
        return Ok(None);
    };
    let old = store.scheduler(&scheduler.id).await?;
    let keeps_due = old.as_ref().is_some_and(|old| {
        old.repeat == scheduler.schedule_json
            || matches!(scheduler.schedule.repeat, Repeat::Every(_))
    });
    let following = old
        .and_then(|old| old.next)
        .filter(|_| keeps_due)
        .and_then(|prev| scheduler.schedule.next_due(prev, now));
    let timing = UpsertTiming {
        first_due,
        keeps_due,
        following,
        now,
    };
    match store.upsert_scheduler(scheduler, &timing).await? {
        Some((id, _)) => store.get_job(&id).await,
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn job_options_take_delay_and_count_between_their_parts() {
        let schedule =
            Schedule::parse(&json!({"pattern": "0 8 * * 1", "tz": "Europe/Berlin"})).unwrap();
        let text = JobOptsText::new(r#"{"attempts":3,"repeat":{"every":1}}"#, "w\"1", &schedule);
        let opts: Value =
            serde_json::from_str(&format!("{}2000{}7{}", text.head, text.middle, text.tail))
                .unwrap();
        assert_eq!(
            opts,
            json!({
                "attempts": 3,
                "repeatJobKey": "w\"1",
                "delay": 2000,
                "repeat": {"count": 7, "pattern": "0 8 * * 1", "tz": "Europe/Berlin"},
            })
        );
    }
}
