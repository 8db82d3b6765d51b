//! The Redis implementation of [`Store`]: each transition is one Lua script from
//! `lua/`, each query one command or one pipeline.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{FromRedisValue, Value};
use tokio::sync::OnceCell;

use crate::connection::ConnectionSpec;
use crate::error::{Error, Result};
use crate::job::{ActiveJob, Added, JobRecord, JobState, NewJob};
use crate::keys::QueueKeys;
use crate::options::operations::Resets;
use crate::options::{KeepJobs, QueueOptions, RateLimit};
use crate::scheduler::{NewScheduler, SchedulerRecord, UpsertTiming};
use crate::store::{
    CancelRequest, Cancelled, CycleRequest, CycleResult, EventEntry, FinishKind, Lock, Metrics,
    Renewal, StalledReport, Store, Stored,
};
use crate::time::now_ms;

mod errors;
mod link;
mod record;

use link::{Conn, Lease, Link};
use record::ACTIVE_FIELDS;

/// The queue's keys and named transitions, prepended to every script that moves jobs.
const LUA_LIB: &str = include_str!("lua/lib.lua");

struct Scripts {
    add: redis::Script,
    cancel: redis::Script,
    cycle: redis::Script,
    dedup: redis::Script,
    stalled: redis::Script,
    release: redis::Script,
    pause: redis::Script,
    remove: redis::Script,
    drain: redis::Script,
    clean: redis::Script,
    obliterate: redis::Script,
    retry: redis::Script,
    promote: redis::Script,
    rate_limit_ttl: redis::Script,
    update_data: redis::Script,
    change_delay: redis::Script,
    change_priority: redis::Script,
    extend_locks: redis::Script,
    update_progress: redis::Script,
    add_log: redis::Script,
    upsert_scheduler: redis::Script,
    advance_scheduler: redis::Script,
    remove_scheduler: redis::Script,
    schedulers: redis::Script,
}

/// A script that moves jobs: it takes the queue's standard keys and uses lib.lua. Its
/// body runs as a function so that, however it returns, the events it held back are
/// written before the script ends.
fn queue_script(body: &str) -> redis::Script {
    redis::Script::new(&format!(
        "{LUA_LIB}\nlocal function body()\n{body}\nend\nlocal result = body()\nflush_events()\nreturn result\n"
    ))
}

static SCRIPTS: LazyLock<Scripts> = LazyLock::new(|| Scripts {
    add: queue_script(include_str!("lua/add.lua")),
    cancel: queue_script(include_str!("lua/cancel.lua")),
    cycle: queue_script(include_str!("lua/cycle.lua")),
    dedup: queue_script(include_str!("lua/dedup.lua")),
    stalled: queue_script(include_str!("lua/stalled.lua")),
    release: queue_script(include_str!("lua/release.lua")),
    pause: queue_script(include_str!("lua/pause.lua")),
    remove: queue_script(include_str!("lua/remove.lua")),
    drain: queue_script(include_str!("lua/drain.lua")),
    clean: queue_script(include_str!("lua/clean.lua")),
    obliterate: queue_script(include_str!("lua/obliterate.lua")),
    retry: queue_script(include_str!("lua/retry.lua")),
    promote: queue_script(include_str!("lua/promote.lua")),
    rate_limit_ttl: queue_script(include_str!("lua/rate_limit_ttl.lua")),
    update_data: redis::Script::new(include_str!("lua/update_data.lua")),
    change_delay: queue_script(include_str!("lua/change_delay.lua")),
    change_priority: queue_script(include_str!("lua/change_priority.lua")),
    extend_locks: redis::Script::new(include_str!("lua/extend_locks.lua")),
    update_progress: redis::Script::new(include_str!("lua/update_progress.lua")),
    add_log: redis::Script::new(include_str!("lua/add_log.lua")),
    upsert_scheduler: queue_script(include_str!("lua/upsert_scheduler.lua")),
    advance_scheduler: queue_script(include_str!("lua/advance_scheduler.lua")),
    remove_scheduler: queue_script(include_str!("lua/remove_scheduler.lua")),
    schedulers: queue_script(include_str!("lua/schedulers.lua")),
});

/// Most jobs one script call takes or finishes: keeps each call short, so other
/// clients of the same Redis are not held up.
pub const MAX_BATCH: usize = 1000;

#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    keys: QueueKeys,
    /// This store's share of the process-wide connection to its Redis; `None` once
    /// closed.
    lease: Mutex<Option<Lease>>,
    /// The shared connection (the lease's link), for every non-blocking call.
    link: Arc<Link>,
    /// Dedicated connection for BZPOPMIN, made on first use (workers only).
    blocking: OnceCell<Arc<Link>>,
    /// A key only this store's blocking wait listens on besides the marker: closing
    /// sets it, so a wait in progress ends at once and its connection can be closed.
    wake_key: String,
    /// The same for a blocking read of the event stream (a stream, as XREAD wants).
    wake_events_key: String,
    /// Which blocking calls this store made: what `stop_waiting` must end.
    waited_for_work: AtomicBool,
    read_events: AtomicBool,
    /// The event stream's length cap, as the scripts take it ("0": no events).
    events_max_len: String,
    /// The worker this store serves, by `name` (its blocking connection carries it).
    worker_name: std::sync::OnceLock<String>,
    /// The link listeners that hear this store's cancel requests (its worker's).
    cancel_listeners: Mutex<Vec<u64>>,
}

/// Whether a failed call may have changed anything, which decides how its error reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Call {
    /// Reads, and worker calls whose effects the worker itself reconciles (a lost
    /// answer: finishes are sent again and recognised, taken jobs are given back).
    Plain,
    /// A write whose caller must learn the truth: after it was sent, a lost answer
    /// is `ERR_OUTCOME_UNKNOWN`, never a "not stored" connection error.
    Write,
}

/// Runs one Redis request on connection `generation` of `link` within `limit`. A
/// connection that failed, or gave no answer in time, is dropped for the next calls.
async fn bounded<T>(
    link: &Link,
    generation: u64,
    call: Call,
    limit: Duration,
    request: impl Future<Output = redis::RedisResult<T>>,
) -> Result<T> {
    let sent = |detail: String| match call {
        Call::Plain => Error::Connection(detail),
        Call::Write => Error::OutcomeUnknown(detail),
    };
    match tokio::time::timeout(limit, request).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => {
            link.failed(generation, &err);
            match Error::from(err) {
                Error::Connection(detail) => Err(sent(detail)),
                other => Err(other),
            }
        }
        Err(_) => {
            link.forget(generation);
            Err(sent(format!(
                "no answer from Redis within {} ms",
                limit.as_millis()
            )))
        }
    }
}

fn parse<T: FromRedisValue>(value: Value) -> Result<T> {
    redis::from_redis_value(value).map_err(|e| Error::Corrupt(e.to_string()))
}

/// The error of a call made in steps (`clean`, `obliterate`) whose step failed with
/// `err`: once earlier steps removed jobs, "not stored" would not be true.
fn step_failed(call: &str, removed: usize, err: Error) -> Error {
    if removed == 0 {
        return err;
    }
    Error::OutcomeUnknown(format!("{call} removed {removed} jobs, then failed: {err}"))
}

/// A job's own `removeOnFail` as its hash stores it ("count age"; '' for none).
fn keep_rule(keep: Option<KeepJobs>) -> String {
    keep.map_or(String::new(), |keep| {
        let (count, age) = keep_args(&keep);
        format!("{count} {age}")
    })
}

