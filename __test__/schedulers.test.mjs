// Job schedulers (upsertJobScheduler and the repeatable jobs of `add`): due times
// read from the jobs' ids (`repeat:<scheduler>:<due ms>`) and checked against the
// schedule and its time zone; start times recorded by the processors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileRedis, waitFor } from './helpers/redis.mjs';

const require = createRequire(import.meta.url);
const { Queue, Worker, InvalidOptionError, UnsupportedError } = require('../index.js');
const indexPath = require.resolve('../index.js');

const { redis, fresh, track } = fileRedis('schedulers');

const dueOf = (jobId) => Number(jobId.slice(jobId.lastIndexOf(':') + 1));

/** A worker that records each job's id, due time and start time. */
function recordingWorker(name, runs, opts = {}) {
  return track(new Worker(name, async (job) => {
    runs.push({ id: job.id, due: dueOf(job.id), started: Date.now(), key: job.repeatJobKey, count: job.opts.repeat.count });
  }, { connection: redis.url, ...opts }));
}

/** The wall-clock fields of `ms` in time zone `tz`. */
function inZone(ms, tz) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz, weekday: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  return Object.fromEntries(parts.map((p) => [p.type, p.value]));
}

async function pending(queue) {
  const counts = await queue.getJobCounts('waiting', 'delayed', 'prioritized');
  return counts.waiting + counts.delayed + counts.prioritized;
}

test('an `every` scheduler feeds a worker one job per interval, in phase, never early', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const first = await queue.upsertJobScheduler('tick', { every: 100 }, { name: 'tick-job', data: { n: 1 } });
  assert.equal(first.repeatJobKey, 'tick');
  assert.equal(first.name, 'tick-job');
  assert.deepEqual(first.data, { n: 1 });
  assert.match(first.id, /^repeat:tick:\d+$/);
  const runs = [];
  recordingWorker(name, runs);
  await waitFor(() => runs.length >= 12, { what: '12 runs', timeoutMs: 15000 });
  for (const run of runs) {
    assert.equal(run.key, 'tick');
    assert.ok(run.started >= run.due, `job ${run.id} started ${run.due - run.started} ms early`);
  }
  // Each job's successor is due one interval later (a whole number of intervals if a
  // start came late), never sooner: the rate is the schedule's.
  const dues = runs.map((r) => r.due).sort((a, b) => a - b);
  for (let i = 1; i < dues.length; i++) {
    const gap = dues[i] - dues[i - 1];
    assert.ok(gap >= 100 && gap % 100 === 0, `gap ${gap} ms between runs ${i - 1} and ${i}`);
  }
  assert.deepEqual(runs.map((r) => r.count), runs.map((_, i) => i + 1), 'opts.repeat.count numbers the runs');
  assert.deepEqual((await queue.getJob(runs[0].id)).opts.repeat, { count: 1, every: 100 });
  assert.equal(first.opts.delay, 0, 'the first job is due at once');
  const second = await queue.getJob(runs[1].id);
  assert.ok(second.opts.delay > 0 && second.opts.delay <= 100 && second.opts.delay === second.delay);
  const onTime = dues.slice(1).filter((d, i) => d - dues[i] === 100).length;
  assert.ok(onTime >= dues.length / 2, `most runs one interval apart (${onTime} of ${dues.length - 1})`);
  assert.equal(await pending(queue), 1, 'exactly one next job waits');
  const scheduler = await queue.getJobScheduler('tick');
  assert.equal(scheduler.key, 'tick');
  assert.equal(scheduler.name, 'tick-job');
  assert.equal(scheduler.every, 100);
  assert.deepEqual(scheduler.template.data, { n: 1 });
  assert.ok(scheduler.iterationCount >= runs.length);
  assert.ok(scheduler.next > dues.at(-1));
});

