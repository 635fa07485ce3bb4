import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '../../../src/store/store.js';
import { fileContent, freshRepo, pushOnce, snapshotList, walkSnapshot } from './push-fixture.js';

test('push (grid): the catalog is a cache: without it the next push rebuilds it from the grid, uploads no unchanged file, and still stores a delta', async () => {
  const { store, snapshotsCap, base, src, state } = await freshRepo();
  await mkdir(join(src, 'sub'), { recursive: true });
  const big = Buffer.alloc(600_000);
  for (let i = 0; i < big.length; i += 32) createHash('sha256').update(`b${i}`).digest().copy(big, i);
  const files: Record<string, Buffer> = { 'big.bin': big, 'sub/small.txt': Buffer.from('small file'), 'sub/other.bin': big.subarray(0, 200_000) };
  for (const [name, data] of Object.entries(files)) {
    await writeFile(join(src, name), data);
    await utimes(join(src, name), 1_600_000_000, 1_600_000_000);
  }
  try {
    await pushOnce(store, snapshotsCap, state, { paths: [src] });
    // A second version, so the latest version node holds a signature chain (sigbase + s001).
    big.write('first edit', 100_000);
    await writeFile(join(src, 'big.bin'), big);
    await utimes(join(src, 'big.bin'), 1_600_000_050, 1_600_000_050);
    const second = await pushOnce(store, snapshotsCap, state, { paths: [src] });
    assert.equal(second.stats.deltas, 1);
    await rm(state, { recursive: true, force: true });
    big.write('changed!', 300_000);
    await writeFile(join(src, 'big.bin'), big);
    await utimes(join(src, 'big.bin'), 1_600_000_100, 1_600_000_100);
    const uploaded: number[] = [];
    const counting: Store = Object.assign(Object.create(store) as Store, {
      async putImmutable(body: Parameters<Store['putImmutable']>[0]) {
        uploaded.push(body instanceof Uint8Array ? body.length : body.size);
        return store.putImmutable(body);
      },
    });
    const result = await pushOnce(counting, snapshotsCap, state, { paths: [src] });
    assert.equal(result.rebuilt, 3, 'three file records rebuilt from the latest snapshot');
    assert.equal(result.stats.deltas, 1);
    assert.ok(uploaded.every((n) => n < 100_000), `only a delta and a signature are uploaded, got ${uploaded.join(', ')}`);
    const snaps = await snapshotList(store, snapshotsCap);
    const tree = await walkSnapshot(store, snaps.at(-1)!.cap);
    const entry = tree.get(join(src, 'big.bin'))!;
    assert.equal(entry.meta.storage, 'chain');
    assert.equal(entry.meta.chain, 2, 'the delta continues the chain rebuilt from the grid');
    assert.deepEqual(await fileContent(store, entry), big);
    assert.deepEqual(await fileContent(store, tree.get(join(src, 'sub/small.txt'))!), files['sub/small.txt']);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test('push (grid): after `forget` removed the snapshot the catalog last made, the catalog is not trusted', async () => {
  const { store, snapshotsCap, base, src, state } = await freshRepo();
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'f.bin'), Buffer.alloc(100_000, 5));
  await utimes(join(src, 'f.bin'), 1_600_000_000, 1_600_000_000);
  try {
    const first = await pushOnce(store, snapshotsCap, state, { paths: [src] });
    const again = await pushOnce(store, snapshotsCap, state, { paths: [src], now: () => Date.now() + 2000 });
    assert.equal(again.rebuilt, undefined);
    assert.equal(again.stats.unchangedFiles, 1);
    await store.unlink(snapshotsCap, again.snapshot!);
    const third = await pushOnce(store, snapshotsCap, state, { paths: [src], now: () => Date.now() + 4000 });
    assert.equal(third.rebuilt, 1, 'rebuilt from the snapshot that is left');
    assert.equal(third.stats.unchangedFiles, 0, 'every file is checked against the grid again');
    assert.equal(third.stats.deltas + third.stats.wholeFiles, 0, 'unchanged content is not stored again');
    assert.ok(first.snapshot);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});
