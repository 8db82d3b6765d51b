'use strict';
// A job as BullMQ's `Job`: a snapshot of the stored job plus methods that act on it.
const { describeThrown, errorFor, native, readOption } = require('./errors');
const { toJson, optionJson, optionsJson, failedOutcome } = require('./serialize');
const { defineUnbuilt } = require('./unbuilt');

class Job {
  /**
   * Jobs are made by Queue and Worker; `ops` is the native queue handle they share.
   * @internal
   */
  constructor(ops, queueName, prefix, fields, hooks) {
    this._ops = ops;
    this._hooks = hooks;
    this.queueName = queueName;
    this.prefix = prefix;
    this.queueQualifiedName = `${prefix}:${queueName}`;
    this.id = fields.id;
    this.name = fields.name;
    this.data = fields.data;
    this.opts = fields.opts || {};
    this.progress = fields.progress === undefined ? 0 : fields.progress;
    this.returnvalue = fields.returnvalue === undefined ? null : fields.returnvalue;
    this.failedReason = fields.failedReason;
    this.stacktrace = fields.stacktrace || [];
    this.attemptsMade = fields.attemptsMade || 0;
    this.attemptsStarted = fields.attemptsStarted || 0;
    this.stalledCounter = fields.stalledCounter || 0;
    this.timestamp = fields.timestamp;
    this.processedOn = fields.processedOn;
    this.finishedOn = fields.finishedOn;
    this.delay = fields.delay || 0;
    this.priority = fields.priority || 0;
    this.processedBy = fields.processedBy;
    this.repeatJobKey = fields.repeatJobKey;
    const dedup = this.opts.deduplication || this.opts.debounce;
    this.deduplicationId = dedup && typeof dedup === 'object' ? dedup.id : undefined;
    this.debounceId = this.deduplicationId;
    this.token = fields.token;
  }

  /**
   * A Job of `queue` from a job in BullMQ's raw shape (JSON text for data, opts,
   * progress, returnvalue, stacktrace), as `moveToCompleted` and `asJSON` give it
   * (BullMQ's `Job.fromJSON`).
   */
  static fromJSON(queue, json, jobId) {
    const parsed = (value, fallback) => {
      if (typeof value !== 'string') return value === undefined || value === null ? fallback : value;
      try {
        return JSON.parse(value);
      } catch {
        return fallback;
      }
    };
    const number = (value) => (value === undefined || value === null || value === '' ? undefined : Number(value));
    const fields = {
      ...json,
      id: jobId === undefined ? json.id : String(jobId),
      data: parsed(json.data, {}),
      opts: parsed(json.opts, {}),
      progress: parsed(json.progress, 0),
      returnvalue: parsed(json.returnvalue, null),
      stacktrace: parsed(json.stacktrace, []),
      attemptsMade: number(json.attemptsMade),
      attemptsStarted: number(json.attemptsStarted),
      timestamp: number(json.timestamp),
      processedOn: number(json.processedOn),
      finishedOn: number(json.finishedOn),
      delay: number(json.delay),
      priority: number(json.priority),
    };
    return new Job(queue._ops, queue.name, queue.opts.prefix, fields, queue._hooks);
  }

  /** The job with this id in `queue`, or undefined (BullMQ's `Job.fromId`). */
  static async fromId(queue, jobId) {
    return queue.getJob(jobId);
  }

  /** Appends a line to the log of job `jobId` of `queue` (BullMQ's static `Job.addJobLog`). */
  static async addJobLog(queue, jobId, logRow, keepLogs) {
    return queue.addJobLog(jobId, logRow, keepLogs);
  }

  /** Stores the job's progress (a number or an object) and emits `progress` on the Queue or Worker that handed out the job. */
  async updateProgress(progress) {
    const json = toJson('progress', progress);
    await native(this._ops.updateProgress(String(this.id), json));
    this.progress = progress;
    if (this._hooks && this._hooks.onProgress) this._hooks.onProgress(this, progress);
  }

  /** Appends a line to the job's log; resolves to the number of lines. */
  async log(row) {
    const line = readOption('row', () => String(row));
    return native(this._ops.addLog(String(this.id), line));
  }

  /** Removes the job; a job a worker runs cannot be removed (ERR_JOB_LOCKED). */
  async remove(_opts) {
    await native(this._ops.removeJob(String(this.id)));
  }

  /**
   * Manual processing: completes the job `token` holds with `returnValue`; with
   * `fetchNext` (the default, as BullMQ) takes the next job with the same token and
   * resolves to `[jobData, jobId]` for `Job.fromJSON`.
   */
  async moveToCompleted(returnValue, token, fetchNext = true) {
    const [status, next] = await this._moveToFinished(`{"returnvalue":${toJson('returnValue', returnValue)}}`, token, fetchNext);
    // Unless it was cancelled meanwhile: then it failed, and `failedReason` says why.
    if (status === 'completed') this.returnvalue = returnValue === undefined ? null : returnValue;
    return next;
  }

