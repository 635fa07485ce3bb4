/**
 * Reading snapshot trees: listing immutable directories with decoded attributes, and looking up
 * paths. Listings are immutable, so they are cached by cap (bounded by entry count).
 */
import { LRUCache } from 'lru-cache';
import type { EntryMeta } from '../model/entry.js';
import { TimefsError } from '../model/errors.js';
import type { CallOptions, Store } from '../store/store.js';
import { decodeEntry, joinPath, type TreeEntry } from './entry-decode.js';

export type { TreeEntry } from './entry-decode.js';

/** A path inside a snapshot: `home/me/a.txt` (leading `/` optional) or its segments as text or exact bytes. */
export type TreePath = string | ReadonlyArray<string | Uint8Array>;

/** Lists directories and finds paths in snapshot trees. */
export interface TreeReader {
  /** The children of an immutable directory, sorted by name; `where` names it in errors. */
  list(dirCap: string, where?: string, options?: CallOptions): Promise<TreeEntry[]>;
  /**
   * The entry at `path` below the snapshot root `rootCap`; the empty path gives the root itself
   * (a synthetic `dir` entry named '' with `rootMeta` or default attributes).
   * @throws TimefsError `path.not-found` naming the path (also when a parent is not a directory)
   */
  lookup(rootCap: string, path: TreePath, options?: CallOptions & { rootMeta?: EntryMeta }): Promise<TreeEntry>;
}

/** Options of {@link GridTreeReader}. */
export interface TreeReaderOptions {
  /** Upper bound of cached directory entries (sum over cached listings). Default 200 000. */
  maxCachedEntries?: number;
  /**
   * Listings known without a request (a verified metadata index, docs/format.md §5), asked
   * before the grid; undefined for a directory it does not describe.
   */
  known?: (dirCap: string) => readonly TreeEntry[] | undefined;
}

/** Splits a {@link TreePath} into non-empty segments; `.` is dropped, `..` is refused. */
export function pathSegments(path: TreePath): Array<string | Uint8Array> {
  const parts = typeof path === 'string' ? path.split('/') : [...path];
  const out: Array<string | Uint8Array> = [];
  for (const part of parts) {
    if (typeof part === 'string' && (part === '' || part === '.')) continue;
    if (part === '..') throw new TimefsError('usage', `paths inside a snapshot cannot contain ".."`);
    out.push(part);
  }
  return out;
}

/** A path segment as shown in messages (raw name bytes read as UTF-8). */
export function segmentText(segment: string | Uint8Array): string {
  return typeof segment === 'string' ? segment : Buffer.from(segment).toString('utf8');
}

/** The child of `entries` called `segment`: by exact name bytes first, then by (NFC) edge name. */
export function findChild(entries: readonly TreeEntry[], segment: string | Uint8Array): TreeEntry | undefined {
  const bytes = typeof segment === 'string' ? Buffer.from(segment, 'utf8') : Buffer.from(segment);
  const byBytes = entries.find((e) => bytes.equals(e.rawName));
  if (byBytes || typeof segment !== 'string') return byBytes;
  const nfc = segment.normalize('NFC');
  return entries.find((e) => e.name === nfc && e.meta.rawName === undefined);
}

/** Default attributes of a snapshot root, which has no edge of its own. */
export function rootEntry(cap: string, meta?: EntryMeta): TreeEntry {
  return { name: '', rawName: new Uint8Array(0), cap, meta: meta ?? { type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: '0', size: 0 } };
}

/** {@link TreeReader} over the grid. */
export class GridTreeReader implements TreeReader {
  private readonly cache: LRUCache<string, TreeEntry[]>;

  private readonly known: TreeReaderOptions['known'];

  constructor(private readonly store: Store, options: TreeReaderOptions = {}) {
    this.known = options.known;
    this.cache = new LRUCache<string, TreeEntry[]>({
      maxSize: options.maxCachedEntries ?? 200_000,
      sizeCalculation: (entries) => entries.length + 1,
    });
  }

  async list(dirCap: string, where = '/', options?: CallOptions): Promise<TreeEntry[]> {
    const known = this.known?.(dirCap);
    if (known) return [...known];
    const cached = this.cache.get(dirCap);
    if (cached) return cached;
    const children = await this.store.list(dirCap, options);
    const entries = [...children.values()].map((child) => decodeEntry(child, where));
    entries.sort((a, b) => Buffer.compare(a.rawName, b.rawName));
    this.cache.set(dirCap, entries);
    return entries;
  }

  async lookup(rootCap: string, path: TreePath, options: CallOptions & { rootMeta?: EntryMeta } = {}): Promise<TreeEntry> {
    let current = rootEntry(rootCap, options.rootMeta);
    let where = '';
    for (const segment of pathSegments(path)) {
      const shown = segmentText(segment);
      if (current.meta.type !== 'dir') {
        throw new TimefsError('path.not-found', `${where || '/'} is a ${current.meta.type}, not a directory`);
      }
      const child = findChild(await this.list(current.cap, where || '/', options), segment);
      if (!child) throw new TimefsError('path.not-found', `no ${joinPath(where, shown)} in this snapshot`);
      current = child;
      where = joinPath(where, shown);
    }
    return current;
  }
}
