// Job options, validation and the read API, against the real addon and a private Redis:
// what BullMQ documents for add/addBulk, ordering, retention, getters and job fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileRedis, waitFor } from './helpers/redis.mjs';

const require = createRequire(import.meta.url);
const { Queue, Worker, InvalidOptionError, NotSerializableError } = require('../index.js');

const { redis, fresh, track } = fileRedis('options');

function setup(queueOpts = {}) {
  const name = fresh();
  const connection = redis.url;
  const queue = track(new Queue(name, { connection, ...queueOpts }));
  const start = (processor, opts = {}) => track(new Worker(name, processor, { connection, ...opts }));
  return { name, connection, queue, start };
}

/** Sum of every per-state count. */
async function total(queue) {
  return Object.values(await queue.getJobCounts()).reduce((a, b) => a + b, 0);
}

/** A validator for assert.rejects/throws: the class, the stable code, the field and the rule. */
function badOption(field, rule) {
  return (err) => {
    assert.ok(err instanceof InvalidOptionError, `expected InvalidOptionError, got ${err && err.name}: ${err && err.message}`);
    assert.equal(err.name, 'InvalidOptionError');
    assert.equal(err.code, 'ERR_INVALID_OPTION');
    assert.ok(err.message.includes(`\`${field}`), `message names \`${field}\`: ${err.message}`);
    assert.match(err.message, rule, 'message states the rule');
    return true;
  };
}

function notSerializable(field) {
  return (err) => {
    assert.ok(err instanceof NotSerializableError, `expected NotSerializableError, got ${err && err.name}: ${err && err.message}`);
    assert.equal(err.name, 'NotSerializableError');
    assert.equal(err.code, 'ERR_NOT_SERIALIZABLE');
    assert.ok(err.message.includes(`\`${field}\``), `message names \`${field}\`: ${err.message}`);
    assert.match(err.message, /serialis|serializ|JSON/i);
    return true;
  };
}

const ids = (jobs) => jobs.map((j) => j.id);

// ---------------------------------------------------------------------------------------
// 1. Bad input: a typed error, a stable code, the field and the rule; nothing is written.

test('bad data and bad options reject with a typed error naming the field and the rule, and add nothing', async () => {
  const { queue } = setup();
  const first = await queue.add('good', { ok: true });
  assert.equal(first.id, '1');
  const snapshot = await queue.getJobCounts();

  const cyclic = { a: 1 };
  cyclic.self = cyclic;
  const cases = [
    ['data with a BigInt', () => queue.add('x', { n: 10n }), notSerializable('data')],
    ['data with a cycle', () => queue.add('x', cyclic), notSerializable('data')],
    ['attempts: 0', () => queue.add('x', {}, { attempts: 0 }), badOption('attempts', /integer/)],
    ['attempts: 1.5', () => queue.add('x', {}, { attempts: 1.5 }), badOption('attempts', /integer/)],
    ["attempts: '3'", () => queue.add('x', {}, { attempts: '3' }), badOption('attempts', /integer/)],
    ['delay: -1', () => queue.add('x', {}, { delay: -1 }), badOption('delay', /≥ 0|>= 0|non-negative|finite/)],
    ['delay: NaN', () => queue.add('x', {}, { delay: NaN }), badOption('delay', /finite/)],
    ['delay: Infinity', () => queue.add('x', {}, { delay: Infinity }), badOption('delay', /finite/)],
    ['priority: 3_000_000', () => queue.add('x', {}, { priority: 3_000_000 }), badOption('priority', /integer|between|from/)],
    ['priority: -1', () => queue.add('x', {}, { priority: -1 }), badOption('priority', /integer|between|from/)],
    ['priority: 1.5', () => queue.add('x', {}, { priority: 1.5 }), badOption('priority', /integer|float/)],
    ["backoff: { type: 42 }", () => queue.add('x', {}, { backoff: { type: 42, delay: 10 } }), badOption('backoff', /fixed|exponential/)],
    ["jobId: '12'", () => queue.add('x', {}, { jobId: '12' }), badOption('jobId', /integer/)],
    ["jobId: 'a:b'", () => queue.add('x', {}, { jobId: 'a:b' }), badOption('jobId', /:/)],
    ['removeOnComplete: -1', () => queue.add('x', {}, { removeOnComplete: -1 }), badOption('removeOnComplete', /≥ 0|count|integer/)],
    ["removeOnComplete: 'x'", () => queue.add('x', {}, { removeOnComplete: 'x' }), badOption('removeOnComplete', /true|count/)],
    ['removeOnFail: -2', () => queue.add('x', {}, { removeOnFail: -2 }), badOption('removeOnFail', /≥ 0|count|integer/)],
    ['timeout: -5', () => queue.add('x', {}, { timeout: -5 }), badOption('timeout', /integer|≥ 1|positive/)],
  ];
  for (const [label, call, check] of cases) {
    await assert.rejects(call(), check, label);
    assert.deepEqual(await queue.getJobCounts(), snapshot, `${label} added nothing`);
  }

  // addBulk is all or nothing: one bad entry anywhere adds none of the batch.
  const bulkCases = [
    ['bad option last', [{ name: 'a', data: {} }, { name: 'b', data: {}, opts: { attempts: 0 } }], badOption('attempts', /integer/)],
    ['bad option first', [{ name: 'a', data: {}, opts: { delay: NaN } }, { name: 'b', data: {} }], badOption('delay', /finite/)],
    ['bad data in the middle', [{ name: 'a', data: {} }, { name: 'b', data: { n: 1n } }, { name: 'c', data: {} }], notSerializable('data')],
    ['bad jobId', [{ name: 'a', data: {} }, { name: 'b', data: {}, opts: { jobId: '7' } }], badOption('jobId', /integer/)],
  ];
  for (const [label, batch, check] of bulkCases) {
    await assert.rejects(queue.addBulk(batch), check, `addBulk: ${label}`);
    assert.deepEqual(await queue.getJobCounts(), snapshot, `addBulk ${label} added none of the batch`);
  }
  assert.equal(await total(queue), 1);

  // Not even an id was used up: the next job gets the next id.
  const next = await queue.add('good', {});
  assert.equal(next.id, '2');
});

