// The public surface of ferroq: BullMQ's API, typed. Hand-written; the generated
// binding.d.ts is internal.
import { EventEmitter } from 'events';

/** States a job can be in (BullMQ's `JobState`). */
export type JobState =
  | 'completed'
  | 'failed'
  | 'active'
  | 'delayed'
  | 'prioritized'
  | 'waiting'
  | 'waiting-children';

/** State names the getters accept (BullMQ's `JobType`). */
export type JobType = JobState | 'paused' | 'repeat' | 'wait';

/** The two ways a job ends (BullMQ's `FinishedStatus`). */
export type FinishedStatus = 'completed' | 'failed';

/** Progress a processor reports: a number (percentage) or any JSON value. */
export type JobProgress = string | boolean | number | object;

/** A Redis address: host, port, credentials, database, TLS. Other ioredis settings are accepted and ignored. */
export interface RedisConnectionOptions {
  /** A `redis://` or `rediss://` URL; wins over the other fields. */
  url?: string;
  host?: string;
  /** A number, or its text (as `process.env.REDIS_PORT` gives it). */
  port?: number | string;
  username?: string;
  password?: string;
  db?: number | string;
  /** TLS: `true`, or `{ ca, cert, key, rejectUnauthorized }` as ioredis takes them (PEM strings or Buffers). */
  tls?: boolean | object;
  /** How long a command may go unanswered, in ms (ioredis' option; default 10 000). */
  commandTimeout?: number;
  [setting: string]: unknown;
}

/** An ioredis client, as BullMQ users pass it: its `options` are used. */
export interface RedisClientLike {
  options: object;
  connect(...args: any[]): any;
}

/** Where Redis is: a URL, an options object or an ioredis client. Default: `REDIS_URL`, else `redis://127.0.0.1:6379`. */
export type ConnectionOptions = string | RedisConnectionOptions | RedisClientLike;

/** BullMQ's name for a connection options object. */
export type RedisOptions = RedisConnectionOptions;

/** Retry backoff: `fixed` waits `delay` ms, `exponential` waits `2^(attempt-1) · delay` ms; `jitter` (0…1) randomises. */
export interface BackoffOptions {
  type: 'fixed' | 'exponential' | (string & {});
  delay?: number;
  jitter?: number;
}

/** What to keep of finished jobs: at most `count` jobs, none older than `age` seconds. */
export interface KeepJobs {
  age?: number;
  count?: number;
  limit?: number;
}

/** Options a queue applies to every job (`defaultJobOptions`). */
export interface DefaultJobOptions {
  /** Creation time in ms since the epoch (default: now). */
  timestamp?: number;
  /** 1 (highest) … 2 097 151; jobs without priority run before prioritized ones. */
  priority?: number;
  /** Milliseconds to wait before the job can run. */
  delay?: number;
  /** Total number of attempts (default 1). */
  attempts?: number;
  /** Wait between attempts: ms (fixed) or {type, delay, jitter}. */
  backoff?: number | BackoffOptions;
  /** Put the job first in line instead of last. */
  lifo?: boolean;
  /** Remove on completion: true, a number of jobs to keep, or {count, age}. */
  removeOnComplete?: boolean | number | KeepJobs;
  /** Remove on final failure: true, a number of jobs to keep, or {count, age}. */
  removeOnFail?: boolean | number | KeepJobs;
  /** Not built in ferroq yet: ignored (a job's log is kept whole until the job is removed). */
  keepLogs?: number;
  /** Stack traces of failed attempts to keep, newest first (default 10). */
  stackTraceLimit?: number;
  /** Largest serialized `data` in bytes; a larger job is refused with `ERR_PAYLOAD_TOO_LARGE`. */
  sizeLimit?: number;
}

/** Options of one job (BullMQ's `BaseJobOptions`). */
export interface BaseJobOptions extends DefaultJobOptions {
  /** A custom id: a non-empty string, not an integer, without ':'. Adding an existing id returns the existing job. */
  jobId?: string;
  /** Makes `add` a repeatable job: a job scheduler keyed `name:jobId:endDate:tz:pattern-or-every` (`addBulk` refuses it with UnsupportedError). */
  repeat?: RepeatOptions;
  /** Set by a job scheduler on the jobs it makes: its id. */
  repeatJobKey?: string;
  /** Not built in ferroq yet: `add` rejects with UnsupportedError (flows are not built). */
  parent?: ParentOptions;
  /** Not built in ferroq yet: ignored (internal to repeatable jobs). */
  prevMillis?: number;
}

/** BullMQ's options of one job in `addBulk`. */
export type BulkJobOptions = JobsOptions;

/** Options of `queue.add` (BullMQ's `JobsOptions`). */
export interface JobsOptions extends BaseJobOptions {
  /** Per-attempt time limit in ms: the attempt fails with a timeout error and the processor's AbortSignal fires. */
  timeout?: number;
  /** While a job added with this `id` lives (until it completes or fails; with `ttl`, for ttl ms), an add with the same id adds nothing and resolves to that job; `extend` restarts the ttl, `replace` replaces a job still delayed; `keepLastIfActive` is not built (UnsupportedError). */
  deduplication?: DeduplicationOptions;
  /** BullMQ's older name of `deduplication`. */
  debounce?: DeduplicationOptions;
  /** Not built in ferroq yet: `add` rejects with UnsupportedError when true (flows are not built). */
  failParentOnFailure?: boolean;
  /** Not built in ferroq yet: `add` rejects with UnsupportedError when true (flows are not built). */
  continueParentOnFailure?: boolean;
  /** Not built in ferroq yet: `add` rejects with UnsupportedError when true (flows are not built). */
  ignoreDependencyOnFailure?: boolean;
  /** Not built in ferroq yet: `add` rejects with UnsupportedError when true (flows are not built). */
  removeDependencyOnFailure?: boolean;
  /** Not built in ferroq yet: ignored (telemetry is not built). */
  telemetry?: { metadata?: string; omitContext?: boolean };
}

/** When and how often a job scheduler (or a repeatable job) makes jobs (BullMQ's `RepeatOptions`). */
export interface RepeatOptions {
  /** A cron pattern: five fields, or six with seconds first (`@hourly`, `L`, `5#2` too), read in `tz`. */
  pattern?: string;
  /** Bull's name of `pattern`. */
  cron?: string;
  /** Milliseconds between jobs (instead of `pattern`): the first at once, then in phase. */
  every?: number;
  /** Most jobs in all; the scheduler ends after the last. */
  limit?: number;
  /** The scheduler id of a repeatable job added with `add` (default `name:jobId:endDate:tz:pattern-or-every`). */
  key?: string;
  /** A pattern's first job is due at once (not with `startDate`). */
  immediately?: boolean;
  /** Not built in ferroq yet: ignored (each job's `opts.repeat.count` is set by the scheduler). */
  count?: number;
  /** Shifts an `every` schedule's first due time (ms). */
  offset?: number;
  /** Not built in ferroq yet: ignored (the scheduler keeps its own due times). */
  prevMillis?: number;
  /** Not built in ferroq yet: ignored (a repeatable job's `jobId` is the option of `add`). */
  jobId?: string;
  /** No job is due before this time. */
  startDate?: Date | string | number;
  /** No job is due after this time. */
  endDate?: Date | string | number;
  /** Not built in ferroq yet: ignored (schedules start from now). */
  currentDate?: Date | string | number;
  /** An IANA time zone for `pattern` (default UTC); daylight-saving changes neither skip nor double a job. */
  tz?: string;
  /** Not built in ferroq yet: ignored (use `tz`). */
  utc?: boolean;
  /** Not built in ferroq yet: ignored (write `DAY#N` in the pattern). */
  nthDayOfWeek?: number;
}

