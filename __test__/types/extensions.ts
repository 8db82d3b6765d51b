// What ferroq adds to BullMQ's types: a redis:// URL as the connection, and Bull's
// per-attempt `timeout`. Compiled against ferroq's types only.
import { Queue, Worker, Job, JobsOptions, ConnectionOptions } from 'ferroq';

const url: ConnectionOptions = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const opts: JobsOptions = { attempts: 2, timeout: 5000 };

export async function withExtensions(): Promise<void> {
  const queue = new Queue<{ n: number }>('extensions', { connection: url });
  const added = await queue.add('limited', { n: 1 }, opts);
  const again: Job<{ n: number }> | undefined = await Job.fromId(queue, added.id!);
  console.log(again?.data.n);
  const worker = new Worker<{ n: number }>('extensions', async (job, _token, signal) => {
    signal?.throwIfAborted();
    return job.data.n;
  }, { connection: url });
  await worker.close();
  await queue.close();
}
