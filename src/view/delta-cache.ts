/**
 * A byte-bounded LRU cache of immutable objects (deltas) by cap, with concurrent requests for the
 * same cap sharing one fetch. Deltas are small and immutable, so caching them whole is safe.
 */
import { LRUCache } from 'lru-cache';
import type { CallOptions, Store } from '../store/store.js';

/** Fetches immutable objects whole, through a bounded cache. */
export interface ObjectCache {
  /** The whole content of the immutable object `cap`. */
  get(cap: string, options?: CallOptions): Promise<Uint8Array>;
}

/** Default bound of {@link DeltaCache}: 64 MiB. */
export const DEFAULT_DELTA_CACHE_BYTES = 64 * 1024 * 1024;

/** {@link ObjectCache} over a {@link Store}, bounded in bytes with LRU eviction. */
export class DeltaCache implements ObjectCache {
  private readonly cache: LRUCache<string, Uint8Array>;
  private readonly inFlight = new Map<string, Promise<Uint8Array>>();

  /** @param maxBytes upper bound of cached bytes; an object larger than it is fetched but not kept */
  constructor(private readonly store: Store, maxBytes = DEFAULT_DELTA_CACHE_BYTES) {
    this.cache = new LRUCache<string, Uint8Array>({
      maxSize: Math.max(1, maxBytes),
      sizeCalculation: (bytes) => Math.max(1, bytes.length),
    });
  }

  async get(cap: string, options?: CallOptions): Promise<Uint8Array> {
    const cached = this.cache.get(cap);
    if (cached) return cached;
    const pending = this.inFlight.get(cap);
    if (pending) return pending;
    const fetching = this.store.get(cap, options).then((bytes) => {
      // lru-cache refuses (and warns about nothing) when one item exceeds maxSize: fine.
      this.cache.set(cap, bytes);
      return bytes;
    }).finally(() => this.inFlight.delete(cap));
    this.inFlight.set(cap, fetching);
    return fetching;
  }

  /** Bytes currently cached (for tests and stats). */
  get cachedBytes(): number {
    return this.cache.calculatedSize;
  }
}
