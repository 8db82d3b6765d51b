// Deduplication (BullMQ's simple, throttle and debounce modes) and its events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileRedis, waitFor } from './helpers/redis.mjs';

const require = createRequire(import.meta.url);
const { Queue, Worker, QueueEvents, InvalidOptionError } = require('../index.js');

const { redis, fresh, track } = fileRedis('dedup');

test('simple mode: one job per id until it completes; the add gives the holder back; events say so', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const events = track(new QueueEvents(name, { connection: redis.url }));
  const seen = [];
  events.on('deduplicated', (args) => seen.push(args));
  const local = [];
  queue.on('deduplicated', (job, id) => local.push([job.id, id]));
  await events.waitUntilReady();

  const first = await queue.add('report', { v: 1 }, { deduplication: { id: 'user-7' } });
  assert.equal(first.deduplicationId, 'user-7');
  const second = await queue.add('report', { v: 2 }, { deduplication: { id: 'user-7' } });
  assert.equal(second.id, first.id, 'the holder comes back');
  assert.deepEqual(second.data, { v: 1 }, 'unchanged');
  assert.equal(await queue.count(), 1);
  assert.equal(await queue.getDeduplicationJobId('user-7'), first.id);
  await waitFor(() => seen.length === 1, { what: 'deduplicated event' });
  assert.equal(seen[0].deduplicationId, 'user-7');
  assert.equal(seen[0].deduplicatedJobId, first.id);
  assert.ok(seen[0].jobId && seen[0].jobId !== first.id, 'the id the new job would have had');
  assert.deepEqual(local, [[first.id, 'user-7']]);

  // Once the job completed, the id is free again.
  const worker = track(new Worker(name, async (job) => job.data.v, { connection: redis.url }));
  await waitFor(async () => (await queue.getJobState(first.id)) === 'completed', { what: 'done' });
  assert.equal(await queue.getDeduplicationJobId('user-7'), null);
  const third = await queue.add('report', { v: 3 }, { deduplication: { id: 'user-7' } });
  assert.notEqual(third.id, first.id);
  await waitFor(async () => (await queue.getJobState(third.id)) === 'completed', { what: 'third done' });
  await worker.close();

  // removeDeduplicationKey frees it at once; job.removeDeduplicationKey only while it holds it.
  const fourth = await queue.add('report', { v: 4 }, { deduplication: { id: 'user-8' } });
  assert.equal(await queue.removeDeduplicationKey('user-8'), 1);
  const fifth = await queue.add('report', { v: 5 }, { deduplication: { id: 'user-8' } });
  assert.notEqual(fifth.id, fourth.id);
  assert.equal(await fourth.removeDeduplicationKey(), false, 'fourth no longer holds it');
  assert.equal(await fifth.removeDeduplicationKey(), true);
  assert.equal(await queue.getDeduplicationJobId('user-8'), null);
});

test('throttle mode holds the id for ttl even after the job ended; extend restarts it; debounce replaces a delayed job', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const a = await queue.add('t', { n: 1 }, { deduplication: { id: 'thr', ttl: 300 } });
  const b = await queue.add('t', { n: 2 }, { deduplication: { id: 'thr', ttl: 300 } });
  assert.equal(b.id, a.id);
  await waitFor(async () => (await queue.getDeduplicationJobId('thr')) === null, { what: 'the ttl passes', timeoutMs: 3000 });
  const c = await queue.add('t', { n: 3 }, { deduplication: { id: 'thr', ttl: 300 } });
  assert.notEqual(c.id, a.id);

  // Debounce: each add within the ttl replaces the delayed job and restarts the ttl.
  const opts = { delay: 60_000, deduplication: { id: 'deb', ttl: 5000, extend: true, replace: true } };
  const d1 = await queue.add('d', { n: 1 }, opts);
  const d2 = await queue.add('d', { n: 2 }, opts);
  const d3 = await queue.add('d', { n: 3 }, opts);
  assert.equal(await queue.getJob(d1.id), undefined, 'replaced');
  assert.equal(await queue.getJob(d2.id), undefined, 'replaced');
  assert.deepEqual((await queue.getJob(d3.id)).data, { n: 3 }, 'the last one waits');
  assert.equal(await queue.getDeduplicationJobId('deb'), d3.id);
  assert.equal((await queue.getJobCounts('delayed')).delayed, 1);

  // Bad options: typed errors, nothing added.
  const before = await queue.count();
  for (const bad of [{ id: '' }, { id: 5 }, { id: 'x', ttl: -1 }, { id: 'x', extend: 'yes' }, 'x']) {
    await assert.rejects(queue.add('bad', {}, { deduplication: bad }), InvalidOptionError);
  }
  assert.equal(await queue.count(), before);
});