/// Reads `{id, {field, value, …}, …}` (schedulers.lua) into scheduler records.
fn read_schedulers(values: Vec<(String, HashMap<String, String>)>) -> Vec<SchedulerRecord> {
    values
        .into_iter()
        .map(|(id, mut fields)| {
            let mut take = |name: &str| fields.remove(name);
            SchedulerRecord {
                id,
                repeat: take("repeat").unwrap_or_default(),
                name: take("name").unwrap_or_default(),
                data: take("data").unwrap_or_else(|| "{}".into()),
                opts: take("opts").unwrap_or_else(|| "{}".into()),
                iteration_count: take("ic").and_then(|n| n.parse().ok()).unwrap_or(0),
                job: take("job"),
                next: take("next").and_then(|n| n.parse().ok()),
            }
        })
        .collect()
}

/// Keep rule as the scripts take it: (count, age); -1 means "no limit", count 0 "remove".
fn keep_args(keep: &KeepJobs) -> (i64, i64) {
    match keep {
        KeepJobs::All => (-1, -1),
        KeepJobs::Nothing => (0, -1),
        KeepJobs::Some { count, age_secs } => (
            count.map_or(-1, |c| c.min(i64::MAX as u64) as i64),
            age_secs.map_or(-1, |a| a.min(i64::MAX as u64) as i64),
        ),
    }
}

/// Reads `{id, values, id, values, …}` pairs (values of [`ACTIVE_FIELDS`]) into
/// active jobs.
fn read_jobs(
    values: impl Iterator<Item = Value>,
    token: &str,
    now: u64,
    worker_name: Option<&str>,
) -> Result<Vec<ActiveJob>> {
    let mut jobs = Vec::new();
    let mut values = values;
    while let (Some(id), Some(fields)) = (values.next(), values.next()) {
        let id: String = parse(id)?;
        let mut record = record::from_active_fields(id, parse(fields)?)?;
        record.processed_on = Some(now);
        record.processed_by = worker_name.map(str::to_string);
        record.state = Some(JobState::Active.as_str().to_string());
        jobs.push(ActiveJob {
            record,
            token: token.to_string(),
        });
    }
    Ok(jobs)
}

/// Text of a reply value (bulk, simple or verbatim string).
fn text(value: Value) -> Result<String> {
    match value {
        Value::BulkString(bytes) => {
            String::from_utf8(bytes).map_err(|e| Error::Corrupt(e.to_string()))
        }
        Value::SimpleString(text) => Ok(text),
        Value::VerbatimString { text, .. } => Ok(text),
        other => Err(Error::Corrupt(format!("expected text, got {other:?}"))),
    }
}

/// The (stream, entries) pairs of an XREAD reply: a map in RESP3, pairs in RESP2;
/// none when the read timed out.
fn streams_of(reply: Value) -> Result<Vec<(String, Value)>> {
    match reply {
        Value::Nil => Ok(Vec::new()),
        Value::Map(pairs) => pairs
            .into_iter()
            .map(|(stream, entries)| Ok((text(stream)?, entries)))
            .collect(),
        Value::Array(streams) => streams
            .into_iter()
            .map(|pair| match pair {
                Value::Array(mut pair) if pair.len() == 2 => {
                    let entries = pair.pop().unwrap_or(Value::Nil);
                    Ok((text(pair.pop().unwrap_or(Value::Nil))?, entries))
                }
                other => Err(Error::Corrupt(format!("unexpected XREAD reply {other:?}"))),
            })
            .collect(),
        other => Err(Error::Corrupt(format!("unexpected XREAD reply {other:?}"))),
    }
}

/// Stream entries (`[[id, [field, value, …]], …]`) as [`EventEntry`]s.
fn stream_entries(entries: Value) -> Result<Vec<EventEntry>> {
    let Value::Array(entries) = entries else {
        return Ok(Vec::new());
    };
    let mut events = Vec::new();
    for entry in entries {
        let Value::Array(mut entry) = entry else {
            return Err(Error::Corrupt("a stream entry is not an array".into()));
        };
        if entry.len() != 2 {
            return Err(Error::Corrupt("a stream entry is not [id, fields]".into()));
        }
        let flat = entry.pop().unwrap_or(Value::Nil);
        let id = text(entry.pop().unwrap_or(Value::Nil))?;
        let pairs: Vec<(Value, Value)> = match flat {
            Value::Array(flat) => {
                let mut flat = flat.into_iter();
                std::iter::from_fn(|| Some((flat.next()?, flat.next()?))).collect()
            }
            Value::Map(pairs) => pairs,
            _ => Vec::new(),
        };
        let mut fields = Vec::with_capacity(pairs.len());
        for (name, value) in pairs {
            fields.push((text(name)?, text(value)?));
        }
        split_entry(&id, fields, &mut events);
    }
    Ok(events)
}

/// One stream entry as events: `event <name>`, then either one event's fields or
/// several events' fields one after another, each starting with `jobId` (lib.lua
/// writes a run of job events so). Each event gets an id of its own, so that reading
/// on after any of them skips none: the last one the entry's id, the earlier ones
/// `<entry id>#<index>` (see `EventCursor`).
fn split_entry(id: &str, fields: Vec<(String, String)>, events: &mut Vec<EventEntry>) {
    let mut fields = fields.into_iter();
    let Some(name) = fields.next() else { return };
    let first = events.len();
    let mut current: Vec<(String, String)> = vec![name.clone()];
    for (key, value) in fields {
        if key == "jobId" && current.len() > 1 {
            let next = vec![name.clone()];
            events.push(EventEntry {
                id: format!("{id}#{}", events.len() - first),
                fields: std::mem::replace(&mut current, next),
            });
        }
        current.push((key, value));
    }
    events.push(EventEntry {
        id: id.to_string(),
        fields: current,
    });
}

/// Where a read of the event stream resumes: after entry `entry`, or, for an event
/// that shares its entry (`<entry>#<index>`), after that event of the entry.
struct EventCursor<'a> {
    entry: &'a str,
    /// Events of `entry` already delivered, when only some were.
    delivered: Option<usize>,
}

impl<'a> EventCursor<'a> {
    fn parse(after: &'a str) -> Self {
        match after.split_once('#') {
            Some((entry, index)) => Self {
                entry,
                delivered: index.parse::<usize>().ok().map(|i| i + 1),
            },
            None => Self {
                entry: after,
                delivered: None,
            },
        }
    }

    /// The id to read after: the entry itself, or the one just before it (XREAD
    /// starts after the id it is given) when part of the entry remains.
    fn read_after(&self) -> String {
        if self.delivered.is_none() {
            return self.entry.to_string();
        }
        let (ms, seq) = self.entry.split_once('-').unwrap_or((self.entry, "0"));
        match (ms.parse::<u64>(), seq.parse::<u64>()) {
            (Ok(ms), Ok(seq)) if seq > 0 => format!("{ms}-{}", seq - 1),
            (Ok(ms), Ok(_)) if ms > 0 => format!("{}-{}", ms - 1, u64::MAX),
            _ => "0-0".into(),
        }
    }

