'use strict';
// The scenarios, and the one runner every (scenario, library) pair goes through.
//
// A scenario is `{ id, title, n, rows, run(ctx) }`: `run` does the work through
// `ctx.lib` (BullMQ or ferroq, same code), checks that exactly `n` jobs made it, and
// returns one number per row. Anything that goes wrong (a count that does not add up,
// a rejected call, no progress for a while) makes that pair INVALID with the reason,
// instead of a number.
const { performance } = require('node:perf_hooks');
const { totalCalls, sleep } = require('./redis');

const now = () => performance.now();

/** Thrown when a run did not end with exactly the jobs it should have. */
class InvalidRun extends Error {}

/** Resolves to `promise`'s value, or to `fallback` after `ms` (for best-effort cleanup). */
function within(promise, ms, fallback) {
  let timer;
  const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(fallback), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const TIMED_OUT = Symbol('timed out');

/** What a scenario's `run` gets: the library, a fresh queue, and measuring helpers. */
class ScenarioContext {
  constructor(bench, spec, lib) {
    this.bench = bench;
    this.spec = spec;
    this.lib = lib;
    this.n = spec.n;
    // A fresh name per run: the two libraries and the scenarios never share keys,
    // even when FLUSHALL is not enough (a straggling client writing after it).
    this.name = `bench-${spec.id}-${lib.name}-${Date.now().toString(36)}`;
    this.closables = []; // queue and workers, closed in reverse order at the end
    this.queue = this._track(new lib.Queue(this.name, { connection: lib.connection }));
    this.phase('timed');
    this.failures = [];
    this.errors = [];
    this.notes = [];
  }

  _track(resource) {
    this.closables.push(resource);
    return resource;
  }

  /** Starts a phase ('pre-load', 'warm-up', 'timed'): the progress count starts again. */
  phase(name) {
    this.phaseName = name;
    this.done = 0; // jobs added or completed in this phase, for the stall watchdog
    this.lastProgressAt = now();
  }

  /** Counts `k` more jobs done; the watchdog only needs to see this move. */
  step(k = 1) {
    this.done += k;
    this.lastProgressAt = now();
  }

  /** A worker on this run's queue; failures and errors are recorded, not thrown. */
  worker(processor, opts) {
    const worker = new this.lib.Worker(this.name, processor, { connection: this.lib.connection, ...opts });
    worker.on('failed', (job, err) => this.failures.push(`job ${job && job.id}: ${err && err.message}`));
    worker.on('error', (err) => this.errors.push(err && err.message));
    return this._track(worker);
  }

  /** A QueueEvents on this run's queue, with its own connection; ready when resolved. */
  async queueEvents() {
    const events = this._track(new this.lib.QueueEvents(this.name, { connection: this.lib.connection }));
    events.on('error', (err) => this.errors.push(err && err.message));
    await events.waitUntilReady();
    return events;
  }

  /** Resolves once `worker` has emitted `completed` for `n` jobs that `filter` accepts. */
  completions(worker, n, filter = () => true) {
    return new Promise((resolve) => {
      let count = 0;
      const onCompleted = (job) => {
        if (!filter(job)) return;
        count += 1;
        this.step();
        if (count === n) {
          worker.off('completed', onCompleted);
          resolve();
        }
      };
      worker.on('completed', onCompleted);
    });
  }

  /** The number of jobs in `state`, through the library's own getJobCounts. */
  async count(state) {
    // Taking the only value keeps this independent of how a library names the key
    // ('wait' or 'waiting'), which has differed between versions.
    const counts = await this.queue.getJobCounts(state);
    return Object.values(counts)[0];
  }

  /** Throws InvalidRun unless exactly `n` jobs are in `state`. */
  async expectCount(state, n = this.n) {
    const found = await this.count(state);
    if (found !== n) throw new InvalidRun(`expected ${n} ${state} jobs, getJobCounts says ${found}`);
  }

  /**
   * Runs `fn` and returns `{ result, calls }`: the Redis commands executed meanwhile, from
   * INFO commandstats. The first INFO is itself counted by the second, hence the - 1.
   */
  async countCommands(fn) {
    const before = totalCalls(await this.bench.redis.call('INFO', 'commandstats'));
    const result = await fn();
    const after = totalCalls(await this.bench.redis.call('INFO', 'commandstats'));
    return { result, calls: after - before - 1 };
  }

  /** Adds `n` jobs `{ i }` with addBulk in batches of `batch`, one batch after the other. */
  async addInBatches(batch, n = this.n) {
    for (let start = 0; start < n; start += batch) {
      const size = Math.min(batch, n - start);
      await this.queue.addBulk(Array.from({ length: size }, (_, k) => ({ name: 'bench', data: { i: start + k } })));
      this.step(size);
    }
  }

  /** Pre-loads the jobs a process scenario works through (not timed), and checks them. */
  async preload() {
    this.phase('pre-load');
    await this.addInBatches(1000);
    await this.expectCount('waiting');
    this.phase('timed');
  }

  /**
   * Resolves or rejects with `promise`, or rejects when `done` has not moved for
   * `stallMs`: a hung run becomes an INVALID row that says how far it got.
   */
  watch(promise) {
    const { stallMs } = this.bench.config;
    let timer;
    const stalled = new Promise((_, reject) => {
      timer = setInterval(() => {
        const idle = now() - this.lastProgressAt;
        if (idle > stallMs) {
          const what = `${this.done} of ${this.phaseName === 'timed' ? this.n : '?'} jobs done`;
          reject(new InvalidRun(`no progress for ${(idle / 1000).toFixed(0)} s in the ${this.phaseName} phase, ${what}`));
        }
      }, 250);
    });
    return Promise.race([promise, stalled]).finally(() => clearInterval(timer));
  }

  /** Counts per state, as a short string for INVALID reasons (best effort). */
  async describeCounts() {
    const counts = await within(this.queue.getJobCounts().catch((err) => ({ error: err.message })), 5000, null);
    if (!counts) return 'getJobCounts() did not answer within 5 s';
    return Object.entries(counts).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(', ') || 'all states empty';
  }

  /** Closes workers (waiting for their active jobs), then the queue, each with a time limit. */
  async closeAll() {
    for (const resource of this.closables.slice().reverse()) {
      const kind = resource === this.queue ? 'queue' : 'worker';
      const closed = await within(Promise.resolve().then(() => resource.close()).catch((err) => err), 15_000, TIMED_OUT);
      if (closed === TIMED_OUT) {
        this.notes.push(`${kind}.close() did not resolve within 15 s`);
        this.bench.leaked = true;
      } else if (closed instanceof Error) {
        this.notes.push(`${kind}.close() rejected: ${closed.message}`);
      }
    }
  }
}

/**
 * Runs one scenario for one library on a fresh Redis and a fresh queue; returns
 * `{ values }` (one per row) or `{ invalid }` (why not), plus notes.
 */
async function runScenario(bench, spec, lib) {
  await bench.redis.call('FLUSHALL');
  const ctx = new ScenarioContext(bench, spec, lib);
  const started = now();
  let outcome;
  try {
    // Connect (and, for BullMQ, load the counting script) before anything is timed.
    await ctx.count('waiting');
    const values = await ctx.watch(spec.run(ctx));
    outcome = { values };
  } catch (err) {
    const reason = err instanceof InvalidRun ? err.message : `${err && err.name}: ${err && err.message}`;
    outcome = { invalid: `${reason}; counts now: ${await ctx.describeCounts()}` };
  }
  if (ctx.failures.length) ctx.notes.push(`${ctx.failures.length} failed attempts, first: ${ctx.failures[0]}`);
  if (ctx.errors.length) ctx.notes.push(`${ctx.errors.length} worker errors, first: ${ctx.errors[0]}`);
  await ctx.closeAll();
  return { ...outcome, notes: ctx.notes, seconds: (now() - started) / 1000 };
}

// ---------------------------------------------------------------------------------------
// The scenarios. `rows` say what each returned value is; `group` orders the table.

const rate = (n, ms) => n / (ms / 1000);

/** Times `fn`, which adds `ctx.n` jobs; checks they are all waiting; jobs/s and commands/job. */
async function timedAdds(ctx, fn) {
  const t0 = now();
  const { calls } = await ctx.countCommands(fn);
  const ms = now() - t0;
  await ctx.expectCount('waiting');
  return { rate: rate(ctx.n, ms), commands: calls / ctx.n };
}

function addSequential(n) {
  return {
    id: 'add-seq',
    title: 'add, one at a time',
    n,
    rows: [
      { key: 'rate', group: 'throughput', label: 'add, one at a time (`await add` in a loop)', unit: 'jobs/s' },
      { key: 'commands', group: 'commands', label: 'Redis commands per job: add, one at a time', unit: 'cmds/job' },
    ],
    run: (ctx) => timedAdds(ctx, async () => {
      for (let i = 0; i < ctx.n; i++) {
        await ctx.queue.add('bench', { i });
        ctx.step();
      }
    }),
  };
}

function addInFlight(n, inFlight = 100) {
  return {
    id: 'add-par',
    title: `add, ${inFlight} in flight`,
    n,
    rows: [{ key: 'rate', group: 'throughput', label: `add, ${inFlight} in flight`, unit: 'jobs/s' }],
    run: (ctx) => timedAdds(ctx, async () => {
      // `inFlight` lanes, each awaiting its add before starting the next: a steady
      // `inFlight` requests outstanding, as a busy web server would produce.
      let next = 0;
      const lane = async () => {
        while (next < ctx.n) {
          const i = next++;
          await ctx.queue.add('bench', { i });
          ctx.step();
        }
      };
      await Promise.all(Array.from({ length: inFlight }, lane));
    }),
  };
}

function addBulk(n, batch = 1000) {
  return {
    id: 'add-bulk',
    title: `addBulk, batches of ${batch}`,
    n,
    rows: [
      { key: 'rate', group: 'throughput', label: `addBulk, batches of ${batch.toLocaleString('en-US')}`, unit: 'jobs/s' },
      { key: 'commands', group: 'commands', label: `Redis commands per job: addBulk (batches of ${batch})`, unit: 'cmds/job' },
    ],
    run: (ctx) => timedAdds(ctx, () => ctx.addInBatches(batch)),
  };
}

function processJobs(n, concurrency, { withCommands = false } = {}) {
  const rows = [{ key: 'rate', group: 'throughput', label: `process no-op jobs, concurrency ${concurrency}`, unit: 'jobs/s' }];
  if (withCommands) {
    rows.push({ key: 'commands', group: 'commands', label: `Redis commands per job: process, concurrency ${concurrency}`, unit: 'cmds/job' });
  }
  return {
    id: `process-c${concurrency}`,
    title: `process, concurrency ${concurrency}`,
    n,
    rows,
    async run(ctx) {
      await ctx.preload();
      // Timed from the worker's construction (connecting is part of starting a worker)
      // to the n-th `completed` event.
      const t0 = now();
      const { calls } = await ctx.countCommands(async () => {
        const worker = ctx.worker(async () => 1, { concurrency });
        await ctx.completions(worker, ctx.n);
      });
      const ms = now() - t0;
      await ctx.expectCount('completed');
      return { rate: rate(ctx.n, ms), commands: calls / ctx.n };
    },
  };
}

/** Nearest-rank percentile of sorted `values`. */
function percentile(sorted, p) {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * An open-loop producer: job i is added at t0 + i / rate whether or not earlier adds
 * have resolved, so a slow queue shows up as latency instead of slowing the producer.
 * Records each job's send time in `sentAt`; returns the adds' promises.
 */
async function openLoopAdds(ctx, perSecond, sentAt) {
  const adds = [];
  const t0 = now();
  let i = 0;
  while (i < ctx.n) {
    const due = Math.min(ctx.n, Math.floor(((now() - t0) * perSecond) / 1000) + 1);
    for (; i < due; i++) {
      sentAt[i] = now();
      adds.push(ctx.queue.add('bench', { i }));
    }
    await sleep(1);
  }
  return { adds, producerSeconds: (now() - t0) / 1000 };
}

function latency(n, perSecond = 500, concurrency = 10, warmup = 20) {
  return {
    id: 'latency',
    title: `add→completed latency at ${perSecond} jobs/s`,
    n,
    rows: [
      { key: 'p50', group: 'latency', label: `add→completed latency p50, ${perSecond} jobs/s, concurrency ${concurrency}`, unit: 'ms' },
      { key: 'p99', group: 'latency', label: `add→completed latency p99, ${perSecond} jobs/s, concurrency ${concurrency}`, unit: 'ms' },
    ],
    async run(ctx) {
      const sentAt = new Float64Array(ctx.n);
      const latencies = new Float64Array(ctx.n).fill(NaN);
      const worker = ctx.worker(async () => 1, { concurrency });
      worker.on('completed', (job) => {
        const { i } = job.data;
        if (i >= 0 && Number.isNaN(latencies[i])) latencies[i] = now() - sentAt[i];
      });

      // Warm-up (not measured): connections open, scripts loaded, worker blocked in Redis.
      ctx.phase('warm-up');
      const warm = ctx.completions(worker, warmup, (job) => job.data.i < 0);
      await ctx.queue.addBulk(Array.from({ length: warmup }, () => ({ name: 'warmup', data: { i: -1 } })));
      await warm;
      ctx.phase('timed');

      const measured = ctx.completions(worker, ctx.n, (job) => job.data.i >= 0);
      const { adds, producerSeconds } = await openLoopAdds(ctx, perSecond, sentAt);
      await Promise.all(adds);
      await measured;
      ctx.notes.push(`producer sent ${ctx.n} jobs in ${producerSeconds.toFixed(2)} s (${Math.round(ctx.n / producerSeconds)} jobs/s)`);

      await ctx.expectCount('completed', ctx.n + warmup);
      const sorted = Array.from(latencies).sort((a, b) => a - b);
      if (sorted.some(Number.isNaN)) throw new InvalidRun('some jobs completed without a latency sample');
      return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
    },
  };
}

/**
 * add→completed as another process would learn it: the producer hears of each
 * completion through a QueueEvents on its own connection (the event stream), not
 * through the worker's local event.
 */
function latencyThroughEvents(n, perSecond = 500, concurrency = 10, warmup = 20) {
  const where = `${perSecond} jobs/s, concurrency ${concurrency}, through QueueEvents`;
  return {
    id: 'latency-events',
    title: `add→completed latency at ${perSecond} jobs/s, heard through QueueEvents`,
    n,
    rows: [
      { key: 'p50', group: 'latency', label: `add→completed latency p50, ${where}`, unit: 'ms' },
      { key: 'p99', group: 'latency', label: `add→completed latency p99, ${where}`, unit: 'ms' },
    ],
    async run(ctx) {
      const events = await ctx.queueEvents();
      const heardAt = new Map(); // job id → when its `completed` event arrived
      events.on('completed', ({ jobId }) => {
        if (!heardAt.has(jobId)) heardAt.set(jobId, now());
        ctx.step();
      });
      const worker = ctx.worker(async () => 1, { concurrency });

      ctx.phase('warm-up');
      const warm = ctx.completions(worker, warmup);
      await ctx.queue.addBulk(Array.from({ length: warmup }, () => ({ name: 'warmup', data: { i: -1 } })));
      await warm;
      ctx.phase('timed');

      const sentAt = new Float64Array(ctx.n);
      const { adds } = await openLoopAdds(ctx, perSecond, sentAt);
      const jobs = await Promise.all(adds);
      const ids = jobs.map((job) => String(job.id));
      while (ids.some((id) => !heardAt.has(id))) await sleep(5);
      await ctx.expectCount('completed', ctx.n + warmup);
      const sorted = ids.map((id, k) => heardAt.get(id) - sentAt[k]).sort((a, b) => a - b);
      return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
    },
  };
}

/**
 * Ten queues, each with its own worker and `limiter` (max jobs per duration): how
 * close each library comes to the rate the limits allow, and what Redis spends per
 * job meanwhile. `n` jobs in all, pre-loaded, no-op processors.
 */
function rateLimited(n, queues = 10, limiter = { max: 50, duration: 100 }) {
  const allowed = queues * limiter.max * (1000 / limiter.duration);
  return {
    id: 'limited',
    title: `${queues} queues, each limited to ${limiter.max} per ${limiter.duration} ms`,
    n,
    rows: [
      { key: 'rate', group: 'throughput', label: `${queues} queues, each with a limiter of ${limiter.max} jobs per ${limiter.duration} ms (${allowed.toLocaleString('en-US')} jobs/s allowed)`, unit: 'jobs/s' },
      { key: 'commands', group: 'commands', label: `Redis commands per job: ${queues} rate-limited queues`, unit: 'cmds/job' },
    ],
    async run(ctx) {
      const per = Math.floor(ctx.n / queues);
      const names = Array.from({ length: queues }, (_, q) => `${ctx.name}-${q}`);
      const extra = names.map((name) => ctx._track(new ctx.lib.Queue(name, { connection: ctx.lib.connection })));
      ctx.phase('pre-load');
      for (const queue of extra) {
        for (let start = 0; start < per; start += 1000) {
          const size = Math.min(1000, per - start);
          await queue.addBulk(Array.from({ length: size }, (_, k) => ({ name: 'bench', data: { i: start + k } })));
          ctx.step(size);
        }
      }
      ctx.phase('timed');
      const t0 = now();
      const { calls } = await ctx.countCommands(async () => {
        await Promise.all(names.map((name) => {
          const worker = ctx._track(new ctx.lib.Worker(name, async () => 1, {
            connection: ctx.lib.connection, concurrency: limiter.max, limiter,
          }));
          worker.on('failed', (job, err) => ctx.failures.push(`job ${job && job.id}: ${err && err.message}`));
          worker.on('error', (err) => ctx.errors.push(err && err.message));
          return ctx.completions(worker, per);
        }));
      });
      const ms = now() - t0;
      for (const queue of extra) {
        const done = Object.values(await queue.getJobCounts('completed'))[0];
        if (done !== per) throw new InvalidRun(`expected ${per} completed jobs in each queue, one has ${done}`);
      }
      return { rate: rate(per * queues, ms), commands: calls / (per * queues) };
    },
  };
}

/**
 * One job scheduler with `every` ms feeding a worker (concurrency 1): how close each
 * library comes to the schedule's rate, and what Redis spends per job made and run.
 * Timed from the upsert to the `n`-th completion.
 */
function scheduled(n, every = 10) {
  return {
    id: 'scheduled',
    title: `one job scheduler, every ${every} ms`,
    n,
    rows: [
      { key: 'rate', group: 'throughput', label: `one job scheduler with every: ${every} ms feeding a worker (${(1000 / every).toLocaleString('en-US')} jobs/s scheduled)`, unit: 'jobs/s' },
      { key: 'commands', group: 'commands', label: `Redis commands per job: one job scheduler, every ${every} ms`, unit: 'cmds/job' },
    ],
    async run(ctx) {
      ctx.phase('timed');
      const worker = ctx.worker(async () => 1, { concurrency: 1 });
      await worker.waitUntilReady();
      const t0 = now();
      const { calls } = await ctx.countCommands(async () => {
        const done = ctx.completions(worker, ctx.n, (job) => job.repeatJobKey === 'tick');
        await ctx.queue.upsertJobScheduler('tick', { every }, { name: 'bench', data: {} });
        await done;
      });
      const ms = now() - t0;
      await ctx.queue.removeJobScheduler('tick');
      const made = await ctx.count('completed');
      if (made < ctx.n) throw new InvalidRun(`expected ${ctx.n} completed jobs, getJobCounts says ${made}`);
      return { rate: rate(ctx.n, ms), commands: calls / ctx.n };
    },
  };
}

/** Every scenario, in the order they run, for the job counts `n`. */
function allScenarios(n) {
  return [
    addSequential(n.addSequential),
    addInFlight(n.addInFlight),
    addBulk(n.addBulk),
    processJobs(n.process, 1),
    processJobs(n.process, 10, { withCommands: true }),
    processJobs(n.process, 100),
    latency(n.latency, n.latencyRate),
    latencyThroughEvents(n.latency, n.latencyRate),
    rateLimited(n.limited),
    scheduled(n.scheduled),
  ];
}

module.exports = { allScenarios, runScenario };
