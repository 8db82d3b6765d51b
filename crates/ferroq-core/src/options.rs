//! Job and worker options: parsed from the JSON the caller gave, validated once, with
//! errors that name the field and the rule. Unknown fields are kept in the stored
//! `opts` JSON (BullMQ has many) but do not change behaviour.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// Highest priority BullMQ accepts; lower numbers run first, 0 means "no priority".
pub const MAX_PRIORITY: u64 = 2_097_151;

/// Longest duration an option takes (ms): about 35 000 years, so a deadline built
/// from it stays an exact integer in Redis' scores (below 2^53 ms).
pub const MAX_DURATION_MS: u64 = 1 << 50;

/// How a failed attempt waits before the next one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BackoffKind {
    Fixed,
    Exponential,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    pub kind: BackoffKind,
    /// Base delay in milliseconds.
    pub delay: u64,
    /// 0 … 1: the share of the delay that is randomised.
    pub jitter: f64,
}

/// What to keep of finished jobs (`removeOnComplete` / `removeOnFail`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeepJobs {
    /// `false`: keep every finished job.
    All,
    /// `true`: remove the job as soon as it finishes.
    Nothing,
    /// A count and/or a maximum age in seconds.
    Some {
        count: Option<u64>,
        age_secs: Option<u64>,
    },
}

/// Validated options of one job.
#[derive(Clone, Debug, PartialEq)]
pub struct JobOptions {
    pub job_id: Option<String>,
    pub delay: u64,
    pub attempts: u32,
    pub backoff: Option<Backoff>,
    pub priority: u32,
    pub lifo: bool,
    pub remove_on_complete: Option<KeepJobs>,
    pub remove_on_fail: Option<KeepJobs>,
    /// Per-attempt time limit in milliseconds.
    pub timeout: Option<u64>,
    /// How many stack traces of failed attempts the job keeps (newest).
    pub stack_trace_limit: usize,
    /// Largest serialized `data` in bytes (BullMQ's `sizeLimit`).
    pub size_limit: Option<u64>,
    /// `deduplication` (or its older name `debounce`).
    pub deduplication: Option<Deduplication>,
}

/// BullMQ's deduplication: while a job added with `id` lives (simple mode: until it
/// completes or fails; with `ttl`: for `ttl` ms), adding another with the same `id`
/// adds nothing and gives the first back. `extend` restarts the ttl on each such add;
/// `replace` makes a new add replace the first job while it is still delayed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deduplication {
    pub id: String,
    pub ttl: Option<u64>,
    pub extend: bool,
    pub replace: bool,
}

fn parse_deduplication(field: &str, value: &Value) -> Result<Deduplication> {
    let Value::Object(map) = value else {
        return Err(rule(field, "must be {id, ttl?, extend?, replace?}", value));
    };
    let id = match map.get("id") {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        other => {
            return Err(rule(
                &format!("{field}.id"),
                "must be a non-empty string",
                other.unwrap_or(&Value::Null),
            ))
        }
    };
    let ttl = match get(map, "ttl") {
        Some(v) => Some(integer_in(&format!("{field}.ttl"), v, 1, MAX_DURATION_MS)?),
        None => None,
    };
    let flag = |name: &str| match get(map, name) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(rule(&format!("{field}.{name}"), "must be a boolean", other)),
    };
    if flag("keepLastIfActive")? {
        return Err(Error::Unsupported {
            field: format!("{field}.keepLastIfActive"),
            detail: "keeping the last add while the job is active is planned".into(),
        });
    }
    Ok(Deduplication {
        id,
        ttl,
        extend: flag("extend")?,
        replace: flag("replace")?,
    })
}

/// Stack traces a job keeps unless `stackTraceLimit` says otherwise.
pub const DEFAULT_STACK_TRACE_LIMIT: usize = 10;

impl Default for JobOptions {
    fn default() -> Self {
        Self {
            job_id: None,
            delay: 0,
            attempts: 1,
            backoff: None,
            priority: 0,
            lifo: false,
            remove_on_complete: None,
            remove_on_fail: None,
            timeout: None,
            stack_trace_limit: DEFAULT_STACK_TRACE_LIMIT,
            size_limit: None,
            deduplication: None,
        }
    }
}