test('cron patterns are due at their wall-clock time in the scheduler’s zone', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const now = Date.now();
  for (const tz of ['America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Lord_Howe']) {
    const job = await queue.upsertJobScheduler(`weekly-${tz}`, { pattern: '0 8 * * 1', tz });
    const due = dueOf(job.id);
    assert.equal(job.timestamp + job.delay, due);
    assert.ok(due > now && due <= now + 7 * 24 * 3600e3, `${tz}: due within a week`);
    assert.deepEqual(
      (({ weekday, hour, minute, second }) => ({ weekday, hour, minute, second }))(inZone(due, tz)),
      { weekday: 'Mon', hour: '08', minute: '00', second: '00' },
      `${tz}: Monday 8:00 there`,
    );
  }
  assert.equal(await queue.getJobSchedulersCount(), 4);
  const listed = await queue.getJobSchedulers(0, -1, true);
  assert.deepEqual(listed.map((s) => s.next), [...listed.map((s) => s.next)].sort((a, b) => a - b), 'ascending by next');

  // Seconds: a six-field pattern, run by a worker, every job on its second.
  const runs = [];
  await queue.upsertJobScheduler('each-second', { pattern: '* * * * * *', tz: 'Asia/Kolkata' });
  recordingWorker(name, runs);
  await waitFor(() => runs.length >= 3, { what: 'three runs', timeoutMs: 10000 });
  for (const run of runs) {
    assert.equal(run.due % 1000, 0, 'on a whole second');
    assert.ok(run.started >= run.due);
  }
});

test('upserting from two processes at once keeps one job and the schedule’s rate', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const script = `
    const { Queue } = require(${JSON.stringify(indexPath)});
    const q = new Queue(${JSON.stringify(name)}, { connection: ${JSON.stringify(redis.url)} });
    Promise.all(Array.from({ length: 25 }, (_, i) =>
      q.upsertJobScheduler('race', { every: 250 }, { name: 'r', data: { i } })))
      .then(() => q.close(), (err) => { console.error(err); process.exit(1); });`;
  const runChild = () => new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`child exited ${code}`))));
  });
  await Promise.all([runChild(), runChild(), runChild()]);
  assert.equal(await queue.getJobSchedulersCount(), 1);
  assert.equal(await pending(queue), 1, 'one job waits, not one per call');
  assert.equal((await queue.getJobScheduler('race')).iterationCount, 1);

  const runs = [];
  recordingWorker(name, runs);
  await waitFor(() => runs.length >= 5, { what: 'five runs', timeoutMs: 10000 });
  const dues = runs.map((r) => r.due);
  for (let i = 1; i < dues.length; i++) assert.ok(dues[i] - dues[i - 1] >= 250, 'never faster than every 250 ms');
  assert.equal(await pending(queue), 1);
});

test('a scheduler whose workers were down makes one job when they return, not one per missed run', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const upsertedAt = Date.now();
  await queue.upsertJobScheduler('every-100', { every: 100 });
  await queue.upsertJobScheduler('every-second', { pattern: '* * * * * *' });
  // Down for 2.5 s: 25 runs of one, two or three of the other missed.
  await new Promise((r) => setTimeout(r, 2500));
  const runs = [];
  const returnedAt = Date.now();
  recordingWorker(name, runs);
  await waitFor(() => runs.filter((r) => r.key === 'every-second').length >= 2, { what: 'the second-by-second job twice' });
  for (const key of ['every-100', 'every-second']) {
    const late = runs.filter((r) => r.key === key && r.due < returnedAt);
    assert.equal(late.length, 1, `${key}: one job for the time it was down`);
    assert.ok(late[0].due <= upsertedAt + 1000);
  }
});

test('a changed schedule replaces the waiting job; limit and endDate end a scheduler', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const a = await queue.upsertJobScheduler('s', { pattern: '0 0 1 1 *' }, { data: { v: 1 } });
  const b = await queue.upsertJobScheduler('s', { pattern: '0 0 1 7 *' }, { data: { v: 2 } });
  assert.notEqual(a.id, b.id);
  assert.equal(await queue.getJob(a.id), undefined, 'the old schedule’s job is gone');
  assert.deepEqual((await queue.getJob(b.id)).data, { v: 2 });
  assert.equal(await pending(queue), 1);
  const same = await queue.upsertJobScheduler('s', { pattern: '0 0 1 7 *' }, { data: { v: 3 } });
  assert.equal(same.id, b.id, 'the same schedule keeps its due time');
  assert.deepEqual((await queue.getJob(b.id)).data, { v: 3 }, 'with the new template');
  assert.equal((await queue.getJobScheduler('s')).iterationCount, 1);

  await queue.upsertJobScheduler('three', { every: 50, limit: 3 });
  await queue.upsertJobScheduler('ending', { every: 50, endDate: Date.now() + 400 });
  const runs = [];
  recordingWorker(name, runs);
  await waitFor(async () => (await queue.getJobSchedulersCount()) === 1, { what: 'two schedulers ended' });
  assert.equal(runs.filter((r) => r.key === 'three').length, 3);
  const ending = runs.filter((r) => r.key === 'ending');
  assert.ok(ending.length >= 1 && ending.every((r) => r.due <= Date.now()), 'no job after endDate');
  assert.equal(await queue.getJobScheduler('three'), undefined);
  assert.equal(await queue.upsertJobScheduler('past', { every: 50, endDate: Date.now() - 1 }), undefined);
  assert.equal(await queue.getJobSchedulersCount(), 1);

  assert.equal(await queue.removeJobScheduler('s'), true);
  assert.equal(await queue.removeJobScheduler('s'), false);
  assert.equal(await queue.getJob(b.id), undefined, 'its waiting job went with it');
});