test('priority 0 means "no priority": accepted, and the job is plain waiting (BullMQ)', async () => {
  const { queue } = setup();
  const job = await queue.add('zero', {}, { priority: 0 });
  assert.equal(await queue.getJobState(job.id), 'waiting');
  assert.equal((await queue.getJob(job.id)).priority, 0);
  assert.deepEqual(await queue.getJobCounts('waiting', 'prioritized'), { waiting: 1, prioritized: 0 });
});

// The range is 1 … 2 097 151 (2^21 - 1), BullMQ's.
test('priority limit is 2 097 151: it is accepted, 2 097 152 is rejected', async () => {
  const { queue } = setup();
  const top = await queue.add('top', {}, { priority: 2_097_151 });
  assert.equal(await queue.getJobState(top.id), 'prioritized');
  const before = await total(queue);
  await assert.rejects(queue.add('over', {}, { priority: 2_097_152 }), badOption('priority', /integer|between|from/));
  assert.equal(await total(queue), before);
});

// BullMQ: `${parseInt(jobId, 10)}` === jobId → "Custom Id cannot be integers"
// (node_modules/bullmq/dist/esm/classes/job.js, validateOptions). '-1' is such an integer.
test("jobId '-1' is an integer id and is rejected, as in BullMQ", async () => {
  const { queue } = setup();
  await assert.rejects(queue.add('neg', {}, { jobId: '-1' }), badOption('jobId', /integer/));
  assert.equal(await total(queue), 0);
});

// Same BullMQ rule, other side: '012' and '+5' do not round-trip through parseInt, so BullMQ
// accepts them as custom ids (and they cannot collide with generated ids '12' / '5').
test("jobIds '012' and '+5' are not integers in BullMQ's sense and are accepted", async () => {
  const { queue } = setup();
  const padded = await queue.add('padded', { p: 1 }, { jobId: '012' });
  assert.equal(padded.id, '012');
  const signed = await queue.add('signed', { s: 1 }, { jobId: '+5' });
  assert.equal(signed.id, '+5');
  assert.deepEqual((await queue.getJob('012')).data, { p: 1 });
  assert.equal(await total(queue), 2);
});

test('a bad queue name throws InvalidOptionError synchronously (Queue and Worker)', () => {
  const connection = redis.url;
  assert.throws(() => new Queue('', { connection }), badOption('name', /non-empty/));
  assert.throws(() => new Queue(42, { connection }), badOption('name', /string/));
  assert.throws(() => new Queue(undefined, { connection }), badOption('name', /string/));
  assert.throws(() => new Queue('a:b', { connection }), badOption('name', /:/));
  assert.throws(() => new Worker('', async () => {}, { connection, autorun: false }), badOption('name', /non-empty/));
});

// ---------------------------------------------------------------------------------------
// 2 / 3. What the processor gives back or throws.