/// Describes a value for an error message; non-finite numbers reach us as the strings
/// "NaN", "Infinity", "-Infinity" because JSON cannot carry them.
fn describe(value: &Value) -> String {
    match value {
        Value::String(s) if matches!(s.as_str(), "NaN" | "Infinity" | "-Infinity") => s.clone(),
        Value::String(s) => format!("the string {s:?}"),
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn rule(field: &str, rule: &str, got: &Value) -> Error {
    Error::invalid(field, format!("{rule}, got {}", describe(got)))
}

/// A finite, non-negative number, floored to an integer (milliseconds, counts).
fn non_negative(field: &str, value: &Value, what: &str) -> Result<u64> {
    match value.as_f64() {
        Some(n) if n.is_finite() && n >= 0.0 && n <= u64::MAX as f64 => Ok(n.floor() as u64),
        _ => Err(rule(field, &format!("must be {what}"), value)),
    }
}

/// An integer within `min..=max`.
pub(crate) fn integer_in(field: &str, value: &Value, min: u64, max: u64) -> Result<u64> {
    let ok = value
        .as_f64()
        .filter(|n| n.is_finite() && n.fract() == 0.0 && *n >= min as f64 && *n <= max as f64);
    match ok {
        Some(n) => Ok(n as u64),
        None if max >= u32::MAX as u64 => {
            Err(rule(field, &format!("must be an integer ≥ {min}"), value))
        }
        None => Err(rule(
            field,
            &format!("must be an integer from {min} to {max}"),
            value,
        )),
    }
}

fn parse_backoff(value: &Value) -> Result<Option<Backoff>> {
    match value {
        Value::Null => Ok(None),
        Value::Object(map) => {
            let kind = match map.get("type") {
                Some(Value::String(t)) if t == "fixed" => BackoffKind::Fixed,
                Some(Value::String(t)) if t == "exponential" => BackoffKind::Exponential,
                // BullMQ runs any other name through the worker's `settings.backoffStrategy`.
                Some(Value::String(t)) if !t.is_empty() => {
                    return Err(Error::Unsupported {
                        field: "backoff.type".into(),
                        detail: format!(
                            "custom backoff strategies ({t:?}) are planned; use 'fixed' or 'exponential'"
                        ),
                    })
                }
                Some(other) => {
                    return Err(rule(
                        "backoff.type",
                        "must be 'fixed' or 'exponential'",
                        other,
                    ))
                }
                None => {
                    return Err(Error::invalid(
                        "backoff.type",
                        "is required: 'fixed' or 'exponential'",
                    ))
                }
            };
            let delay = match map.get("delay") {
                None | Some(Value::Null) => 0,
                Some(v) => non_negative("backoff.delay", v, "a finite number ≥ 0 (ms)")?,
            };
            let jitter = match map.get("jitter") {
                None | Some(Value::Null) => 0.0,
                Some(v) => match v.as_f64() {
                    Some(j) if (0.0..=1.0).contains(&j) => j,
                    _ => return Err(rule("backoff.jitter", "must be a number from 0 to 1", v)),
                },
            };
            Ok(Some(Backoff {
                kind,
                delay,
                jitter,
            }))
        }
        Value::Number(_) | Value::String(_) => Ok(Some(Backoff {
            kind: BackoffKind::Fixed,
            delay: non_negative(
                "backoff",
                value,
                "a finite number ≥ 0 (ms) or {type, delay, jitter}",
            )?,
            jitter: 0.0,
        })),
        other => Err(rule(
            "backoff",
            "must be a number (ms) or {type: 'fixed'|'exponential', delay, jitter}",
            other,
        )),
    }
}

/// Parses `removeOnComplete` / `removeOnFail`: `true`, `false`, a count, or `{count, age}`.
pub fn parse_keep_jobs(field: &str, value: &Value) -> Result<Option<KeepJobs>> {
    match value {
        Value::Null => Ok(None),
        Value::Bool(true) => Ok(Some(KeepJobs::Nothing)),
        Value::Bool(false) => Ok(Some(KeepJobs::All)),
        Value::Number(_) => Ok(Some(KeepJobs::Some {
            count: Some(integer_in(field, value, 0, u64::MAX)?),
            age_secs: None,
        })),
        Value::Object(map) => {
            let count = match map.get("count") {
                None | Some(Value::Null) => None,
                Some(v) => Some(integer_in(&format!("{field}.count"), v, 0, u64::MAX)?),
            };
            let age_secs = match map.get("age") {
                None | Some(Value::Null) => None,
                Some(v) => Some(non_negative(
                    &format!("{field}.age"),
                    v,
                    "a finite number ≥ 0 (seconds)",
                )?),
            };
            Ok(Some(KeepJobs::Some { count, age_secs }))
        }
        other => Err(rule(
            field,
            "must be true, false, a count, or {count, age}",
            other,
        )),
    }
}

/// True for the text of an integer in canonical form (`12`, `-1`; not `012` or `+5`):
/// BullMQ's rule, `String(parseInt(id, 10)) === id`, for custom ids.
fn is_canonical_integer(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && s != "-0"
}

/// Custom job ids: non-empty strings that cannot be mistaken for generated ids
/// (generated ids are integers) and contain no `:` (key separator).
fn parse_job_id(value: &Value) -> Result<Option<String>> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Err(rule("jobId", "must be a non-empty string", value)),
        Value::String(s) if s.contains(':') => Err(rule("jobId", "must not contain ':'", value)),
        Value::String(s) if is_canonical_integer(s) => Err(rule(
            "jobId",
            "must not be an integer (integers are reserved for generated ids)",
            value,
        )),
        Value::String(s) if s.len() > 512 => {
            Err(Error::invalid("jobId", "must be at most 512 characters"))
        }
        Value::String(s) => Ok(Some(s.clone())),
        other => Err(rule("jobId", "must be a non-empty string", other)),
    }
}

