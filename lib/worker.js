'use strict';
// BullMQ's Worker. The Rust engine fetches, locks, retries and stores; this class only
// runs the processor for each job it is handed and reports how the attempt ended.
const { randomUUID } = require('node:crypto');
const { NativeWorker } = require('./native');
const { QueueBase } = require('./queue-base');
const { defineUnbuilt, unsupported } = require('./unbuilt');
const { openQueue, jobFrom, untilReady } = require('./queue');
const { optionJson, failedOutcome } = require('./serialize');
const { emitError, safely } = require('./listeners');
const {
  InvalidOptionError, RATE_LIMIT_ERROR, RateLimitError, describeThrown, errorFor, fromNative, native, nativeSync, readOption,
} = require('./errors');

/**
 * Worker options the engine never reads: dropped before the options cross to it, as
 * they may hold what JSON cannot carry (an OpenTelemetry tracer, fork options).
 */
const IGNORED_OPTIONS = new Set(['connection', 'telemetry', 'settings', 'workerForkOptions', 'workerThreadsOptions']);

/**
 * Refuses what a BullMQ app may give the Worker whose behaviour ferroq lacks and would
 * otherwise skip in silence, changing jobs' fates (the engine refuses the others).
 */
function refuseUnbuilt(processor, opts) {
  if (typeof processor === 'string' || processor instanceof URL) {
    throw unsupported('processor', 'a processor file (sandboxed processor) is not built; pass a function');
  }
  const { settings } = opts;
  if (settings && typeof settings === 'object' && settings.backoffStrategy !== undefined) {
    throw unsupported('settings.backoffStrategy', "custom backoff strategies are planned; use backoff {type: 'fixed' | 'exponential'}");
  }
}

/**
 * Whether a processor can see its third argument, the AbortSignal. An arrow function
 * declaring at most two plain parameters cannot (arrows have no `arguments`): its jobs
 * get no AbortController, which costs about a microsecond a job. Anything else gets one.
 */
function seesSignal(processor) {
  let source;
  try {
    source = Function.prototype.toString.call(processor);
  } catch {
    return true;
  }
  return !/^(async\s*)?(\(\s*([A-Za-z_$][\w$]*\s*(,\s*[A-Za-z_$][\w$]*\s*)?)?\)|[A-Za-z_$][\w$]*)\s*=>/.test(source);
}

/** Fires a running job's AbortSignal, once; false when it fired before. */
function abortEntry(entry, reason) {
  if (entry.aborted) return false;
  entry.aborted = true;
  if (entry.controller) entry.controller.abort(reason);
  return true;
}

class Worker extends QueueBase {
  /**
   * Starts processing queue `name` with `processor(job, token, signal)` unless
   * `autorun: false`. Without a processor (null) nothing runs: take jobs with
   * `getNextJob(token)` and end them with `job.moveToCompleted` / `moveToFailed`.
   */
  constructor(name, processor, opts = {}) {
    super();
    opts = readOption('opts', () => ({ ...(opts || {}) }));
    readOption('opts', () => refuseUnbuilt(processor, opts));
    if (processor !== null && processor !== undefined && typeof processor !== 'function') {
      throw new InvalidOptionError('invalid option `processor`: must be a function (job, token, signal) => Promise, or null to fetch jobs by hand');
    }
    openQueue(this, name, opts);
    /** This worker's unique id (BullMQ's). */
    this.id = randomUUID();
    this.processor = processor || null;
    this._running = new Map(); // job id -> { job, token, controller, aborted, result, error }
    this._seesSignal = this.processor !== null && seesSignal(this.processor);
    this._closing = null;
    this._closed = false;
    this._pausing = null; // the promise of pause() until resume()
    this._runPromise = null;
    // Outcomes of this tick (job ids, lock tokens, outcomes as JSON text), sent to the
    // engine together by one report() call: one napi crossing, one Redis round trip.
    this._outcomes = { ids: [], tokens: [], outcomes: [] };
    this._flushOutcomes = () => {
      const { ids, tokens, outcomes } = this._outcomes;
      this._outcomes = { ids: [], tokens: [], outcomes: [] };
      try {
        this._native.report(ids, tokens, outcomes);
      } catch (err) {
        // Runs from setImmediate: a throw here would take the process down. The jobs
        // keep their locks until the worker closes or they expire and are recovered.
        this._emitError(fromNative(err));
      }
    };
    const autorun = opts.autorun !== false && this.processor !== null;
    const engineOptions = readOption('opts', () => JSON.stringify(opts, function engineOnly(key, value) {
      return (this === opts && IGNORED_OPTIONS.has(key)) || typeof value === 'function' ? undefined : value;
    }));
    this._native = nativeSync(
      () => new NativeWorker(this._ops, engineOptions, autorun, (delivery) => this._onDelivery(delivery)),
    );
    // Jobs taken by hand end with the worker's options (retention, lock duration).
    this._hooks.workerOptions = engineOptions;
    this._concurrency = this._native.concurrency;
    if (autorun) this._runPromise = this._untilClosed();
  }