test('a return value that cannot be serialised fails that attempt with a clear reason; the worker goes on', async () => {
  const { queue, start } = setup();
  const [big, cyc, fine] = await queue.addBulk([
    { name: 'bigint', data: {}, opts: { attempts: 2 } },
    { name: 'cycle', data: {} },
    { name: 'fine', data: {} },
  ]);
  const failures = [];
  const worker = start(async (job) => {
    if (job.name === 'bigint') return { n: 10n };
    if (job.name === 'cycle') {
      const o = {};
      o.self = o;
      return o;
    }
    return { ok: true };
  });
  worker.on('failed', (job, err) => failures.push([job.name, err instanceof Error, err.message]));
  await waitFor(async () => (await queue.getJobState(big.id)) === 'failed' && (await queue.getJobState(fine.id)) === 'completed',
    { what: 'bigint fails for good and fine completes' });
  await waitFor(async () => (await queue.getJobState(cyc.id)) === 'failed', { what: 'cycle fails' });

  const b = await queue.getJob(big.id);
  assert.equal(b.attemptsMade, 2, 'each unserialisable result spent an attempt');
  assert.match(b.failedReason, /serialis|serializ|JSON/i);
  assert.match(b.failedReason, /BigInt/);
  const c = await queue.getJob(cyc.id);
  assert.equal(c.attemptsMade, 1);
  assert.match(c.failedReason, /serialis|serializ|JSON/i);
  assert.match(c.failedReason, /circular/i);
  assert.deepEqual((await queue.getJob(fine.id)).returnvalue, { ok: true });
  assert.equal(failures.length, 3);
  for (const [, isError, message] of failures) {
    assert.equal(isError, true);
    assert.match(message, /serialis|serializ|JSON/i);
  }
  await worker.close();
});

test('a processor throwing a non-Error spends an attempt, stores a reason, and `failed` gets an Error', async () => {
  const { queue, start } = setup();
  const thrown = { str: 'a plain string', obj: { code: 7, why: 'object' }, undef: undefined, num: 42 };
  const names = [...Object.keys(thrown), 'sync'];
  const added = await queue.addBulk([
    ...names.map((name) => ({ name, data: {}, opts: { attempts: 2 } })),
    { name: 'ok', data: {} },
  ]);
  const byName = Object.fromEntries(added.map((j) => [j.name, j]));
  const failures = [];
  // Not async: 'sync' throws from the call itself, the others reject.
  const worker = start((job) => {
    if (job.name === 'sync') throw 'thrown synchronously';
    if (job.name === 'ok') return Promise.resolve('fine');
    return Promise.reject(thrown[job.name]);
  });
  worker.on('failed', (job, err) => failures.push([job.name, err]));
  await waitFor(async () => (await queue.getJobCounts('failed')).failed === names.length, { what: `${names.length} failed` });
  await waitFor(async () => (await queue.getJobState(byName.ok.id)) === 'completed', { what: 'ok completes' });

  const reasons = {};
  for (const name of names) {
    const job = await queue.getJob(byName[name].id);
    assert.equal(job.attemptsMade, 2, `${name}: both attempts spent`);
    assert.equal(typeof job.failedReason, 'string', `${name}: a reason is stored`);
    assert.ok(job.failedReason.length > 0, `${name}: the reason is not empty`);
    reasons[name] = job.failedReason;
  }
  assert.equal(reasons.str, 'a plain string');
  assert.equal(reasons.sync, 'thrown synchronously');
  assert.match(reasons.obj, /code/);
  assert.match(reasons.obj, /7/);
  assert.match(reasons.num, /42/);

  assert.equal(failures.length, names.length * 2, 'a failed event per attempt');
  for (const [name, err] of failures) {
    assert.ok(err instanceof Error, `${name}: failed event carries an Error`);
    assert.equal(err.message, reasons[name], `${name}: the event's message is the stored reason`);
  }
  await worker.close();
});

// ---------------------------------------------------------------------------------------
// 4. Custom ids.