    /// Drops the events of the resumed entry that were delivered already.
    fn skip_delivered(&self, events: &mut Vec<EventEntry>) {
        if let Some(delivered) = self.delivered {
            let of_entry = |e: &EventEntry| {
                e.id == self.entry || e.id.split_once('#').is_some_and(|(id, _)| id == self.entry)
            };
            let drop = events
                .iter()
                .take_while(|e| of_entry(e))
                .count()
                .min(delivered);
            events.drain(..drop);
        }
    }
}

/// Values at least this large are checked against Redis' `proto-max-bulk-len` before
/// they are sent (Redis drops the connection on a longer one).
const CHECK_BULK_FROM: usize = 1 << 20;

/// How long an add may take: the command timeout, plus time to move its bytes at a
/// slow 8 MiB/s, so a large job is not reported lost while it is still being sent.
fn add_time_limit(command_timeout: Duration, bytes: usize) -> Duration {
    command_timeout + Duration::from_millis((bytes as u64) / (8 << 10))
}

impl RedisStore {
    /// Creates the store of queue `queue_name` under `prefix`, with the default
    /// options otherwise (see [`RedisStore::open`]).
    pub fn new(spec: &ConnectionSpec, prefix: &str, queue_name: &str) -> Result<Self> {
        let options = QueueOptions {
            name: queue_name.into(),
            prefix: prefix.into(),
            ..Default::default()
        };
        Self::open(spec, &options)
    }

    /// Creates the store without connecting; the first call connects, over the
    /// connection this process shares for `spec`'s address.
    pub fn open(spec: &ConnectionSpec, options: &QueueOptions) -> Result<Self> {
        let lease = Lease::acquire(spec)?;
        let keys = QueueKeys::new(&options.prefix, &options.name);
        let reader_id = uuid::Uuid::new_v4().simple().to_string();
        Ok(Self {
            inner: Arc::new(Inner {
                wake_key: keys.wake(&reader_id),
                wake_events_key: keys.wake_events(&reader_id),
                waited_for_work: AtomicBool::new(false),
                read_events: AtomicBool::new(false),
                keys,
                link: lease.link().clone(),
                lease: Mutex::new(Some(lease)),
                blocking: OnceCell::new(),
                events_max_len: options.events_max_len.to_string(),
                worker_name: std::sync::OnceLock::new(),
                cancel_listeners: Mutex::new(Vec::new()),
            }),
        })
    }

    pub fn keys(&self) -> &QueueKeys {
        &self.inner.keys
    }

    fn is_closed(&self) -> bool {
        self.inner
            .lease
            .lock()
            .map_or(true, |lease| lease.is_none())
    }

    /// The shared connection; an error here means nothing was sent.
    async fn conn(&self) -> Result<Conn> {
        if self.is_closed() {
            return Err(Error::Closed("queue"));
        }
        self.inner.link.conn().await
    }

    async fn blocking_link(&self) -> Result<&Arc<Link>> {
        if self.is_closed() {
            return Err(Error::Closed("worker"));
        }
        Ok(self
            .inner
            .blocking
            .get_or_init(|| async {
                let name = self.inner.worker_name.get();
                let label = name.map(|name| self.keys().worker_client_name(name));
                self.inner.link.sibling(label)
            })
            .await)
    }

    /// Marks this store as a worker's (`name` may be empty) and opens its blocking
    /// connection, named so that `workers()` lists the worker from now on.
    pub async fn serve_worker(&self, name: &str) -> Result<()> {
        let _ = self.inner.worker_name.set(name.to_string());
        self.blocking_link().await?.conn().await.map(drop)
    }

    /// Sends a blocking command (it waits up to `wait` in Redis) on this store's own
    /// blocking connection, bounded by `wait` plus the command timeout.
    async fn block<T: FromRedisValue>(&self, cmd: &redis::Cmd, wait: Duration) -> Result<T> {
        let link = self.blocking_link().await?;
        let Conn {
            generation,
            mut conn,
        } = link.conn().await?;
        let limit = wait + link.command_timeout();
        bounded(
            link,
            generation,
            Call::Plain,
            limit,
            cmd.query_async(&mut conn),
        )
        .await
    }

    /// Sends one request on the shared connection, bounded by `limit`.
    async fn send<T, F>(
        &self,
        call: Call,
        limit: Duration,
        request: impl FnOnce(MultiplexedConnection) -> F,
    ) -> Result<T>
    where
        F: Future<Output = redis::RedisResult<T>>,
    {
        let Conn { generation, conn } = self.conn().await?;
        bounded(&self.inner.link, generation, call, limit, request(conn)).await
    }

    async fn run<T: FromRedisValue>(
        &self,
        call: Call,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> Result<T> {
        let limit = self.inner.link.command_timeout();
        self.send(call, limit, |mut conn| async move {
            invocation.invoke_async(&mut conn).await
        })
        .await
    }

    async fn query<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T> {
        let limit = self.inner.link.command_timeout();
        self.send(Call::Plain, limit, |mut conn| async move {
            cmd.query_async(&mut conn).await
        })
        .await
    }

    async fn pipeline<T: FromRedisValue>(&self, pipe: &redis::Pipeline) -> Result<T> {
        let limit = self.inner.link.command_timeout();
        self.send(Call::Plain, limit, |mut conn| async move {
            pipe.query_async(&mut conn).await
        })
        .await
    }

    /// An invocation of a queue script with its standard keys and arguments (lib.lua).
    fn invoke<'a>(&self, script: &'a redis::Script) -> redis::ScriptInvocation<'a> {
        let keys = self.keys();
        let mut inv = script.prepare_invoke();
        for key in keys.standard() {
            inv.key(key);
        }
        inv.arg(keys.job_prefix())
            .arg(keys.logs_prefix())
            .arg(&self.inner.events_max_len);
        inv
    }

    /// Runs a script that moves jobs `count` a step until a step moves fewer (all of
    /// them), or once for the one job `id`: its -1 is a job not `needs` (it cannot be
    /// `action`), its 0 a job that is gone. Returns how many moved.
    async fn in_steps<'a>(
        &self,
        id: Option<&str>,
        count: u64,
        needs: &str,
        action: &str,
        step: impl Fn(u64) -> redis::ScriptInvocation<'a>,
    ) -> Result<u64> {
        let count = count.max(1);
        let mut moved = 0;
        loop {
            let n = self.run::<i64>(Call::Write, &step(count)).await?;
            match (id, n) {
                (Some(id), -1) => {
                    return Err(Error::JobState {
                        id: id.to_string(),
                        needs: needs.to_string(),
                        action: action.to_string(),
                    })
                }
                (Some(id), 0) => return Err(Error::JobNotFound(id.to_string())),
                (Some(_), n) => return Ok(n as u64),
                (None, n) => {
                    moved += n.max(0) as u64;
                    if (n as u64) < count {
                        return Ok(moved);
                    }
                }
            }
        }
    }

    /// Where waiting jobs are listed: as `paused` while the queue is paused, else as
    /// `waiting` (BullMQ's view). Returns the state to read (`Waiting` for either), or
    /// `None` when the state asked for is empty now.
    async fn listed(&self, state: JobState) -> Result<Option<JobState>> {
        match state {
            JobState::Waiting | JobState::Paused => {
                let now = if self.is_paused().await? {
                    JobState::Paused
                } else {
                    JobState::Waiting
                };
                Ok((now == state).then_some(JobState::Waiting))
            }
            other => Ok(Some(other)),
        }
    }

    /// Refuses a job with a value longer than Redis accepts in one piece
    /// (`proto-max-bulk-len`), before anything is sent. Asks Redis once, and only
    /// when a large value comes.
    async fn check_bulk_lengths(&self, jobs: &[NewJob]) -> Result<()> {
        let largest = jobs
            .iter()
            .flat_map(|job| {
                [
                    ("data", job.data.len()),
                    ("opts", job.opts_json.len()),
                    ("name", job.name.len()),
                ]
            })
            .max_by_key(|(_, len)| *len);
        let Some((field, len)) = largest.filter(|(_, len)| *len >= CHECK_BULK_FROM) else {
            return Ok(());
        };
        match self.inner.link.bulk_limit().await {
            Some(limit) if len as u64 > limit => Err(Error::PayloadTooLarge {
                field: field.into(),
                size: len as u64,
                limit,
                setting: "proto-max-bulk-len (Redis)".into(),
            }),
            _ => Ok(()),
        }
    }

    /// Writes a change of the queue's limits (`pipe`, atomic) and wakes one idle
    /// worker: workers held back by the old limits may take jobs now (the woken one
    /// passes the signal on while jobs remain).
    async fn change_limits(&self, mut pipe: redis::Pipeline) -> Result<()> {
        pipe.zadd(self.keys().marker(), "0", 0).ignore();
        let limit = self.inner.link.command_timeout();
        self.send(Call::Write, limit, |mut conn| async move {
            pipe.query_async::<()>(&mut conn).await
        })
        .await
    }

    /// Closes this store's connections: a blocking wait in progress is woken and its
    /// connection closed; the shared connection is closed when no other queue or
    /// worker of this process uses it. Resolves once Redis has let go of them.
    pub async fn close(&self) {
        // A wait in progress would hold QUIT back: end it first.
        self.stop_waiting().await;
        let listeners = self
            .inner
            .cancel_listeners
            .lock()
            .map(|mut listeners| std::mem::take(&mut *listeners))
            .unwrap_or_default();
        for listener in listeners {
            let channel = self.keys().cancel_channel();
            self.inner.link.stop_listening(&channel, listener).await;
        }
        let blocking = self.inner.blocking.get();
        let lease = self
            .inner
            .lease
            .lock()
            .ok()
            .and_then(|mut lease| lease.take());
        let Some(lease) = lease else { return };
        if let Some(blocking) = blocking {
            blocking.close().await;
        }
        lease.release().await;
    }
}

