import { LRUCache } from 'lru-cache';
import { isTimefsError } from '../model/errors.js';
import type { CallOptions, DirEntry, Store } from './store.js';
import { isImmutableCap, isImmutableDirCap } from './tahoe/caps.js';
import { DEFAULT_SEGMENT_SIZE, readBySegments, splitRun } from './segments.js';
import { ForwardingStore } from './forwarding-store.js';

/** Limits of a {@link MemoryCachedStore}. */
export interface MemoryCacheOptions {
  /** Total bytes kept (file data plus an estimate for listings). Default 64 MiB. */
  maxBytes?: number;
  /** Files larger than this are never kept whole, only as range segments. Default maxBytes / 8. */
  maxEntryBytes?: number;
  /** Size of the aligned pieces range reads are cached in. Default 1 MiB. */
  segmentSize?: number;
}

type Cached = Uint8Array | Map<string, DirEntry>;

/**
 * A {@link Store} decorator keeping immutable objects in memory, keyed by cap: whole files,
 * listings of immutable directories, and range reads as (cap, segment) pieces. Immutable content
 * never changes, so nothing is ever revalidated; mutable objects pass straight through.
 * Concurrent requests for the same piece share one fetch.
 */
export class MemoryCachedStore extends ForwardingStore {
  private readonly cache: LRUCache<string, Cached>;
  private readonly inflight = new Map<string, Promise<Cached>>();
  private readonly segmentSize: number;
  private readonly maxEntryBytes: number;

  constructor(inner: Store, options: MemoryCacheOptions = {}) {
    super(inner);
    const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.segmentSize = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
    this.maxEntryBytes = Math.min(options.maxEntryBytes ?? Math.floor(maxBytes / 8), maxBytes);
    this.cache = new LRUCache<string, Cached>({ maxSize: maxBytes, maxEntrySize: maxBytes, sizeCalculation: sizeOf });
  }

  /** Bytes currently held. */
  get bytes(): number {
    return this.cache.calculatedSize ?? 0;
  }

  private once<T extends Cached>(key: string, fetch: () => Promise<T>, keep: (value: T) => boolean, signal?: AbortSignal): Promise<T> {
    const hit = this.cache.get(key);
    if (hit !== undefined) return Promise.resolve(hit as T);
    const running = this.inflight.get(key);
    if (running) {
      // Joined a fetch another caller started: its cancellation must not fail this caller.
      return (running as Promise<T>).catch((err: unknown) => {
        if (isTimefsError(err, 'aborted') && !signal?.aborted) return this.once(key, fetch, keep, signal);
        throw err;
      });
    }
    const promise = fetch().then((value) => {
      if (keep(value)) this.cache.set(key, value);
      return value;
    }).finally(() => this.inflight.delete(key));
    this.inflight.set(key, promise);
    return promise;
  }

  override size(cap: string, options?: CallOptions): Promise<number> {
    const whole = this.cache.peek(`f:${cap}`);
    return whole instanceof Uint8Array ? Promise.resolve(whole.length) : this.inner.size(cap, options);
  }
  override async get(cap: string, options?: CallOptions): Promise<Uint8Array> {
    if (!isImmutableCap(cap)) return this.inner.get(cap, options);
    const data = await this.once(`f:${cap}`, () => this.inner.get(cap, options), (d) => d.length <= this.maxEntryBytes, options?.signal);
    return data.slice();
  }
  override async *getStream(cap: string, options?: CallOptions): AsyncIterable<Uint8Array> {
    const whole = this.cache.get(`f:${cap}`);
    if (whole instanceof Uint8Array) {
      yield whole.slice();
      return;
    }
    yield* this.inner.getStream(cap, options);
  }
  override async getRange(cap: string, start: number, length: number, options?: CallOptions): Promise<Uint8Array> {
    if (!isImmutableCap(cap)) return this.inner.getRange(cap, start, length, options);
    const whole = this.cache.get(`f:${cap}`);
    if (whole instanceof Uint8Array) return whole.slice(Math.min(start, whole.length), Math.min(start + length, whole.length));
    const size = await this.inner.size(cap, options);
    const key = (index: number) => `s:${this.segmentSize}:${index}:${cap}`;
    const out = await readBySegments(size, start, length, this.segmentSize, (index) => {
      const hit = this.cache.get(key(index));
      if (hit instanceof Uint8Array) return hit;
      const running = this.inflight.get(key(index)) as Promise<Uint8Array> | undefined;
      // A joined fetch that failed (e.g. its first reader cancelled) is fetched again as a miss.
      return running?.catch(() => undefined);
    }, (first, count, runStart, runLength) => {
      const run = this.inner.getRange(cap, runStart, runLength, options);
      return splitRun(run, count, this.segmentSize).map((segment, i) => {
        const promise = segment.then((data) => {
          this.cache.set(key(first + i), data);
          return data;
        }).finally(() => this.inflight.delete(key(first + i)));
        this.inflight.set(key(first + i), promise);
        return promise;
      });
    });
    return out.slice();
  }
  override async list(dirCap: string, options?: CallOptions): Promise<Map<string, DirEntry>> {
    if (!isImmutableDirCap(dirCap)) return this.inner.list(dirCap, options);
    const listing = await this.once(`d:${dirCap}`, () => this.inner.list(dirCap, options), () => true, options?.signal);
    return new Map([...listing].map(([name, entry]) => [name, structuredClone(entry)]));
  }
}

/** Bytes an entry is charged: data length, or a rough size of a listing (names, caps, metadata). */
function sizeOf(value: Cached): number {
  if (value instanceof Uint8Array) return Math.max(1, value.length);
  let total = 64;
  for (const [name, entry] of value) total += name.length * 2 + entry.cap.length + entry.readCap.length + JSON.stringify(entry.metadata).length + 64;
  return total;
}
