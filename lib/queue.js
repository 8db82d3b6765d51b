'use strict';
// BullMQ's Queue: adds jobs and reads them back.
const { NativeQueue } = require('./native');
const { QueueBase } = require('./queue-base');
const { defineUnbuilt } = require('./unbuilt');
const { connectionJson } = require('./connection');
const { ClosedError, InvalidOptionError, errorFor, native, nativeSync, readOption } = require('./errors');
const { Job } = require('./job');
const { toJson, optionsJson, optionJson } = require('./serialize');

/** Every state getJobCounts() reports when no type is named: BullMQ's, and `paused`. */
const ALL_TYPES = ['active', 'completed', 'delayed', 'failed', 'paused', 'prioritized', 'waiting', 'waiting-children'];

/**
 * Accepts `getJobs('waiting')`, `getJobs(['waiting', 'active'])` and `getJobCounts('a', 'b')`;
 * the names as given (without repeats), all states when none is named.
 */
function typeList(types) {
  const flat = [...new Set(types.flat().filter((t) => t !== undefined))];
  return flat.length === 0 ? ALL_TYPES : flat;
}

/**
 * Opens the native handle of a queue-like object (Queue, Worker). Jobs it hands out
 * report their progress on it (`progress` events), as in BullMQ.
 */
function openQueue(owner, name, opts) {
  const { prefix, maxPayloadBytes, defaultJobOptions, streams } = opts;
  const engineOptions = optionsJson('opts', { name, prefix, maxPayloadBytes, defaultJobOptions, streams });
  owner._ops = nativeSync(() => new NativeQueue(connectionJson(opts.connection), engineOptions));
  owner.name = name;
  owner.opts = { ...opts, prefix: owner._ops.prefix };
  owner._hooks = { onProgress: (job, progress) => owner.emit('progress', job, progress) };
  owner._ready = null;
}

/** The engine takes a job's name as a string; it checks everything else. */
function checkName(name) {
  if (typeof name !== 'string') {
    throw new InvalidOptionError(`invalid option \`name\`: the job name must be a string, got ${typeof name}`);
  }
}

/** Builds a Job from the engine's JSON record. */
function jobFrom(owner, record) {
  return new Job(owner._ops, owner.name, owner.opts.prefix, record, owner._hooks);
}

/** Resolves once Redis answers; a failed try is forgotten, so a later call tries again. */
function untilReady(owner) {
  if (!owner._ready) {
    owner._ready = native(owner._ops.ping()).catch((err) => {
      owner._ready = null;
      throw err;
    });
  }
  return owner._ready;
}

class Queue extends QueueBase {
  /** Opens queue `name`; nothing connects until the first call. */
  constructor(name, opts = {}) {
    super();
    openQueue(this, name, readOption('opts', () => ({ ...(opts || {}) })));
    this._closed = false;
    this._closing = null;
    this._inFlight = new Set();
    // add() calls made in the same tick, sent to the engine together in one round trip
    // (each still succeeds or fails on its own).
    this._pendingAdds = [];
    this._flushAdds = () => this._sendAdds();
  }

  /** Resolves once the queue reaches Redis (rejects with ERR_CONNECTION when it cannot). */
  async waitUntilReady() {
    this._live();
    await untilReady(this);
  }

  /** The queue's `defaultJobOptions`, merged under each job's own options. */
  get defaultJobOptions() {
    return { ...(this.opts.defaultJobOptions || {}) };
  }

  /** The options `add` merges under each job's own (BullMQ's `jobsOpts`). */
  get jobsOpts() {
    return this.defaultJobOptions;
  }

  _live() {
    if (this._closed) throw new ClosedError(`queue ${this.name} is closed`);
  }