pub(crate) fn get<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).filter(|v| !v.is_null())
}

/// Refuses BullMQ options whose behaviour ferroq does not have yet, rather than
/// ignoring them (a job added with `repeat` would run once, silently): each `(name,
/// detail)` given a value that asks for something (not null, false or 0).
fn refuse_unbuilt(map: &Map<String, Value>, unbuilt: &[(&str, &str)]) -> Result<()> {
    for (field, detail) in unbuilt {
        let asks = match get(map, field) {
            None | Some(Value::Bool(false)) => false,
            Some(Value::Number(n)) => n.as_f64() != Some(0.0),
            Some(_) => true,
        };
        if asks {
            return Err(Error::Unsupported {
                field: field.to_string(),
                detail: detail.to_string(),
            });
        }
    }
    Ok(())
}

/// Job options of BullMQ 5 that ferroq does not build yet.
const UNBUILT_JOB_OPTIONS: &[(&str, &str)] = &[
    (
        "repeat",
        "a repeatable job is added alone, with `add` (or `upsertJobScheduler`), not in `addBulk`",
    ),
    ("parent", "flows (parent and child jobs) are not built"),
    (
        "failParentOnFailure",
        "flows (parent and child jobs) are not built",
    ),
    (
        "continueParentOnFailure",
        "flows (parent and child jobs) are not built",
    ),
    (
        "ignoreDependencyOnFailure",
        "flows (parent and child jobs) are not built",
    ),
    (
        "removeDependencyOnFailure",
        "flows (parent and child jobs) are not built",
    ),
];

/// Worker options of BullMQ 5 that ferroq does not build yet.
const UNBUILT_WORKER_OPTIONS: &[(&str, &str)] = &[
    ("useWorkerThreads", "sandboxed processors are not built"),
    (
        "maxStartedAttempts",
        "a limit on started attempts is planned; `maxStalledCount` bounds stalls",
    ),
];

