// Manual processing (BullMQ's `new Worker(name, null)`): getNextJob, moveToCompleted,
// moveToFailed and extendLock, on the same transitions as the worker loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileRedis } from './helpers/redis.mjs';

const require = createRequire(import.meta.url);
const { Queue, Worker, Job, JobStateError, InvalidOptionError } = require('../index.js');

const { redis, fresh, track } = fileRedis('manual');

test('a worker without a processor takes jobs by hand and ends them as the loop would', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const worker = track(new Worker(name, null, { connection: redis.url, name: 'by-hand', drainDelay: 0.2 }));
  const token = 'my-token';
  assert.equal(worker.isRunning(), false, 'nothing runs without a processor');
  await assert.rejects(worker.run(), InvalidOptionError);

  const none = await worker.getNextJob(token, { block: false });
  assert.equal(none, undefined);
  const t0 = Date.now();
  assert.equal(await worker.getNextJob(token), undefined, 'blocks up to drainDelay, then gives up');
  assert.ok(Date.now() - t0 >= 150, 'it waited for a job');

  await queue.addBulk([
    { name: 'a', data: { n: 1 } },
    { name: 'b', data: { n: 2 } },
    { name: 'c', data: { n: 3 }, opts: { attempts: 2, backoff: 0 } },
  ]);
  const a = await worker.getNextJob(token);
  assert.equal(a.name, 'a');
  assert.deepEqual(a.data, { n: 1 });
  assert.equal(a.token, token);
  assert.equal(await a.getState(), 'active');
  assert.equal((await queue.getJob(a.id)).processedBy, 'by-hand');

  // Completing with fetchNext (the default) takes the next job with the same token.
  const next = await a.moveToCompleted({ ok: true }, token);
  assert.equal(await a.getState(), 'completed');
  assert.deepEqual((await queue.getJob(a.id)).returnvalue, { ok: true });
  assert.ok(Array.isArray(next));
  const [jobData, jobId] = next;
  const b = Job.fromJSON(worker, jobData, jobId);
  assert.equal(b.name, 'b');
  assert.deepEqual(b.data, { n: 2 });
  assert.equal(await b.getState(), 'active');
  assert.equal(await b.moveToCompleted('done', token, false), undefined);

  // A failure is retried while attempts remain, then fails for good.
  const c = await worker.getNextJob(token);
  assert.equal(await c.moveToFailed(new Error('first try'), token), undefined);
  assert.equal(await c.getState(), 'waiting', 'one attempt left');
  const c2 = await worker.getNextJob(token);
  assert.equal(c2.id, c.id);
  await c2.moveToFailed(new Error('second try'), token);
  const stored = await queue.getJob(c.id);
  assert.equal(stored.failedReason, 'second try');
  assert.equal(stored.attemptsMade, 2);
  assert.equal(await stored.getState(), 'failed');
});

test('a wrong or stale token changes nothing; extendLock keeps the job from stalling', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const worker = track(new Worker(name, null, { connection: redis.url, lockDuration: 500, stalledInterval: 100 }));
  await worker.startStalledCheckTimer();
  const added = await queue.add('x', {});
  const job = await worker.getNextJob('t1');
  assert.equal(job.id, added.id);

  await assert.rejects(job.moveToCompleted(1, 'not-mine', false), (err) => err instanceof JobStateError);
  assert.equal(await job.getState(), 'active', 'a wrong token changed nothing');
  await assert.rejects(job.extendLock('t1', 0), InvalidOptionError);
  await assert.rejects(worker.getNextJob(''), InvalidOptionError);
  assert.equal(await job.extendLock('not-mine', 5000), 0);

  // Extended well past lockDuration, the job outlives several stalled passes.
  assert.equal(await job.extendLock('t1', 5000), 1);
  await new Promise((r) => setTimeout(r, 900));
  assert.equal(await job.getState(), 'active');
  assert.equal((await queue.getJob(job.id)).stalledCounter, 0);

  // Not extended again, the lock expires and the job is recovered as stalled: the
  // late completion with the old token is refused and nothing changes.
  assert.equal(await job.extendLock('t1', 200), 1);
  const deadline = Date.now() + 5000;
  while ((await job.getState()) === 'active' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(await job.getState(), 'waiting');
  await assert.rejects(job.moveToCompleted(1, 't1', false), JobStateError);
  assert.equal(await job.getState(), 'waiting');
  // ... also with fetchNext: the stale token takes no job that nobody would hold.
  await assert.rejects(job.moveToCompleted(1, 't1', true), JobStateError);
  assert.deepEqual(await queue.getJobCounts('waiting', 'active'), { waiting: 1, active: 0 });
  await assert.rejects(job.extendLock('t1', 2 ** 64), InvalidOptionError);
});
