// Hostile use: processors that throw or return values which break naive handling, and
// adds too large for the queue, for Redis or for JavaScript's own strings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { RedisServer, fileRedis, waitFor } from './helpers/redis.mjs';

const require = createRequire(import.meta.url);
const { Queue, Worker, OutcomeUnknownError } = require('../index.js');
const { HOSTILE_THROWS, HOSTILE_RETURNS } = require('./fixtures/hostile-values.js');
const childScript = fileURLToPath(new URL('./fixtures/hostile-processor.js', import.meta.url));

const { redis, fresh, track } = fileRedis('hostile');

test('whatever a processor throws, the attempt fails with a readable reason and the worker goes on', async () => {
  const name = fresh();
  const connection = redis.url;
  const queue = track(new Queue(name, { connection }));
  const kinds = Object.keys(HOSTILE_THROWS);
  const jobs = await queue.addBulk(kinds.map((kind) => ({ name: kind, data: {}, opts: { attempts: 2 } })));
  const worker = new Worker(name, async (job) => {
    throw HOSTILE_THROWS[job.name]();
  }, { connection, concurrency: 3 });
  const events = [];
  worker.on('failed', (job, err) => events.push([job.name, job.failedReason, err]));
  const errors = [];
  worker.on('error', (err) => errors.push(err));
  await waitFor(async () => (await queue.getJobCounts('failed')).failed === kinds.length, {
    what: 'every hostile job failed',
  });
  for (const job of jobs) {
    const stored = await queue.getJob(job.id);
    assert.equal(stored.attemptsMade, 2, `${job.name} spent both attempts`);
    assert.equal(typeof stored.failedReason, 'string', `${job.name} has a reason`);
    assert.ok(stored.failedReason.length > 0, `${job.name} has a non-empty reason`);
  }
  const reasons = Object.fromEntries(await Promise.all(jobs.map(async (j) => [j.name, (await queue.getJob(j.id)).failedReason])));
  assert.equal(reasons.stackAndNameGettersThrow, 'readable message');
  assert.equal(reasons.nullValue, 'null');
  assert.equal(reasons.symbol, 'Symbol(thrown)');
  assert.equal(events.length, kinds.length * 2, 'a failed event per attempt');
  for (const [, reason, err] of events) {
    assert.ok(err instanceof Error, 'failed events carry an Error');
    assert.equal(typeof reason, 'string');
  }
  assert.deepEqual(errors, [], 'no error events: nothing went wrong in the worker');
  await worker.close(); // resolves: no attempt was left hanging
  assert.equal((await queue.getJobCounts('active')).active, 0);
});

test('whatever a processor returns, the attempt ends: unserialisable values fail it with the reason', async () => {
  const name = fresh();
  const connection = redis.url;
  const queue = track(new Queue(name, { connection }));
  const kinds = Object.keys(HOSTILE_RETURNS);
  await queue.addBulk(kinds.map((kind) => ({ name: kind, data: {} })));
  await queue.add('fine', {});
  const worker = track(new Worker(name, async (job) => (job.name === 'fine' ? { ok: 1 } : HOSTILE_RETURNS[job.name]()), {
    connection, concurrency: 2,
  }));
  await waitFor(async () => {
    const counts = await queue.getJobCounts('failed', 'completed');
    return counts.failed === kinds.length && counts.completed === 1;
  }, { what: 'hostile returns failed, the plain one completed' });
  for (const job of await queue.getFailed()) {
    // A revoked Proxy fails already as a promise's value (reading its `then` throws).
    const expected = job.name === 'revokedProxy' ? /proxy that has been revoked/ : /not serialisable to JSON/;
    assert.match(job.failedReason, expected, `${job.name}: ${job.failedReason}`);
  }
  await worker.close();
});

test('a process whose processor throws hostile values has no unhandled rejection and exits by itself', async () => {
  const name = fresh();
  const child = spawn(process.execPath, [childScript, name, redis.url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const code = await new Promise((resolve) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); resolve('hung'); }, 20000);
    child.once('exit', (c) => { clearTimeout(timer); resolve(c); });
  });
  assert.equal(code, 0, `exit ${code}; stderr: ${err}`);
  const lines = out.trim().split('\n');
  assert.equal(lines.length, Object.keys(HOSTILE_THROWS).length, out);
  for (const line of lines) assert.match(line, /^\d+ failed "/, line);
});

test('an add too large for the queue rejects its own promise; the rest of its tick is stored', async () => {
  const queue = track(new Queue(fresh(), { connection: redis.url }));
  // 150 M quote characters serialise to 300 MB of JSON: over the 64 MiB default.
  const quotes = '"'.repeat(150e6);
  const results = await Promise.allSettled([
    queue.add('small', { n: 1 }),
    queue.add('huge', { quotes }),
    queue.add('small', { n: 2 }),
  ]);
  assert.equal(results[0].status, 'fulfilled');
  assert.equal(results[2].status, 'fulfilled');
  assert.equal(results[1].status, 'rejected');
  const err = results[1].reason;
  assert.equal(err.code, 'ERR_PAYLOAD_TOO_LARGE');
  assert.match(err.message, /300000\d+ bytes, over the limit of 67108864 bytes set by `maxPayloadBytes`/);
  assert.equal(await queue.count(), 2);
});

test('data JavaScript cannot serialise (a string over its length limit) rejects its own add', async () => {
  const queue = track(new Queue(fresh(), { connection: redis.url }));
  // 280 M quotes need 560 M characters of JSON: more than a JavaScript string can hold.
  const quotes = '"'.repeat(280e6);
  await assert.rejects(queue.add('huge', quotes), (err) => err.code === 'ERR_NOT_SERIALIZABLE');
  await assert.rejects(queue.addBulk([{ name: 'huge', data: quotes }]), (err) => err.code === 'ERR_NOT_SERIALIZABLE');
  assert.equal(await queue.count(), 0);
});

