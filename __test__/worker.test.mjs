// Worker behaviour over time: delays, backoff gaps, concurrency, timeouts, close, drained.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { RedisServer, fileRedis, waitFor } from './helpers/redis.mjs';

const require = createRequire(import.meta.url);
const { Queue, Worker, UnrecoverableError } = require('../index.js');

const { redis, fresh, track } = fileRedis('worker');

function setup(workerOpts = {}) {
  const name = fresh();
  const connection = redis.url;
  const queue = track(new Queue(name, { connection }));
  const start = (processor, opts = {}) =>
    track(new Worker(name, processor, { connection, ...workerOpts, ...opts }));
  return { name, connection, queue, start };
}

test('a delayed job waits for its delay, in the delayed state', async () => {
  const { queue, start } = setup();
  const job = await queue.add('later', {}, { delay: 600 });
  assert.equal(await queue.getJobState(job.id), 'delayed');
  assert.equal((await queue.getJobCounts('delayed')).delayed, 1);
  const worker = start(async () => 'done');
  const completed = new Promise((r) => worker.on('completed', r));
  await completed;
  const stored = await queue.getJob(job.id);
  assert.ok(stored.processedOn - stored.timestamp >= 600, `ran after ${stored.processedOn - stored.timestamp} ms`);
  assert.equal(stored.delay, 600);
});

test('fixed and exponential backoff space the attempts', async () => {
  const { queue, start } = setup();
  const fixed = await queue.add('fixed', {}, { attempts: 3, backoff: 300 });
  const expo = await queue.add('expo', {}, { attempts: 3, backoff: { type: 'exponential', delay: 200 } });
  const starts = { [fixed.id]: [], [expo.id]: [] };
  const worker = start(async (job) => {
    starts[job.id].push(Date.now());
    if (job.attemptsMade < 2) throw new Error(`attempt ${job.attemptsMade + 1}`);
    return 'ok';
  }, { concurrency: 2 });
  const retried = [];
  worker.on('failed', async (job) => retried.push([job.id, await job.getState()]));
  await waitFor(async () => (await queue.getJobCounts('completed')).completed === 2, { what: 'both complete' });
  const gaps = (t) => t.slice(1).map((x, i) => x - t[i]);
  const [f1, f2] = gaps(starts[fixed.id]);
  assert.ok(f1 >= 300 && f2 >= 300, `fixed gaps ${f1}, ${f2}`);
  const [e1, e2] = gaps(starts[expo.id]);
  assert.ok(e1 >= 200 && e2 >= 400, `exponential gaps ${e1}, ${e2}`);
  assert.ok(retried.some(([, state]) => state === 'delayed'), 'a retry with backoff waits in delayed');
  assert.equal((await queue.getJob(fixed.id)).attemptsMade, 3);
});

test('concurrency caps the jobs running at once, and is reached', async () => {
  const { queue, start } = setup();
  await queue.addBulk(Array.from({ length: 12 }, (_, i) => ({ name: 'c', data: { i } })));
  let running = 0;
  let peak = 0;
  const worker = start(async () => {
    running += 1;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 60));
    running -= 1;
  }, { concurrency: 4 });
  await waitFor(async () => (await queue.getJobCounts('completed')).completed === 12, { what: '12 completed' });
  assert.equal(peak, 4);
  await worker.close();
});

test('timeout fails the attempt and fires the AbortSignal; the retry can succeed', async () => {
  const { queue, start } = setup();
  const job = await queue.add('slow', {}, { timeout: 150, attempts: 2 });
  let aborted = null;
  const worker = start(async (j, token, signal) => {
    if (j.attemptsMade === 0) {
      await new Promise((resolve) => signal.addEventListener('abort', () => {
        aborted = signal.reason;
        resolve();
      }));
      return 'too late';
    }
    return 'second time';
  });
  const failures = [];
  worker.on('failed', (j, err) => failures.push(err.message));
  await waitFor(async () => (await queue.getJobState(job.id)) === 'completed', { what: 'retry completes' });
  assert.ok(aborted instanceof Error, 'signal fired with a reason');
  assert.match(failures[0], /timed out after 150 ms/);
  const stored = await queue.getJob(job.id);
  assert.equal(stored.returnvalue, 'second time');
  assert.match(stored.failedReason, /timed out/);
});