impl JobOptions {
    /// Validates the options object of `queue.add` (already merged with the queue's
    /// `defaultJobOptions`).
    pub fn from_json(value: &Value) -> Result<Self> {
        let map = match value {
            Value::Null => return Ok(Self::default()),
            Value::Object(map) => map,
            other => return Err(rule("opts", "must be an object", other)),
        };
        refuse_unbuilt(map, UNBUILT_JOB_OPTIONS)?;
        let mut opts = Self::default();
        if let Some(v) = get(map, "jobId") {
            opts.job_id = parse_job_id(v)?;
        }
        if let Some(v) = get(map, "delay") {
            opts.delay = non_negative("delay", v, "a finite number ≥ 0 (ms)")?;
        }
        if let Some(v) = get(map, "attempts") {
            opts.attempts = integer_in("attempts", v, 1, u32::MAX as u64)? as u32;
        }
        if let Some(v) = get(map, "backoff") {
            opts.backoff = parse_backoff(v)?;
        }
        if let Some(v) = get(map, "priority") {
            opts.priority = integer_in("priority", v, 0, MAX_PRIORITY)? as u32;
        }
        if let Some(v) = get(map, "lifo") {
            opts.lifo = v
                .as_bool()
                .ok_or_else(|| rule("lifo", "must be a boolean", v))?;
        }
        if let Some(v) = get(map, "removeOnComplete") {
            opts.remove_on_complete = parse_keep_jobs("removeOnComplete", v)?;
        }
        if let Some(v) = get(map, "removeOnFail") {
            opts.remove_on_fail = parse_keep_jobs("removeOnFail", v)?;
        }
        if let Some(v) = get(map, "timeout") {
            opts.timeout = Some(integer_in("timeout", v, 1, u64::MAX)?);
        }
        if let Some(v) = get(map, "stackTraceLimit") {
            opts.stack_trace_limit = integer_in("stackTraceLimit", v, 0, u32::MAX as u64)? as usize;
        }
        for field in ["deduplication", "debounce"] {
            if let Some(v) = get(map, field) {
                opts.deduplication = Some(parse_deduplication(field, v)?);
            }
        }
        if let Some(v) = get(map, "sizeLimit") {
            opts.size_limit = Some(integer_in("sizeLimit", v, 1, u64::MAX)?);
        }
        Ok(opts)
    }
}

/// Largest job a queue accepts unless `maxPayloadBytes` says otherwise: room for the
/// 50 MB documents some apps queue, well under Redis' 512 MB `proto-max-bulk-len`.
pub const DEFAULT_MAX_PAYLOAD_BYTES: u64 = 64 << 20;

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

/// Validated options of a queue (or of the queue a worker takes jobs from);
/// connection settings are read apart.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueOptions {
    /// The queue's name.
    pub name: String,
    /// Key prefix of every key of the queue.
    pub prefix: String,
    /// Largest job (name, data and options, serialized) `add` accepts, in bytes.
    pub max_payload_bytes: u64,
    /// Options every job gets unless it sets its own (`defaultJobOptions`), as given.
    pub default_job_options: Map<String, Value>,
    /// About how many events the queue's event stream keeps (`streams.events.maxLen`,
    /// BullMQ's default 10 000); 0 turns events off.
    pub events_max_len: u64,
}

/// Events a queue's stream keeps unless `streams.events.maxLen` says otherwise.
pub const DEFAULT_EVENTS_MAX_LEN: u64 = 10_000;

impl Default for QueueOptions {
    fn default() -> Self {
        Self {
            name: String::new(),
            prefix: crate::keys::DEFAULT_PREFIX.to_string(),
            max_payload_bytes: DEFAULT_MAX_PAYLOAD_BYTES,
            default_job_options: Map::new(),
            events_max_len: DEFAULT_EVENTS_MAX_LEN,
        }
    }
}

impl QueueOptions {
    /// Reads `{name, prefix, maxPayloadBytes, defaultJobOptions, streams}`.
    pub fn from_json(value: &Value) -> Result<Self> {
        let map = match value {
            Value::Object(map) => map,
            other => return Err(rule("opts", "must be an object", other)),
        };
        let mut opts = Self::default();
        match map.get("name") {
            Some(Value::String(name)) => opts.name = name.clone(),
            other => {
                return Err(rule(
                    "name",
                    "the queue name must be a non-empty string",
                    other.unwrap_or(&Value::Null),
                ))
            }
        }
        validate_queue_name(&opts.name)?;
        match get(map, "defaultJobOptions") {
            None => {}
            // Checked with each job's own options, as BullMQ does: a bad default
            // that every job overrides does no harm.
            Some(Value::Object(defaults)) => opts.default_job_options = defaults.clone(),
            Some(other) => return Err(rule("defaultJobOptions", "must be an object", other)),
        }
        match get(map, "prefix") {
            None => {}
            Some(Value::String(p)) if p.is_empty() => {}
            Some(Value::String(p)) if p.contains(['{', '}']) => {
                return Err(rule(
                    "prefix",
                    "must not contain '{' or '}'",
                    &Value::String(p.clone()),
                ))
            }
            Some(Value::String(p)) => opts.prefix = p.clone(),
            Some(other) => return Err(rule("prefix", "must be a string", other)),
        }
        if let Some(v) = get(map, "maxPayloadBytes") {
            opts.max_payload_bytes = integer_in("maxPayloadBytes", v, 1, u64::MAX)?;
        }
        if let Some(v) = get(map, "streams")
            .and_then(|streams| streams.get("events"))
            .and_then(|events| events.get("maxLen"))
            .filter(|v| !v.is_null())
        {
            opts.events_max_len = integer_in("streams.events.maxLen", v, 0, u64::MAX)?;
        }
        Ok(opts)
    }
}

