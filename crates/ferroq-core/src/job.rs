//! Jobs as the engine sees them: what goes in (`NewJob`), what is stored
//! (`JobRecord`; redis_store/record.rs reads it from a hash) and the states a job
//! moves through.

use std::fmt;

use serde::Serialize;
use serde_json::value::RawValue;

use crate::error::{Error, Result};
use crate::options::JobOptions;

/// The states of BullMQ's `JobState`, plus `unknown` for a missing job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobState {
    Waiting,
    Active,
    Completed,
    Failed,
    Delayed,
    Prioritized,
    Paused,
    WaitingChildren,
    Unknown,
}

impl JobState {
    pub const ALL: [JobState; 7] = [
        JobState::Waiting,
        JobState::Active,
        JobState::Completed,
        JobState::Failed,
        JobState::Delayed,
        JobState::Prioritized,
        JobState::Paused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Waiting => "waiting",
            JobState::Active => "active",
            JobState::Completed => "completed",
            JobState::Failed => "failed",
            JobState::Delayed => "delayed",
            JobState::Prioritized => "prioritized",
            JobState::Paused => "paused",
            JobState::WaitingChildren => "waiting-children",
            JobState::Unknown => "unknown",
        }
    }

    /// Parses a state name as BullMQ's getters accept it (`wait` is `waiting`).
    pub fn parse(name: &str) -> Result<Self> {
        Ok(match name {
            "waiting" | "wait" => JobState::Waiting,
            "active" => JobState::Active,
            "completed" => JobState::Completed,
            "failed" => JobState::Failed,
            "delayed" => JobState::Delayed,
            "prioritized" => JobState::Prioritized,
            "paused" => JobState::Paused,
            "waiting-children" => JobState::WaitingChildren,
            // A BullMQ getter name for job schedulers' entries: schedulers are not jobs
            // here (getJobSchedulers lists them), so no job is ever in it.
            "repeat" => JobState::Unknown,
            other => {
                return Err(Error::invalid(
                    "types",
                    format!(
                        "must name job states (waiting, active, completed, failed, delayed, prioritized, paused, waiting-children, repeat), got {other:?}"
                    ),
                ))
            }
        })
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job to add, already validated and serialised.
#[derive(Clone, Debug)]
pub struct NewJob {
    pub name: String,
    /// The job data as JSON text.
    pub data: String,
    /// The options as given (JSON text), stored for `job.opts`.
    pub opts_json: String,
    pub opts: JobOptions,
    /// Creation time (ms since the epoch).
    pub timestamp: u64,
}

/// Result of adding one job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Added {
    pub id: String,
    /// A job with this custom `jobId` existed; nothing was added.
    pub existed: bool,
    /// A job with the same deduplication id lives (`id` is that job's); nothing was
    /// added.
    pub deduplicated: bool,
    /// Where the new job waits (`Unknown` when it existed).
    pub state: JobState,
}

/// A stored job. JSON fields stay JSON text (`RawValue`) so they cross to JavaScript
/// without being parsed and re-serialised in Rust.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRecord {
    pub id: String,
    pub name: String,
    pub data: Box<RawValue>,
    pub opts: Box<RawValue>,
    pub progress: Box<RawValue>,
    pub returnvalue: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_reason: Option<String>,
    pub stacktrace: Box<RawValue>,
    pub attempts_made: u32,
    /// Attempts begun (counted when a worker takes the job; BullMQ's `attemptsStarted`).
    pub attempts_started: u32,
    pub stalled_counter: u32,
    pub timestamp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processed_on: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_on: Option<u64>,
    pub delay: u64,
    pub priority: u32,
    /// The id of the job scheduler that made the job (`repeatJobKey`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat_job_key: Option<String>,
    /// The `name` of the worker that took the job last (`processedBy`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processed_by: Option<String>,
    #[serde(skip)]
    pub state: Option<String>,
}

impl JobRecord {
    pub fn job_state(&self) -> JobState {
        self.state
            .as_deref()
            .and_then(|s| JobState::parse(s).ok())
            .unwrap_or(JobState::Unknown)
    }

    /// The stored options, validated again (they were valid when added).
    pub fn options(&self) -> JobOptions {
        serde_json::from_str(self.opts.get())
            .ok()
            .and_then(|v| JobOptions::from_json(&v).ok())
            .unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "null".into())
    }
}

/// A job handed to a processor, with the lock token of this attempt.
#[derive(Debug, Serialize)]
pub struct ActiveJob {
    #[serde(flatten)]
    pub record: JobRecord,
    pub token: String,
}
