import { homedir } from 'node:os';
import { join } from 'node:path';
import { DiskLru } from './disk-lru.js';
import type { CallOptions, DirEntry, Store } from './store.js';
import { isImmutableCap, isImmutableDirCap, sizeFromCap } from './tahoe/caps.js';
import { DEFAULT_SEGMENT_SIZE, readBySegments, splitRun } from './segments.js';
import { ForwardingStore } from './forwarding-store.js';

/** Limits of a {@link DiskCachedStore}. */
export interface DiskCacheOptions {
  /** Cache directory (e.g. `$XDG_CACHE_HOME/timefs/<repo-id>`). */
  dir: string;
  /** Total bytes on disk. Default 1 GiB. */
  maxBytes?: number;
  /** Files larger than this are cached only as range segments. Default 16 MiB. */
  maxEntryBytes?: number;
  /** Size of the aligned pieces range reads are cached in. Default 1 MiB. */
  segmentSize?: number;
}

/** `$XDG_CACHE_HOME/timefs` (default `~/.cache/timefs`). */
export function defaultCacheRoot(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'timefs');
}

/**
 * A {@link Store} decorator keeping immutable objects on local disk across runs, bounded in bytes
 * with least-recently-used eviction: whole files, immutable directory listings, and range reads as
 * (cap, segment) pieces. Mutable objects pass straight through. Entries whose length does not
 * match what the cap says are treated as misses.
 */
export class DiskCachedStore extends ForwardingStore {
  private readonly lru: DiskLru;
  private readonly segmentSize: number;
  private readonly maxEntryBytes: number;

  constructor(inner: Store, options: DiskCacheOptions) {
    super(inner);
    this.lru = new DiskLru(options.dir, options.maxBytes ?? 1024 ** 3);
    this.segmentSize = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
    this.maxEntryBytes = options.maxEntryBytes ?? 16 * 1024 * 1024;
  }

  /** Bytes currently on disk (as recorded by this process). */
  bytes(): Promise<number> {
    return this.lru.bytes();
  }

  override async get(cap: string, options?: CallOptions): Promise<Uint8Array> {
    if (!isImmutableCap(cap)) return this.inner.get(cap, options);
    const key = `f:${cap}`;
    const hit = await this.lru.get(key);
    if (hit && hit.length === sizeFromCap(cap)) return plain(hit);
    const data = await this.inner.get(cap, options);
    if (data.length <= this.maxEntryBytes) await this.lru.set(key, data);
    return data;
  }
  override async *getStream(cap: string, options?: CallOptions): AsyncIterable<Uint8Array> {
    const hit = isImmutableCap(cap) ? await this.lru.get(`f:${cap}`) : undefined;
    if (hit && hit.length === sizeFromCap(cap)) {
      yield plain(hit);
      return;
    }
    yield* this.inner.getStream(cap, options);
  }
  override async getRange(cap: string, start: number, length: number, options?: CallOptions): Promise<Uint8Array> {
    if (!isImmutableCap(cap)) return this.inner.getRange(cap, start, length, options);
    const size = await this.inner.size(cap, options);
    const key = (index: number) => `s:${this.segmentSize}:${index}:${cap}`;
    return readBySegments(size, start, length, this.segmentSize, async (index, _segStart, segLength) => {
      const hit = await this.lru.get(key(index));
      return hit && hit.length === segLength ? plain(hit) : undefined;
    }, (first, count, runStart, runLength) => {
      const segments = splitRun(this.inner.getRange(cap, runStart, runLength, options), count, this.segmentSize);
      return segments.map((segment, i) => segment.then(async (data) => {
        await this.lru.set(key(first + i), data);
        return data;
      }));
    });
  }
  override async list(dirCap: string, options?: CallOptions): Promise<Map<string, DirEntry>> {
    if (!isImmutableDirCap(dirCap)) return this.inner.list(dirCap, options);
    const key = `d:${dirCap}`;
    const hit = await this.lru.get(key);
    if (hit) {
      try {
        return new Map(JSON.parse(hit.toString('utf8')) as [string, DirEntry][]);
      } catch { /* a damaged entry is a miss */ }
    }
    const listing = await this.inner.list(dirCap, options);
    await this.lru.set(key, Buffer.from(JSON.stringify([...listing])));
    return listing;
  }
}

/** Callers get plain Uint8Arrays from every Store, as from the grid. */
function plain(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
