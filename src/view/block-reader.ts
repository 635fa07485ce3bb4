/**
 * Range reads of immutable grid files through fixed-size blocks, cached by (cap, block) in a
 * byte-bounded LRU. Fetching is done in runs, not blocks: {@link BlockReader.fetch} gets a whole
 * planned range (see read-planner.ts) with one closed `Range:` request through one p-queue that
 * limits concurrent requests, and splits it into blocks for the cache.
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

  constructor(private readonly store: Store, options: BlockReaderOptions = {}) {
    this.blockSize = options.blockSize ?? 1 << 20;
    this.queue = new PQueue({ concurrency: options.concurrency ?? 4 });
    this.cache = new LRUCache<string, Uint8Array>({
      maxSize: Math.max(options.cacheBytes ?? 64 << 20, this.blockSize),
      sizeCalculation: (block) => Math.max(1, block.length),
    });
  }

  /** Whether block `index` of `cap` is cached or being fetched. */
  has(cap: string, index: number): boolean {
    const key = `${index}:${cap}`;
    return this.cache.has(key) || this.pending.has(key);
  }

  /**
   * Starts fetching bytes [start, start+length) of `cap` (start block-aligned) with one request,
   * into the block cache. `signal` is given for a fetch a read waits on (an interrupted read
   * cancels its grid call), not for runs fetched ahead. A failure is seen by the reads that wait
   * for these blocks, and retried by the next one.
   */
  fetch(cap: string, start: number, length: number, signal?: AbortSignal): void {
    const first = Math.floor(start / this.blockSize);
    const count = Math.ceil((start + length) / this.blockSize) - first;
    if (count <= 0) return;
    for (const promise of this.fetchRun(cap, first, count, signal)) promise.catch(() => {});
  }

  /**
   * Bytes [offset, offset+length) of `cap`, assembled from cached or in-flight blocks; blocks
   * neither cached nor in flight are fetched here, each run of them with one request.
   */
  async readRange(cap: string, offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    const first = Math.floor(offset / this.blockSize);
    const last = Math.floor((offset + length - 1) / this.blockSize);
    const blocks = await Promise.all(this.blocks(cap, first, last - first + 1, signal));
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