/** Adds a job only when none with the same `id` exists (BullMQ's `DeduplicationOptions`). */
export interface DeduplicationOptions {
  id: string;
  /** How long the id blocks duplicates, in ms (without it: until the job completes or fails). */
  ttl?: number;
  /** Each deduplicated add restarts the ttl. */
  extend?: boolean;
  /** A new add replaces the job while it is still delayed (debounce). */
  replace?: boolean;
  /** Not built in ferroq yet: `true` makes `add` reject with UnsupportedError. */
  keepLastIfActive?: boolean;
}

/** The parent of a job in a flow: its id and its queue's qualified name. */
export interface ParentOptions {
  id: string;
  queue: string;
}

/** A job's parent as BullMQ stores it. */
export interface ParentKeys {
  id?: string;
  queueKey: string;
  fpof?: boolean;
  rdof?: boolean;
  idof?: boolean;
  cpof?: boolean;
}

/** A worker's rate limit: at most `max` jobs every `duration` ms. */
export interface RateLimiterOptions {
  max: number;
  duration: number;
}

/** How many metric points (minutes) to keep. */
export interface MetricsOptions {
  maxDataPoints?: number;
}

/** Jobs finished per minute, as `queue.getMetrics` gives them. */
export interface Metrics {
  meta: { count: number; prevTS: number; prevCount: number };
  data: number[];
  count: number;
}

/** The delay of a retry, computed from the attempts made (BullMQ's custom backoff). */
export type BackoffStrategy = (
  attemptsMade: number,
  type?: string,
  err?: Error,
  job?: Job,
) => Promise<number> | number;

/** The next run of a repeatable job, computed from the last one. */
export type RepeatStrategy = (
  millis: number,
  opts: RepeatOptions,
  name?: string,
) => number | undefined | Promise<number | undefined>;

/** Options of repeatable jobs. */
export interface AdvancedRepeatOptions {
  /** Not built in ferroq yet: ignored (schedules are computed in the engine: cron patterns or `every`). */
  repeatStrategy?: RepeatStrategy;
  /** Not built in ferroq yet: ignored (repeatable jobs' keys are not hashed). */
  repeatKeyHashAlgorithm?: string;
}

/** A worker's `settings`. */
export interface AdvancedOptions extends AdvancedRepeatOptions {
  /** Not built in ferroq yet: `new Worker` throws UnsupportedError (custom backoff types are planned). */
  backoffStrategy?: BackoffStrategy;
}

/** An OpenTelemetry-style tracer, as BullMQ's `Telemetry` takes it. */
export interface Tracer<Context = any> {
  startSpan(name: string, options?: any, context?: Context): any;
}

/** An OpenTelemetry-style context manager, as BullMQ's `Telemetry` takes it. */
export interface ContextManager<Context = any> {
  with<A extends (...args: any[]) => any>(context: Context, fn: A): ReturnType<A>;
  active(): Context;
  getMetadata(context: Context): string;
  fromMetadata(activeContext: Context, metadata: string): Context;
}

/** BullMQ's telemetry hooks (e.g. bullmq-otel). */
export interface Telemetry<Context = any> {
  tracer: Tracer<Context>;
  contextManager: ContextManager<Context>;
}

/** The options of the jobs a job scheduler creates. */
export type JobSchedulerTemplateOptions = Omit<JobsOptions, 'jobId' | 'repeat' | 'delay' | 'deduplication' | 'debounce'>;

/** A job scheduler as `queue.getJobScheduler` gives it. */
export interface JobSchedulerJson<D = any> {
  key: string;
  name: string;
  id?: string | null;
  iterationCount?: number;
  limit?: number;
  startDate?: number;
  endDate?: number;
  tz?: string;
  pattern?: string;
  every?: number;
  next?: number;
  offset?: number;
  template?: { data?: D; opts?: JobSchedulerTemplateOptions };
}

/** A repeatable job as `queue.getRepeatableJobs` gives it. */
export interface RepeatableJob {
  key: string;
  name: string;
  id?: string | null;
  endDate: number | null;
  tz: string | null;
  pattern: string | null;
  every?: string | null;
  next?: number;
}

/** A queue's global settings as `queue.getMeta` gives them. */
export interface QueueMeta {
  concurrency?: number;
  max?: number;
  duration?: number;
  maxLenEvents?: number;
  paused?: boolean;
  version?: string;
}

/** `queue.obliterate` options. */
export interface ObliterateOpts {
  /** Remove even while jobs are active. */
  force?: boolean;
  /** Keys removed per step. */
  count?: number;
}

/** `job.retry` options. */
export interface RetryOptions {
  resetAttemptsMade?: boolean;
  resetAttemptsStarted?: boolean;
}

/** Options shared by Queue, Worker and QueueEvents. */
export interface QueueBaseOptions {
  connection?: ConnectionOptions;
  /** Key prefix (default `ferroq`). */
  prefix?: string;
  /** Not built in ferroq yet: ignored (there is no BullMQ version to check; the engine checks Redis itself). */
  skipVersionCheck?: boolean;
  /** Not built in ferroq yet: ignored (the engine decides which connections block). */
  blockingConnection?: boolean;
  /** Not built in ferroq yet: ignored (no spans are recorded). */
  telemetry?: Telemetry;
  /** Not built in ferroq yet: ignored (calls wait for Redis as the engine sees fit). */
  skipWaitingForReady?: boolean;
}

/** Options of `QueueEvents`. */
export interface QueueEventsOptions extends QueueBaseOptions {
  /** Start reading at once (default true); otherwise call `run()`. */
  autorun?: boolean;
  /** Read the events after this stream id; default `'$'`: from now. */
  lastEventId?: string;
  /** Longest single blocking read in ms (default 10 000). */
  blockingTimeout?: number;
}

export interface QueueOptions extends QueueBaseOptions {
  /**
   * ferroq's addition: the largest job (name, data and options, serialized) `add`
   * accepts, in bytes; default 64 MiB. A larger one is refused with
   * `ERR_PAYLOAD_TOO_LARGE` before anything is sent.
   */
  maxPayloadBytes?: number;
  defaultJobOptions?: DefaultJobOptions;
  /** The event stream: `maxLen` caps it at about that many events (default 10 000; 0: no events). */
  streams?: { events: { maxLen: number } };
  /** Not built in ferroq yet: ignored (ferroq keeps no BullMQ meta hash). */
  skipMetasUpdate?: boolean;
  /** Not built in ferroq yet: ignored (custom repeat strategies are not built). */
  settings?: AdvancedRepeatOptions;
}

