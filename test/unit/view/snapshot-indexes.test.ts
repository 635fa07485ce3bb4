// SnapshotIndexes (the one loader of indexes for log/find/diff, the web UI and the mount) and the
// listing store the mount's tree cache reads through: loaded once, stale and damaged indexes
// refused and reported once, new links found after the refresh period, listings equal the grid's.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { buildIndexText } from '../../../src/tree-index/index-build.js';
import { writeIndex } from '../../../src/tree-index/index-store.js';
import { gridChildLister } from '../../../src/tree-index/index-update.js';
import { gridLister } from '../../../src/view/history-source.js';
import { IndexedListingStore } from '../../../src/view/indexed-listing-store.js';
import { NO_INDEX, SnapshotIndexes } from '../../../src/view/snapshot-indexes.js';
import { dir, wholeFile } from '../../helpers/view-fixture.js';

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

/** A store that counts directory listings. */
class CountingMemoryStore extends MemoryStore {
  listings = 0;
  override async list(...args: Parameters<MemoryStore['list']>): ReturnType<MemoryStore['list']> {
    this.listings++;
    return super.list(...args);
  }
}

async function snapshotTree(store: MemoryStore, note: string): Promise<string> {
  const deep = await dir(store, { 'x.txt': await wholeFile(store, bytes('x')) });
  return (await dir(store, { home: await dir(store, { deep, 'note.txt': await wholeFile(store, bytes(note)) }) })).cap;
}

/** Two snapshots `a` and `b` and an `index/` directory that holds only `a`'s index. */
async function twoSnapshotsFirstIndexed(store: MemoryStore) {
  const indexDir = await store.mkdirMutable();
  const a = { name: '2010-01-01T00:00:00Z', cap: await snapshotTree(store, 'a') };
  const b = { name: '2010-01-02T00:00:00Z', cap: await snapshotTree(store, 'b') };
  await writeIndex(store, indexDir, a.name, a.cap, await buildIndexText(a.cap, gridChildLister(store)));
  return { indexDir, a, b };
}

describe('SnapshotIndexes', () => {
  it('loads each index once, refuses stale and damaged ones (reported once), and finds new links after the refresh period', async () => {
    const store = new CountingMemoryStore();
    const { indexDir, a, b } = await twoSnapshotsFirstIndexed(store);
    let now = 0;
    const notices: string[] = [];
    const indexes = new SnapshotIndexes(store, gridLister(store), { indexDir, refreshMs: 30_000, now: () => now, onUnusable: (name, reason) => notices.push(`${name}: ${reason}`) });
    assert.deepEqual(await indexes.use(a), { used: true });
    const afterFirst = store.listings;
    assert.deepEqual(await indexes.use(a), { used: true });
    assert.equal(store.listings, afterFirst, 'a second use costs no request');
    assert.deepEqual(await indexes.use(b), { used: false, reason: NO_INDEX });
    await writeIndex(store, indexDir, b.name, b.cap, await buildIndexText(b.cap, gridChildLister(store)));
    assert.deepEqual(await indexes.use(b), { used: false, reason: NO_INDEX }, 'index/ is not re-read within the refresh period');
    now = 30_000;
    assert.deepEqual(await indexes.use(b), { used: true }, 'the new link is found after it');
    const stale = { name: a.name, cap: b.cap };
    assert.match((await indexes.use(stale) as { reason: string }).reason, /stale/);
    await indexes.use(stale);
    assert.equal(notices.length, 1, 'reported once');
    assert.equal(notices.filter((n) => n.includes(NO_INDEX)).length, 0, 'no index is normal, not reported');
  });

  it('a damaged index is refused; the listing store answers from loaded indexes exactly as the grid does', async () => {
    const store = new CountingMemoryStore();
    const { indexDir, a, b } = await twoSnapshotsFirstIndexed(store);
    // b's link names a's node: the text is a's, so the recorded hash does not match.
    const linkA = (await store.list(indexDir)).get(a.name)!;
    await writeIndex(store, indexDir, b.name, b.cap, await buildIndexText(b.cap, gridChildLister(store)));
    const linkB = (await store.list(indexDir)).get(b.name)!;
    await store.unlink(indexDir, b.name);
    await store.link(indexDir, b.name, linkA.readCap, linkB.metadata);
    const indexes = new SnapshotIndexes(store, gridLister(store), { indexDir });
    const source = await indexes.openAll([a, b]);
    assert.deepEqual(source.indexed, [a.name]);
    assert.match(source.fromTrees[0]?.reason ?? '', /hash/);
    const listing = new IndexedListingStore(store, indexes.lister);
    const dirs = [a.cap];
    for (let i = 0; i < dirs.length; i++) {
      const fromIndex = await listing.list(dirs[i]!);
      const before = store.listings;
      const fromGrid = await store.list(dirs[i]!);
      assert.equal(store.listings, before + 1);
      assert.deepEqual([...fromIndex.keys()].sort(), [...fromGrid.keys()].sort());
      for (const [name, entry] of fromGrid) {
        const indexed = fromIndex.get(name)!;
        assert.deepEqual([indexed.kind, indexed.readCap, indexed.metadata.timefs], [entry.kind, entry.readCap, entry.metadata.timefs], name);
        if (entry.kind === 'dir') dirs.push(entry.readCap);
      }
    }
    assert.deepEqual(listing.stats, { fromIndex: 3, fromGrid: 0 });
    await listing.list(b.cap);
    assert.equal(listing.stats.fromGrid, 1, 'the damaged snapshot is listed from the grid');
  });
});
