// A typed BullMQ app compiles against index.d.ts unchanged (but for the import): the same
// app.ts is compiled against BullMQ's own types too, which proves it is one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');

function compile(config) {
  const project = fileURLToPath(new URL(`./types/${config}`, import.meta.url));
  return spawnSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8' });
}

test("the app compiles against BullMQ's types (it is a BullMQ app)", () => {
  const run = compile('tsconfig.bullmq.json');
  assert.equal(run.status, 0, run.stdout + run.stderr);
});

test("the same app, and ferroq's extensions, compile against index.d.ts", () => {
  const run = compile('tsconfig.json');
  assert.equal(run.status, 0, run.stdout + run.stderr);
});
