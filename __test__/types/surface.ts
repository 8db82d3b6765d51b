// The whole surface a typed BullMQ app uses: every option interface with every field,
// every method of Queue, Worker, Job and QueueEvents with BullMQ's argument shapes, and
// every event with typed listeners. Compiled against BullMQ's types and against
// ferroq's; it is never run (unbuilt members reject with UnsupportedError at run time).
import {
  Queue, Worker, Job, QueueEvents, FlowProducer, FlowJob, JobNode,
  QueueOptions, WorkerOptions, QueueEventsOptions, JobsOptions, BaseJobOptions, DefaultJobOptions, BulkJobOptions,
  ConnectionOptions, KeepJobs, BackoffOptions, DeduplicationOptions, RateLimiterOptions, MetricsOptions,
  AdvancedOptions, Telemetry, ParentOptions, ParentKeys, RetryOptions, ObliterateOpts, JobSchedulerJson,
  JobSchedulerTemplateOptions, RepeatOptions, QueueMeta, Metrics, JobJson, DependenciesOpts, GetNextJobOptions,
  JobType, JobState, FinishedStatus, JobProgress, Processor, BackoffStrategy, RepeatStrategy,
  QueueListener, WorkerListener, QueueEventsListener, MetricsTime, ErrorCode,
  UnrecoverableError, DelayedError, WaitingChildrenError, WaitingError, RateLimitError,
  UNRECOVERABLE_ERROR, DELAYED_ERROR, WAITING_CHILDREN_ERROR, WAITING_ERROR, RATE_LIMIT_ERROR,
} from 'ferroq';

interface Mail { to: string }
interface Sent { id: string }
type MailName = 'welcome' | 'digest';

declare const telemetry: Telemetry;
const connection: ConnectionOptions = {
  host: 'localhost', port: 6379, db: 0, username: 'u', password: 'p', maxRetriesPerRequest: null,
  enableOfflineQueue: false, connectionName: 'app', tls: {},
};
const keepCount: KeepJobs = { count: 10 };
const keepAge: KeepJobs = { age: 3600, count: 5, limit: 100 };
const backoff: BackoffOptions = { type: 'fixed', delay: 500, jitter: 0.2 };
const defaults: DefaultJobOptions = {
  timestamp: 1, priority: 1, delay: 0, attempts: 2, backoff, lifo: true, removeOnComplete: keepCount,
  removeOnFail: keepAge, keepLogs: 10, stackTraceLimit: 5, sizeLimit: 1024,
};
const parent: ParentOptions = { id: '1', queue: 'bull:parents' };
const base: BaseJobOptions = { ...defaults, jobId: 'a', repeatJobKey: 'k', parent, prevMillis: 0 };
const deduplication: DeduplicationOptions = { id: 'd', ttl: 1000, extend: true, replace: false };
const jobOpts: JobsOptions = {
  ...base, deduplication, failParentOnFailure: false, continueParentOnFailure: false,
  ignoreDependencyOnFailure: false, removeDependencyOnFailure: false, telemetry: { metadata: 'm', omitContext: true },
};
const bulkOpts: BulkJobOptions = { attempts: 1 };
const queueOpts: QueueOptions = {
  connection, prefix: 'p', defaultJobOptions: defaults, streams: { events: { maxLen: 100 } }, skipMetasUpdate: true,
  settings: { repeatKeyHashAlgorithm: 'md5', repeatStrategy: (millis) => millis + 1000 },
  blockingConnection: false, skipVersionCheck: true, telemetry, skipWaitingForReady: true,
};
const limiter: RateLimiterOptions = { max: 10, duration: 1000 };
const metrics: MetricsOptions = { maxDataPoints: MetricsTime.ONE_WEEK * 2 };
const backoffStrategy: BackoffStrategy = (attemptsMade, type, err, job) => attemptsMade * 1000 + (type ? 1 : 0) + (err ? 1 : 0) + (job ? 1 : 0);
const repeatStrategy: RepeatStrategy = (millis, opts, name) => millis + (opts.every ?? 0) + (name ? 0 : 1);
const settings: AdvancedOptions = { backoffStrategy, repeatStrategy, repeatKeyHashAlgorithm: 'sha1' };
const workerOpts: WorkerOptions = {
  connection, prefix: 'p', name: 'w1', autorun: false, concurrency: 2, limiter, metrics, maximumRateLimitDelay: 1000,
  maxStartedAttempts: 3, maxStalledCount: 1, stalledInterval: 30000, removeOnComplete: keepCount, removeOnFail: keepAge,
  skipStalledCheck: false, skipLockRenewal: false, drainDelay: 5, lockDuration: 30000, lockRenewTime: 15000,
  runRetryDelay: 15000, settings, useWorkerThreads: false, workerForkOptions: {}, workerThreadsOptions: {},
  telemetry, blockingConnection: false, skipVersionCheck: true, skipWaitingForReady: false,
};
const eventsOpts: QueueEventsOptions = {
  connection, prefix: 'p', autorun: false, lastEventId: '$', blockingTimeout: 1000, skipVersionCheck: true,
  blockingConnection: false, skipWaitingForReady: false,
};
const repeat: RepeatOptions = {
  pattern: '* * * * *', every: 1000, limit: 3, key: 'k', immediately: true, count: 0, offset: 0, prevMillis: 0,
  jobId: 'r', startDate: new Date(), endDate: Date.now() + 1000, tz: 'UTC',
};
const template: JobSchedulerTemplateOptions = { attempts: 2, backoff: 100, removeOnComplete: true };
const states: JobType[] = ['completed', 'failed', 'active', 'delayed', 'prioritized', 'waiting', 'waiting-children', 'repeat', 'wait'];
const finished: FinishedStatus = 'failed';
const errors: Error[] = [
  new UnrecoverableError(), new DelayedError(), new WaitingChildrenError(), new WaitingError(), new RateLimitError('x'),
  Worker.RateLimitError(),
];
const markers: string[] = [UNRECOVERABLE_ERROR, DELAYED_ERROR, WAITING_CHILDREN_ERROR, WAITING_ERROR, RATE_LIMIT_ERROR];
const code: number = ErrorCode.JobNotExist;
console.log(bulkOpts, eventsOpts, states, finished, errors, markers, code);

