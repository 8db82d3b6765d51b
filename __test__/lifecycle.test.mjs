// The vertical slice through the addon: add -> process in JS -> complete / fail / retry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileRedis, waitFor } from './helpers/redis.mjs';
// Named ESM imports of the CommonJS entry point, as a TypeScript/ESM app writes them.
import { Queue, Worker, UnrecoverableError } from '../index.js';

const { redis, fresh, track } = fileRedis('lifecycle');

test('a job is added, processed in JS and completed with its return value', async () => {
  const name = fresh();
  const connection = redis.url;
  const queue = track(new Queue(name, { connection }));
  const job = await queue.add('generate', { userId: 1 }, { attempts: 3 });
  assert.equal(job.id, '1');
  assert.deepEqual(job.data, { userId: 1 });
  assert.equal(await queue.getJobState(job.id), 'waiting');

  const seen = [];
  const worker = track(new Worker(name, async (j, token, signal) => {
    assert.equal(typeof token, 'string');
    assert.ok(signal instanceof AbortSignal);
    await j.updateProgress({ step: 'sections', percentage: 45 });
    await j.log('generated section 2/5');
    return { ok: true };
  }, { connection, concurrency: 10 }));
  worker.on('active', (j) => seen.push(['active', j.id]));
  worker.on('progress', (j, p) => seen.push(['progress', j.id, p.percentage]));
  const done = new Promise((resolve) => worker.on('completed', (j, result) => resolve([j, result])));
  const [completedJob, result] = await done;
  assert.deepEqual(result, { ok: true });
  assert.equal(completedJob.id, job.id);
  assert.deepEqual(seen, [['active', '1'], ['progress', '1', 45]]);

  const again = await queue.getJob(job.id);
  assert.equal(await again.getState(), 'completed');
  assert.deepEqual(again.returnvalue, { ok: true });
  assert.deepEqual(again.progress, { step: 'sections', percentage: 45 });
  assert.equal(again.attemptsMade, 1);
  assert.ok(again.processedOn >= again.timestamp);
  assert.ok(again.finishedOn >= again.processedOn);
  assert.deepEqual(await queue.getJobLogs(job.id), { logs: ['generated section 2/5'], count: 1 });
  const counts = await queue.getJobCounts();
  assert.equal(counts.completed, 1);
  assert.equal(counts.waiting, 0);
  await worker.close();
});

test('UnrecoverableError fails at once; other throws consume attempts', async () => {
  const name = fresh();
  const connection = redis.url;
  const queue = track(new Queue(name, { connection }));
  const fatal = await queue.add('fatal', {}, { attempts: 5 });
  const flaky = await queue.add('flaky', {}, { attempts: 3 });
  const failures = [];
  const worker = track(new Worker(name, async (j) => {
    if (j.name === 'fatal') throw new UnrecoverableError('no way');
    if (j.attemptsMade < 2) throw 'plain string';
    return 'fine';
  }, { connection }));
  worker.on('failed', (j, err) => failures.push([j.name, err.message]));
  await waitFor(async () => (await queue.getJobState(flaky.id)) === 'completed', { what: 'flaky completes' });
  const fatalJob = await queue.getJob(fatal.id);
  assert.equal(await fatalJob.getState(), 'failed');
  assert.equal(fatalJob.failedReason, 'no way');
  assert.equal(fatalJob.attemptsMade, 1);
  assert.equal(fatalJob.stacktrace.length, 1);
  const flakyJob = await queue.getJob(flaky.id);
  assert.equal(flakyJob.attemptsMade, 3);
  assert.deepEqual(failures, [['fatal', 'no way'], ['flaky', 'plain string'], ['flaky', 'plain string']]);
  await worker.close();
});

test('a closed queue rejects further calls with ERR_CLOSED', async () => {
  const queue = new Queue(fresh(), { connection: redis.url });
  await queue.add('before', {});
  await queue.close();
  await assert.rejects(queue.add('after', {}), { code: 'ERR_CLOSED', name: 'ClosedError' });
  await assert.rejects(queue.getJobCounts(), { code: 'ERR_CLOSED' });
});

test('each attempt counts attemptsStarted; failed events carry the stored stack traces; a retry waiting for its backoff shows its delay', async () => {
  const queue = track(new Queue(fresh(), { connection: redis.url }));
  const job = await queue.add('flaky', {}, { attempts: 3, backoff: 400, stackTraceLimit: 2 });
  assert.equal(job.attemptsStarted, 0);
  const started = [];
  const worker = track(new Worker(queue.name, async (j) => {
    started.push(j.attemptsStarted);
    if (j.attemptsMade < 2) throw new Error(`attempt ${j.attemptsMade + 1}`);
    return 'third time';
  }, { connection: redis.url }));
  const failedStacks = [];
  worker.on('failed', (j) => failedStacks.push(j.stacktrace.map((s) => s.split('\n')[0])));
  await waitFor(() => failedStacks.length === 1, { what: 'first failure' });
  const waiting = await queue.getJob(job.id);
  assert.equal(await waiting.getState(), 'delayed');
  assert.equal(waiting.delay, 400, 'the backoff shows as the delay');
  assert.equal(waiting.failedReason, 'attempt 1');
  await waitFor(async () => (await queue.getJobState(job.id)) === 'completed', { what: 'third attempt completes' });
  assert.deepEqual(started, [1, 2, 3]);
  assert.deepEqual(failedStacks, [['Error: attempt 1'], ['Error: attempt 1', 'Error: attempt 2']]);
  const done = await queue.getJob(job.id);
  assert.equal(done.attemptsStarted, 3);
  assert.equal(done.attemptsMade, 3);
  assert.equal(done.toJSON().attemptsStarted, 3);
  await worker.close();
});

test('stackTraceLimit keeps only the newest stack traces', async () => {
  const queue = track(new Queue(fresh(), { connection: redis.url }));
  const job = await queue.add('always', {}, { attempts: 4, stackTraceLimit: 2 });
  const worker = track(new Worker(queue.name, async (j) => {
    throw new Error(`attempt ${j.attemptsMade + 1}`);
  }, { connection: redis.url }));
  await waitFor(async () => (await queue.getJobState(job.id)) === 'failed', { what: 'final failure' });
  const failed = await queue.getJob(job.id);
  assert.deepEqual(failed.stacktrace.map((s) => s.split('\n')[0]), ['Error: attempt 3', 'Error: attempt 4']);
  await worker.close();
});

test('waitUntilReady, ready and closing events; isRunning until closed; progress events on the Queue for its jobs', async () => {
  const queue = track(new Queue(fresh(), { connection: redis.url }));
  await queue.waitUntilReady();
  const events = [];
  const worker = track(new Worker(queue.name, async () => 'ok', { connection: redis.url }));
  worker.on('ready', () => events.push('ready'));
  worker.on('closing', () => events.push(`closing while running: ${worker.isRunning()}`));
  worker.on('closed', () => events.push(`closed, running: ${worker.isRunning()}`));
  await worker.waitUntilReady();
  await waitFor(() => events.includes('ready'), { what: 'ready event' });

  const added = await queue.add('p', {});
  const seen = [];
  queue.on('progress', (j, progress) => seen.push([j.id, progress]));
  const read = await queue.getJob(added.id);
  await read.updateProgress(30);
  assert.deepEqual(seen, [[added.id, 30]]);

  await worker.close();
  assert.deepEqual(events, ['ready', 'closing while running: true', 'closed, running: false']);
  assert.deepEqual(await queue.getJobCounts('repeat', 'wait'), { repeat: 0, wait: 0 });
});
