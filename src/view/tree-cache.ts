/**
 * Directory listings of snapshot trees, cached by cap. Snapshot trees are immutable, so a listing
 * never goes stale; the cache is bounded by the number of entries it holds (LRU).
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

/** Attributes for an edge without timefs metadata (not written by timefs): a safe default. */
function fallbackMeta(entry: DirEntry): EntryMeta {
  const type: EntryType = entry.kind === 'dir' ? 'dir' : 'file';
  return { type, mode: type === 'dir' ? 0o555 : 0o444, uid: 0, gid: 0, mtime: '0', size: entry.size ?? 0, storage: 'whole' };
}

/** Options of {@link TreeCache}. */
export interface TreeCacheOptions {
  /** Most entries (over all cached listings) kept in memory; default 100,000. */
  maxEntries?: number;
  /** Listings loaded ahead in parallel (default 8). */
  prefetchConcurrency?: number;
}

/** One directory to load ahead, and how many levels below it to follow. */
interface PrefetchItem {
  cap: string;
  depth: number;
}

/** Lists immutable directories through a bounded, de-duplicating in-memory cache. */
export class TreeCache {
  private readonly cache: LRUCache<string, TreeListing>;
  private readonly pending = new Map<string, Promise<TreeListing>>();
  private readonly prefetchWindow: ListingWindow<PrefetchItem>;

  constructor(private readonly store: Store, options: TreeCacheOptions = {}) {
    // A failed prefetch is retried by the lookup or readdir that needs the listing.
    this.prefetchWindow = new ListingWindow((item) => this.prefetchOne(item), {
      concurrency: options.prefetchConcurrency ?? 8, failures: 'ignore', revisit: true,
    });
    this.cache = new LRUCache<string, TreeListing>({
      maxSize: options.maxEntries ?? 100_000,
      sizeCalculation: (listing) => Math.max(1, listing.size),
    });
  }

  /**
   * Loads the listing of `dirCap` in the background, and those of its subdirectories `depth`
   * levels down, through one bounded, refilling, breadth-first window shared by the whole mount:
   * nothing queued is dropped, at most `prefetchConcurrency` listings are in flight.
   */
  prefetch(dirCap: string, depth = 0): void {
    if (this.cache.has(dirCap) && depth === 0) return;
    this.prefetchWindow.add({ cap: dirCap, depth }, dirCap);
  }

  /** Queues the subdirectories of a listing one level further down. */
  prefetchChildren(listing: TreeListing, depth: number): void {
    for (const entry of listing.values()) if (entry.meta.type === 'dir') this.prefetch(entry.cap, depth);
  }

  private async prefetchOne(item: PrefetchItem): Promise<void> {
    const listing = await this.list(item.cap);
    if (item.depth > 0) this.prefetchChildren(listing, item.depth - 1);
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