const queue = new Queue<Mail, Sent, MailName>('mail', queueOpts);
const loose = new Queue('loose', { connection });

export async function queueSurface(): Promise<void> {
  const name: string = queue.name;
  const qualified: string = queue.qualifiedName;
  const closing: Promise<void> | undefined = queue.closing;
  const defaultsNow: JobsOptions = queue.defaultJobOptions;
  const jobsOpts: BaseJobOptions = queue.jobsOpts;
  const meta: Record<string, string | number> = queue.metaValues;
  await queue.waitUntilReady();
  const job = await queue.add('welcome', { to: 'a' }, jobOpts);
  const jobs = await queue.addBulk([{ name: 'digest', data: { to: 'b' }, opts: bulkOpts }]);
  await loose.upsertJobScheduler('every-minute', { every: 60000 }, { name: 'tick', data: { n: 1 }, opts: template });
  const scheduler: JobSchedulerJson | undefined = await loose.getJobScheduler('every-minute');
  const schedulers: JobSchedulerJson[] = await queue.getJobSchedulers(0, 10, true);
  const schedulerCount: number = await queue.getJobSchedulersCount();
  await queue.removeJobScheduler('every-minute');
  const version: string | null = await queue.getVersion();
  const queueMeta: QueueMeta = await queue.getMeta();
  await queue.setGlobalConcurrency(4);
  await queue.setGlobalRateLimit(10, 1000);
  await queue.removeGlobalConcurrency();
  await queue.removeGlobalRateLimit();
  const concurrency: number | null = await queue.getGlobalConcurrency();
  const rate: { max: number; duration: number } | null = await queue.getGlobalRateLimit();
  await queue.rateLimit(1000);
  const maxed: boolean = await queue.isMaxed();
  const ttl: number = await queue.getRateLimitTtl(10);
  await queue.removeRateLimitKey();
  const dedupId: string | null = await queue.getDeduplicationJobId('d');
  const debounceId: string | null = await queue.getDebounceJobId('d');
  await queue.removeDeduplicationKey('d');
  await queue.removeDebounceKey('d');
  await queue.pause();
  await queue.resume();
  const paused: boolean = await queue.isPaused();
  const removed: number = await queue.remove(job.id!, { removeChildren: true });
  await queue.updateJobProgress(job.id!, { step: 1 });
  const lines: number = await queue.addJobLog(job.id!, 'line', 100);
  await queue.drain(true);
  const cleaned: string[] = await queue.clean(1000, 10, 'completed');
  const obliterate: ObliterateOpts = { force: true, count: 100 };
  await queue.obliterate(obliterate);
  await queue.retryJobs({ count: 10, state: 'completed', timestamp: Date.now() });
  await queue.promoteJobs({ count: 10 });
  const trimmed: number = await queue.trimEvents(100);
  await queue.removeDeprecatedPriorityKey();
  const again = await queue.getJob(job.id!);
  const total: number = await queue.count();
  const byTypes: number = await queue.getJobCountByTypes('completed', 'failed');
  const counts: { [index: string]: number } = await queue.getJobCounts(...states);
  const state: JobState | 'unknown' = await queue.getJobState(job.id!);
  const numbers: number[] = [
    await queue.getCompletedCount(), await queue.getFailedCount(), await queue.getDelayedCount(),
    await queue.getActiveCount(), await queue.getPrioritizedCount(), await queue.getWaitingCount(),
    await queue.getWaitingChildrenCount(),
  ];
  const perPriority: { [index: string]: number } = await queue.getCountsPerPriority([1, 2]);
  const lists = [
    await queue.getWaiting(0, 10), await queue.getWaitingChildren(0, 10), await queue.getActive(0, 10),
    await queue.getDelayed(0, 10), await queue.getPrioritized(0, 10), await queue.getCompleted(0, 10),
    await queue.getFailed(0, 10), await queue.getJobs(states, 0, 10, true), await queue.getJobs('waiting'),
  ];
  const deps = await queue.getDependencies(job.id!, 'pending', 0, 10);
  const ranges: string[] = await queue.getRanges(['waiting'], 0, 10, true);
  const { logs, count } = await queue.getJobLogs(job.id!, 0, 10, true);
  const workers: { [index: string]: string }[] = await queue.getWorkers();
  const workerCount: number = await queue.getWorkersCount();
  const queueEvents: { [index: string]: string }[] = await queue.getQueueEvents();
  const series: Metrics = await queue.getMetrics('completed', 0, 10);
  const prometheus: string = await queue.exportPrometheusMetrics({ env: 'prod' });
  const recorded: { [index: string]: number } = await queue.recordJobCountsMetric('waiting');
  const orphans: number = await queue.removeOrphanedJobs(1000, 0);
  await queue.disconnect();
  await queue.close();
  console.log(name, qualified, closing, defaultsNow, jobsOpts, meta, jobs, scheduler, schedulers, schedulerCount,
    version, queueMeta, concurrency, rate, maxed, ttl, dedupId, debounceId, paused, removed, lines, cleaned, trimmed,
    again, total, byTypes, counts, state, numbers, perPriority, lists, deps.total, ranges, logs, count, workers,
    workerCount, queueEvents, series.data, prometheus, recorded, orphans);
}

