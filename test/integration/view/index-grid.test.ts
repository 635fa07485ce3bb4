// Metadata indexes on the real grid: written at push, rebuilt by `updateIndexes` (timefs index),
// missing, damaged and wrong indexes ignored by readers and reported by `checkIndexes`, and kept
// consistent by forget and rebase.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runPush } from '../../../src/backup/push.js';
import { Catalog } from '../../../src/catalog/catalog.js';
import { checkIndexes } from '../../../src/maint/index-check.js';
import { forgetSnapshots } from '../../../src/maint/forget.js';
import { rebase } from '../../../src/maint/rebase.js';
import { updateIndexes } from '../../../src/maint/reindex.js';
import { initRepository } from '../../../src/store/repository.js';
import type { TahoeStore } from '../../../src/store/tahoe/tahoe-store.js';
import { buildIndexText } from '../../../src/tree-index/index-build.js';
import { findIndexDir, IndexReader, listIndexLinks, writeIndex } from '../../../src/tree-index/index-store.js';
import { gridChildLister } from '../../../src/tree-index/index-update.js';
import { gridLister, NO_INDEX, openHistory } from '../../../src/view/history-source.js';
import { pathStates } from '../../../src/view/path-states.js';
import { GridSnapshotCatalogue } from '../../../src/view/snapshot-catalogue.js';
import { testStore } from '../../helpers/grid.js';

let store: TahoeStore;
let rootCap: string;
let snapshotsCap: string;
let base: string;
const src = (): string => join(base, 'src');

async function push(i: number): Promise<void> {
  const catalog = await Catalog.open(join(base, 'state'));
  try {
    await runPush({ store, catalog, snapshotsCap, stateDir: join(base, 'state'), repoRootCap: rootCap }, { paths: [src()], now: () => Date.UTC(2009, 0, 9 + i) });
  } finally {
    await catalog.close();
  }
}

async function snapshots(): Promise<Array<{ name: string; cap: string }>> {
  return (await new GridSnapshotCatalogue(store, snapshotsCap).list()).map((s) => ({ name: s.name, cap: s.cap }));
}

const indexDir = async (): Promise<string> => (await findIndexDir(store, rootCap)) as string;

