'use strict';
// npm run bench: ferroq and BullMQ side by side, the same scenarios through the same
// code, against one private redis-server that this script starts and always kills.
// Prints a Markdown report and writes it to bench/results/latest.md. See bench/README.md.
//
// Environment:
//   BENCH_SCALE=0.05     multiplies every job count (a quick smoke run)
//   BENCH_LIBS=ferroq    run only these libraries (comma-separated: bullmq,ferroq)
//   BENCH_STALL_MS=30000 a run that makes no progress for this long is INVALID
//   BENCH_REPEAT=3       runs of each scenario per library (taking turns); cells are medians
//   BENCH_ONLY=scheduled run only these scenarios (comma-separated ids; the report is partial)
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { startRedisServer, RespClient, infoField } = require('./redis');
const { allScenarios, runScenario } = require('./scenarios');
const { renderReport } = require('./report');

const RESULTS = path.join(__dirname, 'results', 'latest.md');

/** A problem with the setup, not the bench: printed without a stack trace. */
class SetupError extends Error {}

function readConfig(env = process.env) {
  const scale = env.BENCH_SCALE === undefined ? 1 : Number(env.BENCH_SCALE);
  if (!(scale > 0)) throw new SetupError(`BENCH_SCALE must be a positive number, got ${env.BENCH_SCALE}`);
  const scaled = (n) => Math.max(1, Math.round(n * scale));
  return {
    scale,
    stallMs: Number(env.BENCH_STALL_MS) || 30_000,
    repeat: Math.max(1, Math.round(Number(env.BENCH_REPEAT) || 3)),
    only: env.BENCH_ONLY ? env.BENCH_ONLY.split(',').map((s) => s.trim()) : null,
    libs: (env.BENCH_LIBS || 'bullmq,ferroq').split(',').map((s) => s.trim()).filter(Boolean),
    n: {
      addSequential: scaled(5_000),
      addInFlight: scaled(20_000),
      addBulk: scaled(50_000),
      process: scaled(20_000),
      // 5 000 jobs at 500/s is 10 s of steady load; scaling shortens it, the rate stays.
      latency: scaled(5_000),
      latencyRate: 500,
      // 10 queues × 500 jobs/s allowed: about 2 s of limited work at scale 1.
      limited: scaled(10_000),
      // 300 jobs at the 100/s a scheduler with every: 10 ms makes: about 3 s.
      scheduled: scaled(300),
    },
  };
}

function describeCounts(n) {
  return [
    `add one at a time ${n.addSequential}`,
    `add 100 in flight ${n.addInFlight}`,
    `addBulk ${n.addBulk}`,
    `process ${n.process} per concurrency`,
    `latency ${n.latency} at ${n.latencyRate}/s`,
    `rate-limited ${n.limited} over 10 queues`,
    `scheduled ${n.scheduled} at every 10 ms`,
  ].join(', ');
}

function packageVersion(name) {
  try {
    return require(`${name}/package.json`).version;
  } catch {
    // Packages with an `exports` map hide package.json; find it next to the entry point.
    let dir = path.dirname(require.resolve(name));
    while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
    return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  }
}

/** The adapters the scenarios run through: `{ name, Queue, Worker, QueueEvents, connection, version }`. */
function loadLibraries(names, server) {
  const known = {
    bullmq() {
      // BullMQ 6 declares ioredis as an optional peer dependency and loads it lazily:
      // fail here, clearly, rather than with every run INVALID.
      try {
        require.resolve('ioredis');
      } catch {
        throw new SetupError(
          "BullMQ needs its (optional peer) dependency 'ioredis', which is not installed. " +
            'Install it (npm install --save-dev ioredis), put a node_modules that has it on NODE_PATH, ' +
            'or run ferroq alone with BENCH_LIBS=ferroq.',
        );
      }
      const { Queue, Worker, QueueEvents } = require('bullmq');
      return {
        Queue,
        Worker,
        QueueEvents,
        connection: { host: server.host, port: server.port, maxRetriesPerRequest: null },
        version: `bullmq ${packageVersion('bullmq')} (ioredis ${packageVersion('ioredis')})`,
      };
    },
    ferroq() {
      const { Queue, Worker, QueueEvents } = require('..');
      return { Queue, Worker, QueueEvents, connection: server.url, version: `ferroq ${require('../package.json').version}${gitRevision()}` };
    },
  };
  return names.map((name) => {
    if (!known[name]) throw new SetupError(`BENCH_LIBS: unknown library ${JSON.stringify(name)} (known: bullmq, ferroq)`);
    return { name, ...known[name]() };
  });
}

