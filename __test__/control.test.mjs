// Operating a queue: pause and resume for every worker of every process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { fileRedis, waitFor } from './helpers/redis.mjs';

const require = createRequire(import.meta.url);
const { Queue, Worker, QueueEvents } = require('../index.js');
const childScript = fileURLToPath(new URL('./fixtures/worker-process.js', import.meta.url));

const { redis, fresh, track } = fileRedis('control');

/** A worker in a child process; `started` lists the job ids it started. */
function childWorker(name) {
  const child = spawn(process.execPath, [childScript, name, redis.url, '30000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const started = [];
  child.stdout.on('data', (d) => {
    for (const m of String(d).matchAll(/started (\S+)/g)) started.push(m[1]);
  });
  return {
    started,
    stop: () => new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM'); }),
  };
}

test('pause() stops every worker of every process from taking jobs; resume() lets them go on', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const events = track(new QueueEvents(name, { connection: redis.url }));
  const seen = [];
  events.on('paused', (args, id) => seen.push(['paused', args, typeof id]));
  events.on('resumed', (args, id) => seen.push(['resumed', args, typeof id]));
  const local = [];
  queue.on('paused', () => local.push('paused'));
  queue.on('resumed', () => local.push('resumed'));
  await events.waitUntilReady();

  const here = [];
  const worker = track(new Worker(name, async (job) => { here.push(job.id); }, { connection: redis.url }));
  await worker.waitUntilReady();
  const child = childWorker(name);
  try {
    await queue.pause();
    assert.equal(await queue.isPaused(), true);
    const jobs = await queue.addBulk(Array.from({ length: 6 }, (_, i) => ({ name: 'p', data: { i } })));
    assert.deepEqual(await queue.getJobCounts('waiting', 'paused'), { waiting: 0, paused: 6 });
    assert.equal((await queue.getJobs('paused')).length, 6);
    assert.deepEqual(await queue.getJobs('waiting'), []);
    assert.equal(await queue.getJobState(jobs[0].id), 'waiting', 'a job state is waiting, as BullMQ reports it');
    // Both workers are idle and blocked; a pause means no job is taken however long.
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual([here.length, child.started.length], [0, 0]);

    await queue.resume();
    assert.equal(await queue.isPaused(), false);
    await waitFor(async () => (await queue.getJobCounts('completed')).completed === 6, { what: 'all 6 done after resume' });
    assert.equal(here.length + child.started.length, 6);
  } finally {
    await child.stop();
  }
  await waitFor(() => seen.length === 2, { what: 'paused and resumed events' });
  assert.deepEqual(seen, [['paused', {}, 'string'], ['resumed', {}, 'string']]);
  assert.deepEqual(local, ['paused', 'resumed']);
  // Pausing twice changes nothing and appends no second event.
  await queue.pause();
  await queue.pause();
  await queue.resume();
  await waitFor(() => seen.length === 4, { what: 'one more pair' });
  assert.deepEqual(seen.slice(2).map(([e]) => e), ['paused', 'resumed']);
});

test('running jobs finish while the queue is paused', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  let release;
  const gate = new Promise((r) => { release = r; });
  const worker = track(new Worker(name, async () => { await gate; return 'finished'; }, { connection: redis.url }));
  const job = await queue.add('long', {});
  await waitFor(async () => (await queue.getJobState(job.id)) === 'active', { what: 'active' });
  await queue.pause();
  release();
  await waitFor(async () => (await queue.getJobState(job.id)) === 'completed', { what: 'the running job completes' });
  await queue.resume();
  await worker.close();
});

test('remove: queue.remove and job.remove take a job out of any state; a job a worker runs cannot be removed', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const events = track(new QueueEvents(name, { connection: redis.url }));
  const removedEvents = [];
  events.on('removed', (args) => removedEvents.push(args));
  await events.waitUntilReady();
  const waiting = await queue.add('w', {});
  const delayed = await queue.add('d', {}, { delay: 60_000 });
  const prioritized = await queue.add('p', {}, { priority: 3 });
  assert.equal(await queue.remove(waiting.id), 1);
  await delayed.remove();
  assert.equal(await queue.remove(prioritized.id), 1);
  assert.equal(await queue.remove('nope'), 0);
  await assert.rejects(delayed.remove(), (err) => err.code === 'ERR_JOB_NOT_FOUND');
  assert.equal(await queue.getJob(waiting.id), undefined);
  assert.deepEqual(await queue.getJobCounts('waiting', 'delayed', 'prioritized'), { waiting: 0, delayed: 0, prioritized: 0 });

  let release;
  const gate = new Promise((r) => { release = r; });
  const worker = track(new Worker(name, async () => { await gate; return 'kept'; }, { connection: redis.url }));
  const running = await queue.add('r', {});
  await waitFor(async () => (await queue.getJobState(running.id)) === 'active', { what: 'active' });
  await assert.rejects(running.remove(), (err) => err.code === 'ERR_JOB_LOCKED');
  await assert.rejects(queue.remove(running.id), (err) => err.code === 'ERR_JOB_LOCKED');
  release();
  await waitFor(async () => (await queue.getJobState(running.id)) === 'completed', { what: 'the locked job completes untouched' });
  await worker.close();
  await waitFor(() => removedEvents.length === 3, { what: 'three removed events' });
  assert.deepEqual(removedEvents.map((e) => e.prev).sort(), ['delayed', 'prioritized', 'waiting']);
});