  /**
   * Manual processing: fails the attempt `token` holds with `err`; it is retried while
   * attempts remain (after its backoff). With `fetchNext`, as `moveToCompleted`.
   */
  async moveToFailed(err, token, fetchNext = false) {
    const [, next] = await this._moveToFinished(failedOutcome(describeThrown(err)), token, fetchNext);
    return next;
  }

  /** Ends the attempt; resolves to [how it was stored, the next job as `[jobData, jobId]` or undefined]. */
  async _moveToFinished(outcome, token, fetchNext) {
    const text = await native(this._ops.moveToFinished(
      String(this.id), String(token), outcome, Boolean(fetchNext), this._workerOptions(),
    ));
    const { finished, next } = JSON.parse(text);
    this.attemptsMade = finished.attemptsMade;
    if (finished.status === 'completed') {
      this.finishedOn = finished.finishedOn;
    } else {
      this.failedReason = finished.failedReason;
      if (finished.stacktrace) this.stacktrace = finished.stacktrace;
      if (finished.status === 'failed') this.finishedOn = finished.finishedOn;
    }
    if (!next) return [finished.status, undefined];
    // BullMQ's raw shape, which Job.fromJSON reads.
    const raw = { ...next };
    for (const field of ['data', 'opts', 'progress', 'stacktrace']) raw[field] = JSON.stringify(next[field]);
    return [finished.status, [raw, next.id]];
  }

  /** Extends the lock `token` holds to `duration` ms from now; resolves to 1, or 0 when the token no longer holds it. */
  async extendLock(token, duration) {
    return (await native(this._ops.extendLock(String(this.id), String(token), optionJson(duration)))) ? 1 : 0;
  }

  _workerOptions() {
    return (this._hooks && this._hooks.workerOptions) || '{}';
  }

  /** Frees the job's deduplication id while this job holds it; true when it did. */
  async removeDeduplicationKey() {
    if (this.deduplicationId === undefined) return false;
    return native(this._ops.removeDedup(String(this.deduplicationId), String(this.id)));
  }

  /** ferroq's cross-process cancel of this job (see `queue.cancel`); resolves to 'failed' or 'active'. */
  async cancel(reason) {
    return native(this._ops.cancel(String(this.id), optionJson(reason)));
  }

  /** Moves a failed (or, with `state`, completed) job back to waiting; `{ resetAttemptsMade }` counts its attempts anew. */
  async retry(state = 'failed', opts) {
    await native(this._ops.retryJob(String(this.id), optionJson(state), optionsJson('opts', opts)));
    this.failedReason = undefined;
    this.finishedOn = undefined;
    this.processedOn = undefined;
    this.returnvalue = null;
  }

  /** Makes a delayed job wait to run now (ERR_JOB_STATE when it is not delayed). */
  async promote() {
    await native(this._ops.promote(String(this.id), '{}'));
    this.delay = 0;
  }

  /** Makes a delayed job due `delay` ms from now (ERR_JOB_STATE when it is not delayed). */
  async changeDelay(delay) {
    await native(this._ops.changeDelay(String(this.id), optionJson(delay)));
    this.delay = delay;
  }

  /** Gives the job a new priority (0: none) and lifo; a waiting job moves to its new place. */
  async changePriority(opts) {
    await native(this._ops.changePriority(String(this.id), optionsJson('opts', opts)));
    const { priority = 0 } = opts || {};
    this.priority = priority;
  }

  /** Replaces the job's data. */
  async updateData(data) {
    await native(this._ops.updateData(String(this.id), toJson('data', data, '{}')));
    this.data = data;
  }

  /** The job's current state, or 'unknown' when it no longer exists. */
  async getState() {
    return native(this._ops.getState(String(this.id)));
  }

  /** True when the job is completed. */
  async isCompleted() {
    return (await this.getState()) === 'completed';
  }

  /** True when the job failed for good. */
  async isFailed() {
    return (await this.getState()) === 'failed';
  }

  /** True while a worker processes the job. */
  async isActive() {
    return (await this.getState()) === 'active';
  }

  /** True when the job waits to be processed. */
  async isWaiting() {
    return (await this.getState()) === 'waiting';
  }

  /** True when the job waits for its delay (or retry backoff) to pass. */
  async isDelayed() {
    return (await this.getState()) === 'delayed';
  }

  /** True when the job waits for its children (never, until flows are built). */
  async isWaitingChildren() {
    return (await this.getState()) === 'waiting-children';
  }