export interface WorkerOptions extends QueueBaseOptions {
  /** Jobs processed at once (default 1). */
  concurrency?: number;
  /** Start processing at once (default true); else call `run()`. */
  autorun?: boolean;
  /** Lock lifetime in ms (default 30 000); renewed by the engine every `lockRenewTime`. */
  lockDuration?: number;
  /** Lock renewal period in ms (default lockDuration / 2). */
  lockRenewTime?: number;
  /** How often stalled jobs are looked for, in ms (default 30 000). */
  stalledInterval?: number;
  /** Stalls a job survives before it fails (default 1). */
  maxStalledCount?: number;
  /** Longest wait for new jobs in one blocking call, in seconds (default 5). */
  drainDelay?: number;
  removeOnComplete?: KeepJobs | boolean | number;
  removeOnFail?: KeepJobs | boolean | number;
  /** The worker's name, stored with every job it takes (`job.processedBy`). */
  name?: string;
  /** At most `max` jobs of the queue start in any `duration` ms, across all workers of all processes (a sliding window, enforced in the fetch); the queue's `setGlobalRateLimit` takes precedence. */
  limiter?: RateLimiterOptions;
  /** Not built in ferroq yet: ignored (this worker checks for stalled jobs all the same). */
  skipStalledCheck?: boolean;
  /** Not built in ferroq yet: ignored (the engine renews the locks of the jobs it runs all the same). */
  skipLockRenewal?: boolean;
  /** Not built in ferroq yet: ignored (the engine retries Redis on its own schedule). */
  runRetryDelay?: number;
  /** Accepted and ignored: a limited worker sleeps exactly until a job may start. */
  maximumRateLimitDelay?: number;
  /** Not built in ferroq yet: `new Worker` throws UnsupportedError (a limit on started attempts is planned). */
  maxStartedAttempts?: number;
  /** Counts the jobs this worker finishes per minute (`queue.getMetrics`), keeping `maxDataPoints` minutes (a week by default). */
  metrics?: MetricsOptions;
  /** A custom `backoffStrategy` is not built in ferroq yet: `new Worker` throws UnsupportedError; the rest is ignored. */
  settings?: AdvancedOptions;
  /** Not built in ferroq yet: `new Worker` throws UnsupportedError when true (sandboxed processors are not built). */
  useWorkerThreads?: boolean;
  /** Not built in ferroq yet: ignored (sandboxed processors are not built). */
  workerForkOptions?: object;
  /** Not built in ferroq yet: ignored (sandboxed processors are not built). */
  workerThreadsOptions?: object;
}

/** A job's log lines and their total count. */
export interface JobLogs {
  logs: string[];
  count: number;
}

/** A job as BullMQ stores it (`job.asJSON()`): `data`, `returnvalue` and `stacktrace` as JSON text. */
export interface JobJson {
  id: string;
  name: string;
  data: string;
  opts: JobsOptions;
  progress: JobProgress;
  attemptsMade: number;
  attemptsStarted: number;
  stalledCounter: number;
  finishedOn?: number;
  processedOn?: number;
  timestamp: number;
  delay?: number;
  priority?: number;
  failedReason: string;
  stacktrace?: string;
  returnvalue: string;
  parent?: ParentKeys;
  parentKey?: string;
  repeatJobKey?: string;
  deduplicationId?: string;
  processedBy?: string;
}

/** A plain-object snapshot of a job (`job.toJSON()`, what `JSON.stringify(job)` writes). */
export interface JobSnapshot<DataType = any, ReturnType = any, NameType extends string = string> {
  id?: string;
  name: NameType;
  data: DataType;
  opts: JobsOptions;
  progress: JobProgress;
  returnvalue: ReturnType;
  failedReason: string;
  stacktrace: string[];
  attemptsMade: number;
  attemptsStarted: number;
  stalledCounter: number;
  timestamp: number;
  processedOn?: number;
  finishedOn?: number;
  delay: number;
  priority: number;
  processedBy?: string;
  queueQualifiedName: string;
}

export declare class Job<DataType = any, ReturnType = any, NameType extends string = string> {
  /** The job's id (generated ids are increasing integers, as strings). */
  id?: string;
  name: NameType;
  data: DataType;
  opts: JobsOptions;
  progress: JobProgress;
  returnvalue: ReturnType;
  failedReason: string;
  stacktrace: string[];
  /** Attempts that ended (completed or failed). */
  attemptsMade: number;
  /** Attempts begun: counted each time a worker takes the job. */
  attemptsStarted: number;
  /** Times the job was recovered after its worker stopped renewing its lock. */
  stalledCounter: number;
  /** When the job was created (ms since the epoch). */
  timestamp: number;
  /** When the latest attempt started. */
  processedOn?: number;
  /** When the job completed or failed for good. */
  finishedOn?: number;
  delay: number;
  priority: number;
  /** The lock token of the running attempt (inside a worker). */
  token?: string;
  /** The `name` of the worker that took the job last (its `name` option). */
  processedBy?: string;
  queueName: string;
  /** The key prefix of the job's queue. */
  prefix: string;
  queueQualifiedName: string;
  /** Not built in ferroq yet: always undefined (flows are not built). */
  parentKey?: string;
  /** Not built in ferroq yet: always undefined (flows are not built). */
  parent?: ParentKeys;
  /** The id of the job scheduler that made the job (undefined for other jobs). */
  repeatJobKey?: string;
  /** Not built in ferroq yet: always undefined (a scheduler's next job is made when this one starts). */
  nextRepeatableJobId?: string;
  /** The job's deduplication id (`opts.deduplication.id`, or `opts.debounce.id`). */
  deduplicationId?: string;
  /** The same, by BullMQ's older name. */
  debounceId?: string;
  /** Not built in ferroq yet: always undefined (flows are not built). */
  deferredFailure?: string;

