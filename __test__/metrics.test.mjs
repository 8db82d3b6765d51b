// Metrics: jobs finished per minute (BullMQ's getMetrics shape) and Prometheus text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileRedis, waitFor } from './helpers/redis.mjs';

const require = createRequire(import.meta.url);
const { Queue, Worker, InvalidOptionError } = require('../index.js');

const { redis, fresh, track } = fileRedis('metrics');

test('a worker with metrics counts the jobs it finishes; getMetrics and exportPrometheusMetrics read them', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const empty = await queue.getMetrics('completed');
  assert.deepEqual(empty, { meta: { count: 0, prevTS: 0, prevCount: 0 }, data: [], count: 0 });
  await assert.rejects(queue.getMetrics('finished'), InvalidOptionError);
  assert.throws(() => new Worker(name, async () => 1, { connection: redis.url, metrics: { maxDataPoints: 0 } }), InvalidOptionError);

  const worker = track(new Worker(name, async (job) => {
    if (job.data.fail) throw new Error('no');
    return 1;
  }, { connection: redis.url, concurrency: 5, metrics: { maxDataPoints: 60 } }));
  await queue.addBulk([
    ...Array.from({ length: 7 }, () => ({ name: 'ok', data: {} })),
    ...Array.from({ length: 3 }, () => ({ name: 'bad', data: { fail: true } })),
  ]);
  await waitFor(async () => {
    const counts = await queue.getJobCounts('completed', 'failed');
    return counts.completed === 7 && counts.failed === 3;
  }, { what: 'all done' });
  await worker.close();
  const completed = await queue.getMetrics('completed');
  const failed = await queue.getMetrics('failed');
  assert.equal(completed.meta.count, 7);
  assert.equal(failed.meta.count, 3);
  const minute = Math.floor(Date.now() / 60000) * 60000;
  assert.ok(completed.meta.prevTS === minute || completed.meta.prevTS === minute - 60000, 'this minute is being counted');

  const text = await queue.exportPrometheusMetrics({ app: 'lessons', 'bad-name': 'a"b' });
  assert.match(text, new RegExp(`bullmq_job_count\\{queue="${name}",app="lessons",bad_name="a\\\\"b",state="completed"\\} 7`));
  assert.match(text, /# TYPE ferroq_jobs_finished_total counter/);
  assert.match(text, new RegExp(`ferroq_jobs_finished_total\\{queue="${name}",app="lessons",bad_name="a\\\\"b",state="failed"\\} 3`));
  assert.match(text, /# TYPE ferroq_job_duration_seconds histogram/);
  assert.match(text, new RegExp(`ferroq_job_duration_seconds_bucket\\{queue="${name}",app="lessons",bad_name="a\\\\"b",le="\\+Inf"\\} 10`));
  assert.match(text, new RegExp(`ferroq_job_duration_seconds_count\\{queue="${name}",app="lessons",bad_name="a\\\\"b"\\} 10`));
  const le = [...text.matchAll(/ferroq_job_duration_seconds_bucket\{[^}]*le="([^"]+)"\} (\d+)/g)].map((m) => Number(m[2]));
  assert.deepEqual(le, [...le].sort((a, b) => a - b), 'buckets are cumulative');
});

test('a new minute closes the ones before it: the counted minute, then a zero per quiet minute, at most maxDataPoints', async () => {
  const name = fresh();
  const queue = track(new Queue(name, { connection: redis.url }));
  const summary = `ferroq:{${name}}:metrics:completed`;
  const minute = () => Math.floor(Date.now() / 60000) * 60000;
  const runJobs = async (n, maxDataPoints) => {
    const before = (await queue.getJobCounts('completed')).completed;
    const worker = track(new Worker(name, async () => 1, { connection: redis.url, metrics: { maxDataPoints } }));
    await queue.addBulk(Array.from({ length: n }, () => ({ name: 'ok', data: {} })));
    await waitFor(async () => (await queue.getJobCounts('completed')).completed === before + n, { what: `${n} done` });
    await worker.close();
  };
  await runJobs(7, 60);
  // As if those 7 had finished three minutes ago (the worker counted them then).
  const start = minute();
  await redis.simple(`HSET ${summary} prevTS ${start - 3 * 60000} prevCount 0`);
  await runJobs(2, 60);
  let metrics = await queue.getMetrics('completed');
  if (minute() === start) {
    // (When the clock crossed a minute meanwhile, one more quiet minute was closed.)
    assert.deepEqual(metrics.data, [0, 0, 7], 'the minute of the 7, then two quiet ones, newest first');
    assert.deepEqual(metrics.meta, { count: 9, prevTS: start, prevCount: 7 });
  }
  assert.equal(metrics.meta.count, 9);
  assert.ok(metrics.data.includes(7));

  // A long quiet spell keeps only maxDataPoints minutes.
  await redis.simple(`HSET ${summary} prevTS ${minute() - 500 * 60000}`);
  await runJobs(1, 60);
  metrics = await queue.getMetrics('completed');
  assert.equal(metrics.data.length, 60);
  assert.equal(metrics.count, 60);
});