/// Validated `QueueEvents` options.
#[derive(Clone, Debug, PartialEq)]
pub struct EventsOptions {
    /// Read the events after this id; from now when `None` (BullMQ's `'$'`).
    pub last_event_id: Option<String>,
    /// Longest single blocking read (ms).
    pub blocking_timeout: u64,
}

impl EventsOptions {
    /// Reads `{lastEventId, blockingTimeout}` (BullMQ's default timeout: 10 000 ms).
    pub fn from_json(value: &Value) -> Result<Self> {
        let mut opts = Self {
            last_event_id: None,
            blocking_timeout: 10_000,
        };
        let Some(map) = value.as_object() else {
            return Ok(opts);
        };
        match get(map, "lastEventId") {
            None => {}
            Some(Value::String(id)) if id == "$" => {}
            Some(Value::String(id)) if is_stream_id(id) => opts.last_event_id = Some(id.clone()),
            Some(other) => {
                return Err(rule(
                    "lastEventId",
                    "must be a stream id such as '0-0' or '1700000000000-0', or '$'",
                    other,
                ))
            }
        }
        if let Some(v) = get(map, "blockingTimeout") {
            opts.blocking_timeout = integer_in("blockingTimeout", v, 1, u64::MAX)?;
        }
        Ok(opts)
    }
}

