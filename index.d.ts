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
  /** Accepted for compatibility; not yet enforced. */
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
  /** Accepted for compatibility; job schedulers come later. */
  repeat?: { pattern?: string; every?: number; limit?: number; [option: string]: unknown };
  repeatJobKey?: string;
  /** Accepted for compatibility; flows come later. */
  parent?: { id: string; queue: string };
}

/** Options of `queue.add` (BullMQ's `JobsOptions`). */
export interface JobsOptions extends BaseJobOptions {
  /** Per-attempt time limit in ms: the attempt fails with a timeout error and the processor's AbortSignal fires. */
  timeout?: number;
  /** Accepted for compatibility; deduplication comes later. */
  deduplication?: { id: string; ttl?: number };
  /** Accepted for compatibility; deduplication comes later. */
  debounce?: { id: string; ttl?: number };
  failParentOnFailure?: boolean;
  ignoreDependencyOnFailure?: boolean;
  removeDependencyOnFailure?: boolean;
}

/** Options shared by Queue and Worker. */
export interface QueueBaseOptions {
  connection?: ConnectionOptions;
  /** Key prefix (default `ferroq`). */
  prefix?: string;
  skipVersionCheck?: boolean;
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
  /** Accepted for compatibility; the rate limiter comes later. */
  limiter?: { max: number; duration: number };
  skipStalledCheck?: boolean;
  skipLockRenewal?: boolean;
  runRetryDelay?: number;
}

/** A job's log lines and their total count. */
export interface JobLogs {
  logs: string[];
  count: number;
}

/** A stored job as JSON. */
export interface JobJson {
  id: string;
  name: string;
  data: any;
  opts: JobsOptions;
  progress: JobProgress;
  returnvalue: any;
  failedReason?: string;
  stacktrace: string[];
  attemptsMade: number;
  attemptsStarted: number;
  stalledCounter: number;
  timestamp: number;
  processedOn?: number;
  finishedOn?: number;
  delay: number;
  priority: number;
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
  queueQualifiedName: string;

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
  /** Removes the job; a job a worker runs is `ERR_JOB_LOCKED`. */
  remove(opts?: { removeChildren?: boolean }): Promise<void>;
  /** Moves a failed (or completed) job back to waiting; `ERR_JOB_STATE` when it is not in that state. */
  retry(
    state?: 'completed' | 'failed',
    opts?: { resetAttemptsMade?: boolean; resetAttemptsStarted?: boolean },
  ): Promise<void>;
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
  /** A plain-object snapshot. */
  toJSON(): JobJson;
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
  error: (err: Error) => void;
}

export declare class Queue<
  DataTypeOrJob = any,
  DefaultResultType = any,
  DefaultNameType extends string = string,
  DataType = ExtractData<DataTypeOrJob>,
  ResultType = ExtractResult<DataTypeOrJob, DefaultResultType>,
  NameType extends string = ExtractName<DataTypeOrJob, DefaultNameType>,
> extends EventEmitter {
  readonly name: string;
  readonly opts: QueueOptions;
  /** Opens queue `name`; nothing connects until the first call. */
  constructor(name: string, opts?: QueueOptions);
  /** Resolves once the queue reaches Redis; rejects with `ERR_CONNECTION` when it cannot. */
  waitUntilReady(): Promise<void>;
  /** The queue's default job options. */
  get defaultJobOptions(): JobsOptions;
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
  /** Removes a job, whatever its state: 1, or 0 when there is none; a job a worker runs is `ERR_JOB_LOCKED`. */
  remove(jobId: string, opts?: { removeChildren?: boolean }): Promise<number>;
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
  obliterate(opts?: { force?: boolean; count?: number }): Promise<void>;
  /** Moves failed (or completed) jobs finished before `timestamp` back to waiting, `count` a step. */
  retryJobs(opts?: { count?: number; state?: 'completed' | 'failed'; timestamp?: number }): Promise<void>;
  /** Makes every delayed job wait to run now, `count` a step. */
  promoteJobs(opts?: { count?: number }): Promise<void>;
  /** Lets adds already made finish, then closes the queue's Redis connection (a shared one once no other queue or worker of this process uses it). */
  close(): Promise<void>;

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
}

export declare class Worker<DataType = any, ResultType = any, NameType extends string = string> extends EventEmitter {
  readonly name: string;
  readonly opts: WorkerOptions;
  /**
   * Starts processing queue `name` (unless `autorun: false`). Without a processor
   * (`null`), nothing runs: take jobs with `getNextJob`.
   */
  constructor(
    name: string,
    processor?: Processor<DataType, ResultType, NameType> | null,
    opts?: WorkerOptions,
  );
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
  /** Stops: waits for active jobs (`close(true)` aborts them through their AbortSignal and returns them to the queue), then closes the worker's Redis connections. */
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

/** Thrown by a processor: the job fails at once, whatever attempts remain. */
/** The events of every job of a queue, from any process (BullMQ's `QueueEventsListener`). */
export interface QueueEventsListener {
  active: (args: { jobId: string; prev?: string }, id: string) => void;
  added: (args: { jobId: string; name: string }, id: string) => void;
  cleaned: (args: { count: string }, id: string) => void;
  completed: (args: { jobId: string; returnvalue: any; prev?: string }, id: string) => void;
  debounced: (args: { jobId: string; debounceId: string }, id: string) => void;
  deduplicated: (args: { jobId: string; deduplicationId: string }, id: string) => void;
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
  'waiting-children': (args: { jobId: string }, id: string) => void;
}

/** Reads a queue's events from Redis (blocking, nothing polls), from now or from `lastEventId`. */
export declare class QueueEvents extends EventEmitter {
  constructor(name: string, opts?: QueueEventsOptions);
  readonly name: string;
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

export declare class UnrecoverableError extends Error {
  constructor(message?: string);
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
