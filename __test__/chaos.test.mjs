// Nothing lost under crashes and Redis faults: worker processes are SIGKILLed and
// replaced, Redis is killed and restarted, jobs fail, retry, wait and carry priorities;
// every accepted job still ends completed (with its value) or failed (with a reason).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { RedisServer, waitFor } from './helpers/redis.mjs';

const require = createRequire(import.meta.url);
const { Queue } = require('../index.js');
const workerScript = fileURLToPath(new URL('./fixtures/chaos-worker.js', import.meta.url));

const children = [];
after(() => { for (const child of children) child.kill('SIGKILL'); });

test('SIGKILLed workers and a Redis restart lose no job and spend no attempt wrongly', async () => {
  const server = await RedisServer.start({ persistent: true });
  const name = `chaos-${process.pid}`;
  const queue = new Queue(name, { connection: server.url });
  const startWorker = (concurrency) => {
    const child = spawn(process.execPath, [workerScript, name, server.url, String(concurrency)], { stdio: 'ignore' });
    children.push(child);
    return child;
  };
  try {
    const total = 2000;
    const jobs = Array.from({ length: total }, (_, n) => ({
      name: 'j',
      data: { n, fail: n % 10 === 0 ? 'always' : n % 7 === 0 ? 'once' : 'no' },
      opts: {
        attempts: 2,
        backoff: 50,
        ...(n % 5 === 0 ? { priority: 1 + (n % 3) } : {}),
        ...(n % 11 === 0 ? { delay: 200 } : {}),
      },
    }));
    for (let i = 0; i < total; i += 500) await queue.addBulk(jobs.slice(i, i + 500));
    const finished = async () => {
      try {
        const { completed, failed } = await queue.getJobCounts('completed', 'failed');
        return completed + failed;
      } catch {
        return -1; // Redis is down just now
      }
    };
    const [first, , third] = [startWorker(10), startWorker(1), startWorker(100)];

    await waitFor(async () => (await finished()) > 300, { timeoutMs: 30000, what: '300 finished' });
    first.kill('SIGKILL');
    startWorker(10);
    await waitFor(async () => (await finished()) > 800, { timeoutMs: 30000, what: '800 finished' });
    await server.kill();
    await new Promise((r) => setTimeout(r, 700)); // the outage
    await server.restart();
    await waitFor(async () => (await finished()) > 1200, { timeoutMs: 30000, what: '1200 finished' });
    third.kill('SIGKILL');
    startWorker(50);
    await waitFor(async () => (await finished()) === total, { timeoutMs: 60000, what: `all ${total} finished` });

    const alwaysFailing = jobs.filter((j) => j.data.fail === 'always').length;
    assert.deepEqual(await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'), {
      waiting: 0, active: 0, delayed: 0, prioritized: 0, completed: total - alwaysFailing, failed: alwaysFailing,
    });
    const failed = await queue.getJobs(['failed'], 0, -1);
    assert.ok(failed.every((j) => j.data.fail === 'always' && j.failedReason === 'always fails' && j.attemptsMade === 2));
    const completed = await queue.getJobs(['completed'], 0, -1);
    assert.ok(completed.every((j) => j.returnvalue === j.data.n), 'every completed job carries its own value');
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await queue.close();
    await server.stop();
  }
});

test('a job scheduler goes on across SIGKILLed workers and a Redis restart: one job per due time, none lost', async () => {
  const server = await RedisServer.start({ persistent: true });
  const name = `chaos-scheduler-${process.pid}`;
  const queue = new Queue(name, { connection: server.url });
  const startWorker = (concurrency) => {
    const child = spawn(process.execPath, [workerScript, name, server.url, String(concurrency)], { stdio: 'ignore' });
    children.push(child);
    return child;
  };
  const completed = async () => {
    try {
      return (await queue.getJobCounts('completed')).completed;
    } catch {
      return -1; // Redis is down just now
    }
  };
  try {
    await queue.upsertJobScheduler('beat', { every: 100 }, { name: 'beat', data: { n: 7 } });
    const [first] = [startWorker(2), startWorker(2)];
    await waitFor(async () => (await completed()) >= 10, { timeoutMs: 30000, what: '10 runs' });
    first.kill('SIGKILL');
    startWorker(2);
    await waitFor(async () => (await completed()) >= 20, { timeoutMs: 30000, what: '20 runs' });
    await server.kill();
    await new Promise((r) => setTimeout(r, 700)); // the outage
    await server.restart();
    const afterOutage = await completed();
    await waitFor(async () => (await completed()) >= afterOutage + 10, { timeoutMs: 30000, what: '10 runs after the outage' });
    const { iterationCount } = await queue.getJobScheduler('beat');
    assert.equal(await queue.removeJobScheduler('beat'), true);
    // A job killed mid-run comes back as stalled and completes; nothing is left over.
    await waitFor(async () => {
      const { waiting, active, delayed } = await queue.getJobCounts('waiting', 'active', 'delayed');
      return waiting + active + delayed === 0;
    }, { timeoutMs: 30000, what: 'every job made to finish' });
    const jobs = await queue.getJobs(['completed'], 0, -1);
    assert.equal((await queue.getJobCounts('failed')).failed, 0);
    assert.ok(jobs.length >= iterationCount - 1, `every job made ran (${jobs.length} of ${iterationCount})`);
    assert.ok(jobs.every((j) => j.repeatJobKey === 'beat' && j.returnvalue === 7));
    const dues = jobs.map((j) => Number(j.id.split(':').pop())).sort((a, b) => a - b);
    for (let i = 1; i < dues.length; i++) {
      const gap = dues[i] - dues[i - 1];
      assert.ok(gap >= 100 && gap % 100 === 0, `one job per due time, in phase (gap ${gap} ms)`);
    }
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await queue.close();
    await server.stop();
  }
});
