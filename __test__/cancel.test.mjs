// ferroq's cross-process cancel: queue.cancel / job.cancel reach the process that runs
// the job, fire its AbortSignal, and the job ends failed with the reason, never retried.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { fileRedis, waitFor } from './helpers/redis.mjs';

const require = createRequire(import.meta.url);
const { Queue, Worker, QueueEvents, JobStateError, JobNotFoundError, InvalidOptionError } = require('../index.js');
const childScript = fileURLToPath(new URL('./fixtures/worker-process.js', import.meta.url));

const { redis, fresh, track } = fileRedis('cancel');

/** A worker in a child process; `lines` holds what it printed ("started 1", "aborted 1 why"). */
function childWorker(name, lockDuration = 30000) {
  const child = spawn(process.execPath, [childScript, name, redis.url, String(lockDuration)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = [];
  child.stdout.on('data', (d) => lines.push(...String(d).split('\n').filter(Boolean)));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    lines,
    kill: async (signal = 'SIGTERM') => { child.kill(signal); await exited; },
  };
}

test('queue.cancel fires the signal in the process running the job; it fails with the reason, never retried', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const events = track(new QueueEvents(name, { connection: redis.url }));
  const failed = [];
  events.on('failed', (args) => failed.push(args));
  await events.waitUntilReady();
  const child = childWorker(name);
  try {
    const job = await queue.add('long', { mode: 'until-aborted' }, { attempts: 3, backoff: 0 });
    await waitFor(() => child.lines.includes(`started ${job.id}`), { what: 'the child runs the job' });

    assert.equal(await queue.cancel(job.id, 'user pressed stop'), 'active');
    await waitFor(() => child.lines.includes(`aborted ${job.id} user pressed stop`), { what: 'the signal fired in the child' });
    await waitFor(async () => (await queue.getJobState(job.id)) === 'failed', { what: 'the job failed' });
    const stored = await queue.getJob(job.id);
    assert.equal(stored.failedReason, 'user pressed stop');
    assert.equal(stored.attemptsMade, 1, 'one attempt, no retry although two remained');
    await waitFor(() => failed.length === 1, { what: 'the failed event' });
    assert.deepEqual(failed[0], { jobId: job.id, failedReason: 'user pressed stop', prev: 'active' });

    // The child goes on with other jobs, and the cancelled one is never taken again.
    const next = await queue.add('next', {});
    await waitFor(async () => (await queue.getJobState(next.id)) === 'completed', { what: 'the next job runs' });
    assert.equal(child.lines.filter((l) => l === `started ${job.id}`).length, 1);
    assert.equal(await queue.getJobState(job.id), 'failed');
    await assert.rejects(queue.cancel(job.id), (err) => err instanceof JobStateError && err.code === 'ERR_JOB_STATE');
  } finally {
    await child.kill();
  }
});

test('a processor that ignores its signal still ends failed at once, and its late answer changes nothing', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const seen = [];
  let settle;
  const worker = track(new Worker(name, (job, _token, signal) => job.name === 'next' ? 'ok' : new Promise((resolve) => {
    seen.push(['started', job.id]);
    signal.addEventListener('abort', () => seen.push(['aborted', signal.reason]));
    settle = () => resolve('done anyway');
  }), { connection: redis.url }));
  const failedEvents = [];
  worker.on('failed', (job, err) => failedEvents.push([job.id, err.message, job.failedReason]));
  worker.on('completed', (job) => failedEvents.push(['completed?', job.id]));
  const job = await queue.add('ignores', {}, { attempts: 2 });
  await waitFor(() => seen.length === 1, { what: 'the job runs' });

  assert.equal(await job.cancel('no longer needed'), 'active');
  await waitFor(() => failedEvents.length === 1, { what: 'the worker reports the failure' });
  assert.deepEqual(seen[1], ['aborted', 'no longer needed']);
  assert.deepEqual(failedEvents[0], [job.id, 'no longer needed', 'no longer needed']);
  settle();
  const next = await queue.add('next', {});
  await waitFor(async () => (await queue.getJobState(next.id)) === 'completed', { what: 'the worker goes on' });
  assert.equal(await queue.getJobState(job.id), 'failed');
  assert.equal((await queue.getJob(job.id)).failedReason, 'no longer needed');
  assert.ok(!failedEvents.some((e) => e[0] === 'completed?' && e[1] === job.id), 'the late return value is dropped');
});

