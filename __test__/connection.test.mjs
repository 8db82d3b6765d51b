// Where Redis is, and what happens when it is not there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileRedis, RedisServer, freePort, waitFor } from './helpers/redis.mjs';

const require = createRequire(import.meta.url);
const { Queue, Worker, ConnectionError, AuthError } = require('../index.js');

const { redis, fresh, track } = fileRedis('conn');

test('object, URL and REDIS_URL connections reach the same server', async () => {
  const name = fresh();
  const byObject = track(new Queue(name, { connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null } }));
  await byObject.add('a', {});
  const saved = process.env.REDIS_URL;
  process.env.REDIS_URL = redis.url;
  try {
    const byEnv = track(new Queue(name));
    await byEnv.add('b', {});
  } finally {
    if (saved === undefined) delete process.env.REDIS_URL; else process.env.REDIS_URL = saved;
  }
  // A port from the environment is text; ioredis takes it, so does ferroq.
  const byEnvPort = track(new Queue(name, { connection: { host: '127.0.0.1', port: String(redis.port) } }));
  await byEnvPort.add('c', {});
  const byUrl = track(new Queue(name, { connection: redis.url }));
  assert.equal((await byUrl.getJobCounts('waiting')).waiting, 3);
});

test('add rejects with ERR_CONNECTION in bounded time when Redis is unreachable (no fallback)', async () => {
  const deadPort = await freePort();
  const queue = track(new Queue(fresh(), { connection: `redis://127.0.0.1:${deadPort}` }));
  const started = Date.now();
  await assert.rejects(queue.add('x', {}), (err) => {
    assert.ok(err instanceof ConnectionError, `got ${err && err.name}: ${err && err.message}`);
    assert.equal(err.code, 'ERR_CONNECTION');
    return true;
  });
  assert.ok(Date.now() - started < 15000, `took ${Date.now() - started} ms`);
  await assert.rejects(queue.waitUntilReady(), { code: 'ERR_CONNECTION' });
});

test('a worker survives Redis going away, reports errors, and resumes after restart', async () => {
  const server = await RedisServer.start();
  try {
    const name = fresh();
    const connection = server.url;
    const queue = track(new Queue(name, { connection }));
    const done = [];
    const worker = track(new Worker(name, async (job) => job.data.n, { connection, drainDelay: 1 }));
    const errors = [];
    worker.on('error', (err) => errors.push(err));
    worker.on('completed', (job) => done.push(job.data.n));
    await queue.add('before', { n: 1 });
    await waitFor(() => done.includes(1), { what: 'first job' });

    await server.kill();
    await waitFor(() => errors.length > 0, { timeoutMs: 15000, what: 'worker error event' });
    assert.ok(errors.every((e) => e instanceof Error && typeof e.code === 'string'));

    await server.restart();
    await waitFor(async () => {
      try { await queue.add('after', { n: 2 }); return true; } catch { return false; }
    }, { timeoutMs: 15000, what: 'add after restart' });
    await waitFor(() => done.includes(2), { timeoutMs: 20000, what: 'job after restart' });
    await worker.close();
  } finally {
    await server.stop();
  }
});

