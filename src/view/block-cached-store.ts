/**
 * A {@link Store} decorator that serves `getRange` from a {@link BlockReader}: ranges of
 * immutable files are planned by a {@link ReadPlanner} per cap (large runs ahead of a sequential
 * reader, at most 2 MiB for a random read), fetched in those runs, and cached as blocks.
 * Everything else passes through.
 */
import { LRUCache } from 'lru-cache';
import type { CallOptions, Store } from '../store/store.js';
import type { BlockReader } from './block-reader.js';
import { ForwardingStore } from '../store/forwarding-store.js';
import { ReadPlanner, type ReadPlannerOptions } from './read-planner.js';

/** Store whose range reads go through a shared block cache with planned, run-sized fetches. */
export class BlockCachedStore extends ForwardingStore {
  /** Per cap: the planner that follows its reads (sequential or random). */
  private readonly planners = new LRUCache<string, ReadPlanner>({ max: 1024 });

  constructor(inner: Store, private readonly blocks: BlockReader, private readonly planning: ReadPlannerOptions = {}) {
    super(inner);
  }

  override async getRange(cap: string, start: number, length: number, options?: CallOptions): Promise<Uint8Array> {
    if (length <= 0) return new Uint8Array(0);
    const planner = await this.plannerFor(cap, options);
    const ranges = planner.plan(start, length, (block) => this.blocks.has(cap, block));
    // The fetch this read waits on carries its signal; runs planned further ahead serve later reads.
    for (const range of ranges) this.blocks.fetch(cap, range.start, range.end - range.start, range.start < start + length ? options?.signal : undefined);
    const available = Math.min(length, planner.size - start);
    if (available <= 0) return new Uint8Array(0);
    return this.blocks.readRange(cap, start, available, options?.signal);
  }

  /**
   * Starts fetching the first bytes of `cap` (at most one random read's worth) before anyone
   * asks: a chain's base is warmed while its deltas are still being fetched.
   */
  async warm(cap: string, options?: CallOptions): Promise<void> {
    const planner = await this.plannerFor(cap, options);
    if (planner.size > 0) this.startFetches(cap, planner.plan(0, 1, (block) => this.blocks.has(cap, block)));
  }

  private startFetches(cap: string, ranges: ReadonlyArray<{ start: number; end: number }>): void {
    for (const range of ranges) this.blocks.fetch(cap, range.start, range.end - range.start);
  }

  private async plannerFor(cap: string, options?: CallOptions): Promise<ReadPlanner> {
    const known = this.planners.get(cap);
    if (known) return known;
    const size = await this.inner.size(cap, options);
    const planner = this.planners.get(cap) ?? new ReadPlanner(size, { blockSize: this.blocks.blockSize, ...this.planning });
    this.planners.set(cap, planner);
    return planner;
  }
}
