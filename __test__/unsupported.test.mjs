// BullMQ members and options ferroq does not build yet: each exists, fails by name with
// UnsupportedError (ERR_UNSUPPORTED) and changes nothing in Redis; options with no
// effect on jobs' fates are accepted and ignored. Also the small BullMQ members built
// alongside (updateJobProgress, addJobLog, qualifiedName, closing, `removed`, asJSON).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileRedis, waitFor } from './helpers/redis.mjs';

const require = createRequire(import.meta.url);
const {
  Queue, Worker, Job, QueueEvents, FlowProducer, UnsupportedError, InvalidOptionError, MetricsTime, DelayedError,
} = require('../index.js');
const Redis = require('ioredis');

const { redis, fresh, track } = fileRedis('unsupported');

/** Every key with its type and DUMP: equal snapshots mean nothing changed. */
async function snapshot() {
  const client = new Redis(redis.url, { lazyConnect: true });
  await client.connect();
  try {
    const keys = (await client.keys('*')).sort();
    const entries = [];
    for (const key of keys) entries.push([key, await client.type(key), (await client.dumpBuffer(key))?.toString('hex')]);
    return entries;
  } finally {
    client.disconnect();
  }
}

/** A validator: UnsupportedError, its code, and a message naming `member`. */
function unsupported(member) {
  return (err) => {
    assert.ok(err instanceof UnsupportedError, `expected UnsupportedError, got ${err && err.name}: ${err && err.message}`);
    assert.equal(err.code, 'ERR_UNSUPPORTED');
    assert.ok(err.message.includes(`\`${member}\``), `message names \`${member}\`: ${err.message}`);
    assert.match(err.message, /not built in ferroq yet/);
    return true;
  };
}

async function setup() {
  const name = fresh();
  const connection = redis.url;
  const queue = track(new Queue(name, { connection }));
  const job = await queue.add('work', { n: 1 }, { delay: 60_000 });
  return { name, connection, queue, job };
}

test('unbuilt Queue members reject with UnsupportedError naming them and change nothing', async () => {
  const { queue } = await setup();
  const before = await snapshot();
  const calls = {
    'queue.trimEvents': () => queue.trimEvents(0),
    'queue.getDependencies': () => queue.getDependencies('1', 'pending', 0, -1),
    'queue.getVersion': () => queue.getVersion(),
    'queue.disconnect': () => queue.disconnect(),
    'queue.client': () => queue.client,
    'queue.repeat': () => queue.repeat,
    'queue.jobScheduler': () => queue.jobScheduler,
  };
  for (const [member, call] of Object.entries(calls)) {
    const pending = call();
    assert.ok(pending instanceof Promise, `${member} returns a promise`);
    await assert.rejects(pending, unsupported(member));
  }
  assert.throws(() => queue.redisVersion, unsupported('queue.redisVersion'));
  assert.throws(() => queue.metaValues, unsupported('queue.metaValues'));
  assert.deepEqual(await snapshot(), before);
  assert.equal(await queue.count(), 1, 'the queue still works');
});

test('unbuilt Job members fail with UnsupportedError naming them and change nothing', async () => {
  const { queue, job } = await setup();
  const before = await snapshot();
  assert.throws(() => job.discard(), unsupported('job.discard'));
  await assert.rejects(job.moveToDelayed(Date.now() + 1000, 'token'), unsupported('job.moveToDelayed'));
  await assert.rejects(job.moveToWait('token'), unsupported('job.moveToWait'));
  await assert.rejects(job.moveToWaitingChildren('token'), unsupported('job.moveToWaitingChildren'));
  await assert.rejects(job.getChildrenValues(), unsupported('job.getChildrenValues'));
  await assert.rejects(job.getDependencies(), unsupported('job.getDependencies'));
  await assert.rejects(job.clearLogs(0), unsupported('job.clearLogs'));
  await assert.rejects(Job.create(queue, 'x', {}), unsupported('Job.create'));
  assert.deepEqual(await snapshot(), before);
  assert.equal(await job.getState(), 'delayed');
});

test('Worker, QueueEvents and FlowProducer: unbuilt members reject by name', async () => {
  const { name, connection } = await setup();
  const before = await snapshot();
  const worker = track(new Worker(name, null, { connection }));
  await assert.rejects(worker.extendJobLocks(['1'], ['t'], 1000), unsupported('worker.extendJobLocks'));
  await assert.rejects(worker.client, unsupported('worker.client'));
  await assert.rejects(worker.disconnect(), unsupported('worker.disconnect'));
  const events = track(new QueueEvents(name, { connection, autorun: false }));
  await assert.rejects(events.client, unsupported('queueEvents.client'));
  const flows = new FlowProducer({ connection });
  await assert.rejects(flows.add({ name: 'p', queueName: name, children: [] }), unsupported('flowProducer.add'));
  await assert.rejects(flows.getFlow({ id: '1', queueName: name }), unsupported('flowProducer.getFlow'));
  await flows.close();
  await worker.close();
  await events.close();
  assert.deepEqual(await snapshot(), before);
});