test('Redis killed and restarted mid-run: every accepted job still ends completed, none lost', async () => {
  const server = await RedisServer.start({ persistent: true });
  try {
    const name = fresh();
    const connection = server.url;
    const queue = track(new Queue(name, { connection }));
    const total = 300;
    await queue.addBulk(Array.from({ length: total }, (_, n) => ({ name: 'j', data: { n } })));
    const seen = new Set();
    const worker = track(new Worker(name, async (job) => {
      await new Promise((r) => setTimeout(r, 2));
      seen.add(job.data.n);
      return job.data.n;
    }, { connection, concurrency: 10, drainDelay: 1 }));
    const completedEvents = new Set();
    worker.on('completed', (job) => completedEvents.add(job.data.n));
    worker.on('error', () => {});
    await waitFor(() => seen.size >= 60, { what: '60 jobs processed' });

    await server.kill();
    await new Promise((r) => setTimeout(r, 500)); // the outage: outcomes wait in the worker
    await server.restart();

    await waitFor(async () => {
      try { return (await queue.getJobCounts('completed')).completed === total; } catch { return false; }
    }, { timeoutMs: 20000, what: `all ${total} completed (well before any lock expires)` });
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
    assert.deepEqual(counts, { waiting: 0, active: 0, delayed: 0, failed: 0, completed: total });
    assert.equal(seen.size, total, 'every job ran at least once');
    await waitFor(() => completedEvents.size === total, { what: 'a completed event for every job' });
    const stored = await queue.getJobs(['completed'], 0, -1, true);
    assert.deepEqual(stored.map((j) => j.returnvalue).sort((a, b) => a - b), Array.from({ length: total }, (_, n) => n));
    await worker.close();
  } finally {
    await server.stop();
  }
});

test('ACL users: username and password as an object or in the URL; a wrong or missing password is ERR_AUTH', async () => {
  const server = await RedisServer.start({ acl: 'user default off\nuser app on >s3cr:t@x ~* &* +@all\n' });
  try {
    const name = fresh();
    const byObject = track(new Queue(name, { connection: { host: '127.0.0.1', port: server.port, username: 'app', password: 's3cr:t@x' } }));
    const job = await byObject.add('x', {});
    const url = `redis://app:${encodeURIComponent('s3cr:t@x')}@127.0.0.1:${server.port}`;
    const worker = track(new Worker(name, async () => 'authenticated', { connection: url }));
    await waitFor(async () => (await byObject.getJobState(job.id)) === 'completed', { what: 'job completes' });
    await worker.close();
    const wrong = track(new Queue(name, { connection: { host: '127.0.0.1', port: server.port, username: 'app', password: 'nope' } }));
    await assert.rejects(wrong.add('y', {}), (err) => err instanceof AuthError && err.code === 'ERR_AUTH' && /auth/i.test(err.message));
    const none = track(new Queue(name, { connection: { host: '127.0.0.1', port: server.port } }));
    await assert.rejects(none.add('y', {}), (err) => err instanceof AuthError && err.code === 'ERR_AUTH');
    await assert.rejects(none.getJobCounts(), (err) => err.code === 'ERR_AUTH');
    assert.equal((await byObject.getJobCounts('waiting')).waiting, 0);
  } finally {
    await server.stop();
  }
});

test('TLS: rediss:// with the CA to trust (object or URL form), rejectUnauthorized: false; an untrusted certificate is refused', async () => {
  const server = await RedisServer.start({ tls: true });
  try {
    const name = fresh();
    const queue = track(new Queue(name, { connection: { host: '127.0.0.1', port: server.port, tls: { ca: server.ca } } }));
    const job = await queue.add('secure', {});
    const worker = track(new Worker(name, async () => 'over TLS', { connection: { url: server.url, tls: { ca: Buffer.from(server.ca) } } }));
    await waitFor(async () => (await queue.getJobState(job.id)) === 'completed', { what: 'job completes over TLS' });
    assert.equal((await queue.getJob(job.id)).returnvalue, 'over TLS');
    await worker.close();
    const insecure = track(new Queue(name, { connection: { url: server.url, tls: { rejectUnauthorized: false } } }));
    assert.equal((await insecure.getJobCounts('completed')).completed, 1);
    const untrusted = track(new Queue(name, { connection: server.url }));
    await assert.rejects(untrusted.add('no', {}), (err) => err.code === 'ERR_CONNECTION' && /certificate|issuer/i.test(err.message));
    assert.throws(() => new Queue(name, { connection: { url: server.url, tls: { cert: 'x' } } }), { code: 'ERR_INVALID_OPTION' });
  } finally {
    await server.stop();
  }
});