impl Store for RedisStore {
    const MAX_BATCH: usize = MAX_BATCH;

    async fn add(&self, jobs: &[NewJob]) -> Result<Vec<Added>> {
        self.check_bulk_lengths(jobs).await?;
        let mut inv = self.invoke(&SCRIPTS.add);
        inv.arg(jobs.len());
        let mut bytes = 0;
        for job in jobs {
            bytes += job.data.len() + job.opts_json.len() + job.name.len();
            inv.arg(job.opts.job_id.as_deref().unwrap_or(""))
                .arg(&job.name)
                .arg(&job.data)
                .arg(&job.opts_json)
                .arg(job.opts.delay)
                .arg(job.opts.priority)
                .arg(if job.opts.lifo { "1" } else { "0" })
                .arg(job.timestamp)
                .arg(keep_rule(job.opts.remove_on_fail));
            match &job.opts.deduplication {
                Some(dedup) => inv
                    .arg(&dedup.id)
                    .arg(self.keys().dedup(&dedup.id))
                    .arg(dedup.ttl.unwrap_or(0))
                    .arg(if dedup.extend { "1" } else { "0" })
                    .arg(if dedup.replace { "1" } else { "0" }),
                None => inv.arg("").arg("").arg(0).arg("0").arg("0"),
            };
        }
        let limit = add_time_limit(self.inner.link.command_timeout(), bytes);
        let flat: Vec<(String, i64, String)> = self
            .send(Call::Write, limit, |mut conn| async move {
                inv.invoke_async(&mut conn).await
            })
            .await?;
        flat.into_iter()
            .map(|(id, existed, state)| {
                Ok(Added {
                    id,
                    existed: existed == 1,
                    deduplicated: existed == 2,
                    state: if existed != 0 {
                        JobState::Unknown
                    } else {
                        JobState::parse(&state).map_err(|_| {
                            Error::Corrupt(format!("add.lua gave the state {state:?}"))
                        })?
                    },
                })
            })
            .collect()
    }

    async fn cycle(&self, request: &CycleRequest) -> Result<CycleResult> {
        let now = now_ms();
        let mut inv = self.invoke(&SCRIPTS.cycle);
        inv.arg(now)
            .arg(request.fetch.min(MAX_BATCH as u32))
            .arg(&request.token)
            .arg(request.lock_duration)
            .arg(if request.pass_on_wakeup { "1" } else { "0" })
            .arg(request.finished.len());
        for finish in &request.finished {
            inv.arg(&finish.lock.id)
                .arg(&finish.lock.token)
                .arg(match finish.kind {
                    FinishKind::Complete { .. } => "c",
                    FinishKind::Retry { .. } => "r",
                    FinishKind::Requeue => "w",
                    FinishKind::Fail {
                        exhausted: true, ..
                    } => "e",
                    FinishKind::Fail { .. } => "f",
                });
            let (delay, (keep_count, keep_age)) = match &finish.kind {
                FinishKind::Complete { returnvalue, keep } => {
                    inv.arg(returnvalue).arg("");
                    (0, keep_args(keep))
                }
                FinishKind::Retry {
                    reason,
                    stacktrace,
                    delay,
                } => {
                    inv.arg(reason).arg(stacktrace);
                    (*delay, (-1, -1))
                }
                FinishKind::Fail {
                    reason,
                    stacktrace,
                    keep,
                    ..
                } => {
                    inv.arg(reason).arg(stacktrace);
                    (0, keep_args(keep))
                }
                FinishKind::Requeue => {
                    inv.arg("").arg("");
                    (0, (-1, -1))
                }
            };
            inv.arg(finish.attempts_made)
                .arg(delay)
                .arg(keep_count)
                .arg(keep_age)
                .arg(
                    finish
                        .release_dedup
                        .as_deref()
                        .map_or(String::new(), |id| self.keys().dedup(id)),
                );
        }
        inv.arg(ACTIVE_FIELDS.len());
        for field in ACTIVE_FIELDS {
            inv.arg(field);
        }
        inv.arg(request.reclaim.len());
        for token in &request.reclaim {
            inv.arg(token);
        }
        let (rate_max, rate_duration) = request
            .rate_limit
            .map_or((0, 0), |limit| (limit.max, limit.duration));
        inv.arg(rate_max).arg(rate_duration);
        // Run times only for a worker that records metrics (cycle.lua reads them only
        // then); the slots stay, so the arguments after them keep their places.
        let (buckets, total) = match request.metrics_points {
            Some(_) => crate::metrics::durations(&request.finished, now),
            None => Default::default(),
        };
        inv.arg(request.metrics_points.unwrap_or(0)).arg(total);
        for bucket in buckets {
            inv.arg(bucket);
        }
        inv.arg(request.worker_name.as_deref().unwrap_or(""));
        let reply: Vec<Value> = self.run(Call::Plain, &inv).await?;
        let mut reply = reply.into_iter();
        let flags: Vec<Value> = parse(reply.next().unwrap_or(Value::Nil))?;
        let next_delayed: i64 = parse(reply.next().unwrap_or(Value::Int(-1)))?;
        let limited: i64 = parse(reply.next().unwrap_or(Value::Int(0)))?;
        Ok(CycleResult {
            finished: flags
                .into_iter()
                .map(|flag| match flag {
                    Value::Int(1) => Ok(Stored::AsSent),
                    Value::Int(_) => Ok(Stored::LockLost),
                    reason => parse(reason).map(Stored::Cancelled),
                })
                .collect::<Result<_>>()?,
            next_delayed: u64::try_from(next_delayed).ok(),
            paused: limited == 1,
            maxed: limited == 2,
            rate_limited: limited == 3,
            jobs: read_jobs(reply, &request.token, now, request.worker_name.as_deref())?,
        })
    }

