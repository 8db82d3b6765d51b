//! Job hashes as Redis holds them, read into the engine's [`JobRecord`]. The hash
//! field names (and their abbreviations: `atm`, `ats`, `stc`) live here and in the
//! scripts, nowhere else (see keys.rs for the list).

use std::collections::HashMap;

use serde_json::value::RawValue;

use crate::error::{Error, Result};
use crate::job::JobRecord;

fn raw(field: &str, text: Option<String>, default: &str) -> Result<Box<RawValue>> {
    let text = text.unwrap_or_else(|| default.to_string());
    RawValue::from_string(text)
        .map_err(|e| Error::Corrupt(format!("job field `{field}` is not JSON: {e}")))
}

/// The job-hash fields a worker reads when it takes a job, in this order (the fetch
/// script reads them with one HMGET): all a processor sees of a job that is not
/// finished. `processedOn`, `state` and `pb` are what the fetch itself sets.
pub const ACTIVE_FIELDS: [&str; 13] = [
    "name",
    "data",
    "opts",
    "progress",
    "failedReason",
    "stacktrace",
    "atm",
    "ats",
    "stc",
    "timestamp",
    "delay",
    "priority",
    "rjk",
];

/// Builds a record from the fields of a job hash (`HGETALL`).
pub(crate) fn from_hash(id: String, mut fields: HashMap<String, String>) -> Result<JobRecord> {
    build(id, |key| fields.remove(key))
}

/// Builds a record from the values of [`ACTIVE_FIELDS`], in that order (`HMGET`).
pub(crate) fn from_active_fields(id: String, mut values: Vec<Option<String>>) -> Result<JobRecord> {
    build(id, |key| {
        let at = ACTIVE_FIELDS.iter().position(|field| *field == key)?;
        values.get_mut(at)?.take()
    })
}

/// Builds a record from a lookup that hands out each stored field once.
fn build(id: String, mut field: impl FnMut(&str) -> Option<String>) -> Result<JobRecord> {
    let mut number = |key: &str| field(key).and_then(|v| v.parse::<u64>().ok());
    let attempts_made = number("atm").unwrap_or(0) as u32;
    let attempts_started = number("ats").unwrap_or(0) as u32;
    let stalled_counter = number("stc").unwrap_or(0) as u32;
    let timestamp = number("timestamp").unwrap_or(0);
    let processed_on = number("processedOn");
    let finished_on = number("finishedOn");
    let delay = number("delay").unwrap_or(0);
    let priority = number("priority").unwrap_or(0) as u32;
    Ok(JobRecord {
        name: field("name").unwrap_or_default(),
        data: raw("data", field("data"), "{}")?,
        opts: raw("opts", field("opts"), "{}")?,
        progress: raw("progress", field("progress"), "0")?,
        returnvalue: field("returnvalue")
            .map(|v| raw("returnvalue", Some(v), "null"))
            .transpose()?,
        failed_reason: field("failedReason"),
        stacktrace: raw("stacktrace", field("stacktrace"), "[]")?,
        attempts_made,
        attempts_started,
        stalled_counter,
        timestamp,
        processed_on,
        finished_on,
        delay,
        priority,
        repeat_job_key: field("rjk"),
        processed_by: field("pb"),
        state: field("state"),
        id,
    })
}