test('bad schedules and templates are typed errors naming the field, and write nothing', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const cases = [
    [{ pattern: '61 * * * * * *' }, {}, 'pattern'],
    [{ pattern: 'a b c d e f' }, {}, 'pattern'],
    [{ pattern: '0 8 * * 1', tz: 'Mars/Olympus_Mons' }, {}, 'tz'],
    [{ pattern: '0 8 * * 1', every: 1000 }, {}, 'repeat'],
    [{}, {}, 'repeat'],
    [{ every: 0 }, {}, 'every'],
    [{ every: -5 }, {}, 'every'],
    [{ every: 10, limit: 0 }, {}, 'limit'],
    [{ pattern: '* * * * *', immediately: true, startDate: Date.now() }, {}, 'immediately'],
    [{ every: 10, startDate: 'yesterday' }, {}, 'startDate'],
    [{ every: 10 }, { opts: { jobId: 'x' } }, 'opts.jobId'],
    [{ every: 10 }, { opts: { attempts: 0 } }, 'attempts'],
  ];
  for (const [repeat, template, field] of cases) {
    await assert.rejects(queue.upsertJobScheduler('bad', repeat, template), (err) => {
      assert.ok(err instanceof InvalidOptionError, `${JSON.stringify(repeat)}: ${err}`);
      assert.equal(err.code, 'ERR_INVALID_OPTION');
      assert.ok(err.message.includes(`\`${field}\``), `${err.message} names ${field}`);
      return true;
    });
  }
  await assert.rejects(queue.upsertJobScheduler('', { every: 10 }), InvalidOptionError);
  assert.equal(await queue.getJobSchedulersCount(), 0);
  assert.equal(await pending(queue), 0);
});

test('repeatable jobs (`add` with `repeat`) are schedulers keyed as BullMQ’s', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const job = await queue.add('report', { r: 1 }, { repeat: { every: 100 }, jobId: 'daily', attempts: 2 });
  assert.equal(job.repeatJobKey, 'report:daily:::100');
  assert.equal(job.opts.attempts, 2);
  const again = await queue.add('report', { r: 1 }, { repeat: { every: 100 }, jobId: 'daily' });
  assert.equal(again.id, job.id, 'adding it again changes nothing');
  await queue.add('sync', {}, { repeat: { pattern: '0 */6 * * *', tz: 'Europe/Berlin' } });
  const listed = await queue.getRepeatableJobs();
  assert.deepEqual(listed.map((r) => r.key).sort(), ['report:daily:::100', 'sync:::Europe/Berlin:0 */6 * * *']);
  const report = listed.find((r) => r.name === 'report');
  assert.deepEqual(report, {
    key: 'report:daily:::100', name: 'report', id: 'daily', endDate: null, tz: null, pattern: null, every: '100',
    next: dueOf(job.id),
  });
  assert.deepEqual(listed.find((r) => r.name === 'sync'), {
    key: 'sync:::Europe/Berlin:0 */6 * * *', name: 'sync', endDate: null, tz: 'Europe/Berlin', pattern: '0 */6 * * *',
    every: null, next: listed.find((r) => r.name === 'sync').next,
  });

  const runs = [];
  recordingWorker(name, runs);
  await waitFor(() => runs.length >= 3, { what: 'three runs' });
  assert.ok(runs.every((r) => r.key === 'report:daily:::100'));

  assert.equal(await queue.removeRepeatable('report', { every: 100 }, 'daily'), true);
  const keyed = await queue.add('keyed', {}, { repeat: { every: 60000, key: 'my-key' } });
  assert.equal(keyed.repeatJobKey, 'my-key', 'repeat.key names the scheduler');
  assert.equal(await queue.removeRepeatable('keyed', { every: 60000, key: 'my-key' }), true);
  assert.equal(await queue.removeRepeatableByKey('sync:::Europe/Berlin:0 */6 * * *'), true);
  assert.equal(await queue.removeRepeatableByKey('sync:::Europe/Berlin:0 */6 * * *'), false);
  assert.equal(await queue.getJobSchedulersCount(), 0);
  await assert.rejects(queue.addBulk([{ name: 'x', data: {}, opts: { repeat: { every: 10 } } }]), UnsupportedError);
});