  /**
   * One job to add, serialised: `{ name, data, dataJson, optsJson }`. Throws a
   * typed error (to the caller's own promise) for bad input or a job over
   * `maxPayloadBytes`, which is refused here, before the text is copied to the engine.
   */
  _serialize(name, data, opts) {
    checkName(name);
    const dataJson = toJson('data', data, '{}');
    const optsJson = optionsJson('opts', opts);
    // Characters never outnumber UTF-8 bytes: past the limit in characters, the job is
    // too large for sure, and only then are its exact bytes counted.
    if (name.length + dataJson.length + optsJson.length > this._ops.maxPayloadBytes) {
      const bytes = Buffer.byteLength(name) + Buffer.byteLength(dataJson) + Buffer.byteLength(optsJson);
      nativeSync(() => this._ops.checkPayload(bytes));
    }
    return { name, data: data === undefined ? {} : data, dataJson, optsJson };
  }

  /** Sends serialised jobs to the engine; resolves to one outcome per job. */
  async _store(jobs, atomic) {
    const text = await native(
      this._ops.add(jobs.map((j) => j.name), jobs.map((j) => j.dataJson), jobs.map((j) => j.optsJson), atomic),
    );
    return JSON.parse(text);
  }

  /** The Job of one `add` outcome (and its `waiting` event), or the typed error. */
  _addOutcome(job, outcome) {
    if (outcome.error !== undefined) return errorFor(outcome.error.code, outcome.error.message);
    if (outcome.deduplicated !== undefined) {
      // A live job holds the deduplication id: nothing was added, this is that job.
      const holder = jobFrom(this, outcome.deduplicated);
      this.emit('deduplicated', holder, holder.deduplicationId);
      return holder;
    }
    const added = outcome.added;
    // A literal of fixed shape, not a spread: V8 builds Jobs from it many times faster.
    const stored = outcome.existing
      ? jobFrom(this, outcome.existing)
      : jobFrom(this, {
        id: added.id,
        name: job.name,
        data: job.data,
        opts: added.opts,
        timestamp: added.timestamp,
        delay: added.delay,
        priority: added.priority,
      });
    this.emit('waiting', stored);
    return stored;
  }

  _sendAdds() {
    const batch = this._pendingAdds;
    if (batch.length === 0) return; // sent already, by close()
    this._pendingAdds = [];
    const sent = this._store(batch.map((pending) => pending.job), false);
    // close() lets adds already accepted finish before it closes the connection.
    this._inFlight.add(sent);
    const done = () => this._inFlight.delete(sent);
    sent.then(done, done);
    sent.then(
      (outcomes) => outcomes.forEach((outcome, i) => {
        // Each add settles on its own, even if a `waiting` listener throws for another.
        try {
          const result = this._addOutcome(batch[i].job, outcome);
          if (result instanceof Error) batch[i].reject(result); else batch[i].resolve(result);
        } catch (err) {
          batch[i].reject(err);
        }
      }),
      (err) => batch.forEach((pending) => pending.reject(err)),
    );
  }

  /**
   * Adds a job; resolves to it. An existing custom `jobId` resolves to the existing job.
   * With `opts.repeat`, a repeatable job: a job scheduler keyed `name:jobId:endDate:tz:pattern`
   * (see getRepeatableJobs); resolves to its first job.
   */
  add(name, data, opts) {
    return new Promise((resolve, reject) => {
      this._live();
      if (opts && typeof opts === 'object' && readOption('opts', () => opts.repeat) !== undefined) {
        resolve(this._addRepeatable(name, data, opts));
        return;
      }
      const job = this._serialize(name, data, opts);
      if (this._pendingAdds.push({ job, resolve, reject }) === 1) queueMicrotask(this._flushAdds);
    });
  }

  async _addRepeatable(name, data, opts) {
    this._live();
    checkName(name);
    const { repeat, jobId, delay, ...template } = readOption('opts', () => ({ ...opts }));
    return this._upsertScheduler(null, repeat, name, data, template, jobId === undefined ? null : String(jobId));
  }

