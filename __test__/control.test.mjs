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
