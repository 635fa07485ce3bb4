/**
 * A {@link Store} decorator that serves `getRange` from a {@link BlockReader}: ranges of
 * immutable files are fetched as whole blocks, cached in memory by (cap, block), limited in
 * concurrency, and prefetched ahead when a cap is read sequentially. Everything else passes through.
 */
import { LRUCache } from 'lru-cache';
import type { CallOptions, Store } from '../store/store.js';
import type { BlockReader } from './block-reader.js';
import { ForwardingStore } from '../store/forwarding-store.js';

/** Bytes read back to back after which a reader counts as sequential. */
const SEQUENTIAL_RUN = 2 << 20;
/** Largest jump between reads that still counts as going on sequentially. */
const RUN_SLACK = 256 << 10;
/** Bytes fetched from where a new run of reads starts (a 1 MiB application read, split by the kernel). */
const READ_AROUND = 1 << 20;

/** Store whose range reads go through a shared block cache with sequential prefetch. */
export class BlockCachedStore extends ForwardingStore {
  /** Per cap: where the current run of back-to-back reads started and where it ended. */
  private readonly runs = new LRUCache<string, { start: number; end: number }>({ max: 1024 });

  constructor(inner: Store, private readonly blocks: BlockReader) {
    super(inner);
  }

  override async getRange(cap: string, start: number, length: number, options?: CallOptions): Promise<Uint8Array> {
    if (length <= 0) return new Uint8Array(0);
    const previous = this.runs.get(cap);
    // Reads of a chained file reach its base as spans with small gaps (literal bytes from the
    // deltas sit between them), so a read starting near where the last one ended continues the run.
    const continues = previous !== undefined && start >= previous.start && Math.abs(start - previous.end) <= RUN_SLACK;
    const run = { start: continues ? (previous as { start: number }).start : start, end: Math.max(start + length, continues ? (previous as { end: number }).end : 0) };
    this.runs.set(cap, run);
    // A read that starts a new run is probably the first piece of a larger one (see readRange).
    const bytes = await this.blocks.readRange(cap, start, length, options?.signal, continues ? 0 : READ_AROUND);
    // Prefetch only for a real sequential reader: one random 1 MiB read arrives as several
    // back-to-back kernel requests and must not pull in megabytes after it. Past the end a block
    // comes back empty without a request, so prefetch needs no size.
    if (run.end - run.start >= SEQUENTIAL_RUN && bytes.length === length) this.blocks.prefetch(cap, start + length);
    return bytes;
  }

}