  /** Not built in ferroq yet: rejects with UnsupportedError (use `queue.add`). */
  static create<T = any, R = any, N extends string = string>(
    queue: Queue<T, R, N>,
    name: N,
    data: T,
    opts?: JobsOptions,
  ): Promise<Job<T, R, N>>;
  /** Not built in ferroq yet: rejects with UnsupportedError (use `queue.addBulk`). */
  static createBulk<T = any, R = any, N extends string = string>(
    queue: Queue<T, R, N>,
    jobs: { name: N; data: T; opts?: BulkJobOptions }[],
  ): Promise<Job<T, R, N>[]>;
  /** Appends a line to the log of job `jobId` of `queue`; `keepLogs` is not built in ferroq yet (ignored). */
  static addJobLog(queue: Queue<any, any, any>, jobId: string, logRow: string, keepLogs?: number): Promise<number>;
  /** A Job of `queue` from `[jobData, jobId]` as `moveToCompleted` resolves to them. */
  static fromJSON<D = any, R = any, N extends string = string>(
    queue: Queue<D, R, N> | Worker<D, R, N>,
    json: any,
    jobId?: string,
  ): Job<D, R, N>;
  /** The job with this id in `queue`, or undefined. */
  static fromId<D = any, R = any, N extends string = string>(
    queue: Queue<D, R, N>,
    jobId: string,
  ): Promise<Job<D, R, N> | undefined>;
  /** Stores progress and emits `progress` on the Queue or Worker that handed out the job. */
  updateProgress(progress: JobProgress): Promise<void>;
  /** Appends a line to the job's log; resolves to the number of lines. */
  log(logRow: string): Promise<number>;
  /** The job's current state, or 'unknown' when it no longer exists. */
  getState(): Promise<JobState | 'unknown'>;
  /** True when the job completed. */
  isCompleted(): Promise<boolean>;
  /** True when the job failed for good. */
  isFailed(): Promise<boolean>;
  /** True while a worker processes the job. */
  isActive(): Promise<boolean>;
  /** True when the job waits to be processed. */
  isWaiting(): Promise<boolean>;
  /** True when the job waits for its delay or retry backoff. */
  isDelayed(): Promise<boolean>;
  /** True when the job waits in priority order. */
  isPrioritized(): Promise<boolean>;
  /** True when the job waits for its children (never in ferroq, where flows are not built). */
  isWaitingChildren(): Promise<boolean>;
  /** Removes the job; a job a worker runs is `ERR_JOB_LOCKED`. */
  remove(opts?: { removeChildren?: boolean }): Promise<void>;
  /** Moves a failed (or completed) job back to waiting; `ERR_JOB_STATE` when it is not in that state. */
  retry(state?: FinishedStatus, opts?: RetryOptions): Promise<void>;
  /** Makes a delayed job wait to run now; `ERR_JOB_STATE` when it is not delayed. */
  promote(): Promise<void>;
  /** Replaces the job's data. */
  updateData(data: DataType): Promise<void>;
  /** Makes a delayed job due `delay` ms from now; `ERR_JOB_STATE` when it is not delayed. */
  changeDelay(delay: number): Promise<void>;
  /**
   * ferroq's own: cancels this job from any process (see `Queue.cancel`); resolves to
   * its state right after the call.
   */
  cancel(reason?: string): Promise<'failed' | 'active'>;
  /** Gives the job a new priority (0: none) and lifo; a waiting job moves to its new place. */
  changePriority(opts: { priority?: number; lifo?: boolean }): Promise<void>;
  /**
   * Resolves with the return value once the job completed, or rejects with its failure
   * reason once it failed (also when that happened before the call), learning of it
   * through `queueEvents`; `ttl` (ms) bounds the wait.
   */
  waitUntilFinished(queueEvents: QueueEvents, ttl?: number): Promise<ReturnType>;
  /**
   * Manual processing: completes the job `token` holds; with `fetchNext` (default true)
   * takes the next job with the same token and resolves to `[jobData, jobId]`.
   */
  moveToCompleted(returnValue: ReturnType, token: string, fetchNext?: boolean): Promise<void | any[]>;
  /**
   * Manual processing: fails the attempt `token` holds (retried while attempts remain,
   * after its backoff); `fetchNext` as in `moveToCompleted` (default false).
   */
  moveToFailed(err: Error, token: string, fetchNext?: boolean): Promise<void | any[]>;
  /** Extends the lock `token` holds to `duration` ms from now; 1, or 0 when the token no longer holds it. */
  extendLock(token: string, duration: number): Promise<number>;
  /** A plain-object snapshot (what `JSON.stringify(job)` writes). */
  toJSON(): JobSnapshot<DataType, ReturnType, NameType>;
  /** The job as BullMQ stores it: `data`, `returnvalue` and `stacktrace` as JSON text. */
  asJSON(): JobJson;
  /** Not built in ferroq yet: throws UnsupportedError (sandboxed processors are not built). */
  asJSONSandbox(): JobJson;
  /** Not built in ferroq yet: throws UnsupportedError (fail the job with an UnrecoverableError to skip retries). */
  discard(): void;
  /** Not built in ferroq yet: rejects with UnsupportedError (moving an active job to delayed is planned). */
  moveToDelayed(timestamp: number, token?: string): Promise<void>;
  /** Not built in ferroq yet: rejects with UnsupportedError (moving an active job back to waiting is planned). */
  moveToWait(token?: string): Promise<number>;
  /** Not built in ferroq yet: rejects with UnsupportedError (flows are not built). */
  moveToWaitingChildren(token: string, opts?: { child?: ParentOptions }): Promise<boolean>;
  /** Not built in ferroq yet: rejects with UnsupportedError (flows are not built). */
  getChildrenValues<CT = any>(): Promise<{ [jobKey: string]: CT }>;
  /** Not built in ferroq yet: rejects with UnsupportedError (flows are not built). */
  getFailedChildrenValues(): Promise<{ [jobKey: string]: string }>;
  /** Not built in ferroq yet: rejects with UnsupportedError (flows are not built). */
  getIgnoredChildrenFailures(): Promise<{ [jobKey: string]: string }>;
  /** Not built in ferroq yet: rejects with UnsupportedError (flows are not built). */
  getDependencies(opts?: DependenciesOpts): Promise<{
    nextFailedCursor?: number;
    failed?: string[];
    nextIgnoredCursor?: number;
    ignored?: Record<string, any>;
    nextProcessedCursor?: number;
    processed?: Record<string, any>;
    nextUnprocessedCursor?: number;
    unprocessed?: string[];
  }>;
  /** Not built in ferroq yet: rejects with UnsupportedError (flows are not built). */
  getDependenciesCount(opts?: {
    failed?: boolean;
    ignored?: boolean;
    processed?: boolean;
    unprocessed?: boolean;
  }): Promise<{ failed?: number; ignored?: number; processed?: number; unprocessed?: number }>;
  /** Not built in ferroq yet: rejects with UnsupportedError (flows are not built). */
  removeChildDependency(): Promise<boolean>;
  /** Not built in ferroq yet: rejects with UnsupportedError (flows are not built). */
  removeUnprocessedChildren(): Promise<void>;
  /** Frees the job's deduplication id while this job holds it; true when it did. */
  removeDeduplicationKey(): Promise<boolean>;
  /** Not built in ferroq yet: rejects with UnsupportedError (trimming a job's log is planned). */
  clearLogs(keepLogs?: number): Promise<void>;
}

/** Pages of a job's dependencies (`job.getDependencies`). */
export interface DependenciesOpts {
  failed?: { cursor?: number; count?: number };
  ignored?: { cursor?: number; count?: number };
  processed?: { cursor?: number; count?: number };
  unprocessed?: { cursor?: number; count?: number };
}

/** `worker.getNextJob` options. */
export interface GetNextJobOptions {
  /** Wait up to `drainDelay` for a job when none waits (default true). */
  block?: boolean;
}

/** The worker's processor: runs one job, resolves to its result. */
export type Processor<DataType = any, ResultType = any, NameType extends string = string> = (
  job: Job<DataType, ResultType, NameType>,
  token?: string,
  signal?: AbortSignal,
) => Promise<ResultType>;

type ExtractData<T> = T extends Job<infer D, any, any> ? D : T;
type ExtractResult<T, R> = T extends Job<any, infer R2, any> ? R2 : R;
type ExtractName<T, N extends string> = T extends Job<any, any, infer N2> ? N2 : N;

export interface QueueListener<DataType = any, ResultType = any, NameType extends string = string> {
  /** This Queue cleaned jobs (`clean`): their ids and the state. */
  cleaned: (jobs: string[], type: string) => void;
  /** A job was added by this Queue instance. */
  waiting: (job: Job<DataType, ResultType, NameType>) => void;
  /**
   * A job read through this Queue reported progress. The first argument is the Job (as
   * BullMQ passes it at run time; BullMQ's types call it `jobId: string`, so both fit).
   */
  progress: (job: any, progress: JobProgress) => void;
  /** This Queue paused the queue. */
  paused: () => void;
  /** This Queue resumed the queue. */
  resumed: () => void;
  /** This Queue removed a job (`remove`). */
  removed: (jobId: string) => void;
  /** A failure this Queue reports outside a call's own promise. */
  error: (err: Error) => void;
  /** Not built in ferroq yet: never emitted (the connection lives in the Rust engine). */
  'ioredis:close': () => void;
}

/** What Queue, Worker and QueueEvents share (BullMQ's `QueueBase`). */
export declare class QueueBase extends EventEmitter {
  /** The queue's name. */
  readonly name: string;
  /** The options given, with the prefix in effect. */
  readonly opts: QueueBaseOptions;
  /** `prefix:name`, the stem of the queue's keys. */
  readonly qualifiedName: string;
  /** The promise of `close()` once it was called, else undefined. */
  readonly closing: Promise<void> | undefined;
  /** Not built in ferroq yet: rejects with UnsupportedError (the Redis connection lives in the Rust engine). */
  readonly client: Promise<any>;
  /** Not built in ferroq yet: reading it throws UnsupportedError (the Redis connection lives in the Rust engine). */
  readonly redisVersion: string;
  /** Resolves once Redis answers; rejects with `ERR_CONNECTION` when it cannot. */
  waitUntilReady(): Promise<void>;
  /** Closes the instance and its Redis connections. */
  close(): Promise<void>;
  /** Not built in ferroq yet: rejects with UnsupportedError (use `close()`). */
  disconnect(): Promise<void>;
}

