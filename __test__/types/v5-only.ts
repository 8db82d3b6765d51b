// BullMQ 5 members that BullMQ 6 removed (so the installed bullmq 6 types cannot check
// this file): a BullMQ 5 app using them compiles against ferroq. Compiled against
// ferroq's types only.
import { Queue, Worker, Job, QueueEvents, JobsOptions, RepeatOptions, RepeatableJob, ErrorCode } from 'ferroq';

const repeat: RepeatOptions = { pattern: '0 * * * *', tz: 'UTC', utc: true, currentDate: new Date(), nthDayOfWeek: 1 };
const opts: JobsOptions = { repeat, debounce: { id: 'd', ttl: 1000 } };

export async function legacy(queue: Queue<{ n: number }>, worker: Worker, job: Job, events: QueueEvents): Promise<void> {
  const repeatable: RepeatableJob[] = await queue.getRepeatableJobs(0, 10, true);
  await queue.removeRepeatable('tick', repeat, 'id');
  await queue.removeRepeatableByKey(repeatable[0]?.key ?? 'key');
  await queue.add('tick', { n: 1 }, opts);
  const [client, workerClient] = await Promise.all([queue.client, worker.client, queue.repeat, worker.repeat]);
  const version: string = queue.redisVersion + events.redisVersion;
  job.discard();
  events.on('debounced', ({ jobId, debounceId }, id) => console.log(jobId, debounceId, id));
  console.log(client, workerClient, version, job.debounceId, job.nextRepeatableJobId, ErrorCode.JobPendingDependencies);
}