const queueListener: Partial<QueueListener> = {};
console.log(queueListener);
queue.on('cleaned', (jobs: string[], type: string) => console.log(jobs, type));
queue.on('error', (err: Error) => console.log(err.message));
queue.on('paused', () => undefined);
queue.on('resumed', () => undefined);
queue.on('progress', (jobId, progress: JobProgress) => console.log(jobId, progress));
queue.on('removed', (jobId: string) => console.log(jobId));
queue.on('waiting', (job) => console.log(job.data.to));
queue.on('ioredis:close', () => undefined);
queue.once('paused', () => undefined);
queue.off('paused', () => undefined);

export async function jobSurface(job: Job<Mail, Sent, MailName>, events: QueueEvents): Promise<void> {
  const fields = [
    job.id, job.name, job.data.to, job.opts, job.progress, job.returnvalue?.id, job.stacktrace, job.delay,
    job.priority, job.timestamp, job.attemptsStarted, job.attemptsMade, job.stalledCounter, job.failedReason,
    job.deferredFailure, job.finishedOn, job.processedOn, job.parentKey, job.parent, job.deduplicationId,
    job.repeatJobKey, job.token, job.processedBy, job.queueName, job.prefix, job.queueQualifiedName,
  ];
  const keys: ParentKeys | undefined = job.parent;
  const json: JobJson = job.asJSON();
  const parsed: Mail = JSON.parse(json.data);
  const snapshot = job.toJSON();
  await job.updateData({ to: 'c' });
  await job.updateProgress(50);
  const lines: number = await job.log('row');
  await job.clearLogs(10);
  await job.removeChildDependency();
  await job.remove({ removeChildren: true });
  await job.removeUnprocessedChildren();
  const extended: number = await job.extendLock('token', 1000);
  await job.moveToCompleted({ id: 'x' }, 'token', false);
  await job.moveToFailed(new Error('x'), 'token', false);
  await job.moveToWait('token');
  await job.moveToDelayed(Date.now() + 1000, 'token');
  const moved: boolean = await job.moveToWaitingChildren('token', { child: { id: '1', queue: 'q' } });
  const flags: boolean[] = [
    await job.isCompleted(), await job.isFailed(), await job.isDelayed(), await job.isWaitingChildren(),
    await job.isActive(), await job.isWaiting(),
  ];
  const state: JobState | 'unknown' = await job.getState();
  await job.changeDelay(1000);
  await job.changePriority({ priority: 2, lifo: true });
  const children: { [jobKey: string]: number } = await job.getChildrenValues<number>();
  const ignored: { [jobKey: string]: string } = await job.getIgnoredChildrenFailures();
  const failedChildren: { [jobKey: string]: string } = await job.getFailedChildrenValues();
  const depOpts: DependenciesOpts = { processed: { cursor: 0, count: 10 }, unprocessed: { count: 10 } };
  const deps = await job.getDependencies(depOpts);
  const depCounts = await job.getDependenciesCount({ failed: true, processed: true });
  const result: Sent = await job.waitUntilFinished(events, 1000);
  await job.promote();
  const retry: RetryOptions = { resetAttemptsMade: true, resetAttemptsStarted: true };
  await job.retry('failed', retry);
  await job.removeDeduplicationKey();
  const created = await Job.create(queue, 'welcome', { to: 'd' }, jobOpts);
  const bulk = await Job.createBulk(queue, [{ name: 'digest', data: { to: 'e' } }]);
  const fromId = await Job.fromId(queue, '1');
  const fromJson = Job.fromJSON(queue, json, '1');
  const logged: number = await Job.addJobLog(queue, '1', 'row', 10);
  console.log(fields, keys, parsed, snapshot.data, lines, extended, moved, flags, state, children, ignored,
    failedChildren, deps.processed, depCounts.failed, result, created.id, bulk.length, fromId?.id, fromJson.id, logged);
}