test('sizeLimit and maxPayloadBytes refuse a job before anything is stored, naming the size and the limit', async () => {
  const queue = track(new Queue(fresh(), { connection: redis.url, maxPayloadBytes: 1000 }));
  await assert.rejects(queue.add('big', { text: 'x'.repeat(20) }, { sizeLimit: 10 }), (err) => {
    assert.equal(err.code, 'ERR_PAYLOAD_TOO_LARGE');
    assert.match(err.message, /`data` is 31 bytes, over the limit of 10 bytes set by `sizeLimit`/);
    return true;
  });
  assert.ok(await queue.add('fits', { text: 'x' }, { sizeLimit: 100 }));
  await assert.rejects(queue.add('big', 'x'.repeat(2000)), (err) => {
    assert.equal(err.code, 'ERR_PAYLOAD_TOO_LARGE');
    assert.match(err.message, /over the limit of 1000 bytes set by `maxPayloadBytes`/);
    return true;
  });
  // Fewer characters than the limit, more bytes: the engine counts bytes.
  await assert.rejects(queue.add('wide', 'é'.repeat(600)), (err) => {
    assert.equal(err.code, 'ERR_PAYLOAD_TOO_LARGE');
    assert.match(err.message, /`job` is 12\d\d bytes/);
    return true;
  });
  // addBulk is all-or-nothing: one oversized job, nothing stored.
  await assert.rejects(queue.addBulk([
    { name: 'ok', data: {} },
    { name: 'big', data: 'x'.repeat(2000) },
  ]), (err) => err.code === 'ERR_PAYLOAD_TOO_LARGE');
  assert.equal(await queue.count(), 1);
  assert.throws(() => new Queue(fresh(), { connection: redis.url, maxPayloadBytes: 0 }), (err) => err.code === 'ERR_INVALID_OPTION' && /maxPayloadBytes/.test(err.message));
  await assert.rejects(queue.add('x', {}, { sizeLimit: -1 }), (err) => err.code === 'ERR_INVALID_OPTION' && /sizeLimit/.test(err.message));
});

test('an add over Redis\' proto-max-bulk-len is refused as too large before it is sent; the connection stays up', async () => {
  const server = await RedisServer.start({ args: ['--proto-max-bulk-len', '50mb'] });
  try {
    const queue = new Queue(fresh(), { connection: server.url });
    await queue.add('small', {});
    await assert.rejects(queue.add('big', 'x'.repeat(60e6)), (err) => {
      assert.equal(err.code, 'ERR_PAYLOAD_TOO_LARGE');
      assert.match(err.message, /`data` is 60000002 bytes, over the limit of 52428800 bytes set by `proto-max-bulk-len \(Redis\)`/);
      return true;
    });
    assert.equal(await queue.count(), 1, 'nothing stored');
    assert.ok(await queue.add('after', {}), 'the queue goes on');
    await queue.close();
  } finally {
    await server.stop();
  }
});

test('an add whose answer is lost is ERR_OUTCOME_UNKNOWN, never a false "not stored"', async () => {
  const server = await RedisServer.start({ args: ['--enable-debug-command', 'yes'] });
  try {
    const name = fresh();
    const queue = new Queue(name, { connection: { host: '127.0.0.1', port: server.port, commandTimeout: 300 } });
    await queue.add('first', {}); // loads the add script
    // Redis sleeps 1.5 s: the add is sent, its answer comes too late, and Redis runs it
    // when it wakes.
    const asleep = server.simple('DEBUG SLEEP 1.5');
    await new Promise((r) => setTimeout(r, 100));
    await assert.rejects(queue.add('slow', { n: 1 }), (err) => {
      assert.ok(err instanceof OutcomeUnknownError, err.stack);
      assert.equal(err.code, 'ERR_OUTCOME_UNKNOWN');
      assert.match(err.message, /may or may not have been stored/);
      return true;
    });
    await asleep;
    const reader = new Queue(name, { connection: server.url });
    assert.equal(await reader.count(), 2, 'it was stored after all');
    await reader.close();
    await queue.close();
  } finally {
    await server.stop();
  }
  // Refused before anything is sent: ERR_CONNECTION, and true.
  const nowhere = new Queue(fresh(), { connection: { host: '127.0.0.1', port: 1 } });
  await assert.rejects(nowhere.add('x', {}), (err) => err.code === 'ERR_CONNECTION');
  await nowhere.close();
});

test('options that throw when read (revoked Proxies, throwing getters) are InvalidOptionError, and change nothing', async () => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  const throwing = { get prefix() { throw new Error('getter throws'); } };
  const invalid = (field) => (err) => err.code === 'ERR_INVALID_OPTION' && err.message.includes(`\`${field}\``);
  assert.throws(() => new Queue(fresh(), proxy), invalid('opts'));
  assert.throws(() => new Queue(fresh(), throwing), invalid('opts'));
  assert.throws(() => new Queue(fresh(), { connection: proxy }), invalid('connection'));
  assert.throws(() => new Worker(fresh(), async () => {}, proxy), invalid('opts'));
  const queue = track(new Queue(fresh(), { connection: redis.url }));
  await assert.rejects(queue.add('x', {}, proxy), invalid('opts'));
  await assert.rejects(queue.add('x', {}, { get attempts() { throw new Error('no'); } }), invalid('opts'));
  await assert.rejects(queue.addBulk(proxy), invalid('jobs'));
  await assert.rejects(queue.addBulk([{ name: 'ok', data: {} }, proxy]), invalid('jobs[1]'));
  assert.equal(await queue.count(), 0);
});
