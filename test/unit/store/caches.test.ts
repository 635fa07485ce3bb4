import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isTimefsError, TimefsError } from '../../../src/model/errors.js';
import { ConcurrencyLimitedStore } from '../../../src/store/concurrency-limited-store.js';
import { DiskCachedStore } from '../../../src/store/disk-cache-store.js';
import { MemoryCachedStore } from '../../../src/store/memory-cache-store.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { readBySegments, splitRun } from '../../../src/store/segments.js';
import type { Store } from '../../../src/store/store.js';
import { patternBytes } from '../../helpers/store-contract.js';

/** A MemoryStore that counts grid reads and how many run at once. */
class CountingStore extends MemoryStore {
  reads = 0;
  running = 0;
  maxRunning = 0;
  override async get(cap: string): Promise<Uint8Array> {
    this.reads++;
    return this.track(() => super.get(cap));
  }
  override async getRange(cap: string, start: number, length: number): Promise<Uint8Array> {
    this.reads++;
    return this.track(() => super.getRange(cap, start, length));
  }
  override async list(cap: string) {
    this.reads++;
    return super.list(cap);
  }
  private async track<T>(fn: () => Promise<T>): Promise<T> {
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    await new Promise((r) => setTimeout(r, 5));
    try {
      return await fn();
    } finally {
      this.running--;
    }
  }
}

function diskBytes(dir: string): number {
  let total = 0;
  for (const sub of readdirSync(join(dir, 'objects'))) {
    for (const name of readdirSync(join(dir, 'objects', sub))) total += statSync(join(dir, 'objects', sub, name)).size;
  }
  return total;
}

async function fileCaps(store: Store, count: number, size: number, seed: number): Promise<{ caps: string[]; data: Uint8Array[] }> {
  const data = Array.from({ length: count }, (_, i) => patternBytes(size, seed + i));
  return { caps: await Promise.all(data.map((d) => store.putImmutable(d))), data };
}

describe('readBySegments', () => {
  it('assembles clamped ranges from aligned segments', async () => {
    const data = patternBytes(1000, 1);
    const asked: number[] = [];
    const read = (start: number, length: number) => readBySegments(data.length, start, length, 128, () => undefined, (first, count, s, l) => {
      asked.push(first);
      assert.equal(s, first * 128);
      return splitRun(Promise.resolve(data.slice(s, s + l)), count, 128);
    });
    assert.deepEqual(await read(120, 20), data.slice(120, 140));
    assert.deepEqual(asked, [0], 'two missing segments are one fetch');
    assert.deepEqual(await read(990, 100), data.slice(990));
    assert.equal((await read(1000, 5)).length, 0);
    assert.deepEqual(await read(0, 1000), data);
  });

  it('fetches consecutive missing segments in runs, never one request per segment', async () => {
    const data = patternBytes(4000, 2);
    const cached = new Set([3, 4]);
    const fetches: Array<[number, number]> = [];
    const out = await readBySegments(data.length, 0, 4000, 100, (i, s, l) => (cached.has(i) ? data.slice(s, s + l) : undefined), (first, count, s, l) => {
      fetches.push([s, l]);
      return splitRun(Promise.resolve(data.slice(s, s + l)), count, 100);
    }, 1000);
    assert.deepEqual(out, data);
    // segments 0-2 (one run), cached 3-4, then 5..39 in runs of at most 1000 bytes
    assert.deepEqual(fetches, [[0, 300], [500, 1000], [1500, 1000], [2500, 1000], [3500, 500]]);
  });
});