const processor: Processor<Mail, Sent, MailName> = async (job, token, signal) => {
  if (signal?.aborted) throw new DelayedError();
  return { id: `${job.id}:${token}` };
};
const worker = new Worker<Mail, Sent, MailName>('mail', processor, workerOpts);
const sandboxed = new Worker('mail', './processor.js', { connection });
const byUrl = new Worker('mail', new URL('file:///processor.js'), { connection });
const manual = new Worker('mail', null, { connection });

export async function workerSurface(): Promise<void> {
  const ids: string[] = [worker.id, worker.name, worker.qualifiedName];
  const opts: WorkerOptions = worker.opts;
  const closing: Promise<void> | undefined = worker.closing;
  await worker.waitUntilReady();
  const cancelled: boolean = worker.cancelJob('1', 'why');
  worker.cancelAllJobs('why');
  worker.concurrency = 3;
  const slots: number = worker.concurrency;
  void worker.run();
  const next: GetNextJobOptions = { block: false };
  const job = await manual.getNextJob('token', next);
  await worker.rateLimit(1000);
  await worker.pause(true);
  worker.resume();
  const flags: boolean[] = [worker.isPaused(), worker.isRunning()];
  await worker.startStalledCheckTimer();
  await worker.close(true);
  await worker.disconnect();
  console.log(ids, opts, closing, cancelled, slots, job?.id, flags, sandboxed, byUrl);
}