  /** True when the job waits in priority order. */
  async isPrioritized() {
    return (await this.getState()) === 'prioritized';
  }

  /**
   * Resolves with the job's return value once it completed, or rejects with its
   * failure reason once it failed, also when that happened before the call; learns of
   * it through `queueEvents` (from any process). `ttl` (ms) bounds the wait.
   */
  async waitUntilFinished(queueEvents, ttl) {
    await queueEvents.waitUntilReady();
    const id = String(this.id);
    return new Promise((resolve, reject) => {
      let timer;
      const settle = (finish) => (value) => {
        clearTimeout(timer);
        queueEvents.off(`completed:${id}`, onCompleted);
        queueEvents.off(`failed:${id}`, onFailed);
        queueEvents.off('closing', onClosing);
        finish(value);
      };
      const onCompleted = ({ returnvalue }) => settle(resolve)(returnvalue);
      const onFailed = ({ failedReason }) => settle(reject)(new Error(failedReason));
      const onClosing = () => settle(reject)(errorFor('ERR_CLOSED', `the QueueEvents closed before job ${id} finished`));
      queueEvents.on(`completed:${id}`, onCompleted);
      queueEvents.on(`failed:${id}`, onFailed);
      queueEvents.on('closing', onClosing);
      if (ttl) {
        timer = setTimeout(
          () => settle(reject)(new Error(`job ${id} (${this.name}) did not finish within ${ttl} ms`)),
          ttl,
        );
      }
      // Finished before the listeners were in place: its stored state tells, read in
      // one step.
      native(this._ops.finishState(id)).then(
        (text) => {
          const { state, returnvalue, failedReason } = JSON.parse(text);
          if (state === 'completed') onCompleted({ returnvalue });
          else if (state === 'failed') onFailed({ failedReason: failedReason === undefined ? '' : failedReason });
          else if (state === 'unknown') {
            settle(reject)(errorFor('ERR_JOB_NOT_FOUND', `job ${id} no longer exists (removed, or removed on finishing)`));
          }
        },
        (err) => settle(reject)(err),
      );
    });
  }

  /** The job as BullMQ stores it: `data`, `returnvalue` and `stacktrace` as JSON text. */
  asJSON() {
    return {
      id: this.id,
      name: this.name,
      data: JSON.stringify(this.data === undefined ? {} : this.data),
      opts: this.opts,
      progress: this.progress,
      attemptsMade: this.attemptsMade,
      attemptsStarted: this.attemptsStarted,
      stalledCounter: this.stalledCounter,
      finishedOn: this.finishedOn,
      processedOn: this.processedOn,
      timestamp: this.timestamp,
      delay: this.delay,
      priority: this.priority,
      failedReason: this.failedReason,
      stacktrace: JSON.stringify(this.stacktrace),
      returnvalue: JSON.stringify(this.returnvalue),
      processedBy: this.processedBy,
      repeatJobKey: this.repeatJobKey,
    };
  }

  /** A plain-object snapshot (what JSON.stringify(job) writes). */
  toJSON() {
    return {
      id: this.id,
      name: this.name,
      data: this.data,
      opts: this.opts,
      progress: this.progress,
      returnvalue: this.returnvalue,
      failedReason: this.failedReason,
      stacktrace: this.stacktrace,
      attemptsMade: this.attemptsMade,
      attemptsStarted: this.attemptsStarted,
      stalledCounter: this.stalledCounter,
      timestamp: this.timestamp,
      processedOn: this.processedOn,
      finishedOn: this.finishedOn,
      delay: this.delay,
      priority: this.priority,
      processedBy: this.processedBy,
      repeatJobKey: this.repeatJobKey,
      queueQualifiedName: this.queueQualifiedName,
    };
  }
}

const FLOWS = 'flows (parent and child jobs) are not built';
defineUnbuilt(Job, {
  discard: ['sync', 'use an UnrecoverableError to fail a job without retries'],
  moveToDelayed: 'moving an active job to delayed from its processor is planned',
  moveToWait: 'moving an active job back to waiting from its processor is planned',
  moveToWaitingChildren: FLOWS,
  getChildrenValues: FLOWS,
  getFailedChildrenValues: FLOWS,
  getIgnoredChildrenFailures: FLOWS,
  getDependencies: FLOWS,
  getDependenciesCount: FLOWS,
  removeChildDependency: FLOWS,
  removeUnprocessedChildren: FLOWS,
  clearLogs: 'trimming a job log is planned',
  asJSONSandbox: 'sandboxed processors are not built',
}, { label: 'job' });
defineUnbuilt(Job, {
  create: 'use queue.add',
  createBulk: 'use queue.addBulk',
}, { label: 'Job', isStatic: true });

module.exports = { Job };
