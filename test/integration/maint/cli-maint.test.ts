import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestRepo, testNodeUrl, type TestRepo } from '../../helpers/grid.js';
import { addSnapshot, baseMeta, buildTree } from '../../helpers/maint-fixtures.js';
import { buildHistory, fabricatedChkCap, type Expected } from './maint-grid.js';
import { spawnTimefs, type CliBytesRun } from '../../helpers/cli.js';


const home = mkdtempSync(join(tmpdir(), 'timefs-cli-maint-'));
after(() => rmSync(home, { recursive: true, force: true }));

/** Runs the CLI from source with a private cache/state dir; the cap goes in argv only. */
function timefs(args: string[]): Promise<CliBytesRun> {
  return spawnTimefs(args, { env: { ...process.env, XDG_CACHE_HOME: join(home, 'cache'), XDG_STATE_HOME: join(home, 'state'), HOME: home } });
}

describe('timefs rebase | check | forget | renew | restore against the real grid', () => {
  let repo: TestRepo;
  let repoArgs: string[];
  let expected: Expected[];

  before(async () => {
    repo = await createTestRepo();
    repoArgs = ['--repo', repo.rootCap, '--node-url', testNodeUrl()];
    // buildHistory makes its own layout; link its snapshots into the initialised repository.
    const built = await buildHistory(repo.store, 6, { 'a.bin': { seed: 21, size: 30_000 }, 'b.txt': { seed: 22, size: 9_000 } });
    for (const [name, entry] of await repo.store.list(built.repo.snapshotsCap)) {
      await repo.store.link(repo.snapshotsCap, name, entry.readCap, entry.metadata);
    }
    expected = built.expected;
  });

  it('check passes a clean repository (exit 0) and rebase --dry-run changes nothing', async () => {
    const check = await timefs(['check', '--read-data', ...repoArgs]);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout.toString(), /no problems found/);
    const dry = await timefs(['rebase', '--dry-run', '--json', ...repoArgs]);
    assert.equal(dry.code, 0, dry.stderr);
    const plan = JSON.parse(dry.stdout.toString()) as { rebased: number; snapshots: string[]; before: { max: number } };
    assert.equal(plan.rebased, 2);
    assert.equal(plan.before.max, 5);
    assert.deepEqual(plan.snapshots, []);
  });

  it('rebase, then timefs cat reads every version of every snapshot byte-identical', async () => {
    const run = await timefs(['rebase', '--json', ...repoArgs]);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout.toString()) as { rebased: number; after: { max: number }; before: { max: number }; downloaded: number; uploaded: number };
    assert.equal(report.rebased, 2);
    assert.equal(report.after.max, 1);
    assert.ok(report.uploaded > 0);
    assert.doesNotMatch(run.stdout.toString(), /URI:/, 'no caps in the report');
    for (const e of expected) {
      const cat = await timefs(['cat', e.snapshot, e.path, ...repoArgs]);
      assert.equal(cat.code, 0, cat.stderr);
      assert.ok(cat.stdout.equals(Buffer.from(e.data)), `${e.snapshot}/${e.path}`);
    }
    const text = await timefs(['rebase', ...repoArgs]);
    assert.match(text.stdout.toString(), /rebased 0 of 2 chained files/);
  });

  it('restore --verify copies the newest snapshot out', async () => {
    const target = join(home, 'restored');
    const run = await timefs(['restore', 'latest:/home/me', '--target', target, '--verify', ...repoArgs]);
    assert.equal(run.code, 0, run.stderr);
    const newest = expected.filter((e) => e.snapshot === expected.at(-1)!.snapshot);
    for (const e of newest) assert.ok((await readFile(join(target, e.path.split('/').pop()!))).equals(Buffer.from(e.data)));
    assert.match(run.stdout.toString(), /verified 3 files/);
  });

  it('forget --dry-run --json shows what it keeps and why; renew renews', async () => {
    const dry = await timefs(['forget', '--keep-last', '2', '--keep-weekly', '1', '--dry-run', '--json', ...repoArgs]);
    assert.equal(dry.code, 0, dry.stderr);
    const plan = JSON.parse(dry.stdout.toString()) as { keep: { name: string; reasons: string[] }[]; remove: string[]; removed: string[] };
    assert.equal(plan.keep.length + plan.remove.length, 6);
    assert.deepEqual(plan.removed, []);
    assert.deepEqual(plan.keep[0]?.reasons, ['last snapshot', 'weekly snapshot']);
    const renew = await timefs(['renew', '--json', ...repoArgs]);
    assert.equal(renew.code, 0, renew.stderr);
    assert.ok((JSON.parse(renew.stdout.toString()) as { objects: number }).objects > 20);
    const usage = await timefs(['forget', ...repoArgs]);
    assert.equal(usage.code, 2, 'no policy is a usage error');
  });

  it('check exits 4 and names the file and snapshot when a linked object has no shares', async () => {
    const ghost = fabricatedChkCap(4000);
    const root = await buildTree(repo.store, { lost: { type: 'linked', cap: ghost, meta: baseMeta('file', { size: 4000, storage: 'whole' }) } });
    await addSnapshot(repo.store, { rootCap: repo.rootCap, snapshotsCap: repo.snapshotsCap }, '2010-05-05T00:00:00Z', root);
    const run = await timefs(['check', ...repoArgs]);
    assert.equal(run.code, 4, run.stderr);
    assert.match(run.stdout.toString(), /DAMAGED: 2010-05-05T00:00:00Z\/lost .*missing/);
    assert.ok(!run.stdout.toString().includes(ghost.slice(8, 30)) && !run.stderr.includes(ghost.slice(8, 30)), 'caps stay out of the output');
  });
});

describe('timefs forget with several sources against the real grid', () => {
  it('four snapshots alternating between two paths: --keep-daily 7 keeps all, shows the groups; --group-by none drops the oldest middle one', async () => {
    const repo = await createTestRepo();
    const repoArgs = ['--repo', repo.rootCap, '--node-url', testNodeUrl()];
    const root = await buildTree(repo.store, {});
    const times = ['2009-01-01T10:00:00Z', '2009-01-01T11:00:00Z', '2009-01-01T12:00:00Z', '2009-01-01T13:00:00Z'];
    for (const [i, time] of times.entries()) {
      await addSnapshot(repo.store, { rootCap: repo.rootCap, snapshotsCap: repo.snapshotsCap }, time, root, { host: 'box', paths: [i % 2 === 0 ? '/docs' : '/home'] });
    }
    const dry = await timefs(['forget', '--keep-daily', '7', '--dry-run', ...repoArgs]);
    assert.equal(dry.code, 0, dry.stderr);
    const text = dry.stdout.toString();
    assert.match(text, /per group of host,paths/);
    assert.match(text, /box:\/home \(2 snapshots\):\n {2}keep {4}2009-01-01T13:00:00Z/);
    assert.match(text, /box:\/docs \(2 snapshots\):/);
    assert.match(text, /would keep 4 and remove 0 snapshots/);
    const none = await timefs(['forget', '--keep-daily', '7', '--group-by', 'none', '--json', ...repoArgs]);
    assert.equal(none.code, 0, none.stderr);
    const result = JSON.parse(none.stdout.toString()) as { groupBy: string; groups: { group: string }[]; removed: string[] };
    assert.equal(result.groupBy, 'none');
    assert.deepEqual(result.groups.map((g) => g.group), ['all snapshots']);
    assert.deepEqual(result.removed, ['2009-01-01T11:00:00Z']);
    const bad = await timefs(['forget', '--keep-daily', '7', '--group-by', 'user', ...repoArgs]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--group-by takes host, paths/);
  });
});