test('unbuilt options are refused by name and add nothing; a sandboxed processor is refused', async () => {
  const { name, connection, queue } = await setup();
  const before = await snapshot();
  await assert.rejects(queue.addBulk([{ name: 'r', data: {}, opts: { repeat: { every: 1000 } } }]), unsupported('repeat'));
  await assert.rejects(queue.add('d', {}, { deduplication: { id: 'x', keepLastIfActive: true } }), unsupported('deduplication.keepLastIfActive'));
  await assert.rejects(queue.addBulk([{ name: 'p', data: {}, opts: { parent: { id: '1', queue: 'q' } } }]), unsupported('parent'));
  await assert.rejects(queue.add('b', {}, { backoff: { type: 'jitterish', delay: 10 } }), unsupported('backoff.type'));
  assert.throws(() => new Queue(name, { connection: { isCluster: true, startupNodes: [{ host: '127.0.0.1' }] } }), unsupported('connection'));
  const work = async () => 1;
  assert.throws(() => new Worker(name, './processor.js', { connection }), unsupported('processor'));
  assert.throws(() => new Worker(name, new URL('file:///processor.js'), { connection }), unsupported('processor'));
  assert.throws(() => new Worker(name, work, { connection, settings: { backoffStrategy: () => 10 } }),
    unsupported('settings.backoffStrategy'));
  assert.throws(() => new Worker(name, work, { connection, maxStartedAttempts: 3 }), unsupported('maxStartedAttempts'));
  assert.throws(() => new Worker(name, work, { connection, useWorkerThreads: true }), unsupported('useWorkerThreads'));
  // Not a processor at all stays an invalid option.
  assert.throws(() => new Worker(name, 42, { connection }), (err) => err instanceof InvalidOptionError);
  assert.deepEqual(await snapshot(), before);
});

test('options with no effect on jobs are accepted and ignored; the jobs run', async () => {
  const name = fresh();
  const connection = redis.url;
  const cyclic = {};
  cyclic.self = cyclic; // a real tracer is not JSON: it must never be sent to the engine
  const telemetry = { tracer: { startSpan: () => ({}) }, contextManager: cyclic };
  const queue = track(new Queue(name, {
    connection, telemetry, skipMetasUpdate: true, skipVersionCheck: true, blockingConnection: false,
    settings: { repeatStrategy: () => 1 },
  }));
  const worker = track(new Worker(name, async (job) => {
    if (job.data.n === 2) throw new DelayedError(); // fails like any error: moveToDelayed is not built
    return job.data.n;
  }, {
    connection, telemetry, metrics: { maxDataPoints: MetricsTime.ONE_WEEK }, settings: { repeatStrategy: () => 1 },
    skipStalledCheck: true, skipLockRenewal: true, runRetryDelay: 10, maximumRateLimitDelay: 10,
    workerForkOptions: { execArgv: [] }, workerThreadsOptions: {}, useWorkerThreads: false,
  }));
  const ok = await queue.add('ok', { n: 1 }, { telemetry: { metadata: 'm' }, keepLogs: 5 });
  const delayed = await queue.add('delayed', { n: 2 });
  await waitFor(async () => (await ok.getState()) === 'completed' && (await delayed.getState()) === 'failed',
    { what: 'both jobs finished' });
  assert.equal((await queue.getJob(delayed.id)).failedReason, 'bullmq:movedToDelayed');
  await worker.close();
});

test('BullMQ members built alongside: updateJobProgress, addJobLog, removed, qualifiedName, closing, asJSON', async () => {
  const { queue, job } = await setup();
  assert.equal(queue.qualifiedName, `ferroq:${queue.name}`);
  assert.equal(job.prefix, 'ferroq');
  const progress = [];
  queue.on('progress', (jobId, value) => progress.push([jobId, value]));
  await queue.updateJobProgress(job.id, { step: 2 });
  assert.deepEqual(progress, [[job.id, { step: 2 }]]);
  assert.deepEqual((await queue.getJob(job.id)).progress, { step: 2 });
  assert.equal(await queue.addJobLog(job.id, 'first'), 1);
  assert.deepEqual((await queue.getJobLogs(job.id)).logs, ['first']);
  const raw = (await queue.getJob(job.id)).asJSON();
  assert.equal(raw.data, '{"n":1}');
  assert.equal(await job.isWaitingChildren(), false);
  assert.equal(await queue.getWaitingChildrenCount(), 0);
  const removed = [];
  queue.on('removed', (jobId) => removed.push(jobId));
  assert.equal(await queue.remove(job.id), 1);
  assert.deepEqual(removed, [job.id]);
  assert.equal(queue.closing, undefined);
  const closing = queue.close();
  assert.equal(queue.closing, closing);
  await closing;
});