test('adding an existing jobId resolves to the existing job and adds nothing, also within one addBulk', async () => {
  const { queue, start } = setup();
  const first = await queue.add('first', { v: 1 }, { jobId: 'order-1' });
  assert.equal(first.id, 'order-1');
  const again = await queue.add('second', { v: 2 }, { jobId: 'order-1' });
  assert.equal(again.id, 'order-1');
  assert.equal(again.name, 'first');
  assert.deepEqual(again.data, { v: 1 });
  assert.equal(await total(queue), 1);

  const batch = await queue.addBulk([
    { name: 'b1', data: { v: 'b1' }, opts: { jobId: 'batch-x' } },
    { name: 'b2', data: { v: 'b2' }, opts: { jobId: 'batch-x' } },
    { name: 'b3', data: { v: 'b3' }, opts: { jobId: 'order-1' } },
    { name: 'generated', data: {} },
  ]);
  assert.deepEqual(ids(batch).slice(0, 3), ['batch-x', 'batch-x', 'order-1']);
  assert.deepEqual(batch[1].data, { v: 'b1' }, 'the second batch-x is the first one');
  assert.equal(batch[1].name, 'b1');
  assert.deepEqual(batch[2].data, { v: 1 }, 'order-1 is the job added first');
  assert.deepEqual((await queue.getJob('batch-x')).data, { v: 'b1' });
  assert.equal(await total(queue), 3, 'order-1, batch-x and the generated one');

  // A finished job is still "existing": re-adding it does not run it again.
  const runs = {};
  const worker = start(async (job) => {
    runs[job.id] = (runs[job.id] || 0) + 1;
    return job.name;
  });
  await waitFor(async () => (await queue.getJobCounts('completed')).completed === 3, { what: '3 completed' });
  await worker.close();
  const late = await queue.add('late', { v: 'late' }, { jobId: 'order-1' });
  assert.equal(late.id, 'order-1');
  assert.deepEqual(late.data, { v: 1 });
  assert.equal(await late.getState(), 'completed');
  assert.equal(late.returnvalue, 'first');
  assert.deepEqual(await queue.getJobCounts('waiting', 'completed'), { waiting: 0, completed: 3 });
  assert.equal(runs['order-1'], 1);
});

// ---------------------------------------------------------------------------------------
// 5 / 6 / 7. Order of processing (one worker, concurrency 1, started after every add).

async function processingOrder(queue, start, expected) {
  const order = [];
  const worker = start(async (job) => { order.push(job.name); }, { concurrency: 1 });
  await waitFor(() => order.length === expected, { what: `${expected} jobs processed` });
  await worker.close();
  return order;
}

test('priority: unprioritized first, then lower numbers first, equal priorities FIFO; state prioritized', async () => {
  const { queue, start } = setup();
  const p5a = await queue.add('p5a', {}, { priority: 5 });
  const none1 = await queue.add('none1', {});
  const p1 = await queue.add('p1', {}, { priority: 1 });
  await queue.addBulk([
    { name: 'p5b', data: {}, opts: { priority: 5 } },
    { name: 'none2', data: {} },
    { name: 'p3', data: {}, opts: { priority: 3 } },
  ]);
  assert.equal(p5a.priority, 5);
  assert.equal(await queue.getJobState(p5a.id), 'prioritized');
  assert.equal(await p1.isPrioritized(), true);
  assert.equal(await p1.isWaiting(), false);
  assert.equal(await none1.isWaiting(), true);
  assert.equal(await none1.isPrioritized(), false);
  assert.deepEqual(await queue.getJobCounts('prioritized'), { prioritized: 4 });
  assert.deepEqual(await queue.getJobCounts('waiting', 'prioritized'), { waiting: 2, prioritized: 4 });
  assert.equal(await queue.getPrioritizedCount(), 4);
  assert.equal(await queue.count(), 6);
  assert.deepEqual((await queue.getPrioritized()).map((j) => j.name), ['p1', 'p3', 'p5a', 'p5b']);

  const order = await processingOrder(queue, start, 6);
  assert.deepEqual(order, ['none1', 'none2', 'p1', 'p3', 'p5a', 'p5b']);
});

test('lifo: true puts the job first in line', async () => {
  const { queue, start } = setup();
  await queue.add('a', {});
  await queue.add('b', {});
  await queue.add('L1', {}, { lifo: true });
  await queue.addBulk([{ name: 'c', data: {} }, { name: 'L2', data: {}, opts: { lifo: true } }]);
  const order = await processingOrder(queue, start, 5);
  assert.deepEqual(order, ['L2', 'L1', 'a', 'b', 'c']);
});

test('jobs run first in, first out by default (add and addBulk)', async () => {
  const { queue, start } = setup();
  for (let i = 1; i <= 4; i++) await queue.add(`j${i}`, {});
  await queue.addBulk([5, 6, 7].map((i) => ({ name: `j${i}`, data: {} })));
  await queue.add('j8', {});
  const order = await processingOrder(queue, start, 8);
  assert.deepEqual(order, ['j1', 'j2', 'j3', 'j4', 'j5', 'j6', 'j7', 'j8']);
});

// ---------------------------------------------------------------------------------------
// 8. Retention of finished jobs.