  /** BullMQ's error to throw after `worker.rateLimit(ms)`: the job goes back to wait without spending an attempt. */
  static RateLimitError() {
    return new RateLimitError();
  }

  /** Holds every worker of the queue from starting jobs for `expireTimeMs`; throw `Worker.RateLimitError()` next to put the current job back. */
  async rateLimit(expireTimeMs) {
    await native(this._ops.rateLimit(optionJson(expireTimeMs)));
  }

  /** Resolves once the worker reaches Redis (rejects with ERR_CONNECTION when it cannot). */
  async waitUntilReady() {
    await untilReady(this);
  }

  _untilClosed() {
    return new Promise((resolve) => this.once('closed', resolve));
  }

  /** Starts a worker made with `autorun: false`; resolves when it closes. */
  run() {
    if (!this.processor) {
      return Promise.reject(new InvalidOptionError('invalid option `processor`: no process function is defined; use getNextJob'));
    }
    if (this._runPromise) {
      return Promise.reject(new Error('Worker is already running.'));
    }
    this._runPromise = this._untilClosed();
    this._native.run();
    return this._runPromise;
  }

  /**
   * Manual processing: takes the next job, locked with `token` for `lockDuration` (not
   * renewed: extend it with `job.extendLock`); resolves to undefined when none came
   * (with `block`, the default, after waiting up to `drainDelay`).
   */
  async getNextJob(token, { block = true } = {}) {
    const text = await native(this._ops.nextJob(String(token), Boolean(block), this._hooks.workerOptions));
    return text === null ? undefined : jobFrom(this, JSON.parse(text));
  }

  /** Starts the stalled-job checks of a worker without a processor (they start with processing otherwise). */
  async startStalledCheckTimer() {
    this._native.checkStalled();
  }

  /** How many jobs run at once. */
  get concurrency() {
    return this._concurrency;
  }

  /** Changes how many jobs run at once; running jobs above the new value finish first. */
  set concurrency(value) {
    this._concurrency = nativeSync(() => this._native.setConcurrency(optionJson(value)));
  }

  /** Stops taking jobs; resolves once the running jobs are done (at once with `doNotWaitActive`); emits `paused`. */
  pause(doNotWaitActive = false) {
    if (!this._pausing) {
      const pausing = native(this._native.pause(!doNotWaitActive)).then(() => {
        // Resumed meanwhile: this pause is over and says nothing.
        if (this._pausing === pausing) this.emit('paused');
      });
      this._pausing = pausing;
    }
    return this._pausing;
  }

  /** Takes jobs again after `pause()`; emits `resumed`. */
  resume() {
    if (!this._pausing) return;
    this._pausing = null;
    this._native.resume();
    this.emit('resumed');
  }

  /** True while paused by `pause()`. */
  isPaused() {
    return this._pausing !== null;
  }

  /**
   * Fires the AbortSignal of a job this worker runs, with `reason` as `signal.reason`
   * (BullMQ's): the processor decides how to end (throw an UnrecoverableError to skip
   * retries). Returns false when this worker does not run the job.
   */
  cancelJob(jobId, reason) {
    const entry = this._running.get(String(jobId));
    return entry !== undefined && abortEntry(entry, reason);
  }

  /** Fires the AbortSignal of every job this worker runs. */
  cancelAllJobs(reason) {
    for (const id of [...this._running.keys()]) this.cancelJob(id, reason);
  }

  /** True from start until the worker closed. */
  isRunning() {
    return this._runPromise !== null && !this._closed;
  }

  _onDelivery(text) {
    const delivery = JSON.parse(text);
    if (delivery.finished) for (const f of delivery.finished) this._safely(() => this._onFinished(f));
    if (delivery.events) for (const e of delivery.events) this._safely(() => this._onEvent(e));
    if (delivery.jobs) for (const record of delivery.jobs) this._start(record);
  }

  _start(record) {
    const job = jobFrom(this, record);
    const controller = this._seesSignal ? new AbortController() : null;
    const entry = { job, token: record.token, controller, aborted: false, result: undefined, error: undefined };
    this._running.set(job.id, entry);
    this._safely(() => this.emit('active', job, 'waiting'));
    let pending;
    try {
      pending = Promise.resolve(this.processor(job, entry.token, controller ? controller.signal : undefined));
    } catch (err) {
      pending = Promise.reject(err);
    }
    // Whatever the processor throws or returns, the attempt ends: both paths read
    // hostile values without throwing, and the last handler is a backstop for a bug.
    pending
      .then(
        (result) => this._completed(entry, result),
        (err) => this._failed(entry, err),
      )
      .catch(() => this._report(entry, '{"failed":{"message":"ferroq could not read the outcome of this attempt"}}'));
  }