/// `<ms>` or `<ms>-<seq>`, as Redis stream ids are written.
/// A stream id (`<ms>` or `<ms>-<seq>`), or one event of an entry that holds several
/// (`<ms>-<seq>#<index>`, as QueueEvents hands them out).
fn is_stream_id(id: &str) -> bool {
    let (id, index) = match id.split_once('#') {
        Some((id, index)) => (id, Some(index)),
        None => (id, None),
    };
    if index.is_some_and(|i| i.is_empty() || !i.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let mut parts = id.splitn(2, '-');
    let digits =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let first = parts.next();
    let second = parts.next();
    digits(first) && (second.is_none() || digits(second))
}

/// Arguments of the queue's operations (`clean`, `obliterate`, `retryJobs`,
/// `promoteJobs`, `job.retry`), checked before anything is sent.
pub mod operations {
    use serde_json::Value;

    use super::{get, integer_in, non_negative, rule};
    use crate::error::Result;
    use crate::job::JobState;

    /// What `job.retry` counts anew.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Resets {
        pub attempts_made: bool,
        pub attempts_started: bool,
    }

    /// Jobs moved or removed per step unless `count` says otherwise (BullMQ's 1000).
    pub const DEFAULT_STEP: u64 = 1000;

    fn map(value: &Value) -> Result<serde_json::Map<String, Value>> {
        match value {
            Value::Null => Ok(serde_json::Map::new()),
            Value::Object(map) => Ok(map.clone()),
            other => Err(rule("opts", "must be an object", other)),
        }
    }

    fn count(map: &serde_json::Map<String, Value>) -> Result<u64> {
        match get(map, "count") {
            Some(v) => integer_in("count", v, 1, u64::MAX),
            None => Ok(DEFAULT_STEP),
        }
    }

    /// `clean(grace, limit, type)`: the state, `grace` ms and `limit` (0: all).
    pub fn clean(grace: &Value, limit: &Value, kind: &Value) -> Result<(JobState, u64, u64)> {
        let grace = non_negative("grace", grace, "a finite number ≥ 0 (ms)")?;
        let limit = match limit {
            Value::Null => 0,
            v => integer_in("limit", v, 0, u64::MAX)?,
        };
        let state = match kind {
            Value::Null => JobState::Completed,
            Value::String(kind) => match kind.as_str() {
                "completed" => JobState::Completed,
                "failed" => JobState::Failed,
                "delayed" => JobState::Delayed,
                "prioritized" => JobState::Prioritized,
                "active" => JobState::Active,
                "wait" | "waiting" => JobState::Waiting,
                "paused" => JobState::Paused,
                _ => {
                    return Err(rule(
                        "type",
                        "must be completed, failed, delayed, prioritized, active, wait, waiting or paused",
                        &Value::String(kind.clone()),
                    ))
                }
            },
            other => return Err(rule("type", "must be a job state", other)),
        };
        Ok((state, grace, limit))
    }

    /// `obliterate({ force, count })`.
    pub fn obliterate(value: &Value) -> Result<(bool, u64)> {
        let map = map(value)?;
        let force = match get(&map, "force") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => return Err(rule("force", "must be a boolean", other)),
        };
        Ok((force, count(&map)?))
    }

    fn finished_state(value: Option<&Value>) -> Result<JobState> {
        match value {
            None => Ok(JobState::Failed),
            Some(Value::String(s)) if s == "failed" => Ok(JobState::Failed),
            Some(Value::String(s)) if s == "completed" => Ok(JobState::Completed),
            Some(other) => Err(rule("state", "must be 'failed' or 'completed'", other)),
        }
    }

    /// `retryJobs({ state, count, timestamp })`: the state, the step and the time
    /// (ms) before which jobs finished (default `now`: jobs that fail again while the
    /// call runs are not taken twice).
    pub fn retry_jobs(value: &Value, now: u64) -> Result<(JobState, u64, u64)> {
        let map = map(value)?;
        let before = match get(&map, "timestamp") {
            Some(v) => non_negative("timestamp", v, "a time in ms since the epoch")?,
            None => now,
        };
        Ok((finished_state(get(&map, "state"))?, count(&map)?, before))
    }

    /// `job.retry(state, { resetAttemptsMade, resetAttemptsStarted })`.
    pub fn retry_job(state: &Value, opts: &Value) -> Result<(JobState, Resets)> {
        let state = finished_state(Some(state).filter(|v| !v.is_null()))?;
        let map = map(opts)?;
        let flag = |key: &str| match get(&map, key) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(rule(key, "must be a boolean", other)),
        };
        Ok((
            state,
            Resets {
                attempts_made: flag("resetAttemptsMade")?,
                attempts_started: flag("resetAttemptsStarted")?,
            },
        ))
    }

    /// `job.changeDelay(delay)`: ms from now.
    pub fn change_delay(value: &Value) -> Result<u64> {
        non_negative("delay", value, "a finite number ≥ 0 (ms)")
    }

    /// Manual processing's lock token (`getNextJob(token)`): a non-empty string.
    pub fn token(value: &str) -> Result<&str> {
        if value.is_empty() {
            return Err(crate::error::Error::invalid(
                "token",
                "must be a non-empty string",
            ));
        }
        Ok(value)
    }

    /// `job.extendLock(token, duration)`: ms, at least 1.
    pub fn lock_extension(value: &Value) -> Result<u64> {
        integer_in("duration", value, 1, super::MAX_DURATION_MS)
    }

    /// `rateLimit(expireTimeMs)`: ms, ≥ 0.
    pub fn rate_limit_ms(value: &Value) -> Result<u64> {
        integer_in("expireTimeMs", value, 0, super::MAX_DURATION_MS)
    }

    /// `queue.setGlobalConcurrency(n)`: an integer ≥ 1.
    pub fn global_concurrency(value: &Value) -> Result<u32> {
        integer_in("concurrency", value, 1, u32::MAX as u64).map(|n| n as u32)
    }

    /// The reason a job fails with when cancelled without one.
    pub const DEFAULT_CANCEL_REASON: &str = "cancelled";
    /// Longest cancel reason (the same bound as a failure reason).
    pub const MAX_CANCEL_REASON: usize = 1 << 20;

    /// `queue.cancel(id, reason)`: the reason, a string (default "cancelled").
    pub fn cancel_reason(value: &Value) -> Result<String> {
        match value {
            Value::Null => Ok(DEFAULT_CANCEL_REASON.into()),
            Value::String(reason) if reason.len() <= MAX_CANCEL_REASON => Ok(reason.clone()),
            Value::String(_) => Err(crate::error::Error::invalid(
                "reason",
                format!("must be at most {MAX_CANCEL_REASON} bytes"),
            )),
            other => Err(rule("reason", "must be a string", other)),
        }
    }

    /// `job.changePriority({ priority, lifo })`.
    pub fn change_priority(value: &Value) -> Result<(u32, bool)> {
        let map = map(value)?;
        let priority = match get(&map, "priority") {
            Some(v) => integer_in("priority", v, 0, super::MAX_PRIORITY)? as u32,
            None => 0,
        };
        let lifo = match get(&map, "lifo") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => return Err(rule("lifo", "must be a boolean", other)),
        };
        Ok((priority, lifo))
    }

    /// `promoteJobs({ count })`.
    pub fn promote_jobs(value: &Value) -> Result<u64> {
        count(&map(value)?)
    }
}