test('close() waits for active jobs to finish and be stored', async () => {
  const { queue, start } = setup();
  const job = await queue.add('long', {});
  let began;
  const started = new Promise((r) => { began = r; });
  const worker = start(async () => {
    began();
    await new Promise((r) => setTimeout(r, 300));
    return 'finished';
  });
  await started;
  const events = [];
  worker.on('completed', () => events.push('completed'));
  worker.on('closed', () => events.push('closed'));
  await worker.close();
  assert.deepEqual(events, ['completed', 'closed']);
  assert.equal(await queue.getJobState(job.id), 'completed');
});

test('close(true) aborts active jobs and leaves them to be retried', async () => {
  const { queue, start } = setup();
  const job = await queue.add('stuck', {}, { attempts: 1 });
  let signalSeen;
  const started = new Promise((r) => { signalSeen = r; });
  const first = start(async (j, token, signal) => {
    signalSeen(signal);
    await new Promise(() => {}); // never settles on its own
  });
  const signal = await started;
  await first.close(true);
  assert.equal(signal.aborted, true);
  assert.equal(await queue.getJobState(job.id), 'waiting');
  const second = start(async () => 'picked up again');
  await waitFor(async () => (await queue.getJobState(job.id)) === 'completed', { what: 'second worker completes it' });
  assert.equal((await queue.getJob(job.id)).returnvalue, 'picked up again');
  await second.close();
});

test('drained fires when the queue runs empty; autorun:false waits for run()', async () => {
  const { queue, start } = setup();
  await queue.addBulk([{ name: 'a', data: {} }, { name: 'b', data: {} }]);
  const worker = start(async () => 'x', { autorun: false });
  const drained = new Promise((r) => worker.once('drained', r));
  assert.equal((await queue.getJobCounts('waiting')).waiting, 2);
  assert.equal(worker.isRunning(), false);
  const running = worker.run();
  await drained;
  assert.equal((await queue.getJobCounts('completed')).completed, 2);
  await worker.close();
  await running;
});

test('one bulk add wakes every idle worker, not just one', async () => {
  const { queue, start } = setup();
  const perWorker = [0, 0];
  const workers = [0, 1].map((w) => start(async () => {
    perWorker[w] += 1;
    await new Promise((r) => setTimeout(r, 250));
  }));
  // Both idle and blocked in Redis before the jobs arrive.
  await Promise.all(workers.map((w) => new Promise((r) => w.once('drained', r))));
  await queue.addBulk(Array.from({ length: 6 }, () => ({ name: 'w', data: {} })));
  await waitFor(async () => (await queue.getJobCounts('completed')).completed === 6, { what: '6 completed' });
  assert.ok(perWorker[0] >= 2 && perWorker[1] >= 2, `jobs per worker: ${perWorker}`);
});

test('listeners that throw are reported as errors and leave no job unstarted or unfinished', async () => {
  const { queue, start } = setup();
  await queue.addBulk(Array.from({ length: 6 }, (_, i) => ({ name: 't', data: { i } })));
  const ran = [];
  const worker = start(async (job) => { ran.push(job.data.i); return job.data.i; }, { concurrency: 3 });
  const errors = [];
  worker.on('error', (err) => errors.push(err.message));
  worker.on('active', () => { throw new Error('active listener broke'); });
  worker.on('completed', () => { throw new Error('completed listener broke'); });
  await waitFor(async () => (await queue.getJobCounts('completed')).completed === 6, { what: '6 completed' });
  assert.deepEqual(ran.sort(), [0, 1, 2, 3, 4, 5]);
  await waitFor(() => errors.length === 12, { what: 'one error per throwing listener call' });
  assert.ok(errors.every((m) => /listener broke/.test(m)));
  await worker.close();
});