test('a job waiting, prioritized or delayed is cancelled at once; finished, missing and bad input change nothing', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const events = track(new QueueEvents(name, { connection: redis.url }));
  const failed = [];
  events.on('failed', (args) => failed.push(args));
  await events.waitUntilReady();

  const waiting = await queue.add('w', {});
  const prioritized = await queue.add('p', {}, { priority: 5 });
  const delayed = await queue.add('d', {}, { delay: 60000 });
  assert.equal(await queue.cancel(waiting.id, 'a'), 'failed');
  assert.equal(await prioritized.cancel(), 'failed');
  assert.equal(await queue.cancel(delayed.id, 'c'), 'failed');
  assert.deepEqual(await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'failed'),
    { waiting: 0, prioritized: 0, delayed: 0, failed: 3 });
  assert.equal((await queue.getJob(prioritized.id)).failedReason, 'cancelled', 'the default reason');
  await waitFor(() => failed.length === 3, { what: 'three failed events' });
  assert.deepEqual(failed.map((f) => f.prev), ['waiting', 'prioritized', 'delayed']);

  await assert.rejects(queue.cancel(waiting.id, 'again'), (err) => err instanceof JobStateError && /failed/.test(err.message));
  await assert.rejects(queue.cancel('nope'), (err) => err instanceof JobNotFoundError && err.code === 'ERR_JOB_NOT_FOUND');
  const kept = await queue.add('kept', {});
  for (const bad of [42, { why: 1 }, 'x'.repeat((1 << 20) + 1)]) {
    await assert.rejects(queue.cancel(kept.id, bad), (err) => err instanceof InvalidOptionError && /`reason`/.test(err.message));
  }
  assert.equal(await queue.getJobState(kept.id), 'waiting', 'bad input changed nothing');
});

test('a cancelled job whose worker was SIGKILLed fails when found stalled, instead of running again', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const child = childWorker(name, 1000);
  const job = await queue.add('orphan', { mode: 'hang' }, { attempts: 5 });
  await waitFor(() => child.lines.includes(`started ${job.id}`), { what: 'the child runs the job' });
  await child.kill('SIGKILL');

  assert.equal(await queue.cancel(job.id, 'stop it'), 'active');
  const ran = [];
  const worker = track(new Worker(name, async (j) => { ran.push(j.id); }, { connection: redis.url, stalledInterval: 200 }));
  const failedEvent = new Promise((resolve) => worker.on('failed', (j, err) => resolve([j.id, err.message])));
  await waitFor(async () => (await queue.getJobState(job.id)) === 'failed', { what: 'the stalled pass fails it', timeoutMs: 15000 });
  assert.equal((await queue.getJob(job.id)).failedReason, 'stop it');
  assert.deepEqual(await failedEvent, [job.id, 'stop it'], 'the worker that found it says so');
  assert.deepEqual(ran, [], 'never taken again');
});

test('a cancel published while the worker was disconnected reaches it at its next lock renewal', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const child = childWorker(name, 1000);
  try {
    const job = await queue.add('long', { mode: 'until-aborted' });
    await waitFor(() => child.lines.includes(`started ${job.id}`), { what: 'the child runs the job' });
    // Cut every subscribed connection (only the child's worker subscribes): the
    // publish below reaches nobody.
    const subscribed = (await redis.clients()).filter((line) => / sub=1 /.test(line));
    assert.equal(subscribed.length, 1, 'the child listens on one connection');
    const id = / id=(\d+) /.exec(` ${subscribed[0]}`)[1];
    assert.equal(await redis.simple(`CLIENT KILL ID ${id}`), ':1');
    assert.equal(await queue.cancel(job.id, 'while away'), 'active');
    await waitFor(() => child.lines.includes(`aborted ${job.id} while away`), { what: 'the child learns of it' });
    await waitFor(async () => (await queue.getJobState(job.id)) === 'failed', { what: 'the job failed' });
  } finally {
    await child.kill();
  }
});

test('a processor that cannot see a signal (an arrow of one or two parameters) gets none, and is still cancelled', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const seen = [];
  let settle;
  const worker = track(new Worker(name, (job, token) => new Promise((resolve) => {
    seen.push([job.id, typeof token]);
    settle = resolve;
  }), { connection: redis.url }));
  const failed = [];
  worker.on('failed', (job, err) => failed.push([job.id, err.message]));
  const job = await queue.add('x', {}, { attempts: 3 });
  await waitFor(() => seen.length === 1, { what: 'the job runs' });
  assert.deepEqual(seen[0], [job.id, 'string']);
  assert.equal(worker.cancelJob(job.id, 'local'), true, 'it runs here');
  assert.equal(worker.cancelJob(job.id, 'again'), false, 'once');
  assert.equal(await queue.cancel(job.id, 'stop'), 'active');
  await waitFor(() => failed.length === 1, { what: 'failed' });
  assert.deepEqual(failed[0], [job.id, 'stop']);
  settle('late');
  assert.equal((await queue.getJob(job.id)).failedReason, 'stop');

  // One that declares the signal gets a real AbortSignal.
  const name2 = fresh();
  const queue2 = track(new Queue(name2, { connection: redis.url }));
  const signals = [];
  track(new Worker(name2, async (job2, token, signal) => { signals.push(signal instanceof AbortSignal); }, { connection: redis.url }));
  const done = await queue2.add('y', {});
  await waitFor(async () => (await queue2.getJobState(done.id)) === 'completed', { what: 'done' });
  assert.deepEqual(signals, [true]);
});
