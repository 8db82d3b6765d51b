'use strict';
// Turns the results into the Markdown report: a header saying what ran where, the
// comparison table, its footnotes, and one line per run (time taken, notes, and the
// reason for any INVALID cell).

const GROUPS = [
  { id: 'throughput', better: 'higher' },
  { id: 'latency', better: 'lower' },
  { id: 'commands', better: 'lower' },
];

function formatValue(value, unit) {
  if (unit === 'jobs/s') return Math.round(value).toLocaleString('en-US');
  if (unit === 'ms') return value < 10 ? value.toFixed(2) : value.toFixed(1);
  return value.toFixed(2);
}

function cell(outcome, row) {
  if (!outcome) return 'not run';
  if (outcome.invalid) return '**INVALID**';
  return `${formatValue(outcome.values[row.key], row.unit)} ${row.unit}`;
}

function ratioCell(bullmq, ferroq, row, better) {
  const valid = (o) => o && !o.invalid && Number.isFinite(o.values[row.key]);
  if (!valid(bullmq) || !valid(ferroq) || bullmq.values[row.key] === 0) return '–';
  const ratio = ferroq.values[row.key] / bullmq.values[row.key];
  return better === 'lower' ? `${ratio.toFixed(2)}× (lower is better)` : `${ratio.toFixed(2)}×`;
}

/** The comparison table: one line per row of every scenario, grouped. */
function table(results) {
  const lines = ['| scenario | BullMQ | ferroq | ferroq ÷ BullMQ |', '| --- | ---: | ---: | ---: |'];
  for (const group of GROUPS) {
    for (const { spec, byLib } of results) {
      for (const row of spec.rows.filter((r) => r.group === group.id)) {
        const n = spec.n.toLocaleString('en-US');
        lines.push(`| ${row.label} (n = ${n}) | ${cell(byLib.bullmq, row)} | ${cell(byLib.ferroq, row)} | ${ratioCell(byLib.bullmq, byLib.ferroq, row, group.better)} |`);
      }
    }
  }
  return lines.join('\n');
}

const footnotes = (env) => [
  'Throughput rows: higher is better, so a ratio above 1 means ferroq is faster. Latency and commands rows: lower is better.',
  `Each cell is the median of ${env.repeat} run(s) (BENCH_REPEAT), each on a fresh queue name after FLUSHALL; BullMQ and ferroq take turns, one scenario at a time, both in this one Node process against the same private redis-server (no persistence).`,
  'Every run checks its count at the end (`getJobCounts`: exactly n `waiting` after adds, n `completed` after processing); a run that does not add up, rejects, or makes no progress for the stall limit is **INVALID**, with the reason under "Runs".',
  'process: n jobs pre-loaded with addBulk (not timed), then timed from `new Worker(...)` to the n-th `completed` event; the processor is `async () => 1`.',
  'latency: `completed`-event time − the time just before `add`, both `performance.now()` in this process; an open-loop producer adds one job every 1/rate s without waiting for earlier adds; a warm-up of 20 jobs runs first and is not measured.',
  'Redis commands per job: the delta of the sum of `calls` over every `cmdstat_*` line of `INFO commandstats` across the timed phase, minus the bench\'s own INFO, divided by n. Commands run by Lua scripts (`redis.call` inside EVALSHA) are counted too, in addition to the EVALSHA itself: that is the work Redis really does, so the sum is reported as is. The process figure includes whatever the worker does meanwhile besides jobs (connecting, lock renewal, stalled checks, blocking waits).',
  'Both libraries use their defaults (jobs kept after completion), BullMQ with `{ connection: { host, port, maxRetriesPerRequest: null } }`, ferroq with `{ connection: \'redis://127.0.0.1:PORT\' }`.',
];

function runLines(results) {
  const lines = [];
  for (const { spec, byLib } of results) {
    for (const [lib, outcome] of Object.entries(byLib)) {
      const parts = [`took ${outcome.seconds.toFixed(1)} s in all`];
      if (outcome.invalid) parts.push(`INVALID: ${outcome.invalid}`);
      parts.push(...outcome.notes);
      lines.push(`- ${spec.title}, ${lib}: ${parts.join('; ')}`);
    }
  }
  return lines.join('\n');
}

function header(env) {
  return [
    '# ferroq vs BullMQ',
    '',
    `- date: ${env.date}`,
    `- node ${env.node}, redis-server ${env.redis}, ${env.cpus} CPU(s): ${env.cpuModel}`,
    `- ${env.libraries}`,
    `- job counts (BENCH_SCALE=${env.scale}): ${env.counts}; ${env.repeat} run(s) of each, medians shown`,
    `- bench time: ${env.totalSeconds.toFixed(0)} s`,
  ].join('\n');
}

/** The whole report as Markdown. */
function renderReport(results, env) {
  return [
    header(env),
    '',
    table(results),
    '',
    footnotes(env).map((f, i) => `${i + 1}. ${f}`).join('\n'),
    '',
    '## Runs',
    '',
    runLines(results),
    '',
  ].join('\n');
}

module.exports = { renderReport };
