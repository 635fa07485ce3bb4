/**
 * Range reads of immutable grid files through fixed-size blocks: each block is one closed
 * `Range:` request, cached by (cap, block) in a byte-bounded LRU, fetched through one p-queue
 * that limits concurrent requests. A reader that goes sequentially prefetches blocks ahead.
 */
import { LRUCache } from 'lru-cache';
import PQueue from 'p-queue';
import type { Store } from '../store/store.js';

/** Options of {@link BlockReader}. */
export interface BlockReaderOptions {
  /** Block size in bytes (default 1 MiB): a random read of n bytes fetches at most n + 1 block. */
  blockSize?: number;
  /** Bytes of blocks kept in memory (default 64 MiB). */
  cacheBytes?: number;
  /** Concurrent grid requests (default 4). */
  concurrency?: number;
  /** Blocks fetched ahead of a sequential reader (default 4). */
  prefetchBlocks?: number;
}

/** Counters for benchmarks and tests. */
export interface BlockReaderStats {
  requests: number;
  bytesFetched: number;
}

/** Shared block cache and request queue for every open file of a mount. */
export class BlockReader {
  readonly blockSize: number;
  readonly stats: BlockReaderStats = { requests: 0, bytesFetched: 0 };
  private readonly cache: LRUCache<string, Uint8Array>;
  private readonly pending = new Map<string, Promise<Uint8Array>>();
  private readonly queue: PQueue;
  private readonly prefetchBlocks: number;
  /** Most blocks in flight before prefetching pauses: many readers at once share one budget. */
  private readonly maxPendingBlocks: number;

  constructor(private readonly store: Store, options: BlockReaderOptions = {}) {
    this.blockSize = options.blockSize ?? 1 << 20;
    this.prefetchBlocks = options.prefetchBlocks ?? 4;
    this.queue = new PQueue({ concurrency: options.concurrency ?? 4 });
    this.maxPendingBlocks = Math.max(this.prefetchBlocks, Math.floor((options.cacheBytes ?? 64 << 20) / this.blockSize / 2));
    this.cache = new LRUCache<string, Uint8Array>({
      maxSize: Math.max(options.cacheBytes ?? 64 << 20, this.blockSize),
      sizeCalculation: (block) => Math.max(1, block.length),
    });
  }

  /**
   * Bytes [offset, offset+length) of `cap`, assembled from cached or fetched blocks. With
   * `readAround`, the blocks up to `offset + readAround` are fetched in the same request: the
   * kernel splits one large read into 128 KiB requests that arrive one after another, and one
   * request for all of it is faster than one per block.
   */
  async readRange(cap: string, offset: number, length: number, signal?: AbortSignal, readAround = 0): Promise<Uint8Array> {
    const first = Math.floor(offset / this.blockSize);
    const last = Math.floor((offset + length - 1) / this.blockSize);
    const fetchLast = Math.max(last, Math.floor((offset + readAround - 1) / this.blockSize));
    const promises = this.blocks(cap, first, fetchLast - first + 1, signal);
    // blocks fetched only around the read: a failure there is retried by the read that needs them
    for (const extra of promises.slice(last - first + 1)) extra.catch(() => {});
    const blocks = await Promise.all(promises.slice(0, last - first + 1));
    if (blocks.length === 1) {
      const base = first * this.blockSize;
      return (blocks[0] as Uint8Array).subarray(offset - base, offset - base + length);
    }
    const out = new Uint8Array(length);
    let written = 0;
    for (const [i, block] of blocks.entries()) {
      const blockStart = (first + i) * this.blockSize;
      const from = Math.max(offset, blockStart) - blockStart;
      const to = Math.min(offset + length, blockStart + block.length) - blockStart;
      if (to <= from) break;
      out.set(block.subarray(from, to), written);
      written += to - from;
    }
    return written === length ? out : out.subarray(0, written);
  }

  /**
   * Keeps the `prefetchBlocks` blocks after byte `from` cached or in flight, fetching missing ones
   * in runs of at least a quarter of the window: each grid request has a fixed cost, so a few
   * large requests stream faster than many small ones. Blocks in flight over all files are
   * bounded by half the cache size.
   */
  prefetch(cap: string, from: number): void {
    const first = Math.floor(from / this.blockSize);
    const minRun = Math.max(1, Math.floor(this.prefetchBlocks / 4));
    let missing = first;
    while (missing < first + this.prefetchBlocks && (this.cache.has(`${missing}:${cap}`) || this.pending.has(`${missing}:${cap}`))) missing++;
    // Twenty readers each prefetching a full window would hold twenty windows in memory: the
    // blocks in flight share one budget (half the cache), and a reader over it reads on demand.
    const count = Math.min(first + this.prefetchBlocks - missing, this.maxPendingBlocks - this.pending.size);
    if (count <= 0 || (count < minRun && missing > first + 1)) return;
    // A failed prefetch is retried by the read that needs the block; nothing to report here.
    for (const promise of this.blocks(cap, missing, count)) promise.catch(() => {});
  }

  /**
   * Promises for `count` blocks from `first`: cached ones at once, ones in flight shared, and each
   * run of consecutive missing blocks fetched with one closed range request (fewer, larger
   * requests are what the grid serves fastest).
   */
  private blocks(cap: string, first: number, count: number, signal?: AbortSignal): Array<Promise<Uint8Array>> {
    const out: Array<Promise<Uint8Array>> = [];
    let runStart = -1;
    const flush = (end: number): void => {
      if (runStart < 0) return;
      out.push(...this.fetchRun(cap, runStart, end - runStart, signal));
      runStart = -1;
    };
    for (let index = first; index < first + count; index++) {
      const key = `${index}:${cap}`;
      const cached = this.cache.get(key);
      const pending = cached ? Promise.resolve(cached) : this.pending.get(key);
      if (pending) {
        flush(index);
        out.push(pending);
      } else if (runStart < 0) {
        runStart = index;
      }
    }
    flush(first + count);
    return out;
  }

  private fetchRun(cap: string, first: number, count: number, signal?: AbortSignal): Array<Promise<Uint8Array>> {
    const options = signal ? { signal } : {};
    const run = this.queue.add(async () => {
      const bytes = await this.store.getRange(cap, first * this.blockSize, count * this.blockSize, options);
      this.stats.requests++;
      this.stats.bytesFetched += bytes.length;
      return bytes;
    }, options);
    return Array.from({ length: count }, (_, i) => {
      const key = `${first + i}:${cap}`;
      const promise = run.then((bytes) => {
        // copies, so that evicting one block frees it rather than pinning the whole run's buffer
        const block = count === 1 ? bytes : bytes.slice(i * this.blockSize, (i + 1) * this.blockSize);
        this.cache.set(key, block);
        return block;
      }).finally(() => this.pending.delete(key));
      this.pending.set(key, promise);
      return promise;
    });
  }
}
