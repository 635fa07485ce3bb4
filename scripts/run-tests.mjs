#!/usr/bin/env node
// Runs the whole suite with node's test runner (Node 20 takes file paths, not globs).
// Starts one shared local Tahoe grid for the integration and FUSE tests and always stops it.
// Usage: node scripts/run-tests.mjs [path-prefix ...]   e.g. test/unit  test/integration/store
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);

function collect(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return collect(path);
    return name.endsWith('.test.ts') ? [relative(root, path)] : [];
  });
}

const prefixes = process.argv.slice(2);
const files = collect('test').filter((f) => prefixes.length === 0 || prefixes.some((p) => f.startsWith(p)));
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}

const needsGrid = files.some((f) => !f.startsWith('test/unit/'));
const gridScript = 'scripts/grid.ts';
const tsx = ['--import', 'tsx'];
let gridStarted = false;

function grid(command, { check = true } = {}) {
  const r = spawnSync(process.execPath, [...tsx, gridScript, command], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (check && r.status !== 0) throw new Error(`grid ${command} failed (exit ${r.status})`);
  return { status: r.status, stdout: r.stdout.trim() };
}

let status = 1;
try {
  if (needsGrid && existsSync(gridScript)) {
    // A grid that was already running (e.g. a developer's) is left running afterwards.
    const wasRunning = grid('status', { check: false }).status === 0;
    // Set before starting: a start that times out has still launched nodes, and they must be stopped.
    gridStarted = !wasRunning;
    const url = grid('start').stdout;
    process.env.TIMEFS_TEST_NODE_URL = url.split('\n').pop();
    console.error(`run-tests: grid ready at ${process.env.TIMEFS_TEST_NODE_URL}`);
  }
  const r = spawnSync(process.execPath, [...tsx, '--test', '--test-reporter=spec', ...files], { stdio: 'inherit', env: process.env });
  status = r.status ?? 1;
} catch (err) {
  console.error(`run-tests: ${err.message}`);
} finally {
  if (gridStarted && !process.env.TIMEFS_KEEP_GRID) {
    try { grid('stop'); } catch (err) { console.error(`run-tests: ${err.message}`); }
  }
}
process.exit(status);