test('an idle worker wakes at a delayed job\'s due time, not at the end of its drainDelay', async () => {
  const { queue, start } = setup();
  const worker = start(async () => 'on time', { drainDelay: 60 });
  await new Promise((r) => worker.once('drained', r)); // idle, blocked in Redis for up to 60 s
  const added = Date.now();
  const job = await queue.add('soon', {}, { delay: 300 });
  await waitFor(async () => (await queue.getJobState(job.id)) === 'completed', { timeoutMs: 10000, what: 'delayed job completes' });
  const stored = await queue.getJob(job.id);
  assert.ok(stored.processedOn - added >= 300, `ran ${stored.processedOn - added} ms after add`);
  assert.ok(stored.processedOn - added < 5000, `ran ${stored.processedOn - added} ms after add`);
});

test('worker.concurrency can be raised while the worker runs, and is validated', async () => {
  const { queue, start } = setup();
  await queue.addBulk(Array.from({ length: 10 }, (_, i) => ({ name: 'c', data: { i } })));
  let running = 0;
  let peak = 0;
  let began;
  const first = new Promise((r) => { began = r; });
  const worker = start(async () => {
    running += 1;
    peak = Math.max(peak, running);
    began();
    await new Promise((r) => setTimeout(r, 80));
    running -= 1;
  }, { concurrency: 1 });
  await first;
  assert.equal(worker.concurrency, 1);
  worker.concurrency = 4;
  assert.equal(worker.concurrency, 4);
  assert.throws(() => { worker.concurrency = 0; }, { code: 'ERR_INVALID_OPTION' });
  await waitFor(async () => (await queue.getJobCounts('completed')).completed === 10, { what: '10 completed' });
  assert.equal(peak, 4);
  await worker.close();
});

test('lock renewal racing finished jobs raises no false lost-lock errors', async () => {
  // Renewing every 2 ms keeps a renewal in flight nearly always, so many jobs finish
  // between a renewal's snapshot of the held locks and its run in Redis.
  const { queue, start } = setup({ concurrency: 50, lockDuration: 5000, lockRenewTime: 2 });
  const total = 4000;
  for (let i = 0; i < total; i += 1000) {
    await queue.addBulk(Array.from({ length: 1000 }, (_, j) => ({ name: 'n', data: { i: i + j } })));
  }
  const errors = [];
  let completed = 0;
  const worker = start(async () => {
    await new Promise((r) => setImmediate(r));
    return 1;
  });
  worker.on('error', (err) => errors.push(err));
  worker.on('completed', () => { completed += 1; });
  await waitFor(() => completed === total, { timeoutMs: 60000, what: `${total} completed` });
  await worker.close();
  assert.deepEqual(errors.map((e) => `${e.code}: ${e.message}`), []);
  assert.equal((await queue.getJobCounts('completed')).completed, total);
});

test('an idle worker blocks in Redis for its whole drainDelay: no errors, no polling', async () => {
  // A Redis of its own: the other tests' idle workers would add their waits to the count.
  const server = await RedisServer.start();
  try {
    const worker = new Worker(fresh(), async () => 1, { connection: server.url, drainDelay: 3 });
    const errors = [];
    worker.on('error', (err) => errors.push(err));
    await new Promise((resolve) => worker.once('drained', resolve));
    const before = await server.calls('bzpopmin');
    await new Promise((r) => setTimeout(r, 1500));
    // One wait in progress the whole time: had a client-side timeout ended it early,
    // the worker would have waited again (and reported an error).
    assert.ok((await server.calls('bzpopmin')) - before <= 1, 'at most the one wait that started');
    assert.deepEqual(errors.map((e) => e.message), []);
    await worker.close();
  } finally {
    await server.stop();
  }
});

test('an add Redis answers late (held 1.5 s) is stored and resolves, well within commandTimeout', async () => {
  const { queue } = setup();
  await queue.waitUntilReady();
  assert.equal(await redis.simple('CLIENT PAUSE 1500 WRITE'), '+OK');
  const job = await queue.add('late', {});
  assert.equal(await queue.getJobState(job.id), 'waiting');
});