    async fn extend_locks(&self, locks: &[Lock], lock_duration: u64) -> Result<Renewal> {
        let keys = self.keys();
        let mut renewal = Renewal::default();
        for chunk in locks.chunks(MAX_BATCH) {
            let mut inv = SCRIPTS.extend_locks.prepare_invoke();
            inv.key(keys.active())
                .key(keys.locks())
                .key(keys.cancels())
                .arg(now_ms().saturating_add(lock_duration));
            for lock in chunk {
                inv.arg(&lock.id).arg(&lock.token);
            }
            let (lost, cancelled): (Vec<String>, Vec<(String, String)>) =
                self.run(Call::Plain, &inv).await?;
            renewal.lost.extend(lost);
            renewal.cancelled.extend(
                cancelled
                    .into_iter()
                    .map(|(id, reason)| CancelRequest { id, reason }),
            );
        }
        Ok(renewal)
    }

    async fn cancel(&self, id: &str, reason: &str) -> Result<Cancelled> {
        let mut inv = self.invoke(&SCRIPTS.cancel);
        inv.arg(id)
            .arg(reason)
            .arg(now_ms())
            .arg(self.keys().cancel_channel());
        match self.run::<Value>(Call::Write, &inv).await? {
            Value::Int(1) => Ok(Cancelled::Failed),
            Value::Int(2) => Ok(Cancelled::Requested),
            Value::Int(_) => Err(Error::JobNotFound(id.to_string())),
            state => Err(Error::JobState {
                id: id.to_string(),
                needs: format!(
                    "waiting, delayed or active (it is {})",
                    parse::<String>(state)?
                ),
                action: "cancelled".into(),
            }),
        }
    }