test('removeOnComplete: true removes the job (and its logs); a count keeps only the newest completed', async () => {
  const { queue, start } = setup();
  const gone = await queue.add('gone', {}, { removeOnComplete: true });
  const kept = await queue.addBulk([1, 2, 3, 4].map((i) => ({ name: `kept${i}`, data: {}, opts: { removeOnComplete: 2 } })));
  let completed = 0;
  const worker = start(async (job) => {
    await job.log(`ran ${job.name}`);
    return job.name;
  });
  worker.on('completed', () => { completed += 1; });
  await waitFor(() => completed === 5, { what: '5 completed' });

  assert.equal(await queue.getJob(gone.id), undefined);
  assert.equal(await queue.getJobState(gone.id), 'unknown');
  assert.equal((await queue.getJobLogs(gone.id)).count, 0, 'its logs went with it');
  assert.deepEqual(await queue.getJobCounts('completed'), { completed: 2 });
  assert.deepEqual(ids(await queue.getCompleted()), [kept[3].id, kept[2].id]);
  assert.equal(await queue.getJob(kept[0].id), undefined);
  assert.equal(await queue.getJob(kept[1].id), undefined);
  assert.equal((await queue.getJob(kept[3].id)).returnvalue, 'kept4');
  await worker.close();
});

test('removeOnComplete: { age } removes completed jobs older than age seconds when a later job completes', async () => {
  const { queue, start } = setup();
  const old = await queue.add('old', {}, { removeOnComplete: { age: 1 } });
  const worker = start(async (job) => job.name);
  await waitFor(async () => (await queue.getJobState(old.id)) === 'completed', { what: 'old completes' });
  const { finishedOn } = await queue.getJob(old.id);
  await waitFor(() => Date.now() - finishedOn > 1200, { timeoutMs: 5000, what: 'old to be over 1 s old' });
  const young = await queue.add('young', {}, { removeOnComplete: { age: 1 } });
  await waitFor(async () => (await queue.getJobState(young.id)) === 'completed', { what: 'young completes' });
  assert.equal(await queue.getJob(old.id), undefined, 'the job older than age was removed');
  assert.ok(await queue.getJob(young.id), 'the young one stays');
  assert.deepEqual(ids(await queue.getCompleted()), [young.id]);
  await worker.close();
});

test('removeOnFail: true removes a job once it fails for good; a count keeps only the newest failed', async () => {
  const { queue, start } = setup();
  const gone = await queue.add('gone', {}, { removeOnFail: true, attempts: 2 });
  const kept = await queue.addBulk([1, 2, 3].map((i) => ({ name: `kept${i}`, data: {}, opts: { removeOnFail: 1 } })));
  const failures = [];
  const worker = start(async (job) => { throw new Error(`no ${job.name}`); });
  worker.on('failed', (job) => failures.push(job.name));
  await waitFor(() => failures.length === 5, { what: '5 failed attempts' });
  assert.deepEqual(failures.filter((n) => n === 'gone'), ['gone', 'gone'], 'the retry ran: not removed after the first attempt');
  assert.equal(await queue.getJob(gone.id), undefined);
  assert.deepEqual(await queue.getJobCounts('failed'), { failed: 1 });
  assert.deepEqual(ids(await queue.getFailed()), [kept[2].id]);
  assert.equal((await queue.getJob(kept[2].id)).failedReason, 'no kept3');
  assert.equal(await queue.getJob(kept[0].id), undefined);
  await worker.close();
});

test("worker-level removeOnComplete/removeOnFail apply when the job has none; the job's own setting wins", async () => {
  const { queue, start } = setup();
  const plainOk = await queue.add('plain-ok', {});
  const keepOk = await queue.add('keep-ok', {}, { removeOnComplete: false });
  const countOk = await queue.add('count-ok', {}, { removeOnComplete: 5 });
  const plainFail = await queue.add('plain-fail', {});
  const keepFail = await queue.add('keep-fail', {}, { removeOnFail: false });
  let finished = 0;
  const worker = start(async (job) => {
    if (job.name.endsWith('fail')) throw new Error('failing on purpose');
    return 'ok';
  }, { removeOnComplete: true, removeOnFail: true });
  worker.on('completed', () => { finished += 1; });
  worker.on('failed', () => { finished += 1; });
  await waitFor(() => finished === 5, { what: '5 finished' });
  assert.equal(await queue.getJob(plainOk.id), undefined, "worker's removeOnComplete: true applies");
  assert.equal(await queue.getJob(plainFail.id), undefined, "worker's removeOnFail: true applies");
  assert.equal(await queue.getJobState(keepOk.id), 'completed', 'job-level removeOnComplete: false wins');
  assert.equal(await queue.getJobState(countOk.id), 'completed', 'job-level count wins');
  assert.equal(await queue.getJobState(keepFail.id), 'failed', 'job-level removeOnFail: false wins');
  assert.deepEqual(await queue.getJobCounts('completed', 'failed'), { completed: 2, failed: 1 });
  await worker.close();
});

