//! Every Redis key of a queue is built here and nowhere else.
//!
//! All keys of one queue share the hash tag `{<queue name>}`, so a queue lives in a
//! single Redis Cluster slot and every script may touch all of them.
//!
//! | key | type | holds |
//! | --- | --- | --- |
//! | `<p>:{q}:id` | string | counter for generated job ids |
//! | `<p>:{q}:wait` | list | waiting job ids; pushed left, taken from the right (FIFO) |
//! | `<p>:{q}:prioritized` | zset | prioritized job ids, score = priority · 2³¹ + sequence |
//! | `<p>:{q}:pc` | string | sequence keeping equal priorities FIFO |
//! | `<p>:{q}:delayed` | zset | delayed job ids, score = due time (ms) |
//! | `<p>:{q}:active` | zset | active job ids, score = lock deadline (ms) |
//! | `<p>:{q}:locks` | hash | active job id → lock token |
//! | `<p>:{q}:completed`, `failed` | zset | finished job ids, score = finishedOn |
//! | `<p>:{q}:marker` | zset | wake-up marker idle workers block on (`BZPOPMIN`) |
//! | `<p>:{q}:stalled-check` | string | gate: one stalled pass per interval across workers |
//! | `<p>:{q}:wake:<id>` | zset | wakes the blocking wait of one worker (set when it closes) |
//! | `<p>:{q}:wake-events:<id>` | stream | wakes the blocking read of one `QueueEvents` (set when it closes) |
//! | `<p>:{q}:meta` | hash | queue-wide settings: `paused` (set while paused), `concurrency` (global), `rateMax`/`rateDuration` (global rate limit), `limitedUntil` (`rateLimit(ms)`) |
//! | `<p>:{q}:cancels` | hash | active job id → cancel reason (`queue.cancel`), until the job ends |
//! | `<p>:{q}:limiter` | zset | the jobs started within the rate limit's window, score = start time (ms) |
//! | `<p>:{q}:metrics:completed`, `:failed` | hash | `count` (all finished so far), `prevTS` (the minute counted last), `prevCount` (count then) |
//! | `<p>:{q}:metrics:completed:data`, `:failed:data` | list | jobs finished per minute, newest first, at most `metrics.maxDataPoints` |
//! | `<p>:{q}:metrics:duration` | hash | attempts per run-time bucket (`b1`…`b15`, see metrics.rs) and `sum` (ms) |
//! | `<p>:{q}:cancel` | channel | cancel requests for active jobs, published to their workers |
//! | `<p>:{q}:events` | stream | the queue's events, capped (`streams.events.maxLen`); `QueueEvents` reads it |
//! | `<p>:{q}:de:<id>` | string | the job holding deduplication id `<id>` (with the ttl, if any) |
//! | `<p>:{q}:schedulers` | zset | job scheduler ids, score = when its next job is due (ms) |
//! | `<p>:{q}:schedulers:<id>` | hash | a job scheduler: `repeat` (its schedule as JSON), the template of its jobs (`name`, `data`, `opts` as given; `optsHead`, `optsMiddle`, `optsTail`, the options its jobs store around their delay and iteration number, `priority`, `lifo`, `rof`), `limit`, `ic` (jobs made so far), `job` (its latest job's id), `next` (when that job is due) |
//! | `<p>:{q}:scheduled-starts` | zset | schedulers whose latest job started and whose next job is not made yet, score = start time (ms); a worker that crashed in between leaves its entry for the stalled check to finish |
//! | `<p>:{q}:job:<id>` | hash | the job (fields below) |
//! | `<p>:{q}:logs:<id>` | list | the job's log lines |

//!
//! A job hash holds `name`, `data`, `opts` (JSON), `timestamp`, `delay`, `priority`,
//! `lifo`, `state`, `atm` (attempts made), `ats` (attempts started), `stc` (stalls),
//! `processedOn`, `finishedOn`, `returnvalue`, `failedReason`, `stacktrace`,
//! `progress`, `deid` (its deduplication id), `rjk` (its job scheduler's id), `rof` (the job's own `removeOnFail` rule as "count age", for jobs that
//! fail without their worker: stalled), and `ftk`: the lock token that ended the latest
//! attempt, so that the same finish sent again (its first answer was lost) is
//! recognised as stored.

/// Default key prefix, as BullMQ's `bull` but ours.
pub const DEFAULT_PREFIX: &str = "ferroq";

#[derive(Clone, Debug)]
pub struct QueueKeys {
    /// `<prefix>:{<name>}:` — every key of the queue starts with this.
    base: String,
}

impl QueueKeys {
    pub fn new(prefix: &str, queue_name: &str) -> Self {
        Self {
            base: format!("{prefix}:{{{queue_name}}}:"),
        }
    }

