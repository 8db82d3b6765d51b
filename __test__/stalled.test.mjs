// Crashes: a SIGKILLed worker's job is recovered (at-least-once); locks are renewed in
// Rust even while the JavaScript event loop is blocked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { fileRedis, waitFor } from './helpers/redis.mjs';

const require = createRequire(import.meta.url);
const { Queue, Worker } = require('../index.js');
const childScript = fileURLToPath(new URL('./fixtures/worker-process.js', import.meta.url));

const { redis, fresh, track } = fileRedis('stalled');

/** Runs a worker in a child process; resolves once it started a job. */
function childWorker(name, lockDuration) {
  const child = spawn(process.execPath, [childScript, name, redis.url, String(lockDuration)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const started = new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => { if (String(d).includes('started')) resolve(); });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before starting a job`)));
  });
  return { child, started };
}

async function sigkill(child) {
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

test('the job of a SIGKILLed worker process is recovered and completed by another', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const job = await queue.add('crash', { mode: 'hang' }, { attempts: 1 });
  const { child, started } = childWorker(name, 600);
  await started;
  assert.equal(await queue.getJobState(job.id), 'active');
  await sigkill(child);

  const stalled = [];
  const rescuer = track(new Worker(name, async () => 'rescued', {
    connection: redis.url, stalledInterval: 300, lockDuration: 600,
  }));
  rescuer.on('stalled', (id) => stalled.push(id));
  await waitFor(async () => (await queue.getJobState(job.id)) === 'completed', { what: 'recovered job completes' });
  assert.deepEqual(stalled, [job.id]);
  const stored = await queue.getJob(job.id);
  assert.equal(stored.returnvalue, 'rescued');
  assert.equal(stored.stalledCounter, 1);
  await rescuer.close();
});

test('a job that stalls more than maxStalledCount times fails with a reason, a failed event and its removeOnFail', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const job = await queue.add('crash', { mode: 'hang' });
  const removed = await queue.add('crash', { mode: 'hang' }, { removeOnFail: true });
  const { child, started } = childWorker(name, 400);
  await started;
  const second = childWorker(name, 400);
  await second.started;
  await sigkill(child);
  await sigkill(second.child);
  const checker = track(new Worker(name, async () => 'never', {
    connection: redis.url, stalledInterval: 200, maxStalledCount: 0, autorun: true, concurrency: 1,
  }));
  const events = [];
  checker.on('stalled', (id) => events.push(['stalled', id]));
  checker.on('failed', (failed, err) => events.push(['failed', failed.id, failed.name, err.message]));
  await waitFor(async () => (await queue.getJobState(job.id)) === 'failed', { what: 'stalled job fails' });
  assert.equal((await queue.getJob(job.id)).failedReason, 'job stalled more than allowable limit');
  assert.equal(await queue.getJob(removed.id), undefined, 'removeOnFail: true holds for a job failed by stalling');
  await waitFor(() => events.length === 3, { what: 'stalled, stalled, failed' });
  assert.deepEqual(events.sort(), [
    ['failed', job.id, 'crash', 'job stalled more than allowable limit'],
    ['stalled', job.id],
    ['stalled', removed.id],
  ].sort());
  await checker.close();
});

test('locks are renewed by the engine while the JS event loop is blocked', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const job = await queue.add('busy', {});
  const stalled = [];
  // The worker's own stalled checker runs every 100 ms: had the 300 ms lock lapsed, it
  // would take the job back while the processor still runs.
  const busy = track(new Worker(name, async () => {
    const until = Date.now() + 1500; // five lock durations, event loop blocked throughout
    while (Date.now() < until) { /* spin */ }
    return 'kept';
  }, { connection: redis.url, lockDuration: 300, stalledInterval: 100 }));
  busy.on('stalled', (id) => stalled.push(id));
  await waitFor(async () => (await queue.getJobState(job.id)) === 'completed', { what: 'busy job completes' });
  const stored = await queue.getJob(job.id);
  assert.equal(stored.returnvalue, 'kept');
  assert.equal(stored.stalledCounter, 0);
  assert.equal(stored.attemptsMade, 1);
  assert.deepEqual(stalled, []);
  await busy.close();
});