export declare class Queue<
  DataTypeOrJob = any,
  DefaultResultType = any,
  DefaultNameType extends string = string,
  DataType = ExtractData<DataTypeOrJob>,
  ResultType = ExtractResult<DataTypeOrJob, DefaultResultType>,
  NameType extends string = ExtractName<DataTypeOrJob, DefaultNameType>,
> extends QueueBase {
  readonly opts: QueueOptions;
  /** Opens queue `name`; nothing connects until the first call. */
  constructor(name: string, opts?: QueueOptions);
  /** Resolves once the queue reaches Redis; rejects with `ERR_CONNECTION` when it cannot. */
  waitUntilReady(): Promise<void>;
  /** The queue's default job options. */
  get defaultJobOptions(): JobsOptions;
  /** The queue's default job options (BullMQ's `jobsOpts`). */
  readonly jobsOpts: BaseJobOptions;
  /** Not built in ferroq yet: reading it throws UnsupportedError (ferroq keeps no BullMQ meta hash). */
  readonly metaValues: Record<string, string | number>;
  /** Not built in ferroq yet: rejects with UnsupportedError (use the Queue's repeatable-job methods). */
  readonly repeat: Promise<any>;
  /** Not built in ferroq yet: rejects with UnsupportedError (use the Queue's job-scheduler methods). */
  readonly jobScheduler: Promise<any>;
  /** Adds a job; an existing custom `jobId` resolves to the existing job. */
  add(name: NameType, data: DataType, opts?: JobsOptions): Promise<Job<DataType, ResultType, NameType>>;
  /** Adds many jobs atomically in one round trip. */
  addBulk(
    jobs: { name: NameType; data: DataType; opts?: JobsOptions }[],
  ): Promise<Job<DataType, ResultType, NameType>[]>;
  /** The job with this id, or undefined. */
  getJob(jobId: string): Promise<Job<DataType, ResultType, NameType> | undefined>;
  /** The state of a job, or 'unknown'. */
  getJobState(jobId: string): Promise<JobState | 'unknown'>;
  /** Counts per state (all states when none is named). */
  getJobCounts(...types: JobType[]): Promise<{ [index: string]: number }>;
  /** Total number of jobs in the given states. */
  getJobCountByTypes(...types: JobType[]): Promise<number>;
  /** Jobs waiting to run: waiting, delayed, prioritized and paused. */
  count(): Promise<number>;
  /** Number of completed jobs. */
  getCompletedCount(): Promise<number>;
  /** Number of failed jobs. */
  getFailedCount(): Promise<number>;
  /** Number of delayed jobs. */
  getDelayedCount(): Promise<number>;
  /** Number of active jobs. */
  getActiveCount(): Promise<number>;
  /** Number of waiting jobs. */
  getWaitingCount(): Promise<number>;
  /** Number of prioritized jobs. */
  getPrioritizedCount(): Promise<number>;
  /** Number of jobs waiting for their children (0: flows are not built). */
  getWaitingChildrenCount(): Promise<number>;
  /** Jobs in the given states, each state's range start..end (inclusive), newest first unless `asc`. */
  getJobs(
    types?: JobType[] | JobType,
    start?: number,
    end?: number,
    asc?: boolean,
  ): Promise<Job<DataType, ResultType, NameType>[]>;
  /** Waiting jobs, oldest first. */
  getWaiting(start?: number, end?: number): Promise<Job<DataType, ResultType, NameType>[]>;
  /** Active jobs. */
  getActive(start?: number, end?: number): Promise<Job<DataType, ResultType, NameType>[]>;
  /** Delayed jobs, soonest first. */
  getDelayed(start?: number, end?: number): Promise<Job<DataType, ResultType, NameType>[]>;
  /** Prioritized jobs, in run order. */
  getPrioritized(start?: number, end?: number): Promise<Job<DataType, ResultType, NameType>[]>;
  /** Completed jobs, newest first. */
  getCompleted(start?: number, end?: number): Promise<Job<DataType, ResultType, NameType>[]>;
  /** Failed jobs, newest first. */
  getFailed(start?: number, end?: number): Promise<Job<DataType, ResultType, NameType>[]>;
  /** Jobs waiting for their children (none: flows are not built). */
  getWaitingChildren(start?: number, end?: number): Promise<Job<DataType, ResultType, NameType>[]>;
  /** A job's log lines start..end (inclusive) and their count. */
  getJobLogs(jobId: string, start?: number, end?: number, asc?: boolean): Promise<JobLogs>;
  /** Pauses the queue for every worker of every process (running jobs finish); its waiting jobs count as `paused`. */
  pause(): Promise<void>;
  /** Resumes a paused queue. */
  resume(): Promise<void>;
  /** True while the queue is paused. */
  isPaused(): Promise<boolean>;
  /** The queue's live workers, from any process: Redis' client fields, `name` being the worker's `name` option. */
  getWorkers(): Promise<{ [index: string]: string }[]>;
  /** How many workers the queue has. */
  getWorkersCount(): Promise<number>;
  /** Removes a job, whatever its state (`removed` event): 1, or 0 when there is none; a job a worker runs is `ERR_JOB_LOCKED`. */
  remove(jobId: string, opts?: { removeChildren?: boolean }): Promise<number>;
  /** Stores a job's progress by id; emits `progress` (jobId, progress). */
  updateJobProgress(jobId: string, progress: JobProgress): Promise<void>;
  /** Appends a line to a job's log by id; resolves to its number of lines (`keepLogs` is not built in ferroq yet: ignored). */
  addJobLog(jobId: string, logRow: string, keepLogs?: number): Promise<number>;
  /**
   * ferroq's own cross-process cancel: a job waiting to run fails now with `reason`
   * (default 'cancelled'), without retry; an active one has its processor's
   * AbortSignal fired (`signal.reason` is `reason`) in whichever process runs it and
   * ends failed with `reason`, whatever the processor does. Resolves to the job's
   * state right after the call ('active' while its worker ends it). A finished job
   * rejects with `JobStateError`, a missing one with `JobNotFoundError`.
   */
  cancel(jobId: string, reason?: string): Promise<'failed' | 'active'>;
  /** Removes the jobs waiting to run (waiting, prioritized, paused; delayed too with `delayed`). */
  drain(delayed?: boolean): Promise<void>;
  /** Removes up to `limit` (0: all) jobs of `type` (default completed) older than `grace` ms; resolves to their ids. */
  clean(
    grace: number,
    limit: number,
    type?: 'completed' | 'wait' | 'waiting' | 'active' | 'paused' | 'prioritized' | 'delayed' | 'failed',
  ): Promise<string[]>;
  /** Removes the queue and all its jobs, `count` a step; refuses while jobs are active unless `force`. */
  obliterate(opts?: ObliterateOpts): Promise<void>;
  /** Moves failed (or completed) jobs finished before `timestamp` back to waiting, `count` a step. */
  retryJobs(opts?: { count?: number; state?: FinishedStatus; timestamp?: number }): Promise<void>;
  /** Makes every delayed job wait to run now, `count` a step. */
  promoteJobs(opts?: { count?: number }): Promise<void>;
  /** Lets adds already made finish, then closes the queue's Redis connection (a shared one once no other queue or worker of this process uses it). */
  close(): Promise<void>;

  /** Not built in ferroq yet: rejects with UnsupportedError (ferroq keeps no BullMQ meta hash). */
  getVersion(): Promise<string>;
  /** Not built in ferroq yet: rejects with UnsupportedError (ferroq keeps no BullMQ meta hash). */
  getMeta(): Promise<QueueMeta>;
  /**
   * Creates or updates a job scheduler: jobs from `jobTemplate` (name defaults to the id) on
   * `repeatOpts` (`pattern`, a cron pattern with optional seconds, in `tz`; or `every` ms,
   * first job at once), bounded by `startDate`, `endDate`, `limit`. Idempotent: the same call
   * keeps the waiting job; exactly one job of it waits at a time. Resolves to that job, or
   * undefined when the schedule has ended.
   */
  upsertJobScheduler(
    jobSchedulerId: string,
    repeatOpts: Omit<RepeatOptions, 'key'>,
    jobTemplate?: { name?: NameType; data?: DataType; opts?: JobSchedulerTemplateOptions },
  ): Promise<Job<DataType, ResultType, NameType>>;
  /** Job scheduler `id` with its schedule, `next` due time, `iterationCount` and template; undefined when none. */
  getJobScheduler(id: string): Promise<JobSchedulerJson<DataType> | undefined>;
  /** Job schedulers ranked by their next due time (latest first unless `asc`). */
  getJobSchedulers(start?: number, end?: number, asc?: boolean): Promise<JobSchedulerJson<DataType>[]>;
  /** How many job schedulers the queue has. */
  getJobSchedulersCount(): Promise<number>;
  /** Removes a job scheduler and its waiting job; false when there was none. */
  removeJobScheduler(jobSchedulerId: string): Promise<boolean>;
  /** Repeatable jobs and job schedulers in BullMQ's `RepeatableJob` shape (`key` is what `removeRepeatableByKey` takes). */
  getRepeatableJobs(start?: number, end?: number, asc?: boolean): Promise<RepeatableJob[]>;
  /** Removes the repeatable job `add` made with this name, `repeat` and `jobId`; false when there was none. */
  removeRepeatable(name: NameType, repeatOpts: RepeatOptions, jobId?: string): Promise<boolean>;
  /** Removes the repeatable job or job scheduler with this key; false when there was none. */
  removeRepeatableByKey(key: string): Promise<boolean>;
  /** At most `concurrency` (integer ≥ 1) jobs active at once across all workers, enforced in the fetch; resolves to 1. */
  setGlobalConcurrency(concurrency: number): Promise<number>;
  /** At most `max` jobs start in any `duration` ms across all workers (over their `limiter`); resolves to 1. */
  setGlobalRateLimit(max: number, duration: number): Promise<number>;
  /** Removes the global concurrency; resolves to 1. */
  removeGlobalConcurrency(): Promise<number>;
  /** Removes the global rate limit; resolves to 1. */
  removeGlobalRateLimit(): Promise<number>;
  /** The global concurrency, or null when none is set. */
  getGlobalConcurrency(): Promise<number | null>;
  /** The global rate limit, or null when none is set. */
  getGlobalRateLimit(): Promise<{ max: number; duration: number } | null>;
  /** True while the active jobs fill the global concurrency (false without one). */
  isMaxed(): Promise<boolean>;
  /** Holds every worker of the queue from starting jobs for `expireTimeMs` (an upstream answered 429). */
  rateLimit(expireTimeMs: number): Promise<void>;
  /** Ms until a job may start under the global rate limit or `rateLimit(ms)` (0: now; `maxJobs` is ignored). */
  getRateLimitTtl(maxJobs?: number): Promise<number>;
  /** Forgets the recorded starts and any `rateLimit(ms)`: jobs may start at once; resolves to 1. */
  removeRateLimitKey(): Promise<number>;
  /** The id of the live job holding deduplication id `id`, or null. */
  getDeduplicationJobId(id: string): Promise<string | null>;
  /** The same, by BullMQ's older name. */
  getDebounceJobId(id: string): Promise<string | null>;
  /** Frees deduplication id `id` (the next add with it adds a job); 1 when a key was removed, else 0. */
  removeDeduplicationKey(id: string): Promise<number>;
  /** The same, by BullMQ's older name. */
  removeDebounceKey(id: string): Promise<number>;
  /** Not built in ferroq yet: rejects with UnsupportedError (flows are not built). */
  getDependencies(
    parentId: string,
    type: 'processed' | 'pending',
    start: number,
    end: number,
  ): Promise<{ items: { id: string; v?: any; err?: string }[]; jobs: JobJson[]; total: number }>;
  /** Not built in ferroq yet: rejects with UnsupportedError (counting per priority is not built). */
  getCountsPerPriority(priorities: number[]): Promise<{ [index: string]: number }>;
  /** Not built in ferroq yet: rejects with UnsupportedError (use `getJobs`). */
  getRanges(types: JobType[], start?: number, end?: number, asc?: boolean): Promise<string[]>;
  /** Not built in ferroq yet: rejects with UnsupportedError (QueueEvents connections are not listed). */
  getQueueEvents(): Promise<{ [index: string]: string }[]>;
  /** Jobs finished per minute as `type`, recorded by workers with the `metrics` option; data points `start..end`, newest first. */
  getMetrics(type: 'completed' | 'failed', start?: number, end?: number): Promise<Metrics>;
  /** Prometheus text: a gauge of jobs per state, and (ferroq's) counters of jobs completed and failed; `globalVariables` become labels. */
  exportPrometheusMetrics(globalVariables?: Record<string, string>): Promise<string>;
  /** Not built in ferroq yet: rejects with UnsupportedError (telemetry is not built). */
  recordJobCountsMetric(...types: JobType[]): Promise<{ [index: string]: number }>;
  /** Not built in ferroq yet: rejects with UnsupportedError (the stream is capped by `streams.events.maxLen`). */
  trimEvents(maxLength: number): Promise<number>;
  /** Not built in ferroq yet: rejects with UnsupportedError (ferroq's keys are not BullMQ's). */
  removeDeprecatedPriorityKey(): Promise<number>;
  /** Not built in ferroq yet: rejects with UnsupportedError (ferroq's keys are not BullMQ's). */
  removeOrphanedJobs(count?: number, limit?: number): Promise<number>;

  /** Adds a typed listener for a queue/worker event. */
  on<U extends keyof QueueListener<DataType, ResultType, NameType>>(
    event: U,
    listener: QueueListener<DataType, ResultType, NameType>[U],
  ): this;
  /** Adds a typed one-time listener. */
  once<U extends keyof QueueListener<DataType, ResultType, NameType>>(
    event: U,
    listener: QueueListener<DataType, ResultType, NameType>[U],
  ): this;
  /** Removes a listener. */
  off<U extends keyof QueueListener<DataType, ResultType, NameType>>(
    event: U,
    listener: QueueListener<DataType, ResultType, NameType>[U],
  ): this;
}