/// Most jobs one worker may run at once.
pub const MAX_CONCURRENCY: u64 = 100_000;

/// A worker's `concurrency`: an integer from 1 to [`MAX_CONCURRENCY`].
pub fn parse_concurrency(value: &Value) -> Result<u32> {
    Ok(integer_in("concurrency", value, 1, MAX_CONCURRENCY)? as u32)
}

/// Validated worker options (the lifecycle-relevant ones; the JS layer keeps the rest).
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerOptions {
    pub concurrency: u32,
    /// How long a fetched job's lock lasts without renewal (ms).
    pub lock_duration: u64,
    /// How often locks are renewed (ms); half the lock duration by default.
    pub lock_renew_time: u64,
    /// How often active jobs with expired locks are looked for (ms).
    pub stalled_interval: u64,
    /// How many times a job may stall before it fails.
    pub max_stalled_count: u32,
    /// Longest single block waiting for new jobs (ms).
    pub drain_delay: u64,
    pub remove_on_complete: Option<KeepJobs>,
    pub remove_on_fail: Option<KeepJobs>,
    /// Stored with every job the worker takes (`job.processedBy`).
    pub name: Option<String>,
    /// `limiter`: at most `max` jobs of the queue start in any `duration`, across all
    /// workers (a global rate limit set on the queue takes precedence).
    pub limiter: Option<RateLimit>,
    /// `metrics: { maxDataPoints }`: count the jobs this worker finishes per minute,
    /// keeping this many minutes.
    pub metrics_points: Option<u32>,
}

/// At most `max` jobs started in any window of `duration` ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub max: u32,
    pub duration: u64,
}

impl RateLimit {
    /// `{ max, duration }` (the worker's `limiter`, or `setGlobalRateLimit`'s
    /// arguments), each an integer ≥ 1; `field` names the option in errors.
    pub fn parse(field: &str, max: &Value, duration: &Value) -> Result<Self> {
        Ok(Self {
            max: integer_in(&format!("{field}.max"), max, 1, u32::MAX as u64)? as u32,
            duration: integer_in(&format!("{field}.duration"), duration, 1, MAX_DURATION_MS)?,
        })
    }
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            concurrency: 1,
            lock_duration: 30_000,
            lock_renew_time: 15_000,
            stalled_interval: 30_000,
            max_stalled_count: 1,
            drain_delay: 5_000,
            remove_on_complete: None,
            remove_on_fail: None,
            name: None,
            limiter: None,
            metrics_points: None,
        }
    }
}

