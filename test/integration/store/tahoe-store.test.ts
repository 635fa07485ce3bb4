import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { isTimefsError } from '../../../src/model/errors.js';
import { MemoryCachedStore } from '../../../src/store/memory-cache-store.js';
import type { TahoeStore } from '../../../src/store/tahoe/tahoe-store.js';
import { testStore } from '../../helpers/grid.js';
import { patternBytes } from '../../helpers/store-contract.js';

const MiB = 1024 * 1024;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('TahoeStore on the real grid: sizes, ranges, streams', () => {
  let store: TahoeStore;
  let big: Uint8Array;
  let bigCap: string;

  before(async () => {
    store = await testStore();
    big = patternBytes(20 * MiB, 20);
    bigCap = await store.putImmutable(big);
  });

  it('round-trips 0, 1, 55, 56 and 1 MiB+1 bytes, from bytes and from a stream', async () => {
    for (const size of [0, 1, 55, 56, MiB + 1]) {
      const data = patternBytes(size, 100 + size);
      const cap = await store.putImmutable(data);
      assert.match(cap, size <= 55 ? /^URI:LIT:/ : new RegExp(`^URI:CHK:.*:2:3:${size}$`));
      assert.equal(sha(await store.get(cap)), sha(data), `get, size ${size}`);
      const stream = (async function* () {
        for (let i = 0; i < size; i += 65_536) yield data.subarray(i, i + 65_536);
      })();
      assert.equal(await store.putImmutable({ stream, size }), cap, `stream upload, size ${size}`);
    }
  });

  it('round-trips 20 MiB, whole and streamed', async () => {
    assert.equal(await store.size(bigCap), 20 * MiB);
    assert.equal(sha(await store.get(bigCap)), sha(big));
    const hash = createHash('sha256');
    let total = 0;
    for await (const chunk of store.getStream(bigCap)) {
      hash.update(chunk);
      total += chunk.length;
    }
    assert.equal(total, big.length);
    assert.equal(hash.digest('hex'), sha(big));
  });

  it('reads ranges: first byte, last byte, across 128 KiB and 1 MiB segment boundaries, past the end', async () => {
    const cases: [number, number][] = [[0, 1], [big.length - 1, 1], [128 * 1024 - 10, 20], [MiB - 5000, 70_000], [3 * MiB + 17, 2 * MiB]];
    for (const [start, length] of cases) {
      assert.deepEqual(await store.getRange(bigCap, start, length), big.subarray(start, start + length), `range ${start}+${length}`);
    }
    assert.deepEqual(await store.getRange(bigCap, big.length - 3, 100), big.subarray(big.length - 3));
    assert.equal((await store.getRange(bigCap, big.length, 10)).length, 0);
    assert.equal((await store.getRange(bigCap, big.length + 5000, 10)).length, 0);
  });

  it('the memory cache serves ranges by segment with the same bytes', async () => {
    const cached = new MemoryCachedStore(store, { maxBytes: 8 * MiB, segmentSize: 128 * 1024 });
    for (const [start, length] of [[128 * 1024 - 10, 20], [5 * MiB + 1, 300_000], [5 * MiB + 2, 10]] as [number, number][]) {
      assert.deepEqual(await cached.getRange(bigCap, start, length), big.subarray(start, start + length));
    }
    assert.ok(cached.bytes > 0 && cached.bytes <= 8 * MiB);
  });

  it('a cap with no shares is "gone" (410) on read and unhealthy on check, though its size is known', async () => {
    const fake = bigCap.replace(/^URI:CHK:[a-z2-7]{26}/, `URI:CHK:${'a'.repeat(26)}`);
    assert.notEqual(fake, bigCap);
    assert.equal(await store.size(fake), big.length, 'size comes from the cap');
    await assert.rejects(store.get(fake), (err) => isTimefsError(err, 'grid.gone'));
    await assert.rejects(store.getRange(fake, 0, 10), (err) => isTimefsError(err, 'grid.gone'));
    const health = await store.check(fake);
    assert.equal(health.healthy, false);
    assert.equal(health.recoverable, false);
    assert.equal(health.sharesGood, 0);
  });

  it('a mutable directory linked into an immutable one is refused by the grid', async () => {
    const mutable = await store.mkdirMutable();
    await assert.rejects(store.mkdirImmutable({ m: { cap: mutable } }), (err) => isTimefsError(err, 'grid.refused') && /Immutable/.test((err as Error).message));
  });
});
