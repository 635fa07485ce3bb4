/**
 * Directory listings of snapshot trees, cached by cap. Snapshot trees are immutable, so a listing
 * never goes stale; the cache is bounded by the bytes its entries take (LRU).
 */
import { LRUCache } from 'lru-cache';
import type { EntryMeta, EntryType } from '../model/entry.js';
import { escapedName, rawNameBytes } from '../model/names.js';
import { ListingWindow } from '../store/listing-window.js';
import type { DirEntry, Store } from '../store/store.js';
import type { DirChild } from './mount-source.js';

/** One child of a snapshot directory. */
export interface TreeEntry {
  /** The key of the entry in its listing and in mount paths (see {@link nameForBytes}). */
  name: string;
  /** The Tahoe edge name (an escaped form when the on-disk name was not plain UTF-8). */
  edgeName: string;
  meta: EntryMeta;
  /** Child cap (secret): a directory, a file, a version node or a symlink target. */
  cap: string;
}

/** A listing, by shown name. */
export type TreeListing = ReadonlyMap<string, TreeEntry>;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The key of an on-disk name in listings and mount paths: its text when the bytes are valid
 * UTF-8, else its escaped edge name (stable and unique by digest). A kernel lookup of exact bytes
 * finds the entry through this same function; readdir shows the exact bytes from the metadata.
 */
export function nameForBytes(raw: Uint8Array): string {
  try {
    const text = strictUtf8.decode(raw);
    if (!text.includes('/') && !text.includes('\0')) return text;
  } catch {
    // not UTF-8: fall through to the escaped form
  }
  return escapedName(raw);
}

/** The listing key of an edge: {@link nameForBytes} of its exact bytes. */
export function shownName(edgeName: string, rawName?: string): string {
  return rawName === undefined ? edgeName : nameForBytes(rawNameBytes(edgeName, rawName));
}

/** The directory child a listing entry shows: its key, its exact bytes and its type. */
export function childOfEntry(entry: TreeEntry): DirChild {
  return { name: entry.name, raw: rawNameBytes(entry.edgeName, entry.meta.rawName), type: entry.meta.type };
}

/**
 * What a listing costs in memory, roughly: per entry its strings (two bytes a character), the
 * metadata object and the map slot.
 */
export function listingBytes(listing: TreeListing): number {
  let bytes = 64;
  for (const entry of listing.values()) bytes += 240 + 2 * (entry.name.length + entry.cap.length + (entry.edgeName === entry.name ? 0 : entry.edgeName.length));
  return bytes;
}

/** Attributes for an edge without timefs metadata (not written by timefs): a safe default. */
function fallbackMeta(entry: DirEntry): EntryMeta {
  const type: EntryType = entry.kind === 'dir' ? 'dir' : 'file';
  return { type, mode: type === 'dir' ? 0o555 : 0o444, uid: 0, gid: 0, mtime: '0', size: entry.size ?? 0, storage: 'whole' };
}

/** Options of {@link TreeCache}. */
export interface TreeCacheOptions {
  /** Memory for cached listings, in bytes (estimated per entry); default 8 MiB, some 20,000 entries. */
  maxBytes?: number;
  /** Listings loaded ahead in parallel (default 8). */
  prefetchConcurrency?: number;
}

/** Lists immutable directories through a bounded, de-duplicating in-memory cache. */
export class TreeCache {
  private readonly cache: LRUCache<string, TreeListing>;
  private readonly pending = new Map<string, Promise<TreeListing>>();
  private readonly prefetchWindow: ListingWindow<string>;
  /** Levels to follow below each directory queued or in flight in the prefetch window. */
  private readonly prefetchDepth = new Map<string, number>();

  constructor(private readonly store: Store, options: TreeCacheOptions = {}) {
    // A failed prefetch is retried by the lookup or readdir that needs the listing.
    this.prefetchWindow = new ListingWindow((dirCap) => this.prefetchOne(dirCap), {
      concurrency: options.prefetchConcurrency ?? 8, failures: 'ignore', revisit: true,
    });
    this.cache = new LRUCache<string, TreeListing>({
      maxSize: options.maxBytes ?? 8 << 20,
      sizeCalculation: listingBytes,
    });
  }

  /**
   * Loads the listing of `dirCap` in the background, and those of its subdirectories `depth`
   * levels down, through one bounded, refilling, breadth-first window shared by the whole mount:
   * nothing queued is dropped, at most `prefetchConcurrency` listings are in flight. Asking again
   * for a directory already queued with less depth deepens it. A directory whose only
   * subdirectory is one (a path prefix such as `home/me`) passes its depth on undiminished, so
   * the walk reaches the directories that fan out without spending its levels on the way there.
   */
  prefetch(dirCap: string, depth = 0): void {
    if (this.cache.has(dirCap) && depth === 0) return;
    const queued = this.prefetchDepth.get(dirCap);
    if (queued !== undefined) {
      this.prefetchDepth.set(dirCap, Math.max(queued, depth));
      return;
    }
    this.prefetchDepth.set(dirCap, depth);
    this.prefetchWindow.add(dirCap, dirCap);
  }

  /** Queues the subdirectories of a listing one level further down (the same level for an only child). */
  prefetchChildren(listing: TreeListing, depth: number): void {
    const dirs = [...listing.values()].filter((entry) => entry.meta.type === 'dir');
    const level = dirs.length === 1 ? depth + 1 : depth;
    for (const entry of dirs) this.prefetch(entry.cap, level);
  }

  private async prefetchOne(dirCap: string): Promise<void> {
    try {
      const listing = await this.list(dirCap);
      // Read after the listing: a deeper request may have arrived while it was in flight.
      const depth = this.prefetchDepth.get(dirCap) ?? 0;
      if (depth > 0) this.prefetchChildren(listing, depth - 1);
    } finally {
      this.prefetchDepth.delete(dirCap);
    }
  }

  /** The listing of the directory `dirCap`. */
  async list(dirCap: string, signal?: AbortSignal): Promise<TreeListing> {
    const cached = this.cache.get(dirCap);
    if (cached) return cached;
    let pending = this.pending.get(dirCap);
    if (!pending) {
      pending = this.fetch(dirCap, signal).finally(() => this.pending.delete(dirCap));
      this.pending.set(dirCap, pending);
    }
    return pending;
  }

  private async fetch(dirCap: string, signal?: AbortSignal): Promise<TreeListing> {
    const children = await this.store.list(dirCap, signal ? { signal } : {});
    const listing = new Map<string, TreeEntry>();
    for (const [edgeName, entry] of children) {
      const stored = (entry.metadata as { timefs?: EntryMeta }).timefs;
      const meta = stored && typeof stored.type === 'string' ? stored : fallbackMeta(entry);
      const name = shownName(edgeName, meta.rawName);
      listing.set(listing.has(name) ? edgeName : name, { name, edgeName, meta, cap: entry.readCap });
    }
    this.cache.set(dirCap, listing);
    return listing;
  }
}
