/**
 * Running the `timefs` CLI from source in tests, and the check every CLI test applies to every
 * command's output: no whole cap, ever, except from `timefs key` (the recovery sheet).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const repoRoot = resolve(new URL('../..', import.meta.url).pathname);

/** `node` arguments that run the CLI from source: `spawn(process.execPath, [...TIMEFS_CLI, 'push', …])`. */
export const TIMEFS_CLI: readonly string[] = ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'run.ts')];

// Written apart from src/model/cap.ts on purpose, so the test does not trust the code it checks.
// A cap's kind, then its body; timefs shows at most six body characters followed by "…".
const CAP = /URI:[A-Z][A-Z0-9-]*:([A-Za-z0-9:_-]*)(…?)/g;

/** Every cap in `text` shown whole, or with more of its body than a redacted cap shows. */
export function wholeCapsIn(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(CAP)) {
    const body = m[1] ?? '';
    const redacted = m[2] === '…';
    if (body.length > 6 || (body.length > 0 && !redacted)) found.push(m[0]);
  }
  return found;
}

/**
 * Fail when any of `outputs` (stdout, stderr, …) of the command `args` shows a whole cap.
 * Only `timefs key` may; the message names the command and the cap's kind, never the cap.
 */
export function assertCapsQuiet(args: readonly string[], ...outputs: ReadonlyArray<string | Buffer>): void {
  if (args[0] === 'key') return;
  for (const output of outputs) {
    const text = typeof output === 'string' ? output : output.toString('utf8');
    const leaks = wholeCapsIn(text);
    assert.equal(leaks.length, 0, `\`timefs ${args[0] ?? ''}\` printed ${leaks.length} whole cap(s): ${leaks.map((c) => c.slice(0, c.indexOf(':', 4) + 1)).join(', ')}…`);
  }
}

/** The outcome of one CLI run. */
export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run `timefs ARGS` to completion (cwd: the repository), checking that its output keeps caps quiet. */
export function runTimefs(args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): CliRun {
  const r = spawnSync(process.execPath, [...TIMEFS_CLI, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: options.env ?? process.env,
    maxBuffer: 1 << 26,
    ...(options.input === undefined ? { stdio: ['ignore', 'pipe', 'pipe'] } : { input: options.input }),
  });
  const result = { status: r.status, stdout: r.stdout, stderr: r.stderr };
  assertCapsQuiet(args, result.stdout, result.stderr);
  return result;
}

/** The outcome of one CLI run, with stdout as bytes (for `cat` and deltas). */
export interface CliBytesRun {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * Run `timefs ARGS` without blocking (independent commands can run side by side), checking that
 * its output keeps caps quiet. `closeStdoutEarly` closes the pipe after the first chunk, like
 * `timefs cat … | head -c 10`.
 */
export function spawnTimefs(args: readonly string[], options: { env?: NodeJS.ProcessEnv; closeStdoutEarly?: boolean } = {}): Promise<CliBytesRun> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [...TIMEFS_CLI, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => {
      out.push(b);
      if (options.closeStdoutEarly) child.stdout.destroy();
    });
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      const run = { code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() };
      try {
        assertCapsQuiet(args, run.stdout, run.stderr);
        resolveRun(run);
      } catch (leak) {
        reject(leak);
      }
    });
  });
}

/** {@link spawnTimefs} with text output, shaped like {@link runTimefs}. */
export async function runTimefsAsync(args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  const run = await spawnTimefs(args, options);
  return { status: run.code, stdout: run.stdout.toString(), stderr: run.stderr };
}