describe('metadata indexes on the grid', () => {
  before(async () => {
    store = await testStore();
    rootCap = (await initRepository(store, await store.mkdirMutable())).rootCap;
    snapshotsCap = (await store.list(rootCap)).get('snapshots')!.cap;
    base = await mkdtemp(join(tmpdir(), 'timefs-index-it-'));
    await mkdir(join(src(), 'sub', 'deep'), { recursive: true });
    for (let f = 0; f < 30; f++) await writeFile(join(src(), 'sub', `f${f}.txt`), `file ${f}\n`);
    const big = Buffer.from(Array.from({ length: 400_000 }, (_, k) => (k * 2654435761) >>> 24));
    for (let i = 0; i < 4; i++) {
      big.fill(i + 1, i * 1000, i * 1000 + 500); // a small change to a file too big to pack: push stores a delta, so chains grow
      await writeFile(join(src(), 'big.bin'), big);
      await writeFile(join(src(), 'sub', 'deep', `n${i}.txt`), `new ${i}\n`);
      await push(i);
    }
  });
  after(async () => { await rm(base, { recursive: true, force: true }); });

  it('push stores one index per snapshot, as deltas against the one before, equal to its tree', async () => {
    const list = await snapshots();
    const links = await listIndexLinks(store, await indexDir());
    assert.equal(links.size, 4);
    const reader = new IndexReader(store);
    for (const [i, s] of list.entries()) {
      const link = links.get(s.name)!;
      assert.equal(link.root, s.cap);
      const before = i === 0 ? undefined : links.get(list[i - 1]!.name)!.chain;
      // The first is a base; each later one adds a delta, or starts a new base when the deltas outweigh half the text.
      assert.ok(before === undefined ? link.chain === 0 : link.chain === before + 1 || link.chain === 0, `chain ${link.chain} after ${before}`);
      const stored = await reader.load(link);
      assert.equal(stored.text, await buildIndexText(s.cap, gridChildLister(store)), 'derivable: rebuilt from the tree alone it is the same');
      assert.ok(stored.lines.some((l) => l.includes(`n${i}.txt`)));
    }
    assert.equal(links.get(list[1]!.name)!.chain, 1, 'the second index is a delta');
    const report = await checkIndexes(store, await indexDir(), list);
    assert.deepEqual(report, { verified: 4, missing: 0, problems: [] });
  });

  it('a missing index: the trees answer instead, and updateIndexes stores it again', async () => {
    const list = await snapshots();
    await store.unlink(await indexDir(), list[1]!.name);
    const history = await openHistory(store, await indexDir(), list);
    assert.deepEqual(history.fromTrees, [{ name: list[1]!.name, reason: NO_INDEX }]);
    const path = [...Buffer.from(src()).toString().split('/').filter(Boolean), 'big.bin'].map((p) => new Uint8Array(Buffer.from(p)));
    const fromIndex = await pathStates(history.lister, list, path);
    const fromTrees = await pathStates(gridLister(store), list, path);
    assert.deepEqual(fromIndex.map((s) => s.entry?.meta.hash), fromTrees.map((s) => s.entry?.meta.hash));
    assert.ok(history.lister.stats.fromGrid > 0 && history.lister.stats.fromIndex > 0);
    assert.equal((await checkIndexes(store, await indexDir(), list)).missing, 1);
    assert.deepEqual(await updateIndexes(store, { rootCap, snapshotsCap }, { mode: 'missing' }), [list[1]!.name]);
    assert.deepEqual(await checkIndexes(store, await indexDir(), list), { verified: 4, missing: 0, problems: [] });
  });

  it('a damaged or wrong index is ignored by readers and reported by check', async () => {
    const list = await snapshots();
    const dir = await indexDir();
    const links = await listIndexLinks(store, dir);
    // Damaged: the link of snapshot 3 names snapshot 2's node, so the content fails its hash.
    const third = (await store.list(dir)).get(list[2]!.name)!;
    await store.unlink(dir, list[2]!.name);
    await store.link(dir, list[2]!.name, links.get(list[1]!.name)!.cap, third.metadata);
    const history = await openHistory(store, dir, list);
    assert.match(history.fromTrees.find((f) => f.name === list[2]!.name)?.reason ?? '', /hash/);
    // Wrong: a well-formed index of snapshot 4 that leaves out a file (check rebuilds and compares).
    const reader = new IndexReader(store);
    const fourth = await reader.load(links.get(list[3]!.name)!);
    const text = fourth.text.split('\n').filter((l) => !l.includes('f7.txt'));
    text[0] = text[0]!.replace(/"entries":\d+/, `"entries":${text.length - 2}`);
    await writeIndex(store, dir, list[3]!.name, list[3]!.cap, text.join('\n'));
    const report = await checkIndexes(store, dir, list);
    assert.deepEqual(report.problems.map((p) => [p.snapshot, p.problem]), [[list[2]!.name, 'unreadable'], [list[3]!.name, 'wrong']]);
    await updateIndexes(store, { rootCap, snapshotsCap }, { mode: 'all' });
    assert.deepEqual(await checkIndexes(store, dir, list), { verified: 4, missing: 0, problems: [] });
  });

  it('rebase refreshes the indexes of the snapshots it swaps; forget removes those of forgotten ones', async () => {
    const before = await snapshots();
    const report = await rebase(store, { rootCap, snapshotsCap }, { maxChain: 1 });
    assert.ok(report.snapshots.length > 0, 'rebase swapped some snapshot trees');
    const after = await snapshots();
    assert.notDeepEqual(after.map((s) => s.cap), before.map((s) => s.cap));
    assert.deepEqual(await checkIndexes(store, await indexDir(), after), { verified: 4, missing: 0, problems: [] });
    const forgotten = await forgetSnapshots(store, snapshotsCap, { last: 2 }, { rootCap });
    assert.equal(forgotten.removed.length, 2);
    const links = await listIndexLinks(store, await indexDir());
    assert.deepEqual([...links.keys()].sort(), after.slice(2).map((s) => s.name).sort());
    assert.deepEqual(await checkIndexes(store, await indexDir(), await snapshots()), { verified: 2, missing: 0, problems: [] });
  });
});
