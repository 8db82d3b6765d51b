// Global concurrency: never more than n jobs active across every worker of every
// process, measured from the start and end times the processors record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { fileRedis, waitFor } from './helpers/redis.mjs';

const require = createRequire(import.meta.url);
const { Queue, InvalidOptionError } = require('../index.js');
const childScript = fileURLToPath(new URL('./fixtures/worker-process.js', import.meta.url));

const { redis, fresh, track } = fileRedis('limits');

function childWorker(name, concurrency) {
  const child = spawn(process.execPath, [childScript, name, redis.url, '30000', String(concurrency)], {
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
    const jobs = await queue.addBulk(Array.from({ length: 30 }, () => ({ name: 't', data: { mode: 'timed', ms: 40 } })));
    let sawMaxed = false;
    await waitFor(async () => {
      if (await queue.isMaxed()) sawMaxed = true;
      return (await queue.getJobCounts('completed')).completed === 30;
    }, { what: 'all 30 done', timeoutMs: 20000, intervalMs: 5 });
    const results = await Promise.all(jobs.map(async (j) => (await queue.getJob(j.id)).returnvalue));
    // Ten slots between the two processes, three used: whichever process frees a slot
    // may take the next job itself, so one process may have run them all.
    assert.equal(peakOverlap(results), 3, 'three at a time, never more');
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
    assert.equal(peakOverlap(results), 1);
  } finally {
    await worker.stop();
  }
});