    fn cancel_requests(&self) -> tokio::sync::mpsc::UnboundedReceiver<CancelRequest> {
        let (listener, mut messages) = self.inner.link.listen(&self.keys().cancel_channel());
        if let Ok(mut listeners) = self.inner.cancel_listeners.lock() {
            listeners.push(listener);
        }
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(payload) = messages.recv().await {
                // Published by cancel.lua as [id, reason]; anything else is not ours.
                if let Ok((id, reason)) = serde_json::from_slice::<(String, String)>(&payload) {
                    if tx.send(CancelRequest { id, reason }).is_err() {
                        return;
                    }
                }
            }
        });
        rx
    }

    async fn recover_stalled(
        &self,
        max_stalled_count: u32,
        interval: u64,
        keep_failed: KeepJobs,
    ) -> Result<StalledReport> {
        let (keep_count, keep_age) = keep_args(&keep_failed);
        let mut inv = self.invoke(&SCRIPTS.stalled);
        inv.arg(now_ms())
            .arg(max_stalled_count)
            // A little under the interval, so a worker whose timer fires a hair early
            // (clocks differ) does not skip every other pass.
            .arg((interval * 9 / 10).max(1))
            .arg(keep_count)
            .arg(keep_age);
        let (recovered, failed): (Vec<String>, Vec<String>) = self.run(Call::Plain, &inv).await?;
        Ok(StalledReport { recovered, failed })
    }

    async fn release(&self, locks: &[Lock]) -> Result<()> {
        for chunk in locks.chunks(MAX_BATCH) {
            let mut inv = self.invoke(&SCRIPTS.release);
            inv.arg(now_ms());
            for lock in chunk {
                inv.arg(&lock.id).arg(&lock.token);
            }
            self.run::<i64>(Call::Plain, &inv).await?;
        }
        Ok(())
    }

    async fn wait_for_work(&self, timeout: Duration) -> Result<()> {
        self.inner.waited_for_work.store(true, Ordering::Relaxed);
        // BZPOPMIN takes seconds; a zero timeout would block forever.
        let secs = timeout.as_secs_f64().max(0.01);
        let cmd = redis::cmd("BZPOPMIN")
            .arg(self.keys().marker())
            .arg(&self.inner.wake_key)
            .arg(format!("{secs:.3}"))
            .to_owned();
        self.block::<Value>(&cmd, timeout).await.map(drop)
    }

    async fn stop_waiting(&self) {
        if self.is_closed() {
            return;
        }
        // Set the keys only this store's waits listen on; they expire by themselves
        // when no wait takes them.
        let mut wake = redis::pipe();
        let mut any = false;
        if self.inner.waited_for_work.load(Ordering::Relaxed) {
            any = true;
            wake.cmd("ZADD")
                .arg(&self.inner.wake_key)
                .arg(0)
                .arg("stop");
            wake.cmd("PEXPIRE").arg(&self.inner.wake_key).arg(1000);
        }
        if self.inner.read_events.load(Ordering::Relaxed) {
            any = true;
            wake.cmd("XADD")
                .arg(&self.inner.wake_events_key)
                .arg("*")
                .arg("stop")
                .arg("1");
            wake.cmd("PEXPIRE")
                .arg(&self.inner.wake_events_key)
                .arg(1000);
        }
        if any {
            let _ = self.pipeline::<Value>(&wake).await;
        }
    }

    async fn last_event_id(&self) -> Result<String> {
        let newest: Value = self
            .query(
                redis::cmd("XREVRANGE")
                    .arg(self.keys().events())
                    .arg("+")
                    .arg("-")
                    .arg("COUNT")
                    .arg(1),
            )
            .await?;
        Ok(stream_entries(newest)?
            .into_iter()
            .next()
            .map_or_else(|| "0-0".to_string(), |entry| entry.id))
    }

    async fn read_events(
        &self,
        after: &str,
        block: Duration,
        count: usize,
    ) -> Result<Vec<EventEntry>> {
        self.inner.read_events.store(true, Ordering::Relaxed);
        let events = self.keys().events();
        let cursor = EventCursor::parse(after);
        // Blocks on the events and on this reader's own wake stream (new entries only),
        // which closing sets.
        let cmd = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(count)
            .arg("BLOCK")
            .arg(block.as_millis().max(1) as u64)
            .arg("STREAMS")
            .arg(&events)
            .arg(&self.inner.wake_events_key)
            .arg(cursor.read_after())
            .arg("$")
            .to_owned();
        let reply: Value = self.block(&cmd, block).await?;
        let mut entries = Vec::new();
        for (stream, stream_reply) in streams_of(reply)? {
            if stream == events {
                entries.extend(stream_entries(stream_reply)?);
            }
        }
        cursor.skip_delivered(&mut entries);
        Ok(entries)
    }

    async fn ping(&self) -> Result<()> {
        self.query::<String>(&redis::cmd("PING")).await.map(drop)
    }

    async fn get_job(&self, id: &str) -> Result<Option<JobRecord>> {
        let mut jobs = self.get_jobs(&[id.to_string()]).await?;
        Ok(jobs.pop().flatten())
    }

    async fn get_jobs(&self, ids: &[String]) -> Result<Vec<Option<JobRecord>>> {
        let mut jobs = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(MAX_BATCH) {
            let mut pipe = redis::pipe();
            for id in chunk {
                pipe.cmd("HGETALL").arg(self.keys().job(id));
            }
            let hashes: Vec<std::collections::HashMap<String, String>> =
                self.pipeline(&pipe).await?;
            for (id, fields) in chunk.iter().zip(hashes) {
                jobs.push(if fields.is_empty() {
                    None
                } else {
                    Some(record::from_hash(id.clone(), fields)?)
                });
            }
        }
        Ok(jobs)
    }

    async fn get_state(&self, id: &str) -> Result<JobState> {
        let state: Option<String> = self
            .query(redis::cmd("HGET").arg(self.keys().job(id)).arg("state"))
            .await?;
        Ok(state
            .and_then(|s| JobState::parse(&s).ok())
            .unwrap_or(JobState::Unknown))
    }

    async fn counts(&self, states: &[JobState]) -> Result<Vec<u64>> {
        let keys = self.keys();
        let mut pipe = redis::pipe();
        // While the queue is paused its waiting jobs count as `paused` (BullMQ's).
        pipe.cmd("HEXISTS").arg(keys.meta()).arg("paused");
        for state in states {
            match state {
                JobState::Waiting | JobState::Paused => pipe.cmd("LLEN").arg(keys.wait()),
                JobState::Active => pipe.cmd("ZCARD").arg(keys.active()),
                JobState::Completed => pipe.cmd("ZCARD").arg(keys.completed()),
                JobState::Failed => pipe.cmd("ZCARD").arg(keys.failed()),
                JobState::Delayed => pipe.cmd("ZCARD").arg(keys.delayed()),
                JobState::Prioritized => pipe.cmd("ZCARD").arg(keys.prioritized()),
                // No parent/child flows yet: nothing is in these.
                JobState::WaitingChildren | JobState::Unknown => pipe.cmd("ECHO").arg(0),
            };
        }
        let mut counts: Vec<u64> = self.pipeline(&pipe).await?;
        let paused = counts.remove(0) == 1;
        for (state, count) in states.iter().zip(counts.iter_mut()) {
            let hidden = match state {
                JobState::Waiting => paused,
                JobState::Paused => !paused,
                _ => false,
            };
            if hidden {
                *count = 0;
            }
        }
        Ok(counts)
    }

    async fn set_paused(&self, paused: bool) -> Result<bool> {
        let mut inv = self.invoke(&SCRIPTS.pause);
        inv.arg(if paused { "1" } else { "0" });
        Ok(self.run::<i64>(Call::Write, &inv).await? == 1)
    }

    async fn upsert_scheduler(
        &self,
        scheduler: &NewScheduler,
        timing: &UpsertTiming,
    ) -> Result<Option<(String, JobState)>> {
        let template = &scheduler.template;
        let mut inv = self.invoke(&SCRIPTS.upsert_scheduler);
        inv.arg(&scheduler.id)
            .arg(&scheduler.schedule_json)
            .arg(timing.first_due)
            .arg(timing.now)
            .arg(&template.name)
            .arg(&template.data)
            .arg(&scheduler.template_opts_json)
            .arg(&scheduler.job_opts.head)
            .arg(&scheduler.job_opts.middle)
            .arg(&scheduler.job_opts.tail)
            .arg(template.opts.priority)
            .arg(if template.opts.lifo { "1" } else { "0" })
            .arg(keep_rule(template.opts.remove_on_fail))
            .arg(
                scheduler
                    .schedule
                    .limit
                    .map_or(String::new(), |l| l.to_string()),
            )
            .arg(timing.following.map_or(String::new(), |d| d.to_string()))
            .arg(if timing.keeps_due { "1" } else { "0" });
        let made: Vec<String> = self.run(Call::Write, &inv).await?;
        match made.as_slice() {
            [] => Ok(None),
            [none, due] if none.is_empty() => Err(Error::JobState {
                id: format!("repeat:{}:{due}", scheduler.id),
                needs: "new".into(),
                action: "made again for the same due time (it ran or runs already); the scheduler was not changed".into(),
            }),
            [id, state] => Ok(Some((id.clone(), JobState::parse(state)?))),
            other => Err(Error::Corrupt(format!(
                "upsert_scheduler.lua gave {other:?}"
            ))),
        }
    }

    async fn advance_scheduler(&self, id: &str, from: &str, due: Option<u64>) -> Result<()> {
        let mut inv = self.invoke(&SCRIPTS.advance_scheduler);
        inv.arg(id)
            .arg(from)
            .arg(due.map_or(String::new(), |d| d.to_string()))
            .arg(now_ms());
        self.run::<i64>(Call::Write, &inv).await.map(drop)
    }

    async fn stuck_schedulers(&self, started_before: u64) -> Result<Vec<SchedulerRecord>> {
        let mut inv = self.invoke(&SCRIPTS.schedulers);
        inv.arg("stuck").arg(started_before);
        Ok(read_schedulers(self.run(Call::Write, &inv).await?))
    }

    async fn scheduler(&self, id: &str) -> Result<Option<SchedulerRecord>> {
        let mut inv = self.invoke(&SCRIPTS.schedulers);
        inv.arg("one").arg(id);
        Ok(read_schedulers(self.run(Call::Plain, &inv).await?).pop())
    }

    async fn schedulers(&self, start: i64, end: i64, asc: bool) -> Result<Vec<SchedulerRecord>> {
        let mut inv = self.invoke(&SCRIPTS.schedulers);
        inv.arg("range")
            .arg(start)
            .arg(end)
            .arg(if asc { "1" } else { "0" });
        Ok(read_schedulers(self.run(Call::Plain, &inv).await?))
    }

    async fn scheduler_count(&self) -> Result<u64> {
        self.query(redis::cmd("ZCARD").arg(self.keys().schedulers()))
            .await
    }

    async fn remove_scheduler(&self, id: &str) -> Result<bool> {
        let mut inv = self.invoke(&SCRIPTS.remove_scheduler);
        inv.arg(id);
        Ok(self.run::<i64>(Call::Write, &inv).await? == 1)
    }

    async fn remove_job(&self, id: &str) -> Result<()> {
        let mut inv = self.invoke(&SCRIPTS.remove);
        inv.arg(id);
        match self.run::<i64>(Call::Write, &inv).await? {
            1 => Ok(()),
            -1 => Err(Error::JobLocked(id.to_string())),
            -2 => Err(Error::JobState {
                id: id.to_string(),
                needs: "one its job scheduler is done with".into(),
                action: "removed while the scheduler waits on it (removeJobScheduler removes both)"
                    .into(),
            }),
            _ => Err(Error::JobNotFound(id.to_string())),
        }
    }

    async fn drain(&self, delayed: bool) -> Result<u64> {
        let mut inv = self.invoke(&SCRIPTS.drain);
        inv.arg(if delayed { "1" } else { "0" });
        self.run(Call::Write, &inv).await
    }

    async fn clean(&self, state: JobState, before: u64, limit: u64) -> Result<Vec<String>> {
        let Some(state) = self.listed(state).await? else {
            return Ok(Vec::new());
        };
        // In steps (clean.lua), each a short script call, from where the last one ended.
        let mut removed: Vec<String> = Vec::new();
        let mut cursor = 0i64;
        loop {
            let left = if limit == 0 {
                0
            } else {
                limit.saturating_sub(removed.len() as u64)
            };
            let mut inv = self.invoke(&SCRIPTS.clean);
            inv.arg(state.as_str())
                .arg(before)
                .arg(left)
                .arg(cursor)
                .arg(removed.len());
            let (ids, next): (Vec<String>, i64) = match self.run(Call::Write, &inv).await {
                Ok(step) => step,
                Err(err) => return Err(step_failed("clean", removed.len(), err)),
            };
            removed.extend(ids);
            if next < 0 {
                return Ok(removed);
            }
            cursor = next;
        }
    }

    async fn obliterate(&self, force: bool, count: u64) -> Result<()> {
        let mut removed = 0;
        loop {
            let mut inv = self.invoke(&SCRIPTS.obliterate);
            inv.arg(if force { "1" } else { "0" }).arg(count.max(1));
            match self.run::<i64>(Call::Write, &inv).await {
                Ok(-1) => return Err(Error::ActiveJobs),
                Ok(0) => return Ok(()),
                Ok(n) => removed += n as usize,
                // Calling obliterate again finishes the work.
                Err(err) => return Err(step_failed("obliterate", removed, err)),
            }
        }
    }

    async fn retry(
        &self,
        state: JobState,
        id: Option<&str>,
        resets: Resets,
        count: u64,
        before: u64,
    ) -> Result<u64> {
        let flag = |on: bool| if on { '1' } else { '0' };
        let resets = format!(
            "{}{}",
            flag(resets.attempts_made),
            flag(resets.attempts_started)
        );
        let needs = state.as_str();
        let steps = self.in_steps(id, count, needs, "retried", |count| {
            let mut inv = self.invoke(&SCRIPTS.retry);
            inv.arg(needs)
                .arg(&resets)
                .arg(id.unwrap_or(""))
                .arg(count)
                .arg(before);
            inv
        });
        steps.await
    }

    async fn promote(&self, id: Option<&str>, count: u64) -> Result<u64> {
        let steps = self.in_steps(id, count, "delayed", "promoted", |count| {
            let mut inv = self.invoke(&SCRIPTS.promote);
            inv.arg(id.unwrap_or("")).arg(count);
            inv
        });
        steps.await
    }

    async fn change_delay(&self, id: &str, delay: u64) -> Result<()> {
        let mut inv = self.invoke(&SCRIPTS.change_delay);
        inv.arg(id).arg(now_ms()).arg(delay);
        match self.run::<i64>(Call::Write, &inv).await? {
            1 => Ok(()),
            -1 => Err(Error::JobState {
                id: id.to_string(),
                needs: "delayed".into(),
                action: "given a new delay".into(),
            }),
            _ => Err(Error::JobNotFound(id.to_string())),
        }
    }

    async fn change_priority(&self, id: &str, priority: u32, lifo: bool) -> Result<()> {
        let mut inv = self.invoke(&SCRIPTS.change_priority);
        inv.arg(id).arg(priority).arg(if lifo { "1" } else { "0" });
        match self.run::<i64>(Call::Write, &inv).await? {
            1 => Ok(()),
            _ => Err(Error::JobNotFound(id.to_string())),
        }
    }

    async fn update_data(&self, id: &str, data: &str) -> Result<()> {
        let mut inv = SCRIPTS.update_data.prepare_invoke();
        inv.key(self.keys().job(id)).arg(data);
        match self.run::<i64>(Call::Write, &inv).await? {
            1 => Ok(()),
            _ => Err(Error::JobNotFound(id.to_string())),
        }
    }

    async fn workers(&self) -> Result<Vec<Vec<(String, String)>>> {
        let list: String = self.query(redis::cmd("CLIENT").arg("LIST")).await?;
        let prefix = self.keys().worker_client_prefix();
        Ok(list
            .lines()
            .filter_map(|line| {
                let mut fields: Vec<(String, String)> = line
                    .split(' ')
                    .filter_map(|pair| pair.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                let name = fields.iter_mut().find(|(k, _)| k == "name")?;
                name.1 = crate::keys::unhex(name.1.strip_prefix(&prefix)?)?;
                Some(fields)
            })
            .collect())
    }

    async fn is_paused(&self) -> Result<bool> {
        self.query(redis::cmd("HEXISTS").arg(self.keys().meta()).arg("paused"))
            .await
    }

    async fn set_global_concurrency(&self, limit: Option<u32>) -> Result<()> {
        let keys = self.keys();
        let mut pipe = redis::pipe();
        pipe.atomic();
        match limit {
            Some(limit) => pipe.hset(keys.meta(), "concurrency", limit).ignore(),
            None => pipe.hdel(keys.meta(), "concurrency").ignore(),
        };
        self.change_limits(pipe).await
    }

    async fn metrics(&self, state: JobState, start: i64, end: i64) -> Result<Metrics> {
        let (summary, data) = self.keys().metrics(state.as_str());
        let mut pipe = redis::pipe();
        pipe.cmd("HMGET")
            .arg(&summary)
            .arg("count")
            .arg("prevTS")
            .arg("prevCount")
            .cmd("LRANGE")
            .arg(&data)
            .arg(start)
            .arg(end)
            .cmd("LLEN")
            .arg(&data);
        type Summary = (Option<u64>, Option<u64>, Option<u64>);
        let ((count, prev_ts, prev_count), data, points): (Summary, Vec<u64>, u64) =
            self.pipeline(&pipe).await?;
        Ok(Metrics {
            count: count.unwrap_or(0),
            prev_ts: prev_ts.unwrap_or(0),
            prev_count: prev_count.unwrap_or(0),
            data,
            points,
        })
    }

    async fn run_times(&self) -> Result<([u64; 15], u64)> {
        let mut cmd = redis::cmd("HMGET");
        cmd.arg(self.keys().durations()).arg("sum");
        for i in 1..=15 {
            cmd.arg(format!("b{i}"));
        }
        let values: Vec<Option<u64>> = self.query(&cmd).await?;
        let mut buckets = [0u64; 15];
        for (bucket, value) in buckets.iter_mut().zip(values.iter().skip(1)) {
            *bucket = value.unwrap_or(0);
        }
        Ok((buckets, values.first().copied().flatten().unwrap_or(0)))
    }

    async fn dedup_job_id(&self, dedup_id: &str) -> Result<Option<String>> {
        let mut inv = self.invoke(&SCRIPTS.dedup);
        inv.arg(self.keys().dedup(dedup_id)).arg("get").arg("");
        self.run(Call::Plain, &inv).await
    }

    async fn remove_dedup(&self, dedup_id: &str, holder: Option<&str>) -> Result<bool> {
        let mut inv = self.invoke(&SCRIPTS.dedup);
        inv.arg(self.keys().dedup(dedup_id))
            .arg("remove")
            .arg(holder.unwrap_or(""));
        Ok(self.run::<i64>(Call::Write, &inv).await? == 1)
    }

    async fn set_global_rate_limit(&self, limit: Option<RateLimit>) -> Result<()> {
        let keys = self.keys();
        let mut pipe = redis::pipe();
        pipe.atomic();
        match limit {
            Some(limit) => pipe
                .hset_multiple(
                    keys.meta(),
                    &[
                        ("rateMax", limit.max as u64),
                        ("rateDuration", limit.duration),
                    ],
                )
                .ignore(),
            None => pipe
                .hdel(keys.meta(), &["rateMax", "rateDuration"])
                .ignore(),
        };
        self.change_limits(pipe).await
    }

    async fn global_rate_limit(&self) -> Result<Option<RateLimit>> {
        let cmd = redis::cmd("HMGET")
            .arg(self.keys().meta())
            .arg("rateMax")
            .arg("rateDuration")
            .to_owned();
        let (max, duration): (Option<u32>, Option<u64>) = self.query(&cmd).await?;
        Ok(max
            .zip(duration)
            .map(|(max, duration)| RateLimit { max, duration }))
    }

    async fn rate_limit_for(&self, ms: u64) -> Result<()> {
        let until = now_ms().saturating_add(ms);
        let cmd = redis::cmd("HSET")
            .arg(self.keys().meta())
            .arg("limitedUntil")
            .arg(until)
            .to_owned();
        let limit = self.inner.link.command_timeout();
        self.send(Call::Write, limit, |mut conn| async move {
            cmd.query_async::<()>(&mut conn).await
        })
        .await
    }

    async fn rate_limit_ttl(&self, limit: Option<RateLimit>) -> Result<u64> {
        let mut inv = self.invoke(&SCRIPTS.rate_limit_ttl);
        let (max, duration) = limit.map_or((0, 0), |l| (l.max, l.duration));
        inv.arg(now_ms()).arg(max).arg(duration);
        self.run(Call::Plain, &inv).await
    }

    async fn remove_rate_limit(&self) -> Result<()> {
        let keys = self.keys();
        let mut pipe = redis::pipe();
        pipe.atomic()
            .del(keys.limiter())
            .ignore()
            .hdel(keys.meta(), "limitedUntil")
            .ignore();
        self.change_limits(pipe).await
    }

    async fn global_concurrency(&self) -> Result<Option<u32>> {
        self.query(
            redis::cmd("HGET")
                .arg(self.keys().meta())
                .arg("concurrency"),
        )
        .await
    }

    async fn is_maxed(&self) -> Result<bool> {
        let Some(limit) = self.global_concurrency().await? else {
            return Ok(false);
        };
        let active: u64 = self
            .query(redis::cmd("ZCARD").arg(self.keys().active()))
            .await?;
        Ok(active >= u64::from(limit))
    }

    async fn job_ids(
        &self,
        state: JobState,
        start: i64,
        end: i64,
        asc: bool,
    ) -> Result<Vec<String>> {
        let keys = self.keys();
        let Some(state) = self.listed(state).await? else {
            return Ok(Vec::new());
        };
        let cmd = match state {
            // The wait list holds the newest job on the left: "asc" (oldest first) reads
            // it from the right, so the range is mirrored and the result reversed.
            JobState::Waiting => {
                if asc {
                    let mut ids: Vec<String> = self
                        .query(
                            redis::cmd("LRANGE")
                                .arg(keys.wait())
                                .arg(-1 - end)
                                .arg(-1 - start),
                        )
                        .await?;
                    ids.reverse();
                    return Ok(ids);
                }
                redis::cmd("LRANGE")
                    .arg(keys.wait())
                    .arg(start)
                    .arg(end)
                    .to_owned()
            }
            JobState::Paused | JobState::WaitingChildren | JobState::Unknown => return Ok(vec![]),
            zset_state => {
                let key = match zset_state {
                    JobState::Active => keys.active(),
                    JobState::Completed => keys.completed(),
                    JobState::Failed => keys.failed(),
                    JobState::Delayed => keys.delayed(),
                    _ => keys.prioritized(),
                };
                let mut cmd = redis::cmd("ZRANGE");
                cmd.arg(key).arg(start).arg(end);
                if !asc {
                    cmd.arg("REV");
                }
                cmd
            }
        };
        self.query(&cmd).await
    }

    async fn update_progress(&self, id: &str, progress: &str) -> Result<()> {
        let mut inv = SCRIPTS.update_progress.prepare_invoke();
        inv.key(self.keys().job(id))
            .key(self.keys().events())
            .arg(progress)
            .arg(id)
            .arg(&self.inner.events_max_len);
        match self.run::<i64>(Call::Write, &inv).await? {
            1 => Ok(()),
            _ => Err(Error::JobNotFound(id.to_string())),
        }
    }

    async fn add_log(&self, id: &str, line: &str) -> Result<u64> {
        let mut inv = SCRIPTS.add_log.prepare_invoke();
        inv.key(self.keys().job(id))
            .key(self.keys().logs(id))
            .arg(line);
        let count: i64 = self.run(Call::Write, &inv).await?;
        u64::try_from(count).map_err(|_| Error::JobNotFound(id.to_string()))
    }

    async fn logs(&self, id: &str, start: i64, end: i64, asc: bool) -> Result<(Vec<String>, u64)> {
        let key = self.keys().logs(id);
        let mut pipe = redis::pipe();
        if asc {
            pipe.cmd("LRANGE").arg(&key).arg(start).arg(end);
        } else {
            pipe.cmd("LRANGE").arg(&key).arg(-1 - end).arg(-1 - start);
        }
        pipe.cmd("LLEN").arg(&key);
        let (mut lines, count): (Vec<String>, u64) = self.pipeline(&pipe).await?;
        if !asc {
            lines.reverse();
        }
        Ok((lines, count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn an_entry_holding_a_run_of_job_events_splits_at_each_job_id() {
        let mut events = Vec::new();
        let run = pairs(&[
            ("event", "completed"),
            ("jobId", "1"),
            ("returnvalue", "jobId"),
            ("prev", "active"),
            ("jobId", "2"),
            ("returnvalue", "2"),
        ]);
        split_entry("5-0", run, &mut events);
        split_entry("6-0", pairs(&[("event", "drained")]), &mut events);
        let got: Vec<_> = events
            .iter()
            .map(|e| (e.id.as_str(), e.fields.clone()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "5-0#0",
                    pairs(&[
                        ("event", "completed"),
                        ("jobId", "1"),
                        ("returnvalue", "jobId"),
                        ("prev", "active")
                    ])
                ),
                (
                    "5-0",
                    pairs(&[("event", "completed"), ("jobId", "2"), ("returnvalue", "2")])
                ),
                ("6-0", pairs(&[("event", "drained")])),
            ]
        );
    }

    #[test]
    fn a_cursor_inside_an_entry_rereads_it_and_skips_what_was_delivered() {
        let cursor = EventCursor::parse("7-3#1");
        assert_eq!(cursor.read_after(), "7-2");
        assert_eq!(
            EventCursor::parse("7-0#0").read_after(),
            format!("6-{}", u64::MAX)
        );
        assert_eq!(EventCursor::parse("7-0").read_after(), "7-0");
        let mut events = Vec::new();
        let run = pairs(&[
            ("event", "active"),
            ("jobId", "1"),
            ("jobId", "2"),
            ("jobId", "3"),
        ]);
        split_entry("7-3", run, &mut events);
        split_entry("8-0", pairs(&[("event", "drained")]), &mut events);
        cursor.skip_delivered(&mut events);
        let ids: Vec<_> = events.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["7-3", "8-0"], "events 0 and 1 of 7-3 were delivered");
    }
}
