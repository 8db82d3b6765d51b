// What ferroq adds to BullMQ's types: a redis:// URL as the connection, Bull's
// per-attempt `timeout`, `maxPayloadBytes`, `commandTimeout` and the error classes of
// its codes. Compiled against ferroq's types only.
import {
  Queue, Worker, Job, JobsOptions, ConnectionOptions, OutcomeUnknownError, PayloadTooLargeError,
  AuthError, RedisError, FerroqError,
} from 'ferroq';

const url: ConnectionOptions = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const opts: JobsOptions = { attempts: 2, timeout: 5000 };

export async function withExtensions(): Promise<void> {
  const queue = new Queue<{ n: number }>('extensions', { connection: url, maxPayloadBytes: 1 << 20 });
  const added = await queue.add('limited', { n: 1 }, opts);
  try {
    await queue.add('big', { n: 2 }, { sizeLimit: 10 });
  } catch (err) {
    if (err instanceof PayloadTooLargeError || err instanceof OutcomeUnknownError) console.log(err.code);
    if (err instanceof AuthError || err instanceof RedisError) console.log((err as FerroqError).message);
  }
  const patient = new Queue('extensions', { connection: { host: '127.0.0.1', commandTimeout: 30_000 } });
  await patient.close();
  const again: Job<{ n: number }> | undefined = await Job.fromId(queue, added.id!);
  console.log(again?.data.n);
  const worker = new Worker<{ n: number }>('extensions', async (job, _token, signal) => {
    signal?.throwIfAborted();
    return job.data.n;
  }, { connection: url });
  await worker.close();
  await queue.close();
}