    /// The common start of every key of the queue; scripts build job keys from it.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn key(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.base)
    }

    pub fn id(&self) -> String {
        self.key("id")
    }
    pub fn wait(&self) -> String {
        self.key("wait")
    }
    pub fn prioritized(&self) -> String {
        self.key("prioritized")
    }
    pub fn priority_counter(&self) -> String {
        self.key("pc")
    }
    pub fn delayed(&self) -> String {
        self.key("delayed")
    }
    pub fn active(&self) -> String {
        self.key("active")
    }
    pub fn locks(&self) -> String {
        self.key("locks")
    }
    pub fn completed(&self) -> String {
        self.key("completed")
    }
    pub fn failed(&self) -> String {
        self.key("failed")
    }
    pub fn marker(&self) -> String {
        self.key("marker")
    }
    pub fn stalled_check(&self) -> String {
        self.key("stalled-check")
    }
    pub fn events(&self) -> String {
        self.key("events")
    }
    pub fn meta(&self) -> String {
        self.key("meta")
    }
    pub fn cancels(&self) -> String {
        self.key("cancels")
    }
    pub fn limiter(&self) -> String {
        self.key("limiter")
    }
    /// The run-time histogram of finished attempts.
    pub fn durations(&self) -> String {
        self.key("metrics:duration")
    }
    /// The per-minute metrics of jobs finished as `state` ("completed" | "failed"):
    /// their summary hash and their data points.
    pub fn metrics(&self, state: &str) -> (String, String) {
        let summary = self.key(&format!("metrics:{state}"));
        let data = format!("{summary}:data");
        (summary, data)
    }
    /// The zset of job schedulers by next due time; each scheduler's hash is this
    /// key, `:` and its id (the scripts build it).
    pub fn schedulers(&self) -> String {
        self.key("schedulers")
    }
    pub fn scheduler(&self, id: &str) -> String {
        format!("{}:{id}", self.schedulers())
    }
    pub fn scheduled_starts(&self) -> String {
        self.key("scheduled-starts")
    }
    /// The pub/sub channel (not a key) on which workers hear of cancelled active jobs.
    pub fn cancel_channel(&self) -> String {
        self.key("cancel")
    }
    /// The queue's standard keys, in the order lib.lua names them: every script that
    /// moves jobs takes these as its KEYS.
    pub fn standard(&self) -> [String; 22] {
        [
            self.wait(),
            self.prioritized(),
            self.priority_counter(),
            self.delayed(),
            self.active(),
            self.locks(),
            self.marker(),
            self.completed(),
            self.failed(),
            self.id(),
            self.stalled_check(),
            self.events(),
            self.meta(),
            self.cancels(),
            self.limiter(),
            self.metrics("completed").0,
            self.metrics("completed").1,
            self.metrics("failed").0,
            self.metrics("failed").1,
            self.durations(),
            self.schedulers(),
            self.scheduled_starts(),
        ]
    }

    /// Prefix of job hashes; the scripts append the id (`<base>job:<id>`).
    pub fn job_prefix(&self) -> String {
        self.key("job:")
    }
    /// Prefix of job log lists (`<base>logs:<id>`).
    pub fn logs_prefix(&self) -> String {
        self.key("logs:")
    }
    /// The Redis client name of a worker's blocking connection: how `getWorkers` finds
    /// the queue's workers in `CLIENT LIST` (names cannot hold spaces: hex inside).
    pub fn worker_client_name(&self, worker_name: &str) -> String {
        format!("{}{}", self.worker_client_prefix(), hex(worker_name))
    }

    /// The start every worker client name of this queue has.
    pub fn worker_client_prefix(&self) -> String {
        format!("ferroq:{}:w:", hex(&self.base))
    }

    /// The key only one worker's blocking wait listens on (beside the marker).
    pub fn wake(&self, worker_id: &str) -> String {
        format!("{}wake:{worker_id}", self.base)
    }
    /// The stream only one `QueueEvents`' blocking read listens on (beside the events).
    pub fn wake_events(&self, reader_id: &str) -> String {
        format!("{}wake-events:{reader_id}", self.base)
    }
    pub fn job(&self, id: &str) -> String {
        format!("{}job:{id}", self.base)
    }
    /// Names the job that holds deduplication id `dedup_id`.
    pub fn dedup(&self, dedup_id: &str) -> String {
        format!("{}de:{dedup_id}", self.base)
    }
    pub fn logs(&self, id: &str) -> String {
        format!("{}logs:{id}", self.base)
    }
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Reads text written by `hex` (None when it is not such text).
pub fn unhex(text: &str) -> Option<String> {
    let bytes: Option<Vec<u8>> = (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
        })
        .collect();
    String::from_utf8(bytes?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_share_the_queue_hash_tag() {
        let keys = QueueKeys::new("ferroq", "mail");
        assert_eq!(keys.wait(), "ferroq:{mail}:wait");
        assert_eq!(keys.job("42"), "ferroq:{mail}:job:42");
        assert_eq!(keys.logs("42"), "ferroq:{mail}:logs:42");
        assert!(keys.job_prefix().starts_with(keys.base()));
        let name = keys.worker_client_name("api 1");
        assert!(!name.contains(' '));
        let hexed = name.strip_prefix(&keys.worker_client_prefix()).unwrap();
        assert_eq!(unhex(hexed).as_deref(), Some("api 1"));
    }
}