test('drain removes the jobs waiting to run (delayed ones on request); clean removes old jobs of one state', async () => {
  const queue = track(new Queue(fresh(), { connection: redis.url }));
  await queue.addBulk([{ name: 'a', data: {} }, { name: 'b', data: {}, opts: { priority: 1 } }]);
  await queue.add('later', {}, { delay: 60_000 });
  await queue.drain();
  assert.deepEqual(await queue.getJobCounts('waiting', 'prioritized', 'delayed'), { waiting: 0, prioritized: 0, delayed: 1 });
  await queue.drain(true);
  assert.equal(await queue.count(), 0);

  const name = fresh();
  const q = track(new Queue(name, { connection: redis.url }));
  const worker = track(new Worker(name, async (job) => { if (job.name === 'bad') throw new Error('x'); }, { connection: redis.url }));
  await q.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: i < 3 ? 'good' : 'bad', data: {} })));
  await waitFor(async () => (await q.getJobCounts('completed', 'failed')).failed === 2, { what: 'done' });
  await worker.close();
  assert.deepEqual(await q.clean(60_000, 0, 'completed'), [], 'nothing older than a minute');
  const cleanedEvents = [];
  q.on('cleaned', (ids, type) => cleanedEvents.push([ids.length, type]));
  await new Promise((r) => setTimeout(r, 20));
  const two = await q.clean(0, 2, 'completed');
  assert.equal(two.length, 2);
  assert.equal((await q.getJobCounts('completed')).completed, 1);
  assert.equal((await q.clean(0, 0, 'failed')).length, 2);
  assert.equal(await q.getJob(two[0]), undefined);
  assert.deepEqual(cleanedEvents, [[2, 'completed'], [2, 'failed']]);
  await assert.rejects(q.clean(0, 0, 'finished'), (err) => err.code === 'ERR_INVALID_OPTION' && /type/.test(err.message));
  await assert.rejects(q.clean(-1, 0), (err) => err.code === 'ERR_INVALID_OPTION' && /grace/.test(err.message));
});

test('clean works through large lines in short steps: every old job once, the limit exact, newer jobs kept, one cleaned event', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const events = track(new QueueEvents(name, { connection: redis.url }));
  const cleaned = [];
  events.on('cleaned', ({ count }) => cleaned.push(Number(count)));
  await events.waitUntilReady();
  // 12 000 old waiting jobs (more than one step and one window of clean.lua), then 50
  // new ones added after the cut-off, at the head of the line.
  for (let i = 0; i < 12; i++) {
    await queue.addBulk(Array.from({ length: 1000 }, (_, j) => ({ name: 'old', data: { n: i * 1000 + j } })));
  }
  await new Promise((r) => setTimeout(r, 30));
  const cutoff = Date.now();
  await new Promise((r) => setTimeout(r, 30));
  await queue.addBulk(Array.from({ length: 50 }, () => ({ name: 'new', data: {} })));
  const grace = () => Date.now() - cutoff;

  const some = await queue.clean(grace(), 2500, 'wait');
  assert.equal(some.length, 2500, 'exactly the limit');
  assert.equal(new Set(some).size, 2500);
  const rest = await queue.clean(grace(), 0, 'wait');
  assert.equal(rest.length, 9500, 'every other old job');
  assert.equal(new Set([...some, ...rest]).size, 12000, 'each once');
  const left = await queue.getJobs('waiting');
  assert.equal(left.length, 50);
  assert.ok(left.every((job) => job.name === 'new'), 'newer jobs stay');
  await waitFor(() => cleaned.length === 2, { what: 'one cleaned event per clean() call' });
  assert.deepEqual(cleaned, [2500, 9500]);

  // Finished jobs: 2 500 completed, cleaned in steps with no limit.
  const worker = track(new Worker(name, async () => 1, { connection: redis.url, concurrency: 50 }));
  await waitFor(async () => (await queue.getJobCounts('completed')).completed === 50, { what: 'the new ones ran' });
  await worker.close();
  await queue.addBulk(Array.from({ length: 2450 }, () => ({ name: 'x', data: {} })));
  const worker2 = track(new Worker(name, async () => 1, { connection: redis.url, concurrency: 50 }));
  await waitFor(async () => (await queue.getJobCounts('completed')).completed === 2500, { what: 'all ran', timeoutMs: 20000 });
  await worker2.close();
  await new Promise((r) => setTimeout(r, 5));
  assert.equal((await queue.clean(0, 0, 'completed')).length, 2500);
  assert.equal((await queue.getJobCounts('completed')).completed, 0);
});