/** " at <commit>[ + uncommitted changes]", so a result can be matched to the engine it measured. */
function gitRevision() {
  try {
    const git = (...args) => execFileSync('git', args, { cwd: path.join(__dirname, '..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = git('status', '--porcelain', '--untracked-files=no') ? ' + uncommitted changes' : '';
    return ` at ${git('rev-parse', '--short', 'HEAD')}${dirty}`;
  } catch {
    return '';
  }
}

function formatRun(spec, lib, outcome) {
  if (outcome.invalid) return `INVALID: ${outcome.invalid}`;
  return spec.rows.map((row) => `${row.key} ${outcome.values[row.key].toFixed(row.unit === 'jobs/s' ? 0 : 2)} ${row.unit}`).join(', ');
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** One outcome from several runs: the median of each figure; INVALID if any run was. */
function combineRuns(spec, runs) {
  const invalid = runs.find((run) => run.invalid);
  if (invalid) return invalid;
  const values = Object.fromEntries(spec.rows.map((row) => [row.key, median(runs.map((run) => run.values[row.key]))]));
  return {
    ...runs[0],
    values,
    seconds: runs.reduce((sum, run) => sum + run.seconds, 0),
    notes: runs.flatMap((run) => run.notes),
  };
}

async function runAll(bench, libs) {
  const { only } = bench.config;
  const scenarios = allScenarios(bench.config.n).filter((spec) => !only || only.includes(spec.id));
  const results = [];
  for (const [index, spec] of scenarios.entries()) {
    const runs = Object.fromEntries(libs.map((lib) => [lib.name, []]));
    // The libraries take turns, so a slow spell of the machine hits both alike.
    for (let round = 1; round <= bench.config.repeat; round += 1) {
      for (const lib of libs) {
        const outcome = await runScenario(bench, spec, lib);
        runs[lib.name].push(outcome);
        const notes = outcome.notes.length ? ` [${outcome.notes.join('; ')}]` : '';
        console.error(`[${index + 1}/${scenarios.length}, run ${round}] ${spec.title} (n=${spec.n}) ${lib.name}: ${formatRun(spec, lib, outcome)} (${outcome.seconds.toFixed(1)} s)${notes}`);
      }
    }
    const byLib = Object.fromEntries(libs.map((lib) => [lib.name, combineRuns(spec, runs[lib.name])]));
    results.push({ spec, byLib });
  }
  return results;
}

function writeResults(markdown) {
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  // Write then rename, so an interrupted run never leaves half a report behind.
  const tmp = `${RESULTS}.tmp`;
  fs.writeFileSync(tmp, markdown);
  fs.renameSync(tmp, RESULTS);
}

async function main() {
  const started = performance.now();
  const config = readConfig();
  const server = await startRedisServer();
  // However the process ends, the private redis-server goes with it.
  process.on('exit', () => server.killSync());
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      console.error(`bench: ${signal}, stopping redis-server`);
      process.exit(130);
    });
  }

  const redis = await RespClient.connect(server.port);
  try {
    const libs = loadLibraries(config.libs, server);
    const bench = { config, redis, leaked: false };
    console.error(`bench: redis-server on port ${server.port}; ${libs.map((l) => l.version).join(', ')}; ${describeCounts(config.n)}`);
    const results = await runAll(bench, libs);

    const markdown = renderReport(results, {
      date: new Date().toISOString(),
      node: process.version,
      redis: infoField(await redis.call('INFO', 'server'), 'redis_version'),
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0] ? os.cpus()[0].model : 'unknown',
      libraries: libs.map((l) => l.version).join('; '),
      scale: config.scale,
      repeat: config.repeat,
      counts: describeCounts(config.n),
      totalSeconds: (performance.now() - started) / 1000,
    });
    writeResults(markdown);
    console.log(markdown);
    console.error(`bench: wrote ${path.relative(process.cwd(), RESULTS)}`);
    if (results.some((r) => Object.values(r.byLib).some((o) => o.invalid))) process.exitCode = 1;
    if (bench.leaked) {
      console.error('bench: a close() did not finish; see the notes above');
      process.exitCode = 1;
    }
  } finally {
    redis.close();
    await server.stop();
  }

  // Everything is closed, so the process should now exit on its own. If a queue or
  // worker still holds the event loop open, say so instead of hanging silently.
  setTimeout(() => {
    console.error('bench: the process did not exit 5 s after closing every queue and worker; something still holds it open. Exiting.');
    process.exit(process.exitCode || 1);
  }, 5000).unref();
}

main().catch((err) => {
  console.error(`bench: ${err instanceof SetupError || !(err && err.stack) ? err.message || err : err.stack}`);
  process.exit(1);
});
