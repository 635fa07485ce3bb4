import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { chmod, mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createTestRepo } from '../../helpers/grid.js';
import { freshRepo, pushOnce, snapshotList, walkSnapshot } from './push-fixture.js';
import { assertCapsQuiet } from '../../helpers/cli.js';

const root = resolve(import.meta.dirname, '../../..');

function cli(args: string[], env: Record<string, string>, asUser?: number): { status: number | null; stdout: string; stderr: string } {
  const prefix = asUser === undefined ? [] : ['setpriv', `--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups'];
  const argv = [...prefix, process.execPath, '--import', 'tsx', join(root, 'src/cli/run.ts'), ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });
  assertCapsQuiet(args, r.stdout, r.stderr);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('push (grid): files that vanish or become directories between scan and read are warnings; the snapshot is made without them', async () => {
  const { store, snapshotsCap, base, src, state } = await freshRepo();
  await mkdir(src);
  for (const name of ['keep', 'vanish', 'to-dir']) await writeFile(join(src, name), `${name} `.repeat(30_000));
  const warnings: string[] = [];
  try {
    const result = await pushOnce(store, snapshotsCap, state, { paths: [src] }, {
      onWarning: (w) => warnings.push(`${w.path}: ${w.reason}`),
      onProgress: (phase) => {
        if (phase !== 'scan') return;
        // Between the scan and the upload stage.
        unlinkSync(join(src, 'vanish'));
        unlinkSync(join(src, 'to-dir'));
        mkdirSync(join(src, 'to-dir'));
      },
    });
    assert.equal(result.stats.warnings, 2, warnings.join('\n'));
    assert.ok(warnings.some((w) => w.endsWith('/vanish: vanished since the scan')), warnings.join('\n'));
    assert.ok(warnings.some((w) => /\/to-dir: replaced by a directory/.test(w)), warnings.join('\n'));
    const [snap] = await snapshotList(store, snapshotsCap);
    const tree = await walkSnapshot(store, snap!.cap);
    assert.ok(tree.has(join(src, 'keep')));
    assert.ok(!tree.has(join(src, 'vanish')));
    assert.ok(!tree.has(join(src, 'to-dir')));
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test('push CLI (grid): unreadable files and directories as an unprivileged user give warnings and exit 3; a dead node gives a clear error and exit 1', async () => {
  const repo = await createTestRepo();
  const { base, src } = await freshRepo();
  await chmod(base, 0o755);
  await mkdir(join(src, 'closed'), { recursive: true });
  await writeFile(join(src, 'open.txt'), 'anyone may read this');
  await writeFile(join(src, 'secret.txt'), 'root only');
  await writeFile(join(src, 'closed', 'inside'), 'hidden');
  await chmod(join(src, 'secret.txt'), 0o600);
  await chmod(join(src, 'closed'), 0o700);
  for (const f of ['open.txt', 'secret.txt']) await utimes(join(src, f), 1_600_000_000, 1_600_000_000);
  const stateHome = join(base, 'xdg');
  await mkdir(stateHome, { mode: 0o777 });
  await chmod(stateHome, 0o777);
  const env = { XDG_STATE_HOME: stateHome, XDG_CACHE_HOME: stateHome, TIMEFS_NODE_URL: repo.nodeUrl, HOME: stateHome };
  try {
    const r = cli(['push', '--repo', repo.rootCap, '--json', src], env, 65534);
    assert.equal(r.status, 3, r.stderr);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const warnings = events.filter((e) => e.event === 'warning').map((e) => `${e.path}: ${e.reason}`);
    assert.ok(warnings.some((w) => w.startsWith(`${join(src, 'secret.txt')}: permission denied`)), warnings.join('\n'));
    assert.ok(warnings.some((w) => w.startsWith(`${join(src, 'closed')}: cannot list directory`)), warnings.join('\n'));
    const summary = events.find((e) => e.event === 'summary')!;
    assert.equal(summary.warnings, 2);
    assert.ok(typeof summary.snapshot === 'string');
    assert.ok(!r.stdout.includes('URI:'), 'no cap in the output');

    const down = cli(['push', '--repo', repo.rootCap, '--node-url', 'http://127.0.0.1:9/', src], env);
    assert.equal(down.status, 1);
    assert.match(down.stderr, /timefs: .*127\.0\.0\.1:9/);
    assert.ok(!down.stderr.includes('    at '), 'no stack trace');
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test('push CLI (grid): every source missing fails with exit 1, names them and makes no snapshot; some missing warns (exit 3); the state directory is private', async () => {
  const repo = await createTestRepo();
  const { base, src } = await freshRepo();
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'a.txt'), 'present');
  const stateHome = join(base, 'xdg');
  const env = { XDG_STATE_HOME: stateHome, XDG_CACHE_HOME: join(base, 'cache'), TIMEFS_NODE_URL: repo.nodeUrl, HOME: base };
  try {
    const gone = [join(base, 'not-mounted'), join(base, 'also-gone')];
    const none = cli(['push', '--repo', repo.rootCap, ...gone], env);
    assert.equal(none.status, 1, none.stderr);
    for (const path of gone) assert.ok(none.stderr.includes(path), none.stderr);
    assert.match(none.stderr, /no snapshot was made/);
    assert.ok(!none.stderr.includes('    at '), 'no stack trace');
    assert.equal((await snapshotList(repo.store, repo.snapshotsCap)).length, 0);

    const some = cli(['push', '--repo', repo.rootCap, '--json', src, gone[0]!], env);
    assert.equal(some.status, 3, some.stderr);
    assert.ok(some.stdout.includes(gone[0]!), some.stdout);
    assert.equal((await snapshotList(repo.store, repo.snapshotsCap)).length, 1);

    const loose: string[] = [];
    const walk = (path: string): void => {
      const info = lstatSync(path);
      if ((info.mode & 0o077) !== 0) loose.push(`${path} ${(info.mode & 0o777).toString(8)}`);
      if (info.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
    };
    const stateDir = join(stateHome, 'timefs', repo.repoId);
    walk(stateDir);
    assert.ok(readdirSync(join(stateDir, 'catalog')).length > 2, 'the catalog was written');
    assert.deepEqual(loose, [], 'nothing under the state directory is open to group or others');

    // state made loose (by an older timefs, or by hand) is tightened when a command opens it
    await chmod(stateDir, 0o755);
    await chmod(join(stateDir, 'catalog', 'CURRENT'), 0o644);
    assert.equal(cli(['push', '--repo', repo.rootCap, src], env).status, 0);
    walk(stateDir);
    assert.deepEqual(loose, []);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});
