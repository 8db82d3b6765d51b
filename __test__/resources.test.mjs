// Resources: close() releases the Redis clients an object opened, and queues of one
// process that use the same connection settings share one client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileRedis, waitFor } from './helpers/redis.mjs';

const require = createRequire(import.meta.url);
const { Queue, Worker, QueueEvents } = require('../index.js');

const { redis, fresh } = fileRedis('resources');

test('200 queues share one client while open, and none is left once they are closed', async () => {
  const queues = Array.from({ length: 200 }, () => new Queue(fresh(), { connection: redis.url }));
  await Promise.all(queues.map((queue, i) => queue.add('x', { i })));
  assert.equal((await redis.clients()).length, 1, 'one multiplexed client for all of them');
  await Promise.all(queues.map((queue) => queue.close()));
  assert.deepEqual(await redis.clients(), [], 'closed right after close() resolves');
  await assert.rejects(queues[0].add('x', {}), (err) => err.code === 'ERR_CLOSED');
});

test('50 workers, idle and blocked in Redis, leave no client once closed', async () => {
  const name = fresh();
  const workers = Array.from({ length: 50 }, () => new Worker(name, async () => 1, { connection: redis.url }));
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  // Each worker blocks on its own connection; they share one for everything else.
  await waitFor(async () => (await redis.clients()).length === 51, { what: '51 clients' });
  await Promise.all(workers.map((worker) => worker.close()));
  assert.deepEqual(await redis.clients(), []);
});

test('QueueEvents blocked in Redis leave no client once closed', async () => {
  const readers = Array.from({ length: 10 }, () => new QueueEvents(fresh(), { connection: redis.url }));
  await Promise.all(readers.map((reader) => reader.waitUntilReady()));
  await waitFor(async () => (await redis.clients()).length === 11, { what: '10 blocking reads and one shared client' });
  await Promise.all(readers.map((reader) => reader.close()));
  assert.deepEqual(await redis.clients(), []);
});

test('re-creating a queue without closing it (a dev server reloading a route) opens no new client', async () => {
  const name = fresh();
  for (let edit = 0; edit < 10; edit += 1) {
    const queue = new Queue(name, { connection: { host: '127.0.0.1', port: redis.port } });
    await queue.add('reloaded', { edit });
  }
  assert.equal((await redis.clients()).length, 1);
  const last = new Queue(name, { connection: { host: '127.0.0.1', port: redis.port } });
  assert.equal(await last.count(), 10);
  await last.close();
  assert.equal((await redis.clients()).length, 1, 'still shared with the unclosed queues');
});

test('a queue whose Redis restarted adds at once, without first failing with the old connection', async () => {
  const queue = new Queue(fresh(), { connection: redis.url });
  await queue.add('before', {});
  await redis.kill();
  await redis.restart();
  // The link learned that its connection closed; the next call connects anew.
  await waitFor(async () => (await redis.clients()).length === 0, { what: 'old client gone' });
  const job = await queue.add('after', {});
  assert.ok(job.id);
  await queue.close();
});
