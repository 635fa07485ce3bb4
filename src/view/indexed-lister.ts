/**
 * A {@link DirectoryLister} answered from snapshots' metadata indexes (docs/format.md §5) where
 * they exist, and from the grid's listings where they do not. Registering an index skips every
 * subtree whose directory cap is already known, so a hundred snapshots that share most of their
 * tree cost about as much memory as one.
 */
import { plainName } from '../model/names.js';
import type { CallOptions } from '../store/store.js';
import { parseRecord } from '../tree-index/index-format.js';
import type { LoadedIndex } from '../tree-index/index-store.js';
import type { DirectoryLines } from '../tree-index/index-timeline.js';
import { decodeEntry, type TreeEntry } from './entry-decode.js';
import type { DirectoryLister } from './path-states.js';

/** One entry line of an index, decoded: its edge path (`home/me/a.txt`) and its entry. */
export interface IndexLineEntry {
  path: string;
  entry: TreeEntry;
}
type Parsed = IndexLineEntry;

/**
 * Decodes one entry line with the same checks as a listing from the grid (an index is verified
 * against its link, not trusted further).
 * @throws Error on a malformed line; TimefsError from the entry checks
 */
export function decodeIndexLine(line: string): IndexLineEntry {
  const record = parseRecord(line);
  const name = record.path.at(-1) as string;
  const path = record.path.join('/');
  const entry = decodeEntry({ name, kind: record.meta.type === 'dir' ? 'dir' : 'file', cap: record.cap, readCap: record.cap, mutable: false, metadata: { timefs: record.meta } }, `/${path.slice(0, Math.max(0, path.lastIndexOf('/')))}`);
  return { path, entry };
}

interface OpenDir {
  path: string;
  cap: string;
  children: TreeEntry[];
}

/** Directory listings from indexes, with a fallback for directories no index describes. */
export class IndexedLister implements DirectoryLister {
  private readonly dirs = new Map<string, readonly TreeEntry[]>();
  /** Listings as index lines, decoded when first asked for. */
  private readonly raw = new Map<string, readonly string[]>();
  private readonly lines = new Map<string, Parsed>();
  /** Listings served from indexes and from the fallback. */
  readonly stats = { fromIndex: 0, fromGrid: 0 };

  constructor(private readonly fallback: DirectoryLister) {}

  /** True when the directory `cap` is described by a registered index. */
  knows(cap: string): boolean {
    return this.dirs.has(cap) || this.raw.has(cap);
  }

  /** Adds directory listings given as index lines (see index-timeline.ts). */
  addListings(listings: DirectoryLines): void {
    for (const [cap, lines] of listings) if (!this.knows(cap)) this.raw.set(cap, lines);
  }

  /** Adds the directories of one verified index. */
  register(index: Pick<LoadedIndex, 'header' | 'lines'>): void {
    if (this.knows(index.header.root)) return;
    const stack: OpenDir[] = [{ path: '', cap: index.header.root, children: [] }];
    // Lines below a known directory start with its JSON-escaped path and `/` (escaping is per
    // character, so it keeps prefixes): they are skipped without being parsed or hashed.
    let skip: string | undefined;
    for (const line of index.lines) {
      if (skip !== undefined && line.startsWith(skip)) continue;
      skip = undefined;
      const { path, entry } = this.parse(line);
      while (stack.length > 1 && !path.startsWith(`${stack.at(-1)!.path}/`)) this.close(stack.pop()!);
      stack.at(-1)!.children.push(entry);
      if (entry.meta.type !== 'dir') continue;
      if (this.knows(entry.cap)) skip = JSON.stringify(`${path}/`).slice(0, -1);
      else stack.push({ path, cap: entry.cap, children: [] });
    }
    while (stack.length > 0) this.close(stack.pop()!);
  }

  /** The children of the directory `cap` when a registered index describes it (sorted by name bytes; no request). */
  entries(cap: string): readonly TreeEntry[] | undefined {
    return this.dirs.get(cap) ?? this.decode(cap);
  }

  /**
   * The child named by exact bytes `segment` of a directory an index describes, found without
   * decoding the listing when the name is a plain one (its edge name is its text); undefined when
   * the listing must be decoded to tell (escaped names, or a directory no index describes).
   */
  child(dirCap: string, segment: Uint8Array): TreeEntry | null | undefined {
    const lines = this.raw.get(dirCap);
    if (!lines) return undefined;
    const plain = plainName(segment);
    if (plain === undefined) return undefined;
    const wanted = JSON.stringify(plain).slice(1, -1);
    for (const line of lines) {
      const end = line.indexOf('\t') - 1; // the closing quote of the path
      const start = line.lastIndexOf('/', end) + 1 || 1;
      if (end - start === wanted.length && line.startsWith(wanted, start)) {
        const entry = this.parse(line).entry;
        if (Buffer.from(entry.rawName).equals(segment)) {
          this.stats.fromIndex++;
          return entry;
        }
      }
    }
    // No plain edge has that name; an escaped one still might (a clash): decode to be sure.
    if (lines.some((line) => line.includes('"rawName"', line.lastIndexOf('\t')))) return undefined;
    this.stats.fromIndex++;
    return null;
  }

  async list(dirCap: string, options?: CallOptions): Promise<readonly TreeEntry[]> {
    const known = this.dirs.get(dirCap) ?? this.decode(dirCap);
    if (known) {
      this.stats.fromIndex++;
      return known;
    }
    this.stats.fromGrid++;
    return this.fallback.list(dirCap, options);
  }

  private decode(dirCap: string): readonly TreeEntry[] | undefined {
    const lines = this.raw.get(dirCap);
    if (!lines) return undefined;
    const entries = lines.map((line) => this.parse(line).entry).sort((a, b) => Buffer.compare(a.rawName, b.rawName));
    this.raw.delete(dirCap);
    this.dirs.set(dirCap, entries);
    return entries;
  }

  private close(dir: OpenDir): void {
    dir.children.sort((a, b) => Buffer.compare(a.rawName, b.rawName));
    this.dirs.set(dir.cap, dir.children);
  }

  private parse(line: string): Parsed {
    const known = this.lines.get(line);
    if (known) return known;
    const parsed = decodeIndexLine(line);
    this.lines.set(line, parsed);
    return parsed;
  }

}