  async _upsertScheduler(id, repeat, name, data, opts, legacyJobId) {
    const json = await native(
      this._ops.upsertScheduler(
        id,
        optionsJson('repeat', repeat === undefined ? null : repeat),
        name,
        toJson('data', data, '{}'),
        optionsJson('opts', opts),
        legacyJobId,
      ),
    );
    return json === null ? undefined : jobFrom(this, JSON.parse(json));
  }

  /**
   * Creates or updates job scheduler `jobSchedulerId`: jobs from `template` on the
   * schedule of `repeatOpts` (`pattern` in `tz`, or `every` ms). The same call again
   * changes nothing; exactly one job of it waits at any time. Resolves to that job.
   */
  async upsertJobScheduler(jobSchedulerId, repeatOpts, jobTemplate = {}) {
    this._live();
    if (typeof jobSchedulerId !== 'string') {
      throw new InvalidOptionError(`invalid option \`jobSchedulerId\`: must be a string, got ${typeof jobSchedulerId}`);
    }
    const template = readOption('jobTemplate', () => {
      const t = jobTemplate || {};
      return { name: t.name, data: t.data, opts: t.opts };
    });
    if (template.name !== undefined && typeof template.name !== 'string') {
      throw new InvalidOptionError(`invalid option \`jobTemplate.name\`: must be a string, got ${typeof template.name}`);
    }
    return this._upsertScheduler(jobSchedulerId, repeatOpts, template.name ?? null, template.data, template.opts, null);
  }

  /** Job scheduler `id` (BullMQ's JobSchedulerJson), or undefined. */
  async getJobScheduler(id) {
    this._live();
    const json = await native(this._ops.scheduler(String(id)));
    return json === null ? undefined : JSON.parse(json);
  }

  /** Job schedulers ranked by when their next job is due (latest first unless `asc`). */
  getJobSchedulers(start = 0, end = -1, asc = false) {
    return this._schedulers(start, end, asc, false);
  }

  /** Schedulers in BullMQ's JobSchedulerJson shape, or (`repeatable`) its RepeatableJob one. */
  async _schedulers(start, end, asc, repeatable) {
    this._live();
    const text = await native(this._ops.schedulers(integerArg('start', start), integerArg('end', end), Boolean(asc), repeatable));
    return JSON.parse(text);
  }

  /** How many job schedulers the queue has. */
  async getJobSchedulersCount() {
    this._live();
    return native(this._ops.schedulerCount());
  }

  /** Removes a job scheduler and its job that has not started; false when there was none. */
  async removeJobScheduler(jobSchedulerId) {
    this._live();
    return native(this._ops.removeScheduler(String(jobSchedulerId)));
  }

  /** The repeatable jobs (`add` with `repeat`) and job schedulers, as BullMQ's RepeatableJob. */
  getRepeatableJobs(start = 0, end = -1, asc = false) {
    return this._schedulers(start, end, asc, true);
  }

  /** Removes the repeatable job added with this name, `repeat` and jobId; false when there was none. */
  async removeRepeatable(name, repeatOpts, jobId) {
    this._live();
    const key = nativeSync(() =>
      this._ops.repeatKey(String(name), optionsJson('repeatOpts', repeatOpts), jobId === undefined || jobId === null ? null : String(jobId)),
    );
    return this.removeJobScheduler(key);
  }

  /** Removes the repeatable job or job scheduler with this key; false when there was none. */
  async removeRepeatableByKey(key) {
    return this.removeJobScheduler(key);
  }

  /** Adds many jobs atomically in one round trip. */
  async addBulk(jobs) {
    const list = readOption('jobs', () => (Array.isArray(jobs) ? [...jobs] : null));
    if (list === null) {
      throw new InvalidOptionError('invalid option `jobs`: addBulk takes an array of {name, data, opts}');
    }
    if (list.length === 0) return [];
    this._live();
    const serialised = list.map((j, i) => {
      if (!j || typeof j !== 'object') {
        throw new InvalidOptionError(`invalid option \`jobs[${i}]\`: must be {name, data, opts}`);
      }
      const { name, data, opts } = readOption(`jobs[${i}]`, () => ({ name: j.name, data: j.data, opts: j.opts }));
      return this._serialize(name, data, opts);
    });
    const outcomes = await this._store(serialised, true);
    return outcomes.map((outcome, i) => this._addOutcome(serialised[i], outcome));
  }

