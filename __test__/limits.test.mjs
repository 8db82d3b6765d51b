// Global concurrency and rate limits across every worker of every process, measured
// from the start and end times the processors record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { fileRedis, waitFor } from './helpers/redis.mjs';

const require = createRequire(import.meta.url);
const { Queue, Worker, InvalidOptionError } = require('../index.js');
const childScript = fileURLToPath(new URL('./fixtures/worker-process.js', import.meta.url));

const { redis, fresh, track } = fileRedis('limits');

function childWorker(name, concurrency, limiter) {
  const args = [childScript, name, redis.url, '30000', String(concurrency), limiter ? JSON.stringify(limiter) : ''];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { stop: async () => { child.kill('SIGTERM'); await exited; } };
}

/** Most jobs running at the same moment, from [start, end] intervals. */
function peakOverlap(intervals) {
  const edges = intervals.flatMap(({ start, end }) => [[start, 1], [end, -1]]);
  // At equal times an end comes before a start: the slot was free again.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let running = 0;
  let peak = 0;
  for (const [, step] of edges) peak = Math.max(peak, (running += step));
  return peak;
}

test('setGlobalConcurrency caps the active jobs across two worker processes; removing it lifts the cap', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  assert.equal(await queue.getGlobalConcurrency(), null);
  assert.equal(await queue.isMaxed(), false);
  assert.equal(await queue.setGlobalConcurrency(3), 1);
  assert.equal(await queue.getGlobalConcurrency(), 3);

  const workers = [childWorker(name, 5), childWorker(name, 5)];
  try {
    await waitFor(async () => (await queue.getWorkersCount()) === 2, { what: 'two workers' });
    const jobs = await queue.addBulk(Array.from({ length: 30 }, () => ({ name: 't', data: { mode: 'timed', ms: 40 } })));
    let sawMaxed = false;
    await waitFor(async () => {
      if (await queue.isMaxed()) sawMaxed = true;
      return (await queue.getJobCounts('completed')).completed === 30;
    }, { what: 'all 30 done', timeoutMs: 20000, intervalMs: 5 });
    const results = await Promise.all(jobs.map(async (j) => (await queue.getJob(j.id)).returnvalue));
    // Ten slots between the two processes, three used: whichever process frees a slot
    // may take the next job itself, so one process may have run them all.
    // Processor times lie within the jobs' active spells, so this peak is a lower
    // bound of the real one; the store's own count (isMaxed) saw the limit reached.
    assert.ok(peakOverlap(results) <= 3, `three at a time, never more (peak ${peakOverlap(results)})`);
    assert.ok(sawMaxed, 'isMaxed said so while three ran');

    // Without the cap both processes run 5 each.
    assert.equal(await queue.removeGlobalConcurrency(), 1);
    assert.equal(await queue.getGlobalConcurrency(), null);
    const more = await queue.addBulk(Array.from({ length: 40 }, () => ({ name: 't', data: { mode: 'timed', ms: 100 } })));
    await waitFor(async () => (await queue.getJobCounts('completed')).completed === 70, { what: 'all 70 done', timeoutMs: 20000 });
    const free = await Promise.all(more.map(async (j) => (await queue.getJob(j.id)).returnvalue));
    assert.ok(peakOverlap(free) > 5, `more than one process's five at once without the cap (peak ${peakOverlap(free)})`);
    assert.equal(new Set(free.map((r) => r.pid)).size, 2, 'both processes were there to take jobs');
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
});

test('a worker held back by the cap takes jobs once room is made, and bad limits change nothing', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  await queue.setGlobalConcurrency(1);
  for (const bad of [0, -1, 1.5, 'x', null]) {
    await assert.rejects(queue.setGlobalConcurrency(bad), InvalidOptionError);
  }
  assert.equal(await queue.getGlobalConcurrency(), 1, 'unchanged');
  const worker = childWorker(name, 4);
  try {
    const jobs = await queue.addBulk(Array.from({ length: 6 }, () => ({ name: 't', data: { mode: 'timed', ms: 30 } })));
    await waitFor(async () => (await queue.getJobCounts('completed')).completed === 6, { what: 'all 6 done one by one', timeoutMs: 20000 });
    const results = await Promise.all(jobs.map(async (j) => (await queue.getJob(j.id)).returnvalue));
    assert.ok(peakOverlap(results) <= 1);
  } finally {
    await worker.stop();
  }
});

/** Most starts within any `duration` ms (a sliding window over the start times). */
function peakStarts(starts, duration) {
  const sorted = [...starts].sort((a, b) => a - b);
  let peak = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i] - sorted[j] >= duration) j++;
    peak = Math.max(peak, i - j + 1);
  }
  return peak;
}

