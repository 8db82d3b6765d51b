// A typed app written against BullMQ's API; only the import differs. It compiles against
// BullMQ's own types (tsconfig.bullmq.json) and against ferroq's (tsconfig.json).
import {
  Queue,
  Worker,
  Job,
  UnrecoverableError,
  JobsOptions,
  WorkerOptions,
  QueueOptions,
  ConnectionOptions,
  JobState,
  Processor,
  DefaultJobOptions,
  BackoffOptions,
  KeepJobs,
  QueueEvents,
  QueueEventsOptions,
} from 'ferroq';

interface LessonData { userId: number }
interface LessonResult { ok: boolean }
type LessonName = 'generate' | 'review';

const connection: ConnectionOptions = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
const otherConnection: ConnectionOptions = { host: process.env.REDIS_HOST ?? '127.0.0.1', port: 6380, db: 1 };
const backoff: BackoffOptions = { type: 'exponential', delay: 1000, jitter: 0.5 };
const keep: KeepJobs = { count: 100, age: 3600 };
const defaults: DefaultJobOptions = { attempts: 3, removeOnComplete: keep, removeOnFail: 50 };
const queueOpts: QueueOptions = { connection, defaultJobOptions: defaults, prefix: 'app' };

const queue = new Queue<LessonData, LessonResult, LessonName>('lessons', queueOpts);
const loose = new Queue('anything', { connection: otherConnection });

export async function produce(): Promise<string | undefined> {
  const opts: JobsOptions = { attempts: 3, backoff, delay: 10, priority: 5, lifo: false, jobId: 'lesson-1' };
  await queue.waitUntilReady();
  const job: Job<LessonData, LessonResult, LessonName> = await queue.add('generate', { userId: 1 }, opts);
  const uid: number = job.data.userId;
  await queue.addBulk([{ name: 'review', data: { userId: uid } }]);
  await loose.add('whatever', { any: 'thing' });
  const again = await queue.getJob(job.id!);
  const started: number | undefined = again?.attemptsStarted;
  const state: JobState | 'unknown' = await queue.getJobState(job.id!);
  const counts: { [index: string]: number } = await queue.getJobCounts('waiting', 'completed');
  const jobs = await queue.getJobs(['completed', 'failed'], 0, 10, true);
  const { logs, count } = await queue.getJobLogs(job.id!, 0, -1);
  console.log(again?.returnvalue?.ok, again?.progress, again?.attemptsMade, again?.failedReason, again?.stacktrace,
    again?.processedOn, again?.finishedOn, again?.timestamp, state, counts.waiting, jobs.length, logs, count, started);
  return job.id;
}

const processor: Processor<LessonData, LessonResult, LessonName> = async (job, token, signal) => {
  await job.updateProgress({ step: 'sections', percentage: 45 });
  await job.updateProgress(50);
  const lines: number = await job.log('generated section 2/5');
  if (signal?.aborted || !token || lines < 0) throw new UnrecoverableError('stop');
  if (job.name === 'review') return { ok: await job.isCompleted() };
  return { ok: true };
};

const workerOpts: WorkerOptions = {
  connection,
  concurrency: 10,
  autorun: true,
  lockDuration: 30000,
  stalledInterval: 30000,
  maxStalledCount: 1,
  removeOnComplete: { count: 10 },
  removeOnFail: { age: 60 },
};
const worker = new Worker<LessonData, LessonResult, LessonName>('lessons', processor, workerOpts);
worker.concurrency = 20;
const slots: number = worker.concurrency;
console.log(slots);
worker.on('completed', (job, result) => console.log(job.id, result.ok));
worker.on('failed', (job, err) => console.log(job?.id, err.message));
worker.on('progress', (job, progress) => console.log(job.id, progress));
worker.on('active', (job) => console.log(job.data.userId));
worker.on('drained', () => undefined);
worker.on('stalled', (jobId: string) => console.log(jobId));
worker.on('error', (err) => console.error(err.message));
worker.on('closed', () => undefined);
worker.on('ready', () => undefined);
worker.on('closing', (msg: string) => console.log(msg));
queue.on('progress', (jobId, progress) => console.log(jobId, progress));

const untyped = new Worker('anything', async (job: Job) => job.data, { connection: otherConnection, autorun: false });

export async function shutdown(): Promise<void> {
  await untyped.waitUntilReady();
  await untyped.run();
  await worker.close();
  await worker.close(true);
  await queue.close();
}

export async function listen(): Promise<void> {
  const eventOpts: QueueEventsOptions = { connection, autorun: false, lastEventId: '0-0', blockingTimeout: 5000 };
  const events = new QueueEvents('lessons', eventOpts);
  events.on('completed', ({ jobId, returnvalue }, id) => console.log(jobId, returnvalue, id));
  events.on('failed', ({ jobId, failedReason }) => console.log(jobId, failedReason));
  events.on('progress', ({ jobId, data }) => console.log(jobId, data));
  events.on('drained', (id) => console.log(id));
  void events.run();
  await events.waitUntilReady();
  const job = await queue.add('generate', { userId: 2 });
  const result: LessonResult = await job.waitUntilFinished(events, 30_000);
  console.log(result.ok);
  await events.close();
}

export async function operate(): Promise<void> {
  await queue.pause();
  const paused: boolean = await queue.isPaused();
  await queue.resume();
  const cleaned: string[] = await queue.clean(60_000, 100, 'failed');
  const removed: number = await queue.remove(cleaned[0] ?? 'none');
  await queue.drain(true);
  await queue.retryJobs({ count: 10, state: 'failed' });
  await queue.promoteJobs({ count: 10 });
  const job = await queue.add('generate', { userId: 3 });
  await job.updateData({ userId: 4 });
  await job.promote().catch(() => undefined);
  await job.retry('failed').catch(() => undefined);
  await job.remove();
  await queue.obliterate({ force: true });
  console.log(paused, removed);
}