test('a scheduler’s waiting job is not removed alone (remove, drain, clean); obliterate removes schedulers', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const job = await queue.upsertJobScheduler('keep', { pattern: '0 0 1 1 *' });
  const now = await queue.upsertJobScheduler('now', { every: 60000 });
  const other = await queue.add('plain', {}, { delay: 60000 });
  const waiting = await queue.add('plain', {});
  await assert.rejects(job.remove(), (err) => err.code === 'ERR_JOB_STATE');
  await queue.drain(true);
  assert.equal(await queue.getJob(other.id), undefined);
  assert.equal(await queue.getJob(waiting.id), undefined);
  assert.equal(await queue.getJobState(job.id), 'delayed', 'drain left the scheduler’s delayed job');
  assert.equal(await queue.getJobState(now.id), 'waiting', 'and its waiting one');
  assert.deepEqual(await queue.clean(0, 100, 'delayed'), []);
  assert.deepEqual(await queue.clean(0, 100, 'wait'), []);
  assert.ok(await queue.getJob(job.id));
  await queue.obliterate();
  assert.equal(await queue.getJobSchedulersCount(), 0);
  assert.equal(await queue.getJobScheduler('keep'), undefined);
});

test('the stalled check (or an upsert) makes the next job a crashed worker did not', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const base = `ferroq:{${name}}:`;
  // What a worker that died right after taking a job leaves: the job taken (here
  // finished, so no stalled recovery takes it again) and its start mark.
  const crash = async (sid, id) => {
    await redis.simple(`LREM ${base}wait 1 ${id}`);
    await redis.simple(`HSET ${base}job:${id} state completed`);
    await redis.simple(`ZADD ${base}completed ${Date.now()} ${id}`);
    await redis.simple(`ZADD ${base}scheduled-starts ${Date.now() - 10000} ${sid}`);
  };
  // The same upsert again (an app restarting) makes the job that start would have
  // made, one interval on, not one at once.
  const first = await queue.upsertJobScheduler('u', { every: 60000 });
  await crash('u', first.id);
  const again = await queue.upsertJobScheduler('u', { every: 60000 });
  assert.equal(again.id, `repeat:u:${dueOf(first.id) + 60000}`);
  assert.equal(await pending(queue), 1);

  const job = await queue.upsertJobScheduler('c', { every: 60000 });
  await crash('c', job.id);
  assert.equal(await pending(queue), 1);
  track(new Worker(name, async () => {}, { connection: redis.url, stalledInterval: 200 }));
  await waitFor(async () => (await pending(queue)) === 2, { what: 'the next job' });
  const scheduler = await queue.getJobScheduler('c');
  assert.equal(scheduler.next, dueOf(job.id) + 60000);
  assert.ok(await queue.getJob(`repeat:c:${dueOf(job.id) + 60000}`));
});

test('an `every` change goes on from the waiting job; a due time that ran is not made again', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const first = await queue.upsertJobScheduler('e', { every: 60000 });
  assert.deepEqual(await queue.getJobScheduler('e'), {
    key: 'e', name: 'e', next: dueOf(first.id), iterationCount: 1, every: 60000, offset: 0,
  });
  const changed = await queue.upsertJobScheduler('e', { every: 120000 });
  assert.equal(changed.id, first.id, 'no extra run at once: the waiting job keeps its due time');
  assert.equal((await queue.getJobScheduler('e')).every, 120000);
  const manual = track(new Worker(name, null, { connection: redis.url }));
  const taken = await manual.getNextJob('token-1');
  assert.equal(taken.id, first.id);
  assert.ok(await queue.getJob(`repeat:e:${dueOf(first.id) + 120000}`), 'the next one, on the new interval');

  const cron = await queue.upsertJobScheduler('c', { pattern: '0 0 1 1 *' }, { data: { v: 1 } });
  await cron.promote();
  const running = await manual.getNextJob('token-2');
  assert.equal(running.id, cron.id);
  assert.equal(await queue.removeJobScheduler('c'), true);
  // Made again, its first due time is the one whose job runs now: refused, unchanged.
  await assert.rejects(queue.upsertJobScheduler('c', { pattern: '0 0 1 1 *' }), (err) => err.code === 'ERR_JOB_STATE');
  assert.equal(await queue.getJobScheduler('c'), undefined);
  assert.deepEqual(await queue.getJobScheduler('e').then((s) => s.template), undefined);
});