// ---------------------------------------------------------------------------------------
// 9. Queue defaults.

test('defaultJobOptions apply to add and addBulk; per-job options override them', async () => {
  const { queue, start } = setup({ defaultJobOptions: { attempts: 3 } });
  assert.deepEqual(queue.defaultJobOptions, { attempts: 3 });
  const a = await queue.add('default', {});
  const b = await queue.add('override', {}, { attempts: 1 });
  const [c, d] = await queue.addBulk([
    { name: 'bulk-default', data: {} },
    { name: 'bulk-override', data: {}, opts: { attempts: 2 } },
  ]);
  assert.deepEqual([a, b, c, d].map((j) => j.opts.attempts), [3, 1, 3, 2]);
  const worker = start(async () => { throw new Error('always'); });
  await waitFor(async () => (await queue.getJobCounts('failed')).failed === 4, { what: '4 failed for good' });
  const made = [];
  for (const job of [a, b, c, d]) made.push((await queue.getJob(job.id)).attemptsMade);
  assert.deepEqual(made, [3, 1, 3, 2], 'the attempts actually run follow defaults and overrides');
  assert.equal((await queue.getJob(a.id)).opts.attempts, 3, 'the default is stored in job.opts');
  await worker.close();

  // A bad default is rejected like a bad per-job option (nothing added), unless overridden.
  const bad = track(new Queue(fresh(), { connection: redis.url, defaultJobOptions: { attempts: 0 } }));
  await assert.rejects(bad.add('x', {}), badOption('attempts', /integer/));
  await assert.rejects(bad.addBulk([{ name: 'x', data: {} }]), badOption('attempts', /integer/));
  assert.equal(await total(bad), 0);
  const fixed = await bad.add('x', {}, { attempts: 2 });
  assert.equal(fixed.opts.attempts, 2);
});

// ---------------------------------------------------------------------------------------
// 10. Getters.

test('getJobs orders and ranges each state, newest first unless asc; counts return only the named states', async () => {
  const { queue, start } = setup();
  const done = await queue.addBulk([1, 2, 3].map((i) => ({ name: `c${i}`, data: {} })));
  const worker = start(async () => 'ok', { concurrency: 1 });
  await waitFor(async () => (await queue.getJobCounts('completed')).completed === 3, { what: '3 completed' });
  await worker.close();
  const waiting = [];
  for (let i = 1; i <= 4; i++) waiting.push(await queue.add(`w${i}`, {}));
  const [c1, c2, c3] = ids(done);
  const [w1, w2, w3, w4] = ids(waiting);

  assert.deepEqual(ids(await queue.getJobs('completed')), [c3, c2, c1]);
  assert.deepEqual(ids(await queue.getJobs(['completed'], 0, 1, true)), [c1, c2]);
  assert.deepEqual(ids(await queue.getJobs(['completed'], 1, 1)), [c2]);
  assert.deepEqual(ids(await queue.getJobs(['waiting'])), [w4, w3, w2, w1]);
  assert.deepEqual(ids(await queue.getJobs(['waiting'], 0, 1, true)), [w1, w2]);
  assert.deepEqual(ids(await queue.getJobs(['wait'], 1, 2, false)), [w3, w2]);
  assert.deepEqual(ids(await queue.getJobs(['waiting'], 2, -1, true)), [w3, w4]);
  assert.deepEqual(ids(await queue.getJobs(['waiting'], 10, 20, true)), [], 'a range past the end is empty');
  assert.deepEqual(ids(await queue.getWaiting()), [w1, w2, w3, w4]);
  assert.deepEqual(ids(await queue.getCompleted()), [c3, c2, c1]);
  // Several states: each state's own range, in the order the states are named.
  assert.deepEqual(ids(await queue.getJobs(['completed', 'waiting'], 0, 0)), [c3, w4]);
  assert.deepEqual(ids(await queue.getJobs(['waiting', 'completed'], 0, -1, true)), [w1, w2, w3, w4, c1, c2, c3]);
  assert.ok((await queue.getJobs(['completed'])).every((j) => j.returnvalue === 'ok'), 'jobs come back whole');

  assert.deepEqual(await queue.getJobCounts('waiting', 'completed'), { waiting: 4, completed: 3 });
  assert.deepEqual(await queue.getJobCounts('completed'), { completed: 3 });
  assert.equal(await queue.getJobCountByTypes('waiting', 'completed'), 7);
  assert.equal(await queue.getJobCountByTypes('completed'), 3);
  assert.equal(await queue.getCompletedCount(), 3);
  assert.equal(await queue.getWaitingCount(), 4);
  assert.equal(await queue.count(), 4);
});