export interface WorkerListener<DataType = any, ResultType = any, NameType extends string = string> {
  /** `pause()` took effect. */
  paused: () => void;
  /** `resume()` was called. */
  resumed: () => void;
  /** A job started. */
  active: (job: Job<DataType, ResultType, NameType>, prev: string) => void;
  /** A job completed; its result is stored. */
  completed: (job: Job<DataType, ResultType, NameType>, result: ResultType, prev: string) => void;
  /** An attempt failed (retried or final: see `job.attemptsMade` and `job.opts.attempts`). */
  failed: (job: Job<DataType, ResultType, NameType> | undefined, error: Error, prev: string) => void;
  /** A running job reported progress. */
  progress: (job: Job<DataType, ResultType, NameType>, progress: JobProgress) => void;
  /** The queue ran out of waiting jobs. */
  drained: () => void;
  /** A stalled job (its worker stopped renewing its lock) went back to waiting. */
  stalled: (jobId: string, prev: string) => void;
  /** A recoverable problem (Redis unreachable, a lost lock); the worker keeps going. */
  error: (failedReason: Error) => void;
  /** The worker reached Redis (its first call went through, after `run()` for `autorun: false`). */
  ready: () => void;
  /** `close()` was called; `closed` follows once active jobs are done. */
  closing: (msg: string) => void;
  /** The worker stopped. */
  closed: () => void;
  /** Not built in ferroq yet: never emitted (a lost lock is reported as `error`). */
  lockRenewalFailed: (jobIds: string[]) => void;
  /** Not built in ferroq yet: never emitted (the engine renews locks). */
  locksRenewed: (data: { count: number; jobIds: string[] }) => void;
  /** Not built in ferroq yet: never emitted (the connection lives in the Rust engine). */
  'ioredis:close': () => void;
}

