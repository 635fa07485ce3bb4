import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { VERSION_NODE } from '../../../src/model/entry.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { createBackupView } from '../../../src/view/backup-view-setup.js';
import { addSnapshot, chainFile, dir, memoryRepo } from '../../helpers/view-fixture.js';

/** Counts whole-object fetches per cap. */
class GetCounter extends MemoryStore {
  readonly gets = new Map<string, number>();
  override async get(cap: string): Promise<Uint8Array> {
    this.gets.set(cap, (this.gets.get(cap) ?? 0) + 1);
    return super.get(cap);
  }
}

const KIB = 1024;

describe('the mount view keeps content within --cache-size', () => {
  it('opened chains and their deltas are bounded by the budget, not kept beside it', async () => {
    const store = new GetCounter();
    const { snapshotsCap } = await memoryRepo(store);
    // two chained files whose single delta is all literal (about 256 KiB each)
    const a = await chainFile(store, [randomBytes(256 * KIB), randomBytes(256 * KIB)]);
    const b = await chainFile(store, [randomBytes(256 * KIB), randomBytes(256 * KIB)]);
    await addSnapshot(store, snapshotsCap, '2009-01-09T01:49:00Z', await dir(store, { a, b }));
    const deltaCap = async (file: string): Promise<string> => {
      const root = (await store.list(snapshotsCap)).get('2009-01-09T01:49:00Z')!.readCap;
      const node = await store.list((await store.list(root)).get(file)!.readCap);
      return node.get(VERSION_NODE.deltaName(1))!.readCap;
    };
    const read = async (view: ReturnType<typeof createBackupView>['view'], file: string): Promise<void> => {
      const content = await view.open(['2009-01-09T01:49:00Z', file]);
      assert.equal((await content.read(0, 256 * KIB)).length, 256 * KIB);
      content.close();
    };

    // of 768 KiB, the deltas' quarter holds neither delta and the opened chains' half one chain,
    // not both: a, b, then a again fetches a's delta again
    const small = createBackupView(store, snapshotsCap, { zone: 'utc', cacheBytes: 768 * KIB }).view;
    const aDelta = await deltaCap('a');
    await read(small, 'a');
    await read(small, 'b');
    await read(small, 'a');
    assert.equal(store.gets.get(aDelta), 2, 'the chain of a was dropped within the budget and its delta fetched again');

    // a budget that holds both keeps both: no second fetch
    store.gets.clear();
    const large = createBackupView(store, snapshotsCap, { zone: 'utc', cacheBytes: 8 << 20 }).view;
    await read(large, 'a');
    await read(large, 'b');
    await read(large, 'a');
    assert.equal(store.gets.get(aDelta), 1);
  });
});