  /** The job with this id, or undefined. */
  async getJob(jobId) {
    this._live();
    const json = await native(this._ops.getJob(String(jobId)));
    return json === null ? undefined : jobFrom(this, JSON.parse(json));
  }

  /** The state of the job with this id, or 'unknown'. */
  async getJobState(jobId) {
    this._live();
    return native(this._ops.getState(String(jobId)));
  }

  /** Number of jobs per state: `{waiting, active, completed, ...}` (all states when none named). */
  async getJobCounts(...types) {
    this._live();
    const names = typeList(types);
    const counts = await native(this._ops.counts(names));
    // Keys are the names asked for, as BullMQ's (`getJobCounts('wait')` gives `{ wait }`).
    return Object.fromEntries(names.map((name, i) => [name, counts[i]]));
  }

  /** Total number of jobs in the given states. */
  async getJobCountByTypes(...types) {
    this._live();
    const counts = await native(this._ops.counts(typeList(types)));
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Jobs waiting to be processed (waiting, delayed, prioritized, paused). */
  async count() {
    return this.getJobCountByTypes('waiting', 'paused', 'delayed', 'prioritized');
  }

  /** Number of completed jobs. */
  async getCompletedCount() { return this.getJobCountByTypes('completed'); }
  /** Number of failed jobs. */
  async getFailedCount() { return this.getJobCountByTypes('failed'); }
  /** Number of delayed jobs. */
  async getDelayedCount() { return this.getJobCountByTypes('delayed'); }
  /** Number of active jobs. */
  async getActiveCount() { return this.getJobCountByTypes('active'); }
  /** Number of waiting jobs. */
  async getWaitingCount() { return this.getJobCountByTypes('waiting'); }
  /** Number of prioritized jobs. */
  async getPrioritizedCount() { return this.getJobCountByTypes('prioritized'); }
  /** Number of jobs waiting for their children (none until flows are built). */
  async getWaitingChildrenCount() { return this.getJobCountByTypes('waiting-children'); }

  /** Jobs in the given states; each state's range `start..end` (inclusive), newest first unless `asc`. */
  async getJobs(types, start = 0, end = -1, asc = false) {
    this._live();
    const names = typeList(types === undefined ? [] : [types]);
    const json = await native(this._ops.getJobs(names, start, end, asc));
    return JSON.parse(json).map((record) => jobFrom(this, record));
  }

  /** Waiting jobs. */
  async getWaiting(start = 0, end = -1) { return this.getJobs(['waiting'], start, end, true); }
  /** Active jobs. */
  async getActive(start = 0, end = -1) { return this.getJobs(['active'], start, end, true); }
  /** Delayed jobs. */
  async getDelayed(start = 0, end = -1) { return this.getJobs(['delayed'], start, end, true); }
  /** Prioritized jobs. */
  async getPrioritized(start = 0, end = -1) { return this.getJobs(['prioritized'], start, end, true); }
  /** Completed jobs, newest first. */
  async getCompleted(start = 0, end = -1) { return this.getJobs(['completed'], start, end, false); }
  /** Failed jobs, newest first. */
  async getFailed(start = 0, end = -1) { return this.getJobs(['failed'], start, end, false); }
  /** Jobs waiting for their children (none until flows are built). */
  async getWaitingChildren(start = 0, end = -1) { return this.getJobs(['waiting-children'], start, end, true); }

  /**
   * Pauses the queue for every worker of every process: none takes new jobs, the
   * running ones finish. Its waiting jobs count as `paused` meanwhile.
   */
  async pause() {
    this._live();
    await native(this._ops.setPaused(true));
    this.emit('paused');
  }

  /** Resumes a paused queue: workers take jobs again. */
  async resume() {
    this._live();
    await native(this._ops.setPaused(false));
    this.emit('resumed');
  }

  /** The queue's live workers, from any process: Redis' client fields, `name` being the worker's `name` option. */
  async getWorkers() {
    this._live();
    return JSON.parse(await native(this._ops.workers()));
  }

  /** How many workers the queue has. */
  async getWorkersCount() {
    return (await this.getWorkers()).length;
  }

  /** True while the queue is paused. */
  async isPaused() {
    this._live();
    return native(this._ops.isPaused());
  }

  /** Removes a job, whatever its state; resolves to 1, or 0 when there is none. A job a worker runs cannot be removed (ERR_JOB_LOCKED). */
  async remove(jobId, _opts) {
    this._live();
    try {
      await native(this._ops.removeJob(String(jobId)));
      this.emit('removed', String(jobId));
      return 1;
    } catch (err) {
      if (err.code === 'ERR_JOB_NOT_FOUND') return 0;
      throw err;
    }
  }

  /**
   * At most `concurrency` jobs of this queue are active at once across every worker of
   * every process (each worker's own `concurrency` still applies); enforced in the
   * fetch, in Redis. Running jobs above a lowered limit finish. Resolves to 1.
   */
  async setGlobalConcurrency(concurrency) {
    this._live();
    if (concurrency === null || concurrency === undefined) {
      throw new InvalidOptionError('invalid option `concurrency`: must be an integer ≥ 1 (removeGlobalConcurrency() removes the limit)');
    }
    await native(this._ops.setGlobalConcurrency(optionJson(concurrency)));
    return 1;
  }

  /**
   * At most `max` jobs of this queue start in any `duration` ms, across every worker
   * of every process (it takes precedence over the workers' `limiter`); resolves to 1.
   */
  async setGlobalRateLimit(max, duration) {
    this._live();
    await native(this._ops.setGlobalRateLimit(optionJson(max), optionJson(duration)));
    return 1;
  }

  /** Removes the global rate limit; resolves to 1. */
  async removeGlobalRateLimit() {
    this._live();
    await native(this._ops.removeGlobalRateLimit());
    return 1;
  }

  /** The global rate limit `{ max, duration }`, or null when none is set. */
  async getGlobalRateLimit() {
    this._live();
    const text = await native(this._ops.globalRateLimit());
    return text === null ? null : JSON.parse(text);
  }

  /** Holds every worker of the queue from starting jobs for `expireTimeMs` (an upstream said "too many requests"). */
  async rateLimit(expireTimeMs) {
    this._live();
    await native(this._ops.rateLimit(optionJson(expireTimeMs)));
  }

  /** Ms until a job may start under the global rate limit or a `rateLimit(ms)` (0: now). */
  async getRateLimitTtl(_maxJobs) {
    this._live();
    return native(this._ops.rateLimitTtl());
  }

  /** Forgets the rate limit's recorded starts and any `rateLimit(ms)`: jobs may start at once; resolves to 1. */
  async removeRateLimitKey() {
    this._live();
    await native(this._ops.removeRateLimit());
    return 1;
  }

  /**
   * Jobs finished per minute as `type` ('completed' | 'failed'), recorded by workers
   * with the `metrics` option: `{ meta: { count, prevTS, prevCount }, data, count }`,
   * data points `start..end` newest first (BullMQ's shape).
   */
  async getMetrics(type, start = 0, end = -1) {
    this._live();
    const text = await native(this._ops.metrics(String(type), integerArg('start', start), integerArg('end', end)));
    return JSON.parse(text);
  }

  /**
   * Prometheus text: a gauge of the jobs per state (BullMQ's `bullmq_job_count`), and,
   * ferroq's own, counters of the jobs finished as completed and failed and a
   * histogram of how long attempts ran (recorded by workers with the `metrics` option),
   * which a scrape can rate(). `globalVariables` become labels of every sample.
   */
  async exportPrometheusMetrics(globalVariables = {}) {
    this._live();
    const extra = Object.entries(readOption('globalVariables', () => ({ ...(globalVariables || {}) })))
      .map(([key, value]) => `,${promLabel(key)}="${promValue(value)}"`)
      .join('');
    const queue = `queue="${promValue(this.name)}"${extra}`;
    const counts = await this.getJobCounts();
    const [completed, failed, times] = await Promise.all([
      this.getMetrics('completed', 0, 0),
      this.getMetrics('failed', 0, 0),
      native(this._ops.runTimes()).then((text) => JSON.parse(text)),
    ]);
    let cumulative = 0;
    const buckets = times.buckets.map((n, i) => {
      cumulative += n;
      const le = i < times.bounds.length ? String(times.bounds[i] / 1000) : '+Inf';
      return `ferroq_job_duration_seconds_bucket{${queue},le="${le}"} ${cumulative}`;
    });
    const lines = [
      '# HELP bullmq_job_count Number of jobs in the queue by state',
      '# TYPE bullmq_job_count gauge',
      ...Object.entries(counts).map(([state, n]) => `bullmq_job_count{${queue},state="${state}"} ${n}`),
      '# HELP ferroq_jobs_finished_total Jobs finished, by how they ended (workers with the metrics option)',
      '# TYPE ferroq_jobs_finished_total counter',
      `ferroq_jobs_finished_total{${queue},state="completed"} ${completed.meta.count}`,
      `ferroq_jobs_finished_total{${queue},state="failed"} ${failed.meta.count}`,
      '# HELP ferroq_job_duration_seconds How long finished attempts ran (workers with the metrics option)',
      '# TYPE ferroq_job_duration_seconds histogram',
      ...buckets,
      `ferroq_job_duration_seconds_sum{${queue}} ${times.sum / 1000}`,
      `ferroq_job_duration_seconds_count{${queue}} ${cumulative}`,
    ];
    return `${lines.join('\n')}\n`;
  }

  /** The id of the live job holding deduplication id `id`, or null. */
  async getDeduplicationJobId(id) {
    this._live();
    return native(this._ops.dedupJobId(String(id)));
  }

  /** BullMQ's older name of `getDeduplicationJobId`. */
  getDebounceJobId(id) {
    return this.getDeduplicationJobId(id);
  }

  /** Frees deduplication id `id`; 1 when a key was removed, else 0. */
  async removeDeduplicationKey(id) {
    this._live();
    return (await native(this._ops.removeDedup(String(id), null))) ? 1 : 0;
  }

  /** BullMQ's older name of `removeDeduplicationKey`. */
  removeDebounceKey(id) {
    return this.removeDeduplicationKey(id);
  }

  /** Removes the global concurrency; resolves to 1. */
  async removeGlobalConcurrency() {
    this._live();
    await native(this._ops.setGlobalConcurrency('null'));
    return 1;
  }

  /** The global concurrency, or null when none is set. */
  async getGlobalConcurrency() {
    this._live();
    return native(this._ops.globalConcurrency());
  }

  /** True while the active jobs fill the global concurrency (false without one). */
  async isMaxed() {
    this._live();
    return native(this._ops.isMaxed());
  }

  /**
   * ferroq's cross-process cancel: a job waiting to run (waiting, prioritized, delayed)
   * fails now with `reason` (default 'cancelled'), without retry; an active one has its
   * AbortSignal fired in whichever process runs it and ends failed with `reason`,
   * whatever its processor does. Resolves to the job's state right after the call:
   * 'failed', or 'active' while its worker ends it. A finished job is ERR_JOB_STATE, a
   * missing one ERR_JOB_NOT_FOUND.
   */
  async cancel(jobId, reason) {
    this._live();
    return native(this._ops.cancel(String(jobId), optionJson(reason)));
  }

  /** Removes the jobs waiting to run (waiting, prioritized, paused; delayed too with `delayed`). Active and finished jobs stay. */
  async drain(delayed = false) {
    this._live();
    await native(this._ops.drain(Boolean(delayed)));
  }

  /** Removes up to `limit` (0: all) jobs of `type` older than `grace` ms; resolves to their ids. */
  async clean(grace, limit, type = 'completed') {
    this._live();
    const ids = await native(this._ops.clean(optionJson(grace), optionJson(limit), optionJson(type)));
    this.emit('cleaned', ids, type);
    return ids;
  }

  /** Removes the queue and all its jobs; refuses while jobs are active unless `force` (ERR_ACTIVE_JOBS). */
  async obliterate(opts) {
    this._live();
    await native(this._ops.obliterate(optionsJson('opts', opts)));
  }

  /** Moves failed (or `state: 'completed'`) jobs finished before `timestamp` back to waiting, `count` a step. */
  async retryJobs(opts) {
    this._live();
    await native(this._ops.retryJobs(optionsJson('opts', opts)));
  }

  /** Makes every delayed job wait to run now, `count` a step. */
  async promoteJobs(opts) {
    this._live();
    await native(this._ops.promote(null, optionsJson('opts', opts)));
  }

  /** Stores a job's progress by id; emits `progress` (jobId, progress) on this queue. */
  async updateJobProgress(jobId, progress) {
    this._live();
    await native(this._ops.updateProgress(String(jobId), toJson('progress', progress)));
    this.emit('progress', String(jobId), progress);
  }

  /** Appends a line to a job's log by id; resolves to the number of lines (`keepLogs` is not built: ignored). */
  async addJobLog(jobId, logRow, _keepLogs) {
    this._live();
    const line = readOption('logRow', () => String(logRow));
    return native(this._ops.addLog(String(jobId), line));
  }

  /** A job's log lines `start..end` (inclusive) and their total count. */
  async getJobLogs(jobId, start = 0, end = -1, asc = true) {
    this._live();
    return JSON.parse(await native(this._ops.logs(String(jobId), start, end, asc)));
  }

  /** Closes the queue and its Redis connection (shared ones once no other queue or worker of this process uses them); later calls reject with ERR_CLOSED. */
  close() {
    if (!this._closing) {
      this._closed = true;
      this._sendAdds();
      this._closing = Promise.allSettled([...this._inFlight]).then(() => native(this._ops.close()));
    }
    return this._closing;
  }
}

/** An integer argument, else ERR_INVALID_OPTION naming it. */
function integerArg(field, value) {
  if (!Number.isInteger(value)) throw new InvalidOptionError(`invalid option \`${field}\`: must be an integer, got ${typeof value}`);
  return value;
}

/** Prometheus label names: letters, digits and `_`, not starting with a digit. */
function promLabel(name) {
  const label = String(name).replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(label) ? `_${label}` : label;
}

/** A Prometheus label value, escaped. */
function promValue(value) {
  return String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

const SCHEDULERS = "BullMQ's Repeat and JobScheduler classes are not exposed: use the Queue's job-scheduler methods";
defineUnbuilt(Queue, {
  repeat: ['promise', SCHEDULERS],
  jobScheduler: ['promise', SCHEDULERS],
  metaValues: ['getter', 'ferroq keeps no BullMQ meta hash'],
  getVersion: 'ferroq keeps no BullMQ meta hash',
  getMeta: 'ferroq keeps no BullMQ meta hash',
  getDependencies: 'flows (parent and child jobs) are not built',
  getCountsPerPriority: 'counting per priority is not built',
  getRanges: 'use getJobs',
  getQueueEvents: 'QueueEvents connections are not listed',
  recordJobCountsMetric: 'telemetry is not built',
  trimEvents: 'the event stream is trimmed only by `streams.events.maxLen`',
  removeDeprecatedPriorityKey: "ferroq's keys are not BullMQ's",
  removeOrphanedJobs: "ferroq's keys are not BullMQ's",
});

module.exports = { Queue, openQueue, jobFrom, untilReady };
