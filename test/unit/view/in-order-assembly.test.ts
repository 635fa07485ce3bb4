import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExtentList, Piece } from '../../../src/delta/extents.js';
import { isTimefsError } from '../../../src/model/errors.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { baseFlow, Prefetch } from '../../../src/view/base-flow.js';
import { assembleInOrder, inOrderSpan } from '../../../src/view/in-order-assembly.js';

const place = { path: '/f', snapshot: 'S' };

/** Deterministic bytes. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** An extent list from pieces given as [source, length, position/offset, delta]. */
function extents(specs: Array<['base', number, number] | ['delta', number, number, number]>): ExtentList {
  let start = 0;
  const pieces: Piece[] = specs.map((s) => {
    const piece: Piece = s[0] === 'base'
      ? { source: 'base', start, length: s[1], position: s[2] }
      : { source: 'delta', start, length: s[1], offset: s[2], delta: s[3] };
    start += s[1];
    return piece;
  });
  return { size: start, pieces };
}

/** What the extents describe, built the obvious way. */
function expected(list: ExtentList, base: Uint8Array, deltas: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(list.size);
  for (const p of list.pieces) {
    out.set(p.source === 'base' ? base.subarray(p.position, p.position + p.length) : deltas[p.delta]!.subarray(p.offset, p.offset + p.length), p.start);
  }
  return out;
}

async function* chunksOf(data: Uint8Array, size: number, counter?: { pulled: number }): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) {
    if (counter) counter.pulled = i + size;
    yield data.subarray(i, i + size);
  }
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<{ all: Uint8Array; sizes: number[] }> {
  const parts: Uint8Array[] = [];
  for await (const p of it) parts.push(p);
  const all = Buffer.concat(parts);
  return { all: new Uint8Array(all.buffer, all.byteOffset, all.length), sizes: parts.map((p) => p.length) };
}

describe('in-order assembly', () => {
  const base = bytes(10_000, 1);
  const deltas = [bytes(500, 2), bytes(700, 3)];
  const list = extents([['base', 1000, 0], ['delta', 200, 10, 0], ['base', 3000, 1200], ['delta', 300, 100, 1], ['base', 2500, 4500], ['base', 800, 9200]]);

  it('rebuilds the content from a base flow of any chunk size, in output chunks of the size asked', async () => {
    for (const baseChunk of [1, 7, 1000, 4096, 20_000]) {
      for (const outChunk of [3, 1000, 1 << 20]) {
        const { all, sizes } = await collect(assembleInOrder(list, deltas, chunksOf(base, baseChunk), outChunk, place));
        assert.deepEqual(all, expected(list, base, deltas), `base chunks ${baseChunk}, output chunks ${outChunk}`);
        assert.ok(sizes.slice(0, -1).every((n) => n === outChunk), 'every chunk but the last is full');
      }
    }
  });

  it('reads the base no further than the content needs', async () => {
    const counter = { pulled: 0 };
    const shrunk = extents([['base', 100, 0], ['delta', 50, 0, 0], ['base', 100, 300]]);
    await collect(assembleInOrder(shrunk, deltas, chunksOf(base, 100, counter), 64, place));
    assert.equal(counter.pulled, 400);
  });

  it('serves copies from earlier in the base (within what is held)', async () => {
    const backwards = extents([['base', 2000, 5000], ['base', 1000, 0], ['delta', 10, 0, 1], ['base', 3000, 1500]]);
    const { all } = await collect(assembleInOrder(backwards, deltas, chunksOf(base, 333, undefined), 512, place));
    assert.deepEqual(all, expected(backwards, base, deltas));
  });

  it('fails with an integrity error when the base ends early or a delta is too short', async () => {
    await assert.rejects(collect(assembleInOrder(list, deltas, chunksOf(base.subarray(0, 5000), 1000), 1000, place)),
      (err) => isTimefsError(err, 'integrity') && err.message.includes('/f') && err.message.includes('S'));
    await assert.rejects(collect(assembleInOrder(list, [deltas[0]!, deltas[0]!.subarray(0, 10)], chunksOf(base, 1000), 1000, place)),
      (err) => isTimefsError(err, 'integrity'));
  });

  it('plans the streamed prefix, and leaves sparse or far-reaching chains to range reads', () => {
    assert.deepEqual(inOrderSpan(list), { end: 10_000 });
    assert.deepEqual(inOrderSpan(extents([['delta', 10, 0, 0]])), { end: 0 }, 'literal only: no base');
    assert.equal(inOrderSpan(extents([['base', 100, 0], ['base', 100, 9000]])), undefined, 'uses 2 % of the prefix');
    const far = extents([['base', 5000, 5000], ['base', 5000, 0]]);
    assert.equal(inOrderSpan(far, 5000), undefined, 'would hold 10,000 bytes');
    assert.deepEqual(inOrderSpan(far, 20_000), { end: 10_000 });
  });
});

describe('base flow', () => {
  it('gives an object in order as one stream or as ranges in flight, and a part of it', async () => {
    const store = new MemoryStore();
    const data = bytes(100_000, 9);
    const cap = await store.putImmutable(data);
    assert.deepEqual((await collect(baseFlow(store, cap, 0, data.length, data.length, { kind: 'stream' }))).all, data);
    const ranged = await collect(baseFlow(store, cap, 0, data.length, data.length, { kind: 'ranges', rangeBytes: 30_000, inFlight: 3 }));
    assert.deepEqual(ranged.all, data);
    assert.deepEqual(ranged.sizes, [30_000, 30_000, 30_000, 10_000]);
    assert.deepEqual((await collect(baseFlow(store, cap, 500, 1500, data.length, { kind: 'stream' }))).all, data.subarray(500, 1500));
  });

  it('prefetch pulls ahead up to its bound, hands everything over in order, and stops on return', async () => {
    const data = bytes(10_000, 4);
    const counter = { pulled: 0 };
    const ahead = new Prefetch(chunksOf(data, 1000, counter), 3000);
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(counter.pulled >= 3000 && counter.pulled <= 4000, `pulled ${counter.pulled} before any read`);
    const first = await ahead.next();
    assert.deepEqual(first.value, data.subarray(0, 1000));
    const rest: Uint8Array[] = [];
    for (let r = await ahead.next(); !r.done; r = await ahead.next()) rest.push(r.value);
    assert.equal(Buffer.compare(Buffer.concat(rest), data.subarray(1000)), 0);

    const abort = new AbortController();
    const stopped = new Prefetch(chunksOf(data, 1000, counter), 2000, abort);
    await stopped.return();
    assert.ok(abort.signal.aborted);
    assert.equal((await stopped.next()).done, true);
  });

  it('passes a failure of the source to the reader', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(10);
      throw new Error('grid gone');
    }
    const ahead = new Prefetch(failing(), 1 << 20);
    assert.equal((await ahead.next()).value?.length, 10);
    await assert.rejects(ahead.next(), /grid gone/);
  });
});