impl WorkerOptions {
    pub fn from_json(value: &Value) -> Result<Self> {
        let map = match value {
            Value::Null => return Ok(Self::default()),
            Value::Object(map) => map,
            other => return Err(rule("opts", "must be an object", other)),
        };
        refuse_unbuilt(map, UNBUILT_WORKER_OPTIONS)?;
        let mut opts = Self::default();
        if let Some(v) = get(map, "concurrency") {
            opts.concurrency = parse_concurrency(v)?;
        }
        if let Some(v) = get(map, "lockDuration") {
            opts.lock_duration = integer_in("lockDuration", v, 1, u64::MAX)?;
        }
        opts.lock_renew_time = match get(map, "lockRenewTime") {
            Some(v) => integer_in("lockRenewTime", v, 1, u64::MAX)?,
            None => (opts.lock_duration / 2).max(1),
        };
        if let Some(v) = get(map, "stalledInterval") {
            opts.stalled_interval = integer_in("stalledInterval", v, 1, u64::MAX)?;
        }
        if let Some(v) = get(map, "limiter") {
            let Value::Object(limiter) = v else {
                return Err(rule("limiter", "must be {max, duration}", v));
            };
            let missing = Value::Null;
            opts.limiter = Some(RateLimit::parse(
                "limiter",
                limiter.get("max").unwrap_or(&missing),
                limiter.get("duration").unwrap_or(&missing),
            )?);
        }
        if let Some(v) = get(map, "metrics") {
            let points = match v {
                Value::Object(metrics) => get(metrics, "maxDataPoints"),
                other => return Err(rule("metrics", "must be {maxDataPoints}", other)),
            };
            opts.metrics_points = Some(match points {
                Some(v) => integer_in("metrics.maxDataPoints", v, 1, 1_000_000)? as u32,
                // A week of minutes (BullMQ's `MetricsTime.ONE_WEEK`).
                None => 60 * 24 * 7,
            });
        }
        if let Some(v) = get(map, "maxStalledCount") {
            opts.max_stalled_count = integer_in("maxStalledCount", v, 0, u32::MAX as u64)? as u32;
        }
        if let Some(v) = get(map, "drainDelay") {
            // BullMQ gives drainDelay in seconds.
            let secs = v
                .as_f64()
                .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 1e9)
                .ok_or_else(|| rule("drainDelay", "must be a finite number ≥ 0 (seconds)", v))?;
            opts.drain_delay = ((secs * 1000.0).round() as u64).max(10);
        }
        if let Some(v) = get(map, "removeOnComplete") {
            opts.remove_on_complete = parse_keep_jobs("removeOnComplete", v)?;
        }
        if let Some(v) = get(map, "removeOnFail") {
            opts.remove_on_fail = parse_keep_jobs("removeOnFail", v)?;
        }
        match get(map, "name") {
            None => {}
            Some(Value::String(name)) => opts.name = Some(name.clone()).filter(|n| !n.is_empty()),
            Some(other) => return Err(rule("name", "must be a string", other)),
        }
        Ok(opts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(v: Value) -> String {
        JobOptions::from_json(&v).unwrap_err().to_string()
    }

    #[test]
    fn parses_a_full_option_set() {
        let o = JobOptions::from_json(&json!({
            "jobId": "a", "delay": 5, "attempts": 3,
            "backoff": {"type": "exponential", "delay": 1000, "jitter": 0.5},
            "priority": 7, "lifo": true, "removeOnComplete": 10,
            "removeOnFail": {"count": 5, "age": 60}, "timeout": 100, "unknown": 1
        }))
        .unwrap();
        assert_eq!(o.attempts, 3);
        assert_eq!(o.backoff.unwrap().kind, BackoffKind::Exponential);
        assert_eq!(
            o.remove_on_fail,
            Some(KeepJobs::Some {
                count: Some(5),
                age_secs: Some(60)
            })
        );
        assert_eq!(
            JobOptions::from_json(&json!({"backoff": 250}))
                .unwrap()
                .backoff
                .unwrap()
                .delay,
            250
        );
    }

    #[test]
    fn errors_name_the_field_and_the_rule() {
        assert!(err(json!({"attempts": 0})).contains("`attempts`: must be an integer ≥ 1, got 0"));
        assert!(err(json!({"attempts": 1.5})).contains("attempts"));
        assert!(err(json!({"delay": -1})).contains("`delay`"));
        assert!(err(json!({"delay": "NaN"})).contains("got NaN"));
        assert!(err(json!({"priority": 2_097_152})).contains("from 0 to 2097151"));
        assert!(err(json!({"backoff": {"type": "linear"}})).contains("backoff.type"));
        assert!(err(json!({"jobId": "12"})).contains("jobId"));
        assert!(err(json!({"jobId": "-1"})).contains("jobId"));
        for not_an_integer in ["012", "+5", "-0", "1e3", "a1"] {
            assert!(JobOptions::from_json(&json!({ "jobId": not_an_integer })).is_ok());
        }
        assert!(err(json!({"removeOnComplete": "yes"})).contains("removeOnComplete"));
    }
}