export declare class Worker<DataType = any, ResultType = any, NameType extends string = string> extends QueueBase {
  readonly opts: WorkerOptions;
  /** This worker's unique id. */
  readonly id: string;
  /**
   * Starts processing queue `name` (unless `autorun: false`). Without a processor
   * (`null`), nothing runs: take jobs with `getNextJob`. A processor file (a string
   * or URL: BullMQ's sandboxed processor) is not built in ferroq yet: it throws
   * UnsupportedError.
   */
  constructor(
    name: string,
    processor?: string | URL | Processor<DataType, ResultType, NameType> | null,
    opts?: WorkerOptions,
  );
  /** BullMQ's error to throw after `rateLimit(ms)`: the job waits again, the attempt not counted. */
  static RateLimitError(): Error;
  /** Holds every worker of the queue from starting jobs for `expireTimeMs`; throw `Worker.RateLimitError()` next to put the current job back. */
  rateLimit(expireTimeMs: number): Promise<void>;
  /** Not built in ferroq yet: rejects with UnsupportedError (the engine renews the locks of the jobs it runs). */
  extendJobLocks(jobIds: string[], tokens: string[], duration: number): Promise<any>;
  /** Not built in ferroq yet: rejects with UnsupportedError (use the Queue's repeatable-job methods). */
  readonly repeat: Promise<any>;
  /** Not built in ferroq yet: rejects with UnsupportedError (use the Queue's job-scheduler methods). */
  readonly jobScheduler: Promise<any>;
  /**
   * Manual processing: takes the next job, locked with `token` for `lockDuration` (not
   * renewed: extend it with `job.extendLock`); undefined when none came (with `block`,
   * the default, after waiting up to `drainDelay`).
   */
  getNextJob(token: string, opts?: GetNextJobOptions): Promise<Job<DataType, ResultType, NameType> | undefined>;
  /** Starts the stalled-job checks of a worker without a processor. */
  startStalledCheckTimer(): Promise<void>;
  /** Starts a worker created with `autorun: false`; resolves when it closes. */
  run(): Promise<void>;
  /** Resolves once the worker reaches Redis; rejects with `ERR_CONNECTION` when it cannot. */
  waitUntilReady(): Promise<void>;
  /** True from start until the worker closed. */
  isRunning(): boolean;
  /** How many jobs run at once; setting it takes effect at once (running jobs above it finish first). */
  get concurrency(): number;
  set concurrency(concurrency: number);
  /** Stops taking jobs; resolves once the running jobs are done (at once with `doNotWaitActive`); emits `paused`. */
  pause(doNotWaitActive?: boolean): Promise<void>;
  /** Takes jobs again after `pause()`; emits `resumed`. */
  resume(): void;
  /** True while paused by `pause()`. */
  isPaused(): boolean;
  /** Fires the AbortSignal of a job this worker runs (`signal.reason` is `reason`); false when it does not run it. */
  cancelJob(jobId: string, reason?: string): boolean;
  /** Fires the AbortSignal of every job this worker runs. */
  cancelAllJobs(reason?: string): void;
  /** Stops: waits for active jobs (`close(true)` aborts them through their AbortSignal and returns them to the queue), then closes the worker's Redis connections. */
  close(force?: boolean): Promise<void>;

  /** Adds a typed listener for a queue/worker event. */
  on<U extends keyof WorkerListener<DataType, ResultType, NameType>>(
    event: U,
    listener: WorkerListener<DataType, ResultType, NameType>[U],
  ): this;
  /** Adds a typed one-time listener. */
  once<U extends keyof WorkerListener<DataType, ResultType, NameType>>(
    event: U,
    listener: WorkerListener<DataType, ResultType, NameType>[U],
  ): this;
  /** Removes a listener. */
  off<U extends keyof WorkerListener<DataType, ResultType, NameType>>(
    event: U,
    listener: WorkerListener<DataType, ResultType, NameType>[U],
  ): this;
}

/** The events of every job of a queue, from any process (BullMQ's `QueueEventsListener`). */
export interface QueueEventsListener {
  active: (args: { jobId: string; prev?: string }, id: string) => void;
  added: (args: { jobId: string; name: string }, id: string) => void;
  cleaned: (args: { count: string }, id: string) => void;
  completed: (args: { jobId: string; returnvalue: any; prev?: string }, id: string) => void;
  /** Never emitted by ferroq: a debounced add is a `deduplicated` event. */
  debounced: (args: { jobId: string; debounceId: string }, id: string) => void;
  /** An add was deduplicated: `jobId` the id it would have had, `deduplicatedJobId` the live job holding the id. */
  deduplicated: (args: { jobId: string; deduplicationId: string; deduplicatedJobId: string }, id: string) => void;
  /** `delay` is the time (ms since the epoch) the job becomes due. */
  delayed: (args: { jobId: string; delay: number }, id: string) => void;
  drained: (id: string) => void;
  duplicated: (args: { jobId: string }, id: string) => void;
  error: (err: Error) => void;
  failed: (args: { jobId: string; failedReason: string; prev?: string }, id: string) => void;
  paused: (args: {}, id: string) => void;
  progress: (args: { jobId: string; data: JobProgress }, id: string) => void;
  removed: (args: { jobId: string; prev: string }, id: string) => void;
  resumed: (args: {}, id: string) => void;
  'retries-exhausted': (args: { jobId: string; attemptsMade: string }, id: string) => void;
  stalled: (args: { jobId: string }, id: string) => void;
  waiting: (args: { jobId: string; prev?: string }, id: string) => void;
  /** Not built in ferroq yet: never emitted (flows are not built). */
  'waiting-children': (args: { jobId: string }, id: string) => void;
  /** Not built in ferroq yet: never emitted (the connection lives in the Rust engine). */
  'ioredis:close': () => void;
}

/** Reads a queue's events from Redis (blocking, nothing polls), from now or from `lastEventId`. */
export declare class QueueEvents extends QueueBase {
  constructor(name: string, opts?: QueueEventsOptions);
  readonly opts: QueueEventsOptions;
  /** Starts reading (for `autorun: false`); resolves once closed. */
  run(): Promise<void>;
  /** Resolves once events from now on will be delivered. */
  waitUntilReady(): Promise<void>;
  /** Stops reading and closes its connections. */
  close(): Promise<void>;
  /** Adds a listener for a queue event. */
  on<U extends keyof QueueEventsListener>(event: U, listener: QueueEventsListener[U]): this;
  /** Adds a listener for a per-job copy of an event (`completed:<jobId>`, ...), same arguments. */
  on(event: string, listener: (...args: any[]) => void): this;
  /** Adds a one-time listener for a queue event. */
  once<U extends keyof QueueEventsListener>(event: U, listener: QueueEventsListener[U]): this;
  /** Adds a one-time listener for a per-job copy of an event. */
  once(event: string, listener: (...args: any[]) => void): this;
  /** Removes a listener. */
  off<U extends keyof QueueEventsListener>(event: U, listener: QueueEventsListener[U]): this;
  /** Removes a listener of a per-job copy of an event. */
  off(event: string, listener: (...args: any[]) => void): this;
}