test('retryJobs, job.retry, promoteJobs and job.promote move jobs back to run; wrong states are typed errors', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  let fail = true;
  const worker = track(new Worker(name, async () => { if (fail) throw new Error('not yet'); return 'ok'; }, { connection: redis.url, concurrency: 5 }));
  await queue.addBulk(Array.from({ length: 4 }, () => ({ name: 'f', data: {} })));
  await waitFor(async () => (await queue.getJobCounts('failed')).failed === 4, { what: '4 failed' });
  const [first] = await queue.getFailed();
  await assert.rejects(first.retry('completed'), (err) => err.code === 'ERR_JOB_STATE');
  fail = false;
  await first.retry();
  await waitFor(async () => (await queue.getJobState(first.id)) === 'completed', { what: 'retried job completes' });
  await assert.rejects(first.retry(), (err) => err.code === 'ERR_JOB_STATE', 'a completed job is not failed');
  await queue.retryJobs({ count: 1 });
  await waitFor(async () => (await queue.getJobCounts('completed')).completed === 4, { what: 'all retried and completed' });
  assert.equal((await queue.getJob(first.id)).attemptsMade, 2, 'attempts keep counting');

  const later = await queue.add('later', {}, { delay: 60_000 });
  await queue.add('later2', {}, { delay: 60_000 });
  await assert.rejects(first.promote(), (err) => err.code === 'ERR_JOB_STATE' && /delayed/.test(err.message));
  await later.promote();
  await waitFor(async () => (await queue.getJobState(later.id)) === 'completed', { what: 'promoted job runs now' });
  await queue.promoteJobs();
  await waitFor(async () => (await queue.getJobCounts('completed')).completed === 6, { what: 'all promoted ran' });
  await worker.close();
});

test('job.updateData replaces the data; obliterate refuses while jobs are active unless forced, then leaves no key', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const job = await queue.add('u', { v: 1 });
  await job.updateData({ v: 2 });
  assert.deepEqual((await queue.getJob(job.id)).data, { v: 2 });
  assert.deepEqual(job.data, { v: 2 });

  const worker = track(new Worker(name, async () => new Promise(() => {}), { connection: redis.url }));
  await waitFor(async () => (await queue.getJobCounts('active')).active === 1, { what: 'one active' });
  await queue.addBulk(Array.from({ length: 2500 }, () => ({ name: 'x', data: {} })));
  await assert.rejects(queue.obliterate(), (err) => err.code === 'ERR_ACTIVE_JOBS');
  assert.equal((await queue.getJobCounts('waiting')).waiting, 2500, 'nothing changed');
  await queue.obliterate({ force: true, count: 1000 });
  await worker.close(true);
  assert.equal(await queue.count(), 0);
  const keys = ['wait', 'prioritized', 'pc', 'delayed', 'active', 'locks', 'marker', 'completed', 'failed',
    'id', 'stalled-check', 'events', 'meta', `job:${job.id}`, 'job:2', 'job:2501'].map((k) => `ferroq:{${name}}:${k}`);
  assert.equal(await redis.simple(`EXISTS ${keys.join(' ')}`), ':0', 'no key of the queue is left');
});

test('job.changeDelay moves a delayed job\'s due time; job.changePriority reorders waiting jobs', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const later = await queue.add('later', {}, { delay: 60_000 });
  await later.changeDelay(1000);
  const stored = await queue.getJob(later.id);
  assert.equal(stored.delay, 1000);
  const plain = await queue.add('plain', {});
  await assert.rejects(plain.changeDelay(10), (err) => err.code === 'ERR_JOB_STATE' && /delayed/.test(err.message));
  await assert.rejects(later.changeDelay(-5), (err) => err.code === 'ERR_INVALID_OPTION' && /delay/.test(err.message));

  const a = await queue.add('a', {}, { priority: 5 });
  await queue.add('b', {}, { priority: 3 });
  await a.changePriority({ priority: 1 });
  await plain.changePriority({ priority: 2 });
  assert.deepEqual((await queue.getPrioritized()).map((j) => j.name), ['a', 'plain', 'b']);
  await assert.rejects(a.changePriority({ priority: 2_097_152 }), (err) => err.code === 'ERR_INVALID_OPTION');
  const order = [];
  const worker = track(new Worker(name, async (job) => { order.push(job.name); }, { connection: redis.url }));
  await waitFor(() => order.length === 4, { what: 'all four ran' });
  assert.deepEqual(order, ['a', 'plain', 'b', 'later'], 'by priority, and the delayed job once due, a second later');
  await worker.close();
});