test('getJobLogs(id, start, end, asc) pages the log lines; count is the total', async () => {
  const { queue } = setup();
  const job = await queue.add('logged', {});
  for (let i = 0; i < 5; i++) assert.equal(await job.log(`line ${i}`), i + 1, 'log resolves to the number of lines');
  const all = ['line 0', 'line 1', 'line 2', 'line 3', 'line 4'];
  assert.deepEqual(await queue.getJobLogs(job.id), { logs: all, count: 5 });
  assert.deepEqual(await queue.getJobLogs(job.id, 1, 2), { logs: ['line 1', 'line 2'], count: 5 });
  assert.deepEqual(await queue.getJobLogs(job.id, 3, 10), { logs: ['line 3', 'line 4'], count: 5 });
  assert.deepEqual(await queue.getJobLogs(job.id, 0, 1, false), { logs: ['line 4', 'line 3'], count: 5 });
  assert.deepEqual(await queue.getJobLogs(job.id, 0, -1, false), { logs: [...all].reverse(), count: 5 });
  assert.deepEqual(await queue.getJobLogs('no-such-job'), { logs: [], count: 0 });
});

// ---------------------------------------------------------------------------------------
// 11 / 12. Job fields, states and progress.

// BullMQ leaves the fields a job has not reached unset: Job.fromJSON only assigns
// failedReason / processedOn / finishedOn when the hash has them, and the constructor never
// sets them (node_modules/bullmq/dist/esm/classes/job.js); ferroq's index.d.ts types them
// `processedOn?: number`, `finishedOn?: number`.
test('a fresh job leaves failedReason, processedOn and finishedOn undefined (add and getJob)', async () => {
  const { queue } = setup();
  const job = await queue.add('fresh', {});
  const stored = await queue.getJob(job.id);
  for (const [label, j] of [['add', job], ['getJob', stored]]) {
    assert.deepEqual(
      { failedReason: j.failedReason, processedOn: j.processedOn, finishedOn: j.finishedOn },
      { failedReason: undefined, processedOn: undefined, finishedOn: undefined },
      `${label}: unset fields are undefined`,
    );
  }
});

test('job fields and is*() follow a job through waiting, active, delayed (backoff), completed and failed', async () => {
  const { queue, start } = setup();
  const t0 = Date.now();
  const job = await queue.add('fields', { a: 1 }, { attempts: 2, backoff: 800 });
  const t1 = Date.now();
  assert.equal(typeof job.id, 'string');
  assert.equal(job.name, 'fields');
  assert.deepEqual(job.data, { a: 1 });
  assert.equal(job.opts.attempts, 2);
  assert.equal(job.progress, 0);
  assert.equal(job.returnvalue, null);
  assert.ok(job.failedReason == null, 'no failedReason yet');
  assert.deepEqual(job.stacktrace, []);
  assert.equal(job.attemptsMade, 0);
  assert.ok(job.timestamp >= t0 && job.timestamp <= t1, `timestamp ${job.timestamp} within the add`);
  assert.ok(job.processedOn == null, 'not processed yet');
  assert.ok(job.finishedOn == null, 'not finished yet');
  assert.equal(job.delay, 0);
  assert.equal(job.priority, 0);
  const stored = await queue.getJob(job.id);
  assert.deepEqual(
    { ...stored.toJSON(), queueQualifiedName: undefined },
    { ...job.toJSON(), queueQualifiedName: undefined },
    'getJob reads back what add returned',
  );
  assert.deepEqual(
    [await job.isWaiting(), await job.isActive(), await job.isDelayed(), await job.isCompleted(), await job.isFailed()],
    [true, false, false, false, false],
  );

  const later = await queue.add('later', {}, { delay: 60_000, priority: 4 });
  assert.equal(later.delay, 60_000);
  assert.equal(later.priority, 4);
  const laterStored = await queue.getJob(later.id);
  assert.equal(laterStored.delay, 60_000);
  assert.equal(laterStored.priority, 4);
  assert.deepEqual([await later.isDelayed(), await later.isWaiting(), await later.isPrioritized()], [true, false, false]);

  const doomed = await queue.add('doomed', {});
  const inside = [];
  const worker = start(async (j) => {
    if (j.name === 'doomed') throw new Error('doomed for good');
    inside.push([await j.isActive(), await j.isWaiting(), j.attemptsMade]);
    if (j.attemptsMade === 0) throw new Error('first attempt fails');
    return { v: 2 };
  });
  const retrying = await waitFor(async () => {
    const j = await queue.getJob(job.id);
    return j.attemptsMade === 1 && (await j.isDelayed()) ? j : null;
  }, { what: 'the job to wait out its backoff in delayed' });
  assert.equal(retrying.failedReason, 'first attempt fails');
  assert.equal(retrying.stacktrace.length, 1);
  assert.equal(await retrying.isActive(), false);
  assert.equal(await retrying.isFailed(), false);

  await waitFor(async () => (await queue.getJobState(job.id)) === 'completed', { what: 'the retry completes' });
  const finished = await queue.getJob(job.id);
  assert.deepEqual(finished.returnvalue, { v: 2 });
  assert.equal(finished.attemptsMade, 2);
  assert.equal(finished.stacktrace.length, 1);
  assert.ok(finished.processedOn >= finished.timestamp + 800, 'processedOn is the latest attempt, after the backoff');
  assert.ok(finished.finishedOn >= finished.processedOn);
  assert.deepEqual(inside, [[true, false, 0], [true, false, 1]], 'isActive() inside the processor');
  assert.deepEqual(
    [await finished.isCompleted(), await finished.isFailed(), await finished.isActive(), await finished.isWaiting(), await finished.isDelayed()],
    [true, false, false, false, false],
  );

  await waitFor(async () => (await queue.getJobState(doomed.id)) === 'failed', { what: 'doomed fails' });
  const failed = await queue.getJob(doomed.id);
  assert.equal(failed.failedReason, 'doomed for good');
  assert.equal(failed.attemptsMade, 1);
  assert.equal(failed.returnvalue, null);
  assert.equal(failed.stacktrace.length, 1);
  assert.match(failed.stacktrace[0], /doomed for good/);
  assert.ok(failed.finishedOn >= failed.processedOn);
  assert.deepEqual(
    [await failed.isFailed(), await failed.isCompleted(), await failed.isActive(), await failed.isWaiting(), await failed.isDelayed()],
    [true, false, false, false, false],
  );
  assert.equal(await later.isDelayed(), true, 'the 60 s delayed job is still waiting out its delay');
  await worker.close();
});