test('a limiter holds two worker processes together to max starts in every window of duration', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const limiter = { max: 4, duration: 300 };
  const workers = [childWorker(name, 10, limiter), childWorker(name, 10, limiter)];
  try {
    // Both processes are up before the jobs come (which of them takes a window's jobs
    // is a race the limit does not care about).
    await waitFor(async () => (await queue.getWorkersCount()) === 2, { what: 'two workers' });
    const t0 = Date.now();
    const jobs = await queue.addBulk(Array.from({ length: 20 }, () => ({ name: 't', data: { mode: 'timed', ms: 1 } })));
    await waitFor(async () => (await queue.getJobCounts('completed')).completed === 20, { what: 'all 20 done', timeoutMs: 20000 });
    const stored = await Promise.all(jobs.map((j) => queue.getJob(j.id)));
    const results = stored.map((job) => job.returnvalue);
    // A job starts when a fetch takes it (`processedOn`, the time the limiter counts);
    // the processor may begin a little later. A few ms of slack: the two processes'
    // calls may reach Redis in another order than their clocks read.
    const starts = stored.map((job) => job.processedOn);
    const peak = peakStarts(starts, limiter.duration - 5);
    assert.ok(peak <= limiter.max, `at most 4 starts in any 300 ms (peak ${peak})`);
    // 20 jobs at 4 per 300 ms take at least 4 more windows after the first.
    assert.ok(Math.max(...starts) - t0 >= 4 * limiter.duration - 50, 'the limit held the jobs back');
    assert.equal(results.length, 20);
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
});

test('setGlobalRateLimit, rateLimit(ms) with RateLimitError, getRateLimitTtl and removeRateLimitKey', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  assert.equal(await queue.getGlobalRateLimit(), null);
  await assert.rejects(queue.setGlobalRateLimit(0, 1000), (err) => err instanceof InvalidOptionError && /max/.test(err.message));
  await assert.rejects(queue.setGlobalRateLimit(1, -5), (err) => err instanceof InvalidOptionError && /duration/.test(err.message));
  assert.throws(() => new Worker(name, async () => 1, { connection: redis.url, limiter: { max: 0, duration: 10 } }),
    (err) => err instanceof InvalidOptionError && /limiter\.max/.test(err.message));
  assert.equal(await queue.getGlobalRateLimit(), null, 'bad limits changed nothing');
  assert.equal(await queue.setGlobalRateLimit(2, 400), 1);
  assert.deepEqual(await queue.getGlobalRateLimit(), { max: 2, duration: 400 });

  // An upstream says 429 on the first try of job "a": the processor holds the queue for
  // 300 ms and throws RateLimitError; the job waits again without spending an attempt.
  const starts = [];
  let refused = false;
  const worker = track(new Worker(name, async (job) => {
    starts.push([job.name, Date.now()]);
    if (job.name === 'a' && !refused) {
      refused = true;
      await worker.rateLimit(300);
      throw Worker.RateLimitError();
    }
    return job.name;
  }, { connection: redis.url, concurrency: 5 }));
  const failed = [];
  worker.on('failed', (job) => failed.push(job.id));
  const a = await queue.add('a', {}, { attempts: 1 });
  await waitFor(() => refused, { what: 'the first try' });
  const ttl = await queue.getRateLimitTtl();
  assert.ok(ttl > 100 && ttl <= 300, `held for the rest of 300 ms (ttl ${ttl})`);
  await waitFor(async () => (await queue.getJobState(a.id)) === 'completed', { what: 'a completes on its second try' });
  const stored = await queue.getJob(a.id);
  assert.equal(stored.attemptsMade, 1, 'the refused try did not count');
  assert.deepEqual(failed, [], 'no failed event');
  assert.ok(starts[1][1] - starts[0][1] >= 290, 'the second try waited for rateLimit(300)');

  // removeRateLimitKey lets jobs start at once.
  await queue.rateLimit(60_000);
  assert.ok((await queue.getRateLimitTtl()) > 59_000);
  const b = await queue.add('b', {});
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(await queue.getJobState(b.id), 'waiting', 'held');
  assert.equal(await queue.removeRateLimitKey(), 1);
  await waitFor(async () => (await queue.getJobState(b.id)) === 'completed', { what: 'b runs once the limit is gone' });
  assert.equal(await queue.removeGlobalRateLimit(), 1);
  assert.equal(await queue.getGlobalRateLimit(), null);
});