const workerListener: Partial<WorkerListener<Mail, Sent, MailName>> = {};
console.log(workerListener);
worker.on('active', (job, prev: string) => console.log(job.data.to, prev));
worker.on('closed', () => undefined);
worker.on('closing', (msg: string) => console.log(msg));
worker.on('completed', (job, result, prev: string) => console.log(job.id, result.id, prev));
worker.on('drained', () => undefined);
worker.on('error', (failedReason: Error) => console.log(failedReason));
worker.on('failed', (job, error: Error, prev: string) => console.log(job?.id, error, prev));
worker.on('paused', () => undefined);
worker.on('progress', (job, progress: JobProgress) => console.log(job.id, progress));
worker.on('ready', () => undefined);
worker.on('resumed', () => undefined);
worker.on('stalled', (jobId: string, prev: string) => console.log(jobId, prev));
worker.on('lockRenewalFailed', (jobIds: string[]) => console.log(jobIds));
worker.on('locksRenewed', ({ count, jobIds }) => console.log(count, jobIds));
worker.on('ioredis:close', () => undefined);
worker.once('ready', () => undefined);
worker.off('ready', () => undefined);

export async function eventsSurface(): Promise<void> {
  const events = new QueueEvents('mail', { connection, autorun: false });
  const listener: Partial<QueueEventsListener> = {};
  console.log(listener, events.name, events.qualifiedName, events.closing);
  events.on('active', ({ jobId, prev }, id) => console.log(jobId, prev, id));
  events.on('added', ({ jobId, name }, id) => console.log(jobId, name, id));
  events.on('cleaned', ({ count }, id) => console.log(count, id));
  events.on('completed', ({ jobId, returnvalue, prev }, id) => console.log(jobId, returnvalue, prev, id));
  events.on('deduplicated', ({ jobId, deduplicationId, deduplicatedJobId }, id) => console.log(jobId, deduplicationId, deduplicatedJobId, id));
  events.on('delayed', ({ jobId, delay }, id) => console.log(jobId, delay, id));
  events.on('drained', (id: string) => console.log(id));
  events.on('duplicated', ({ jobId }, id) => console.log(jobId, id));
  events.on('error', (err: Error) => console.log(err));
  events.on('failed', ({ jobId, failedReason, prev }, id) => console.log(jobId, failedReason, prev, id));
  events.on('paused', (args, id) => console.log(args, id));
  events.on('progress', ({ jobId, data }, id) => console.log(jobId, data, id));
  events.on('removed', ({ jobId, prev }, id) => console.log(jobId, prev, id));
  events.on('resumed', (args, id) => console.log(args, id));
  events.on('retries-exhausted', ({ jobId, attemptsMade }, id) => console.log(jobId, attemptsMade, id));
  events.on('stalled', ({ jobId }, id) => console.log(jobId, id));
  events.on('waiting', ({ jobId, prev }, id) => console.log(jobId, prev, id));
  events.on('waiting-children', ({ jobId }, id) => console.log(jobId, id));
  events.on('ioredis:close', () => undefined);
  events.once('drained', (id: string) => console.log(id));
  events.off('drained', (id: string) => console.log(id));
  await events.waitUntilReady();
  void events.run();
  await events.disconnect();
  await events.close();
}

export async function flowSurface(): Promise<void> {
  const flows = new FlowProducer({ connection, prefix: 'p' });
  const flow: FlowJob = {
    name: 'parent', queueName: 'mail', data: { to: 'p' }, opts: { attempts: 1 },
    children: [{ name: 'child', queueName: 'mail', data: { to: 'c' } }],
  };
  const node: JobNode = await flows.add(flow, { queuesOptions: { mail: { defaultJobOptions: { attempts: 2 } } } });
  const nodes: JobNode[] = await flows.addBulk([flow]);
  const got: JobNode = await flows.getFlow({ id: node.job.id!, queueName: 'mail', depth: 2, maxChildren: 10 });
  flows.on('error', (err: Error) => console.log(err));
  await flows.waitUntilReady();
  await flows.close();
  console.log(nodes.length, got.children?.length);
}