test('updateProgress with a number: the worker emits progress and getJob reads it back', async () => {
  const { queue, start } = setup();
  // Outside a worker: stored, no worker involved.
  const quiet = await queue.add('quiet', {});
  await quiet.updateProgress(7);
  assert.equal(quiet.progress, 7);
  assert.equal((await queue.getJob(quiet.id)).progress, 7);

  const job = await queue.add('loud', {});
  const events = [];
  const worker = start(async (j) => {
    if (j.name !== 'loud') return 'skip';
    await j.updateProgress(10);
    await j.updateProgress(42);
    assert.equal(j.progress, 42);
    assert.equal((await queue.getJob(j.id)).progress, 42, 'stored while running');
    return 'done';
  });
  worker.on('progress', (j, progress) => events.push([j.id, progress, j.progress]));
  await waitFor(async () => (await queue.getJobState(job.id)) === 'completed', { what: 'loud completes' });
  assert.deepEqual(events, [[job.id, 10, 10], [job.id, 42, 42]]);
  assert.equal((await queue.getJob(job.id)).progress, 42);
  await waitFor(async () => (await queue.getJobState(quiet.id)) === 'completed', { what: 'quiet completes' });
  assert.equal((await queue.getJob(quiet.id)).progress, 7, 'a job that reports nothing keeps its progress');
  await worker.close();
});

test('add() calls made together go to Redis in one round trip, and each succeeds or fails on its own', async () => {
  const { queue } = setup();
  await queue.add('warm-up', {});
  const before = await redis.calls('evalsha');
  const settled = await Promise.allSettled([
    ...Array.from({ length: 50 }, (_, i) => queue.add('burst', { i })),
    queue.add('bad', {}, { attempts: 0 }),
    queue.add('last', { i: 50 }),
  ]);
  const scripts = (await redis.calls('evalsha')) - before;
  assert.ok(scripts <= 2, `51 adds took ${scripts} script calls`);
  const rejected = settled.filter((s) => s.status === 'rejected');
  assert.equal(rejected.length, 1);
  assert.ok(rejected[0].reason instanceof InvalidOptionError);
  assert.equal(rejected[0].reason.code, 'ERR_INVALID_OPTION');
  assert.match(rejected[0].reason.message, /attempts/);
  const ids = settled.filter((s) => s.status === 'fulfilled').map((s) => Number(s.value.id));
  assert.deepEqual(ids, Array.from({ length: 51 }, (_, i) => i + 2), 'ids in call order');
  assert.equal((await queue.getJobCounts('waiting')).waiting, 52);
  assert.deepEqual((await queue.getJob(String(ids[50]))).data, { i: 50 });
});