describe('MemoryCachedStore', () => {
  it('serves repeated reads of immutable objects from memory, never mutable ones', async () => {
    const inner = new CountingStore();
    const cached = new MemoryCachedStore(inner, { maxBytes: 1 << 20 });
    const { caps: [cap], data: [data] } = await fileCaps(inner, 1, 5000, 10);
    assert.deepEqual(await cached.get(cap as string), data);
    assert.deepEqual(await cached.get(cap as string), data);
    assert.equal(inner.reads, 1);
    const dir = await inner.mkdirImmutable({ a: { cap: cap as string } });
    await cached.list(dir);
    await cached.list(dir);
    assert.equal(inner.reads, 2);
    const mutable = await inner.mkdirMutable();
    await cached.list(mutable);
    await cached.list(mutable);
    assert.equal(inner.reads, 4, 'mutable listings are always fetched');
  });

  it('shares one fetch between concurrent readers and copies results', async () => {
    const inner = new CountingStore();
    const cached = new MemoryCachedStore(inner, { maxBytes: 1 << 20 });
    const { caps: [cap] } = await fileCaps(inner, 1, 5000, 20);
    const [a, b] = await Promise.all([cached.get(cap as string), cached.get(cap as string)]);
    assert.equal(inner.reads, 1);
    (a as Uint8Array)[0] = ((a as Uint8Array)[0] as number) ^ 0xff;
    assert.notDeepEqual(a, b, 'callers cannot modify the cached copy');
    assert.deepEqual(await cached.get(cap as string), b);
  });

  it('a reader that joined a fetch is not failed by the first reader cancelling', async () => {
    class SlowStore extends MemoryStore {
      override async get(cap: string, options?: { signal?: AbortSignal }): Promise<Uint8Array> {
        await new Promise((resolve, reject) => {
          const timer = setTimeout(resolve, 30);
          options?.signal?.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(new TimefsError('aborted', 'cancelled'));
          });
        });
        return super.get(cap);
      }
    }
    const inner = new SlowStore();
    const cached = new MemoryCachedStore(inner, { maxBytes: 1 << 20 });
    const { caps: [cap], data: [data] } = await fileCaps(inner, 1, 3000, 25);
    const controller = new AbortController();
    const first = cached.get(cap as string, { signal: controller.signal });
    const second = cached.get(cap as string);
    controller.abort();
    await assert.rejects(first, (err) => isTimefsError(err, 'aborted'));
    assert.deepEqual(await second, data);
  });

  it('stays within its byte bound, evicting least recently used objects', async () => {
    const inner = new CountingStore();
    const cached = new MemoryCachedStore(inner, { maxBytes: 50_000, maxEntryBytes: 20_000 });
    const { caps } = await fileCaps(inner, 10, 10_000, 30);
    for (const cap of caps) {
      await cached.get(cap);
      assert.ok(cached.bytes <= 50_000, `holds ${cached.bytes}`);
    }
    const before = inner.reads;
    await cached.get(caps[9] as string);
    assert.equal(inner.reads, before, 'the most recent object is still cached');
    await cached.get(caps[0] as string);
    assert.equal(inner.reads, before + 1, 'the oldest was evicted');
    const { caps: [huge] } = await fileCaps(inner, 1, 30_000, 40);
    await cached.get(huge as string);
    await cached.get(huge as string);
    assert.equal(inner.reads, before + 3, 'objects above maxEntryBytes are not kept whole');
  });

  it('caches range reads by segment', async () => {
    const inner = new CountingStore();
    const cached = new MemoryCachedStore(inner, { maxBytes: 1 << 20, segmentSize: 1024 });
    const { caps: [cap], data: [data] } = await fileCaps(inner, 1, 10_000, 50);
    assert.deepEqual(await cached.getRange(cap as string, 1000, 100), (data as Uint8Array).slice(1000, 1100));
    assert.equal(inner.reads, 1, 'two missing segments, fetched as one run');
    assert.deepEqual(await cached.getRange(cap as string, 1010, 30), (data as Uint8Array).slice(1010, 1040));
    assert.deepEqual(await cached.getRange(cap as string, 9990, 100), (data as Uint8Array).slice(9990));
    assert.equal(inner.reads, 2);
  });
});

describe('DiskCachedStore', () => {
  it('keeps immutable objects across instances, bounded in bytes with LRU eviction', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'timefs-diskcache-'));
    const inner = new CountingStore();
    const { caps, data } = await fileCaps(inner, 8, 10_000, 60);
    const first = new DiskCachedStore(inner, { dir, maxBytes: 45_000 });
    for (const cap of caps) await first.get(cap);
    assert.ok(diskBytes(dir) <= 45_000, `disk holds ${diskBytes(dir)}`);
    assert.equal(await first.bytes(), diskBytes(dir));
    for (const name of readdirSync(join(dir, 'objects'))) assert.match(name, /^[0-9a-f]{2}$/, 'file names are hashes, never caps');

    const second = new DiskCachedStore(inner, { dir, maxBytes: 45_000 });
    const before = inner.reads;
    assert.deepEqual(await second.get(caps[7] as string), data[7]);
    assert.equal(inner.reads, before, 'read from disk by a new instance');
    await second.get(caps[0] as string);
    assert.equal(inner.reads, before + 1, 'the oldest object was evicted');

    const smaller = new DiskCachedStore(inner, { dir, maxBytes: 15_000 });
    assert.ok((await smaller.bytes()) <= 15_000, 'a smaller bound evicts on open');
    assert.ok(diskBytes(dir) <= 15_000);
  });

  it('caches segments and immutable listings; mutable data passes through', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'timefs-diskcache-'));
    const inner = new CountingStore();
    const cached = new DiskCachedStore(inner, { dir, maxBytes: 1 << 20, segmentSize: 4096 });
    const { caps: [cap], data: [data] } = await fileCaps(inner, 1, 20_000, 70);
    assert.deepEqual(await cached.getRange(cap as string, 4000, 200), (data as Uint8Array).slice(4000, 4200));
    assert.deepEqual(await cached.getRange(cap as string, 4090, 10), (data as Uint8Array).slice(4090, 4100));
    assert.equal(inner.reads, 1, 'two missing segments, fetched as one run, then served from disk');
    const imm = await inner.mkdirImmutable({ f: { cap: cap as string, metadata: { timefs: { size: 20_000 } } } });
    const listing = await cached.list(imm);
    assert.deepEqual(await new DiskCachedStore(inner, { dir, maxBytes: 1 << 20 }).list(imm), listing);
    assert.equal(inner.reads, 2);
  });
});

describe('ConcurrencyLimitedStore', () => {
  it('never runs more than the limit at once and completes everything', async () => {
    const inner = new CountingStore();
    const limited = new ConcurrencyLimitedStore(inner, 3);
    const { caps, data } = await fileCaps(inner, 12, 100, 80);
    const results = await Promise.all(caps.map((cap) => limited.get(cap)));
    assert.deepEqual(results, data);
    assert.equal(inner.maxRunning, 3);
  });
});