  /** Queues one outcome; the first of a tick schedules the flush after the tick. */
  _report(entry, outcome) {
    const batch = this._outcomes;
    batch.ids.push(String(entry.job.id));
    batch.tokens.push(entry.token);
    if (batch.outcomes.push(outcome) === 1) setImmediate(this._flushOutcomes);
  }

  _completed(entry, result) {
    let json;
    try {
      json = JSON.stringify(result);
    } catch (err) {
      const reason = describeThrown(err).message;
      return this._failed(entry, new Error(`the return value is not serialisable to JSON: ${reason}`));
    }
    entry.result = result === undefined ? null : result;
    // The return value goes in as raw JSON: the engine stores it without re-parsing.
    this._report(entry, `{"returnvalue":${json === undefined ? 'null' : json}}`);
  }

  _failed(entry, thrown) {
    const described = describeThrown(thrown);
    const { error, message } = described;
    if (entry.error === undefined) {
      entry.error = error;
      entry.reason = message;
    }
    // BullMQ's RateLimitError (after `rateLimit(ms)`): the job waits again, the
    // attempt not counted.
    const rateLimited = error instanceof RateLimitError || message === RATE_LIMIT_ERROR;
    this._report(entry, failedOutcome(described, rateLimited));
  }

  _onFinished(finished) {
    const entry = this._running.get(finished.id);
    if (!entry || entry.token !== finished.token) return;
    this._running.delete(finished.id);
    const job = entry.job;
    job.attemptsMade = finished.attemptsMade;
    switch (finished.status) {
      case 'completed':
        job.finishedOn = finished.finishedOn;
        job.returnvalue = entry.result;
        this.emit('completed', job, entry.result, 'active');
        break;
      case 'retrying':
      case 'failed': {
        const err = entry.error || new Error(finished.failedReason || 'job failed');
        job.failedReason = entry.reason !== undefined ? entry.reason : finished.failedReason;
        if (finished.stacktrace) job.stacktrace = finished.stacktrace;
        if (finished.status === 'failed') job.finishedOn = finished.finishedOn;
        if (finished.status === 'retrying' && finished.delay > 0) job.delay = finished.delay;
        this.emit('failed', job, err, 'active');
        break;
      }
      default: // 'lockLost': the engine reported it as an error event
        break;
    }
  }

  _onEvent(event) {
    switch (event.type) {
      case 'ready':
        this.emit('ready');
        break;
      case 'drained':
        this.emit('drained');
        break;
      case 'error':
        this._emitError(errorFor(event.code, event.message));
        break;
      case 'stalled':
        this.emit('stalled', event.jobId, 'active');
        break;
      case 'failed': // failed without an attempt of ours: it stalled too often
        this.emit('failed', jobFrom(this, event.job), new Error(event.reason), 'active');
        break;
      case 'abort': {
        const entry = this._running.get(event.jobId);
        if (entry && entry.token === event.token) {
          const error = new Error(event.reason);
          error.name = event.kind === 'timeout' ? 'TimeoutError' : 'AbortError';
          if (entry.error === undefined) {
            entry.error = error;
            entry.reason = event.reason;
          }
          // A cancel's reason reaches the processor as given (BullMQ's cancelJob).
          abortEntry(entry, event.kind === 'cancel' ? event.reason : error);
        }
        break;
      }
      default:
        break;
    }
  }

  /** Emits `error`, or logs it when nothing listens (see lib/listeners.js). */
  _emitError(err) {
    emitError(this, `worker ${this.name}`, err);
  }

  /** Runs a step that calls user listeners; what they throw becomes an `error`. */
  _safely(step) {
    safely(this, `worker ${this.name}`, step);
  }

  /** Stops fetching and waits for active jobs; `close(true)` aborts them and returns them to the queue. */
  close(force = false) {
    if (!this._closing) {
      this.emit('closing', 'closing worker');
      this._closing = native(this._native.close(Boolean(force))).then(async () => {
        await native(this._ops.close());
        this._closed = true;
        for (const entry of this._running.values()) {
          abortEntry(entry, new Error('worker closed'));
        }
        this._running.clear();
        this.emit('closed');
      });
    } else if (force) {
      this._native.close(true);
    }
    return this._closing;
  }
}

defineUnbuilt(Worker, {
  repeat: ['promise', "BullMQ's Repeat and JobScheduler classes are not exposed: use the Queue's job-scheduler methods"],
  jobScheduler: ['promise', "BullMQ's Repeat and JobScheduler classes are not exposed: use the Queue's job-scheduler methods"],
  extendJobLocks: 'the engine renews the locks of the jobs it runs; use job.extendLock for jobs taken by hand',
});

module.exports = { Worker };