/** Thrown by a processor: the job fails at once, whatever attempts remain. */
export declare class UnrecoverableError extends Error {
  constructor(message?: string);
}
/** Not built in ferroq yet: thrown by a processor, it fails the attempt like any error (`job.moveToDelayed` rejects with UnsupportedError). */
export declare class DelayedError extends Error {
  constructor(message?: string);
}
/** Not built in ferroq yet: thrown by a processor, it fails the attempt like any error (flows are not built). */
export declare class WaitingChildrenError extends Error {
  constructor(message?: string);
}
/** Not built in ferroq yet: thrown by a processor, it fails the attempt like any error (`job.moveToWait` rejects with UnsupportedError). */
export declare class WaitingError extends Error {
  constructor(message?: string);
}
/** Thrown by a processor (after `rateLimit(ms)`): the job waits again, the attempt not counted. */
export declare class RateLimitError extends Error {
  constructor(message?: string);
}
/** UnrecoverableError's default message. */
export declare const UNRECOVERABLE_ERROR = 'bullmq:unrecoverable';
/** DelayedError's default message. */
export declare const DELAYED_ERROR = 'bullmq:movedToDelayed';
/** WaitingChildrenError's default message. */
export declare const WAITING_CHILDREN_ERROR = 'bullmq:movedToWaitingChildren';
/** WaitingError's default message. */
export declare const WAITING_ERROR = 'bullmq:movedToWait';
/** RateLimitError's default message. */
export declare const RATE_LIMIT_ERROR = 'bullmq:rateLimitExceeded';

/** Metric windows in minutes, for `metrics.maxDataPoints`. */
export declare enum MetricsTime {
  ONE_MINUTE = 1,
  FIVE_MINUTES = 5,
  FIFTEEN_MINUTES = 15,
  THIRTY_MINUTES = 30,
  ONE_HOUR = 60,
  ONE_WEEK = 10080,
  TWO_WEEKS = 20160,
  ONE_MONTH = 80640,
}

/** BullMQ's script error codes; ferroq's errors carry string `code`s (`ERR_JOB_NOT_FOUND`, ...) instead. */
export declare enum ErrorCode {
  JobNotExist = -1,
  JobLockNotExist = -2,
  JobNotInState = -3,
  JobPendingDependencies = -4,
  JobPendingChildren = -4,
  ParentJobNotExist = -5,
  JobLockMismatch = -6,
  ParentJobCannotBeReplaced = -7,
  JobBelongsToJobScheduler = -8,
  JobHasFailedChildren = -9,
  SchedulerJobIdCollision = -10,
  SchedulerJobSlotsBusy = -11,
}

/** FlowProducer options. */
export interface FlowProducerOptions extends QueueBaseOptions {}

/** One job of a flow and its children. */
export interface FlowJob {
  name: string;
  queueName: string;
  data?: any;
  prefix?: string;
  opts?: Omit<JobsOptions, 'repeat'>;
  children?: FlowChildJob[];
}

/** A child job of a flow. */
export type FlowChildJob = Omit<FlowJob, 'opts'> & { opts?: Omit<JobsOptions, 'parent' | 'repeat'> };

/** Per-queue options of a flow's jobs. */
export interface FlowOpts {
  queuesOptions: Record<string, Omit<QueueOptions, 'connection' | 'prefix'>>;
}

/** A job of a flow and its children, as the FlowProducer gives them back. */
export interface JobNode {
  job: Job;
  children?: JobNode[];
}

/** `flowProducer.getFlow` options. */
export interface NodeOpts {
  queueName: string;
  prefix?: string;
  id: string;
  depth?: number;
  maxChildren?: number;
}

/** Events of a FlowProducer. */
export interface FlowProducerListener {
  error: (failedReason: Error) => void;
  /** Not built in ferroq yet: never emitted. */
  'ioredis:close': () => void;
}

/** Not built in ferroq yet (flows): constructing it opens nothing; adding or reading a flow rejects with UnsupportedError. */
export declare class FlowProducer extends EventEmitter {
  readonly opts: FlowProducerOptions;
  /** Keeps `opts`; connects nowhere. */
  constructor(opts?: FlowProducerOptions);
  /** Not built in ferroq yet: rejects with UnsupportedError (flows are not built). */
  add(flow: FlowJob, opts?: FlowOpts): Promise<JobNode>;
  /** Not built in ferroq yet: rejects with UnsupportedError (flows are not built). */
  addBulk(flows: FlowJob[]): Promise<JobNode[]>;
  /** Not built in ferroq yet: rejects with UnsupportedError (flows are not built). */
  getFlow(opts: NodeOpts): Promise<JobNode>;
  /** Not built in ferroq yet: rejects with UnsupportedError (flows are not built). */
  waitUntilReady(): Promise<void>;
  /** Not built in ferroq yet: rejects with UnsupportedError (flows are not built). */
  disconnect(): Promise<void>;
  /** Nothing was opened: resolves at once. */
  close(): Promise<void>;
  /** Adds a listener. */
  on<U extends keyof FlowProducerListener>(event: U, listener: FlowProducerListener[U]): this;
  /** Adds a one-time listener. */
  once<U extends keyof FlowProducerListener>(event: U, listener: FlowProducerListener[U]): this;
  /** Removes a listener. */
  off<U extends keyof FlowProducerListener>(event: U, listener: FlowProducerListener[U]): this;
}

/** Base class of ferroq's errors; `code` is stable. */
export declare class FerroqError extends Error {
  readonly code: string;
}
/** `ERR_INVALID_OPTION`: an option or argument broke a rule; nothing changed. */
export declare class InvalidOptionError extends FerroqError {}
/** `ERR_NOT_SERIALIZABLE`: a value cannot be stored as JSON. */
export declare class NotSerializableError extends FerroqError {}
/** `ERR_PAYLOAD_TOO_LARGE`: a job is over `sizeLimit`, `maxPayloadBytes` or Redis' `proto-max-bulk-len`; nothing was stored. */
export declare class PayloadTooLargeError extends FerroqError {}
/** `ERR_CONNECTION`: Redis could not be reached; a write that fails so was not stored. */
export declare class ConnectionError extends FerroqError {}
/** `ERR_OUTCOME_UNKNOWN`: a write was sent but its answer was lost; it may have been stored (retry with a `jobId`). */
export declare class OutcomeUnknownError extends FerroqError {}
/** `ERR_AUTH`: Redis refused the credentials, or wants some and none were given. */
export declare class AuthError extends FerroqError {}
/** `ERR_REDIS`: Redis answered a command with an error (out of memory, a wrong key type, ...). */
export declare class RedisError extends FerroqError {}
/** `ERR_JOB_NOT_FOUND`: the job does not exist. */
export declare class JobNotFoundError extends FerroqError {}
/** `ERR_JOB_LOCKED`: a worker runs the job (holds its lock); it cannot be changed now. */
export declare class JobLockedError extends FerroqError {}
/** `ERR_JOB_STATE`: the job is not in the state the operation needs. */
export declare class JobStateError extends FerroqError {}
/** `ERR_ACTIVE_JOBS`: the queue has active jobs (obliterate without `force`). */
export declare class ActiveJobsError extends FerroqError {}
/** `ERR_CLOSED`: the queue or worker is closed. */
export declare class ClosedError extends FerroqError {}
/** `ERR_UNSUPPORTED`: a BullMQ feature ferroq does not have yet (an option or a method); nothing was changed. */
export declare class UnsupportedError extends FerroqError {}