test('an error listener that throws a hostile value is logged, not thrown into the process', async () => {
  const { queue, start } = setup();
  const worker = start(async () => 1);
  worker.on('completed', () => { throw new Error('completed listener throws'); });
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  let calls = 0;
  worker.on('error', () => { calls += 1; throw proxy; });
  const logged = [];
  const original = console.error;
  console.error = (line) => logged.push(line);
  try {
    await queue.add('x', {});
    await waitFor(() => calls === 1 && logged.length === 1, { what: 'the error listener ran and its throw was logged' });
  } finally {
    console.error = original;
  }
  assert.match(logged[0], /a thrown object that cannot be read/);
  await worker.close();
});

test('worker.pause() waits for its running jobs and takes no more until resume(); doNotWaitActive returns at once', async () => {
  const { queue, start } = setup();
  let release;
  const gate = new Promise((r) => { release = r; });
  const done = [];
  const worker = start(async (job) => { if (job.name === 'slow') await gate; done.push(job.name); }, { concurrency: 2 });
  const events = [];
  worker.on('paused', () => events.push('paused'));
  worker.on('resumed', () => events.push('resumed'));
  const slow = await queue.add('slow', {});
  await waitFor(async () => (await queue.getJobState(slow.id)) === 'active', { what: 'slow is active' });
  let paused = false;
  const pausing = worker.pause().then(() => { paused = true; });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(paused, false, 'waits for the running job');
  assert.equal(worker.isPaused(), true);
  release();
  await pausing;
  assert.deepEqual(done, ['slow']);
  await queue.add('fast', {});
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(done, ['slow'], 'a paused worker takes no job');
  worker.resume();
  await waitFor(() => done.length === 2, { what: 'the job runs after resume' });
  await worker.pause(true);
  worker.resume();
  assert.deepEqual(events, ['paused', 'resumed', 'paused', 'resumed']);
  assert.equal(worker.isPaused(), false);
  await worker.close();
});

test('worker.cancelJob fires the processor\'s AbortSignal with the reason; the processor decides how the job ends', async () => {
  const { queue, start } = setup();
  const reasons = [];
  const worker = start(async (job, token, signal) => {
    await new Promise((resolve) => signal.addEventListener('abort', resolve));
    reasons.push(signal.reason);
    throw new UnrecoverableError(`cancelled: ${signal.reason}`);
  }, { concurrency: 3 });
  const jobs = await queue.addBulk([{ name: 'a', data: {}, opts: { attempts: 3 } }, { name: 'b', data: {} }, { name: 'c', data: {} }]);
  await waitFor(async () => (await queue.getJobCounts('active')).active === 3, { what: 'three active' });
  assert.equal(worker.cancelJob(jobs[0].id, 'user asked'), true);
  assert.equal(worker.cancelJob('nope'), false);
  await waitFor(async () => (await queue.getJobState(jobs[0].id)) === 'failed', { what: 'the cancelled job failed' });
  const failed = await queue.getJob(jobs[0].id);
  assert.equal(failed.failedReason, 'cancelled: user asked');
  assert.equal(failed.attemptsMade, 1, 'no retry: the processor threw UnrecoverableError');
  worker.cancelAllJobs('shutdown');
  await waitFor(async () => (await queue.getJobCounts('failed')).failed === 3, { what: 'all cancelled' });
  assert.deepEqual(reasons, ['user asked', 'shutdown', 'shutdown']);
  await worker.close();
});

test('job.processedBy is the name of the worker that took the job', async () => {
  const { queue, start } = setup();
  const seen = [];
  const worker = start(async (job) => { seen.push(job.processedBy); }, { name: 'api-worker-1' });
  const job = await queue.add('x', {});
  await waitFor(async () => (await queue.getJobState(job.id)) === 'completed', { what: 'completed' });
  assert.deepEqual(seen, ['api-worker-1']);
  assert.equal((await queue.getJob(job.id)).processedBy, 'api-worker-1');
  assert.equal((await queue.getJob(job.id)).toJSON().processedBy, 'api-worker-1');
  await worker.close();
});
