// The long-run check (`npm run test:soak`, not part of `npm test`): SOAK_JOBS jobs
// (default 1 000 000) through one worker at concurrency 100 while every client
// connection is killed (`CLIENT KILL TYPE normal`) every SOAK_KILL_MS (3 000).
// Passes with 0 jobs lost, 0 run twice, 0 false `error` events (lost locks), and an
// RSS that stays flat once warm. Prints its figures and exits non-zero on a failure.
import { createRequire } from 'node:module';
import { RedisServer } from '../helpers/redis.mjs';

const require = createRequire(import.meta.url);
const { Queue, Worker } = require('../../index.js');

const TOTAL = Number(process.env.SOAK_JOBS || 1_000_000);
const KILL_EVERY_MS = Number(process.env.SOAK_KILL_MS || 3000);
const BATCH = 1000;
const AHEAD = 50_000; // jobs the producer keeps waiting at most

const redis = await RedisServer.start();
const connection = redis.url;
const name = 'soak';
const queue = new Queue(name, { connection, defaultJobOptions: { removeOnComplete: true } });
queue.on('error', () => {});

const runs = new Uint8Array(TOTAL);
let completed = 0;
const errors = {};
const worker = new Worker(name, async (job) => {
  runs[job.data.i] += 1;
  return job.data.i;
}, { connection, concurrency: 100 });
worker.on('completed', () => { completed += 1; });
worker.on('error', (err) => { errors[err.code] = (errors[err.code] || 0) + 1; });

// Custom ids make an add whose answer was lost safe to send again.
async function addBatch(from) {
  const jobs = [];
  for (let i = from; i < Math.min(from + BATCH, TOTAL); i += 1) {
    jobs.push({ name: 'soak', data: { i }, opts: { jobId: `j${i}` } });
  }
  for (;;) {
    try {
      await queue.addBulk(jobs);
      return;
    } catch (err) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const started = Date.now();
let kills = 0;
const killer = setInterval(() => {
  redis.simple('CLIENT KILL TYPE normal').then(() => { kills += 1; }, () => {});
}, KILL_EVERY_MS);

const rss = [];
const sampler = setInterval(() => rss.push(process.memoryUsage().rss), 2000);

let added = 0;
while (added < TOTAL) {
  if (added - completed > AHEAD) {
    await new Promise((r) => setTimeout(r, 20));
    continue;
  }
  await addBatch(added);
  added = Math.min(added + BATCH, TOTAL);
}
while (completed < TOTAL) {
  const before = completed;
  await new Promise((r) => setTimeout(r, 5000));
  if (completed === before && (await queue.getJobCounts('waiting', 'active')).waiting === 0) break;
}
clearInterval(killer);
clearInterval(sampler);
const seconds = (Date.now() - started) / 1000;
await worker.close();
const counts = await queue.getJobCounts('waiting', 'active', 'failed', 'delayed');
await queue.close();
await redis.stop();

let lost = 0;
let twice = 0;
for (const n of runs) {
  if (n === 0) lost += 1;
  if (n > 1) twice += 1;
}
const mb = (bytes) => Math.round(bytes / 2 ** 20);
const warm = rss.slice(Math.floor(rss.length / 4));
const report = {
  jobs: TOTAL,
  seconds: Math.round(seconds),
  jobsPerSecond: Math.round(TOTAL / seconds),
  connectionKills: kills,
  completedEvents: completed,
  lost,
  ranTwice: twice,
  left: counts,
  errorEvents: errors,
  rssMiB: { afterWarmUp: mb(warm[0] || 0), max: mb(Math.max(...warm)), end: mb(warm[warm.length - 1] || 0) },
};
console.log(JSON.stringify(report, null, 2));
const falseAlarms = errors.ERR_LOCK_LOST || 0;
const ok = lost === 0 && twice === 0 && falseAlarms === 0 && counts.failed === 0;
console.log(ok ? 'soak: PASS' : 'soak: FAIL');
process.exitCode = ok ? 0 : 1;