test('review fixes: retryJobs retries each job once, resets are separate, clean(paused) follows the pause, changePriority emits no waiting', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const worker = track(new Worker(name, async () => { throw new Error('always'); }, { connection: redis.url, concurrency: 50 }));
  await queue.addBulk(Array.from({ length: 1500 }, () => ({ name: 'f', data: {} })));
  await waitFor(async () => (await queue.getJobCounts('failed')).failed === 1500, { what: '1500 failed', timeoutMs: 30000 });
  await queue.retryJobs({ count: 1000 });
  await waitFor(async () => (await queue.getJobCounts('failed')).failed === 1500, { what: 'all failed again', timeoutMs: 30000 });
  const made = new Set((await queue.getFailed(0, -1)).map((job) => job.attemptsMade));
  assert.deepEqual([...made], [2], 'each job was retried exactly once');
  await worker.close();

  const [job] = await queue.getFailed(0, 0);
  await job.retry('failed', { resetAttemptsStarted: true });
  const retried = await queue.getJob(job.id);
  assert.equal(retried.attemptsMade, 2, 'attempts made are kept');
  assert.equal(retried.attemptsStarted, 0, 'attempts started count anew');

  assert.deepEqual(await queue.clean(0, 0, 'paused'), [], 'nothing is paused on a running queue');
  assert.equal((await queue.getJobCounts('waiting')).waiting, 1);

  const events = track(new QueueEvents(name, { connection: redis.url }));
  const waiting = [];
  events.on('waiting', (args) => waiting.push(args));
  await events.waitUntilReady();
  await retried.changePriority({ priority: 4 });
  const marker = await queue.add('marker', {});
  await waitFor(() => waiting.some((w) => w.jobId === marker.id), { what: 'the marker job event' });
  assert.deepEqual(waiting.map((w) => w.jobId), [marker.id], 'a new priority is not a new waiting event');
});

test('review fixes: waitUntilFinished rejects for an empty failure reason and when its QueueEvents closes; pause then resume emits in order', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const events = new QueueEvents(name, { connection: redis.url });
  const worker = track(new Worker(name, async () => { throw new Error(); }, { connection: redis.url }));
  const job = await queue.add('empty', {});
  await waitFor(async () => (await queue.getJobState(job.id)) === 'failed', { what: 'failed' });
  await assert.rejects(job.waitUntilFinished(events), (err) => err.message === '');
  await worker.close();
  const pending = await queue.add('pending', {});
  const waiting = assert.rejects(pending.waitUntilFinished(events), (err) => err.code === 'ERR_CLOSED');
  await events.waitUntilReady();
  await events.close();
  await waiting;

  const w = track(new Worker(fresh(), async () => 1, { connection: redis.url }));
  const seen = [];
  w.on('paused', () => seen.push('paused'));
  w.on('resumed', () => seen.push('resumed'));
  const pausing = w.pause();
  assert.equal(w.pause(), pausing, 'a second pause is the first');
  w.resume();
  await pausing;
  assert.deepEqual(seen, ['resumed'], 'a pause undone before it took effect says nothing');
  assert.equal(w.isPaused(), false);
  await w.close();
});

test('getWorkers lists the live workers of the queue from every process, by name', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const here = new Worker(name, async () => 1, { connection: redis.url, name: 'api worker 1' });
  const other = track(new Worker(fresh(), async () => 1, { connection: redis.url, name: 'elsewhere' }));
  const child = childWorker(name);
  try {
    await waitFor(async () => (await queue.getWorkersCount()) === 2, { what: 'two workers' });
    const workers = await queue.getWorkers();
    assert.deepEqual(workers.map((w) => w.name).sort(), ['', 'api worker 1']);
    for (const worker of workers) assert.match(worker.addr, /^127\.0\.0\.1:\d+$/);
    await here.close();
    await waitFor(async () => (await queue.getWorkersCount()) === 1, { what: 'one worker left' });
  } finally {
    await child.stop();
  }
  await waitFor(async () => (await queue.getWorkersCount()) === 0, { what: 'none left' });
  await other.close();
});
