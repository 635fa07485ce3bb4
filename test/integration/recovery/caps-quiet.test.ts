// Caps stay quiet: no command but `timefs key` prints a whole cap, whatever the verbosity
// (TIMEFS_DEBUG=1 prints causes and stacks) or the error path, even when the cap itself was
// given on the command line. Every run goes through runTimefs, which scans stdout and stderr.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import PQueue from 'p-queue';
import { buildProgram, main } from '../../../src/cli/main.js';
import { assertCapsQuiet, runTimefs, runTimefsAsync, wholeCapsIn, type CliRun } from '../../helpers/cli.js';
import { createTestRepo, type TestRepo } from '../../helpers/grid.js';

describe('caps stay quiet in every command, verbose and failing (real grid)', () => {
  let work: string;
  let repo: TestRepo;
  let env: NodeJS.ProcessEnv;
  let src: string;

  before(async () => {
    repo = await createTestRepo();
    work = await mkdtemp(join(tmpdir(), 'timefs-caps-'));
    src = join(work, 'src');
    await mkdir(join(src, 'd'), { recursive: true });
    await writeFile(join(src, 'd', 'f.txt'), 'some text\n'.repeat(100));
    await writeFile(join(src, 'tiny'), 'x');
    env = {
      PATH: process.env.PATH,
      HOME: work,
      XDG_STATE_HOME: join(work, 'state'),
      XDG_CACHE_HOME: join(work, 'cache'),
      TIMEFS_NODE_URL: repo.nodeUrl,
      TIMEFS_DEBUG: '1',
    };
  });

  after(() => rm(work, { recursive: true, force: true }));

  const timefs = (args: string[], extra: NodeJS.ProcessEnv = {}): CliRun => runTimefs(args, { env: { ...env, ...extra } });

  it('--help of every command (the help texts name caps only as URI:DIR2:…)', async () => {
    const names = (await buildProgram()).commands.map((c) => c.name());
    assert.ok(names.includes('key') && names.includes('doctor') && names.includes('push'));
    // In this process (one CLI start per command would cost a minute): the same main() as bin/timefs.
    for (const args of [...names.map((name) => [name, '--help']), ['--help']]) {
      const { status, output } = await captured(() => main(args));
      assert.equal(status, 0, `${args.join(' ')}`);
      assert.match(output, /Usage: timefs/);
      assertCapsQuiet(args, output);
    }
  });

  it('successful runs, plain and --json, with the write cap on the command line', async () => {
    const w = ['--repo', repo.rootCap];
    const runs: Array<[string[], number]> = [
      [['init', ...w], 0],
      [['init', ...w, '--json'], 0],
      [['push', ...w, src], 0],
      [['push', ...w, '--json', src], 0],
      [['snapshots', ...w], 0],
      [['snapshots', ...w, '--json'], 0],
      [['ls', 'latest', src, ...w, '--json'], 0],
      [['cat', 'latest', join(src, 'd', 'f.txt'), ...w], 0],
      [['check', ...w, '--read-data', '--json'], 0],
      [['renew', ...w, '--json'], 0],
      [['forget', ...w, '--keep-last', '1', '--dry-run', '--json'], 0],
      [['rebase', ...w, '--dry-run', '--json'], 0],
      [['restore', 'latest', ...w, '--target', join(work, 'restored'), '--json'], 0],
      [['doctor', ...w, '--json'], 3],
      [['doctor', ...w], 3],
    ];
    // init and the pushes first, in order; then the rest side by side.
    const ordered = runs.slice(0, 4);
    for (const [args, status] of ordered) check(args, status, timefs(args));
    const rest = runs.slice(4);
    const results = await Promise.all(rest.map(([args]) => pool.add(() => runTimefsAsync(args, { env }))));
    rest.forEach(([args, status], i) => check(args, status, results[i]!));
  });

  it('error paths with TIMEFS_DEBUG=1: bad names, read-only caps, missing paths, unknown objects, a dead node', async () => {
    const ro = ['--repo', repo.readCap];
    const w = ['--repo', repo.rootCap];
    const unknownDir = repo.rootCap.replace(/^(URI:DIR2:)[a-z2-7]{5}/, '$1aaaaa');
    const runs: Array<[string[], number, NodeJS.ProcessEnv?]> = [
      [['push', ...ro, src], 1],
      [['init', ...ro], 1],
      [['key', ...ro, '--write'], 1],
      [['ls', 'latest', '/no/such/path', ...w], 1],
      [['cat', 'latest', '/no/such/file', ...w], 1],
      [['cat', '1999-01-01', join(src, 'tiny'), ...w], 1],
      [['restore', 'latest:/no/such', ...w, '--target', join(work, 'r2')], 1],
      [['snapshots', '--repo', unknownDir], 1],
      [['snapshots', '--repo', 'URI:CHK:abcdefghijklmnopqrstuvwxyz:abcdefghijklmnopqrstuvwxyz234567abcdefghijklm:2:3:10'], 1],
      [['snapshots', '--repo', `${repo.rootCap}x`], 1],
      [['check', ...w, '--node-url', 'http://127.0.0.1:9/'], 1],
      [['doctor', ...w, '--node-url', 'http://127.0.0.1:9/', '--json'], 1],
      [['push', src], 1, { TIMEFS_REPO: repo.rootCap, TIMEFS_NODE_URL: 'http://127.0.0.1:9/' }],
      [['mount', join(work, 'no-such-mountpoint'), ...w], 1],
      [['ls', 'latest', src, ...w, '--no-such-option'], 2],
    ];
    const results = await Promise.all(runs.map(([args, , extra]) => pool.add(() => runTimefsAsync(args, { env: { ...env, ...extra } }))));
    runs.forEach(([args, status], i) => {
      check(args, status, results[i]!);
      assert.match(results[i]!.stderr + results[i]!.stdout, /^timefs: |error: |does not answer/m, `timefs ${args[0]} explained the failure`);
    });
  });
});

/** CLI starts side by side: enough to use both cores, few enough to keep memory modest. */
const pool = new PQueue({ concurrency: 4 });

function check(args: readonly string[], status: number, r: CliRun): void {
  assert.equal(r.status, status, `timefs ${args.slice(0, 2).join(' ')} exited ${r.status}: ${wholeCapsIn(r.stderr).length === 0 ? r.stderr : '(stderr withheld)'}`);
}

/** Runs `fn` with everything written to stdout and stderr collected instead of shown. */
async function captured(fn: () => Promise<number>): Promise<{ status: number; output: string }> {
  const chunks: string[] = [];
  const writes = [process.stdout.write, process.stderr.write] as const;
  const collect = ((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = collect;
  process.stderr.write = collect;
  try {
    return { status: await fn(), output: chunks.join('') };
  } finally {
    [process.stdout.write, process.stderr.write] = writes;
  }
}
