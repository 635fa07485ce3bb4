/**
 * The metadata indexes of one repository (docs/format.md §5) as the read model consumes them:
 * each snapshot's index loaded at most once, checked (its link must name the snapshot's current
 * root cap, its text must match the recorded hash and name that root too) and registered in one
 * {@link IndexedLister}. Directories a registered index describes are then listed from memory;
 * every other directory goes to the fallback lister (the trees). `log`, `find`, `diff`, the web
 * UI's search and the mount (cold listings and `history/`) all read indexes through this class.
 */
import type { CallOptions, Store } from '../store/store.js';
import { IndexReader, IndexUnusable, listIndexLinks, type IndexLink } from '../tree-index/index-store.js';
import type { HistoryCache } from '../tree-index/history-cache.js';
import { followIndexes } from '../tree-index/index-sequence.js';
import { IndexedLister } from './indexed-lister.js';
import type { DirectoryLister, SnapshotRoot } from './path-states.js';

/** The reason given for snapshots that simply have no index. */
export const NO_INDEX = 'it has no index';

/** Whether one snapshot's index now answers for its tree, or why its tree answers instead. */
export type IndexUse = { used: true } | { used: false; reason: string };

/** What {@link SnapshotIndexes.openAll} found. */
export interface HistorySource {
  lister: IndexedLister;
  /** Snapshots whose index was used. */
  indexed: string[];
  /** Snapshots read from their trees: no index, or a stale or damaged one (with the reason). */
  fromTrees: Array<{ name: string; reason: string }>;
}

/** Options of {@link SnapshotIndexes}. */
export interface SnapshotIndexesOptions {
  /**
   * The cap of `ROOT/index/`, or how to find it (it appears with the first push that writes an
   * index). Undefined, or a locator that finds none: every snapshot is read from its tree.
   */
  indexDir?: string | (() => Promise<string | undefined>);
  /** Re-list `ROOT/index/` when a snapshot has no link and the last listing is this old (ms; default: never). */
  refreshMs?: number;
  /** Indexes whose text is larger are not loaded (their trees answer); default 256 MiB. */
  maxIndexBytes?: number;
  /** Clock, for tests. */
  now?: () => number;
  /** Told once per snapshot and reason when an index exists but cannot be used (stale, damaged). */
  onUnusable?: (snapshot: string, reason: string) => void;
  /** Verified indexes kept on local disk between runs (used by {@link SnapshotIndexes.openAll}). */
  cache?: HistoryCache;
}

/** The key of one index load: the snapshot and its link. */
function loadKey(link: IndexLink): string {
  return `${link.name}\0${link.cap}\0${link.root}`;
}

/** Loads snapshot indexes into one lister, each at most once. */
export class SnapshotIndexes {
  readonly lister: IndexedLister;
  private readonly reader: IndexReader;
  private readonly loads = new Map<string, Promise<IndexUse>>();
  private links: { at: number; map: Promise<Map<string, IndexLink>> } | undefined;
  private readonly now: () => number;
  private readonly noted = new Set<string>();
  private readonly maxIndexBytes: number;

  constructor(private readonly store: Store, fallback: DirectoryLister, private readonly options: SnapshotIndexesOptions = {}) {
    this.lister = new IndexedLister(fallback);
    this.reader = new IndexReader(store);
    this.now = options.now ?? Date.now;
    this.maxIndexBytes = options.maxIndexBytes ?? 256 << 20;
  }

  /**
   * Loads and registers the index of `snapshot` unless that was done before. Returns whether it
   * now answers for the snapshot's tree. A damaged index is remembered as unusable until its link
   * changes (`timefs index --force`).
   * @throws the store's errors other than a missing or damaged index (they are not remembered)
   */
  async use(snapshot: SnapshotRoot, options?: CallOptions): Promise<IndexUse> {
    const use = await this.tryUse(snapshot, options);
    if (!use.used && use.reason !== NO_INDEX && this.options.onUnusable && !this.noted.has(`${snapshot.name}\0${use.reason}`)) {
      this.noted.add(`${snapshot.name}\0${use.reason}`);
      this.options.onUnusable(snapshot.name, use.reason);
    }
    return use;
  }

  private async tryUse(snapshot: SnapshotRoot, options?: CallOptions): Promise<IndexUse> {
    const link = await this.linkOf(snapshot.name, options);
    if (!link) return { used: false, reason: NO_INDEX };
    if (link.root !== snapshot.cap) return { used: false, reason: 'its index is stale (it describes an earlier tree of this snapshot)' };
    if (link.size > this.maxIndexBytes) return { used: false, reason: `its index is larger than ${this.maxIndexBytes} bytes` };
    const key = loadKey(link);
    let pending = this.loads.get(key);
    if (!pending) {
      // No caller's abort signal: the load is shared by every later caller.
      pending = this.reader.load(link).then((loaded): IndexUse => {
        this.lister.register(loaded);
        return { used: true };
      }, (err: unknown): IndexUse => {
        if (err instanceof IndexUnusable) return { used: false, reason: err.message };
        this.loads.delete(key);
        throw err;
      });
      this.loads.set(key, pending);
    }
    return pending;
  }

  /**
   * Loads the indexes of all `snapshots` (fetching their objects a few at a time, ahead of use),
   * and reports which snapshots they answer for.
   */
  async openAll(snapshots: readonly SnapshotRoot[], options?: CallOptions): Promise<HistorySource> {
    const source: HistorySource = { lister: this.lister, indexed: [], fromTrees: [] };
    const links = await Promise.all(snapshots.map((s) => this.linkOf(s.name, options)));
    // Indexes not loaded yet are followed in snapshot order: each costs what changed since the one
    // before, and the local cache spares the grid altogether.
    const toFollow = links.filter((l, i): l is IndexLink => l !== undefined && l.root === snapshots[i]!.cap && l.size <= this.maxIndexBytes && !this.loads.has(loadKey(l)));
    const { cache } = this.options;
    for await (const followed of followIndexes(this.store, toFollow, { ...(cache ? { cache } : {}), known: (cap) => this.lister.knows(cap) })) {
      if (followed.listings) this.lister.addListings(followed.listings);
      this.loads.set(loadKey(followed.link), Promise.resolve(followed.listings ? { used: true } : { used: false, reason: followed.reason }));
    }
    for (const snapshot of snapshots) {
      const use = await this.use(snapshot, options);
      if (use.used) source.indexed.push(snapshot.name);
      else source.fromTrees.push({ name: snapshot.name, reason: use.reason });
    }
    return source;
  }

  private async linkOf(name: string, options?: CallOptions): Promise<IndexLink | undefined> {
    const refreshMs = this.options.refreshMs;
    if (this.links && refreshMs !== undefined && this.now() - this.links.at >= refreshMs && !(await this.links.map.catch(() => new Map())).has(name)) this.links = undefined;
    if (!this.links) {
      const map = this.listLinks(options);
      this.links = { at: this.now(), map };
      map.catch(() => { if (this.links?.map === map) this.links = undefined; });
    }
    return (await this.links.map).get(name);
  }

  private async listLinks(options?: CallOptions): Promise<Map<string, IndexLink>> {
    const where = this.options.indexDir;
    const dir = typeof where === 'function' ? await where() : where;
    // No caller's abort signal: the listing is shared by every later caller.
    void options;
    return listIndexLinks(this.store, dir);
  }
}
