import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { rebase } from '../../../src/maint/rebase.js';
import { isTimefsError } from '../../../src/model/errors.js';
import { PENDING_NAME } from '../../../src/maint/snapshot-swap.js';
import { GridTreeReader } from '../../../src/view/tree-reader.js';
import { GridSnapshotCatalogue } from '../../../src/view/snapshot-catalogue.js';
import { assertAllReadable, buildHistory, gridStore, nodeUrl } from './maint-grid.js';

const FILES = { 'report.odt': { seed: 11, size: 40_000 }, 'notes.txt': { seed: 12, size: 12_000 }, 'data.bin': { seed: 13, size: 70_000 } };

/**
 * Runs rebase in a child process and kills it with SIGKILL `extraMs` after it reports `phase`
 * (or when it finishes first); resolves with whether it finished.
 */
function rebaseKilledAt(phase: string, extraMs: number, repo: { rootCap: string; snapshotsCap: string }): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/integration/maint/rebase-child.ts'], {
      env: { ...process.env, TIMEFS_TEST_NODE_URL: nodeUrl, REBASE_ROOT: repo.rootCap, REBASE_SNAPSHOTS: repo.snapshotsCap },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdout.on('data', (d: Buffer) => {
      if (!timer && d.toString().split('\n').includes(`phase ${phase}`)) timer = setTimeout(() => child.kill('SIGKILL'), extraMs);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(false);
      else if (code === 0) resolve(true);
      else reject(new Error(`rebase child failed (${code}): ${stderr.slice(-500)}`));
    });
  });
}

describe('rebase on the real grid', () => {
  it('rebases 30 versions of several files: every version of every snapshot reads back, chains drop to 1', async () => {
    const store = gridStore();
    const { repo, expected } = await buildHistory(store, 30, FILES);
    const report = await rebase(store, repo);
    assert.equal(report.rebased, 3);
    assert.equal(report.before.max, 29);
    assert.equal(report.after.max, 1);
    assert.ok(report.after.total < report.before.total / 5, `total chain length ${report.before.total} -> ${report.after.total}`);
    assert.equal(report.snapshots.length, 29);
    assert.ok(report.downloaded > 0 && report.uploaded > 0);
    await assertAllReadable(store, repo, expected);
    const snapshots = await new GridSnapshotCatalogue(store, repo.snapshotsCap).list();
    assert.equal(snapshots.length, 30);
    assert.equal(snapshots[5]!.host, 'testhost', 'snapshot edge metadata kept');
    const newest = await new GridTreeReader(store).lookup(snapshots.at(-1)!.cap, 'home/me/data.bin');
    assert.equal(newest.meta.storage, 'chain');
    assert.equal(newest.meta.chain, 0, 'the newest version is stored whole, with its signature');
    const again = await rebase(store, repo);
    assert.equal(again.rebased, 0);
  });

  it('killed at random moments, every snapshot stays reachable and a rerun finishes', async (t) => {
    const store = gridStore();
    // One kill in each phase, at a random moment after it starts, each on a history of its own:
    // Tahoe refuses to place an object again while the servers still hold an upload of it that a
    // kill cut off (until they time it out, up to 30 minutes), so phases must not share objects.
    const plan = (['walk', 'rebuild', 'trees', 'swap'] as const).map((phase) => ({ phase, extraMs: Math.round(Math.random() * (phase === 'swap' ? 600 : 1500)) }));
    let reruns = 0;
    for (const [i, { phase, extraMs }] of plan.entries()) {
      const files = Object.fromEntries(Object.entries(FILES).map(([name, spec]) => [name, { ...spec, seed: spec.seed + 100 * (i + 1) + Math.floor(Math.random() * 1e6) }]));
      const { repo, expected } = await buildHistory(store, 8, files);
      const names = new Set(expected.map((e) => e.snapshot));
      const finished = await rebaseKilledAt(phase, extraMs, repo);
      const listed = await store.list(repo.snapshotsCap);
      const pending = (await store.list(repo.rootCap)).get(PENDING_NAME);
      const pendingNames = pending ? new Set((await store.list(pending.cap)).keys()) : new Set<string>();
      t.diagnostic(`kill ${extraMs} ms into ${phase}: ${finished ? 'finished first' : 'killed'}, rebase-pending ${pending ? `present (${pendingNames.size} swaps)` : 'absent'}, ${listed.size} snapshots listed`);
      for (const name of names) assert.ok(listed.has(name) || pendingNames.has(name), `after a kill in ${phase}: ${name} is still reachable`);
      try {
        const rerun = await rebase(store, repo);
        assert.ok(rerun.after.max <= 1, 'the rerun completed the work');
        assert.equal((await store.list(repo.rootCap)).has(PENDING_NAME), false);
        assert.equal((await rebase(store, repo)).rebased, 0);
        reruns++;
      } catch (err) {
        // The kill cut an upload whose object the rerun needs again: the grid says so clearly,
        // and nothing is lost meanwhile.
        if (!isTimefsError(err, 'grid.unhappy')) throw err;
        assert.match(err.hint ?? '', /interrupted upload/);
        t.diagnostic(`rerun after the ${phase} kill refused by the grid for now: ${err.message}`);
      }
      await assertAllReadable(store, repo, expected);
    }
    assert.ok(reruns >= 1, 'at least one rerun after a kill completed on the real grid');
  });
});
