// QueueEvents: the events of every job of a queue, read from its stream in another
// process than the worker's; job.waitUntilFinished on top of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { RedisServer, fileRedis, waitFor } from './helpers/redis.mjs';

const require = createRequire(import.meta.url);
const { Queue, Worker, QueueEvents } = require('../index.js');
const childScript = fileURLToPath(new URL('./fixtures/worker-process.js', import.meta.url));

const { redis, fresh, track } = fileRedis('events');

const EVENTS = ['added', 'waiting', 'delayed', 'active', 'progress', 'completed', 'failed', 'retries-exhausted', 'stalled', 'duplicated'];

/** Records every event a QueueEvents emits, as [event, args]. */
function record(events) {
  const seen = [];
  for (const name of EVENTS) events.on(name, (args, id) => seen.push([name, args, id]));
  events.on('drained', (id) => seen.push(['drained', undefined, id]));
  return seen;
}

function childWorker(name) {
  const child = spawn(process.execPath, [childScript, name, redis.url, '30000'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return {
    stop: () => new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM'); }),
  };
}

test('a QueueEvents in one process sees the jobs a worker in another process runs, with BullMQ\'s argument shapes', async () => {
  const name = fresh();
  const events = track(new QueueEvents(name, { connection: redis.url }));
  const seen = record(events);
  const perJob = [];
  await events.waitUntilReady();
  const queue = track(new Queue(name, { connection: redis.url }));
  const good = await queue.add('good', { n: 1 });
  perJob.length = 0;
  events.on(`completed:${good.id}`, (args) => perJob.push(args));
  const bad = await queue.add('bad', { mode: 'fail' }, { attempts: 2 });
  const worker = childWorker(name);
  try {
    await waitFor(() => seen.some(([e]) => e === 'retries-exhausted'), { what: 'the failing job to be exhausted' });
    await waitFor(() => seen.some(([e]) => e === 'drained'), { what: 'drained' });
  } finally {
    await worker.stop();
  }
  const of = (id) => seen.filter(([, args]) => args && args.jobId === String(id)).map(([e, args]) => [e, args]);
  assert.deepEqual(of(good.id), [
    ['added', { jobId: good.id, name: 'good' }],
    ['waiting', { jobId: good.id }],
    ['active', { jobId: good.id, prev: 'waiting' }],
    ['completed', { jobId: good.id, returnvalue: 'done by child', prev: 'active' }],
  ]);
  assert.deepEqual(of(bad.id), [
    ['added', { jobId: bad.id, name: 'bad' }],
    ['waiting', { jobId: bad.id }],
    ['active', { jobId: bad.id, prev: 'waiting' }],
    ['waiting', { jobId: bad.id, prev: 'failed' }],
    ['active', { jobId: bad.id, prev: 'waiting' }],
    ['failed', { jobId: bad.id, failedReason: 'failed in the child', prev: 'active' }],
    ['retries-exhausted', { jobId: bad.id, attemptsMade: '2' }],
  ]);
  assert.deepEqual(perJob, [{ jobId: good.id, returnvalue: 'done by child', prev: 'active' }]);
  for (const [, , id] of seen) assert.match(id, /^\d+-\d+$/, 'each event carries its stream id');
});

test('delayed, progress and duplicated events; a listener that throws is an error event', async () => {
  const name = fresh();
  const events = track(new QueueEvents(name, { connection: redis.url }));
  const seen = record(events);
  const errors = [];
  events.on('error', (err) => errors.push(err));
  events.on('added', () => { throw new Error('listener throws'); });
  await events.waitUntilReady();
  const queue = track(new Queue(name, { connection: redis.url }));
  const later = await queue.add('later', {}, { delay: 60_000, jobId: 'later' });
  await queue.add('again', {}, { jobId: 'later' });
  const worker = track(new Worker(name, async (job) => { await job.updateProgress({ step: 2 }); return 1; }, { connection: redis.url }));
  const now = await queue.add('now', {});
  await waitFor(() => seen.some(([e, a]) => e === 'completed' && a.jobId === now.id), { what: 'completed' });
  const delayed = seen.find(([e]) => e === 'delayed')[1];
  assert.equal(delayed.jobId, later.id);
  assert.ok(Math.abs(Number(delayed.delay) - (later.timestamp + 60_000)) < 5, 'delay is the due time');
  assert.deepEqual(seen.find(([e]) => e === 'duplicated')[1], { jobId: 'later' });
  assert.deepEqual(seen.find(([e]) => e === 'progress')[1], { jobId: now.id, data: { step: 2 } });
  assert.equal(errors.length, 2, 'one error per throwing listener call');
  await worker.close();
});

test('job.waitUntilFinished resolves with the return value or rejects with the reason, also for a job that finished before', async () => {
  const name = fresh();
  const events = track(new QueueEvents(name, { connection: redis.url }));
  const queue = track(new Queue(name, { connection: redis.url }));
  const good = await queue.add('good', {});
  const bad = await queue.add('bad', { mode: 'fail' });
  const waiting = [good.waitUntilFinished(events), bad.waitUntilFinished(events)];
  const worker = childWorker(name);
  try {
    assert.equal(await waiting[0], 'done by child');
    await assert.rejects(waiting[1], /failed in the child/);
  } finally {
    await worker.stop();
  }
  // Both finished already: the stored state answers.
  assert.equal(await good.waitUntilFinished(events), 'done by child');
  await assert.rejects(bad.waitUntilFinished(events), /failed in the child/);
  const never = await queue.add('never', {});
  await assert.rejects(never.waitUntilFinished(events, 200), /did not finish within 200 ms/);
});

test('lastEventId replays the stream; autorun: false waits for run(); close() closes its connection', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  await queue.add('one', {});
  await queue.add('two', {});
  const clientsBefore = (await redis.clients()).length;
  const replay = new QueueEvents(name, { connection: redis.url, lastEventId: '0-0', autorun: false });
  const seen = record(replay);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(seen, [], 'nothing before run()');
  const running = replay.run();
  await assert.rejects(replay.run(), /already running/);
  await waitFor(() => seen.filter(([e]) => e === 'added').length === 2, { what: 'both added events replayed' });
  await replay.close();
  await running; // run() resolves once closed
  assert.throws(() => new QueueEvents(name, { connection: redis.url, lastEventId: 'soon' }), (err) => err.code === 'ERR_INVALID_OPTION' && /lastEventId/.test(err.message));
  assert.throws(() => new QueueEvents(name, { connection: redis.url, blockingTimeout: 0 }), (err) => err.code === 'ERR_INVALID_OPTION');
  assert.equal((await redis.clients()).length, clientsBefore, 'the reader\'s blocking connection is gone');
});

test('an idle QueueEvents blocks in Redis for its blockingTimeout; events can be turned off', async () => {
  // A Redis of its own: the other tests' open readers and workers would add to the counts.
  const server = await RedisServer.start();
  try {
    const events = new QueueEvents(fresh(), { connection: server.url, blockingTimeout: 5000 });
    await events.waitUntilReady();
    const before = await server.calls('xread');
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok((await server.calls('xread')) - before <= 1, 'one read in progress, no polling');
    await events.close();
    const silent = new Queue(fresh(), { connection: server.url, streams: { events: { maxLen: 0 } } });
    const xadds = await server.calls('xadd');
    await silent.add('quiet', {});
    assert.equal(await server.calls('xadd'), xadds, 'maxLen 0: no event written');
    await silent.close();
  } finally {
    await server.stop();
  }
});

test('events of one batch have ids of their own: reading on after any of them skips none', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const events = track(new QueueEvents(name, { connection: redis.url }));
  const added = [];
  events.on('added', ({ jobId }, id) => added.push([jobId, id]));
  await events.waitUntilReady();
  const jobs = await queue.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: `n${i}`, data: {} })));
  await waitFor(() => added.length === 5, { what: 'five added events' });
  assert.deepEqual(added.map(([jobId]) => jobId), jobs.map((j) => j.id));
  assert.equal(new Set(added.map(([, id]) => id)).size, 5, 'five distinct ids');

  // Resume after the second event of the batch: the other three come, none twice.
  const resumed = track(new QueueEvents(name, { connection: redis.url, lastEventId: added[1][1] }));
  const again = [];
  resumed.on('added', ({ jobId }) => again.push(jobId));
  await waitFor(() => again.length === 3, { what: 'the rest of the batch' });
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(again, jobs.slice(2).map((j) => j.id));
});
