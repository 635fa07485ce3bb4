import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '../../../src/store/store.js';
import { GridSnapshotCatalogue } from '../../../src/view/snapshot-catalogue.js';
import { openSnapshotView } from '../../../src/view/snapshot-view.js';
import { GridTreeReader } from '../../../src/view/tree-reader.js';
import { fileContent, freshRepo, pushOnce, walkSnapshot } from './push-fixture.js';

function bigFile(seed: string): Buffer {
  const big = Buffer.alloc(600_000);
  for (let i = 0; i < big.length; i += 32) createHash('sha256').update(`${seed}${i}`).digest().copy(big, i);
  return big;
}

async function put(path: string, data: Buffer, mtime: number): Promise<void> {
  await writeFile(path, data);
  await utimes(path, mtime, mtime);
}

/** A store that records the size of every immutable upload. */
function counting(store: Store, uploaded: number[]): Store {
  return Object.assign(Object.create(store) as Store, {
    async putImmutable(body: Parameters<Store['putImmutable']>[0]) {
      uploaded.push(body instanceof Uint8Array ? body.length : body.size);
      return store.putImmutable(body);
    },
  });
}

test('push (grid): two sources in one repository keep their own chains; a lost catalog or a new host name continues them as deltas', async () => {
  const { store, snapshotsCap, base } = await freshRepo();
  const a = join(base, 'a');
  const b = join(base, 'b');
  await mkdir(a, { recursive: true });
  await mkdir(b, { recursive: true });
  const big = bigFile('a');
  await put(join(a, 'big.bin'), big, 1_600_000_000);
  await put(join(a, 'note.txt'), Buffer.from('a note'), 1_600_000_000);
  await put(join(b, 'other.bin'), bigFile('b'), 1_600_000_000);
  const state = join(base, 'state');
  let clock = Date.now();
  const at = () => () => (clock += 2000);
  try {
    const a1 = await pushOnce(store, snapshotsCap, state, { paths: [a], host: 'box', now: at() });
    const b1 = await pushOnce(store, snapshotsCap, state, { paths: [b], host: 'box', now: at() });
    assert.equal(b1.parent, undefined, 'nothing backed up B before');
    big.write('edit one', 100_000);
    await put(join(a, 'big.bin'), big, 1_600_000_100);
    const a2 = await pushOnce(store, snapshotsCap, state, { paths: [a], host: 'box', now: at() });
    assert.equal(a2.parent, a1.snapshot, 'the parent is the newest snapshot of the same source, not the latest (B)');
    assert.equal(a2.stats.deltas, 1, "A's changed large file is stored as a delta");
    assert.equal(a2.stats.wholeFiles, 0);

    // Lost catalog: B was pushed last, yet A's push continues A's chain.
    const b2 = await pushOnce(store, snapshotsCap, state, { paths: [b], host: 'box', now: at() });
    assert.equal(b2.parent, b1.snapshot);
    await rm(state, { recursive: true, force: true });
    big.write('edit two', 300_000);
    await put(join(a, 'big.bin'), big, 1_600_000_200);
    const uploaded: number[] = [];
    const a3 = await pushOnce(counting(store, uploaded), snapshotsCap, state, { paths: [a], host: 'box', now: at() });
    assert.equal(a3.parent, a2.snapshot);
    assert.equal(a3.rebuilt, 2, "A's two files rebuilt from A's newest snapshot");
    assert.equal(a3.stats.deltas, 1);
    assert.ok(uploaded.every((n) => n < 100_000), `only a delta and a signature are uploaded, got ${uploaded.join(', ')}`);

    // Then B, from the same (rebuilt) catalog: its path was unknown to the catalog, so it is filled in from B's snapshot.
    const b3 = await pushOnce(store, snapshotsCap, state, { paths: [b], host: 'box', now: at() });
    assert.equal(b3.rebuilt, 1);
    assert.equal(b3.stats.deltas + b3.stats.wholeFiles, 0, "B's unchanged file is not stored again");

    // A new host name with the same paths and no local state: the newest snapshot covering A, from any host.
    await rm(state, { recursive: true, force: true });
    big.write('edit three', 500_000);
    await put(join(a, 'big.bin'), big, 1_600_000_300);
    const a4 = await pushOnce(store, snapshotsCap, state, { paths: [a], host: 'newbox', now: at() });
    assert.equal(a4.parent, a3.snapshot);
    assert.equal(a4.stats.deltas, 1, 'a new host continues the chain as a delta');
    assert.equal(a4.stats.wholeFiles, 0);

    const listed = await new GridSnapshotCatalogue(store, snapshotsCap).list();
    const last = listed.at(-1)!;
    assert.equal(last.host, 'newbox');
    assert.equal(last.parent, a3.snapshot, 'the edge metadata names the parent');
    const entry = (await walkSnapshot(store, last.cap)).get(join(a, 'big.bin'))!;
    assert.equal(entry.meta.storage, 'chain');
    assert.equal(entry.meta.chain, 3);
    assert.deepEqual(await fileContent(store, entry), big);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test('push (grid): nested sources: /x, then /x/y; the merged view takes /x/y from the newer push (a deletion included) and the rest from the older', async () => {
  const { store, snapshotsCap, base } = await freshRepo();
  const x = join(base, 'x');
  await mkdir(join(x, 'y'), { recursive: true });
  await put(join(x, 'y/keep.txt'), Buffer.from('keep v1'), 1_600_000_000);
  await put(join(x, 'y/gone.txt'), Buffer.from('to be deleted'), 1_600_000_000);
  await put(join(x, 'z.txt'), Buffer.from('zed'), 1_600_000_000);
  const state = join(base, 'state');
  let clock = Date.now();
  try {
    const first = await pushOnce(store, snapshotsCap, state, { paths: [x], host: 'box', now: () => (clock += 2000) });
    await rm(join(x, 'y/gone.txt'));
    await put(join(x, 'y/keep.txt'), Buffer.from('keep v2'), 1_600_000_100);
    await put(join(x, 'z.txt'), Buffer.from('zed, changed but not pushed'), 1_600_000_100);
    const second = await pushOnce(store, snapshotsCap, state, { paths: [join(x, 'y')], host: 'box', now: () => (clock += 2000) });
    const { target, store: merging } = await openSnapshotView(store, snapshotsCap, 'latest');
    assert.equal(target.merged, true);
    assert.deepEqual(target.members.map((m) => m.name), [second.snapshot, first.snapshot]);
    const trees = new GridTreeReader(merging);
    const read = async (path: string) => Buffer.from(await fileContent(store, await trees.lookup(target.cap, path))).toString();
    assert.deepEqual((await trees.list((await trees.lookup(target.cap, join(x, 'y'))).cap)).map((e) => e.name), ['keep.txt'], 'gone.txt was deleted in the newer /x/y');
    assert.equal(await read(join(x, 'y/keep.txt')), 'keep v2');
    assert.equal(await read(join(x, 'z.txt')), 'zed', 'the rest of /x from the older push');
    const exact = await openSnapshotView(store, snapshotsCap, first.snapshot!);
    assert.equal(exact.target.merged, false);
    assert.deepEqual((await trees.list((await trees.lookup(exact.target.cap, join(x, 'y'))).cap)).map((e) => e.name), ['gone.txt', 'keep.txt']);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});
