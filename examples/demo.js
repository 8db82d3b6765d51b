'use strict';
// npm run demo: a producer and a worker on one queue, with live per-state counts.
// Uses REDIS_URL when set; otherwise starts a private redis-server (if installed).
const { spawn, spawnSync } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { Queue, Worker } = require('..');

const TOTAL = 2000;

function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function privateRedis() {
  if (spawnSync('redis-server', ['--version']).error) {
    console.error('ferroq demo: set REDIS_URL, or install Redis (Debian/Ubuntu: sudo apt-get install -y redis-server).');
    process.exit(1);
  }
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ferroq-demo-'));
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 200; i++) {
    const up = await new Promise((r) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); r(true); }).on('error', () => r(false));
    });
    if (up) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => { proc.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); },
  };
}

async function main() {
  const redis = process.env.REDIS_URL ? { url: process.env.REDIS_URL, stop() {} } : await privateRedis();
  const connection = redis.url;
  const name = `demo-${Date.now()}`;
  const queue = new Queue(name, { connection });

  // The producer: plain jobs, delayed ones, prioritized ones, and some that fail once.
  const jobs = Array.from({ length: TOTAL }, (_, i) => ({
    name: 'render',
    data: { page: i, flaky: i % 10 === 0 },
    opts: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 200 },
      ...(i % 7 === 0 ? { delay: 500 + (i % 5) * 300 } : {}),
      ...(i % 11 === 0 ? { priority: 1 + (i % 3) } : {}),
    },
  }));
  await queue.addBulk(jobs);

  // The worker: what your worker.js would hold.
  const worker = new Worker(name, async (job) => {
    await new Promise((r) => setTimeout(r, 2 + Math.random() * 8));
    if (job.data.flaky && job.attemptsMade === 0) throw new Error('flaky page, retrying');
    await job.updateProgress(100);
    return { rendered: job.data.page };
  }, { connection, concurrency: 20 });
  let failedAttempts = 0;
  worker.on('failed', () => { failedAttempts += 1; });

  const started = Date.now();
  const tty = process.stdout.isTTY;
  for (;;) {
    const c = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed');
    const line = `waiting ${c.waiting}  prioritized ${c.prioritized}  delayed ${c.delayed}  active ${c.active}  ` +
      `completed ${c.completed}  failed ${c.failed}  (failed attempts retried: ${failedAttempts})`;
    process.stdout.write(tty ? `\r${line}   ` : `${line}\n`);
    if (c.completed + c.failed === TOTAL) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  process.stdout.write(`\nAll ${TOTAL} jobs finished in ${Date.now() - started} ms.\n`);
  await worker.close();
  await queue.close();
  redis.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
