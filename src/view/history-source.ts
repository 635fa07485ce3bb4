/**
 * The directory lister that `log`, `find`, `diff` and the web UI read history through: snapshot
 * indexes where they are present and intact, the grid's listings for everything else. An index
 * that is missing, stale (it names another root) or damaged is skipped and reported; the trees
 * answer in its place.
 */
import type { CallOptions, Store } from '../store/store.js';
import { IndexReader, IndexUnusable, listIndexLinks } from '../tree-index/index-store.js';
import { IndexedLister } from './indexed-lister.js';
import type { DirectoryLister, SnapshotRoot } from './path-states.js';
import { GridTreeReader } from './tree-reader.js';

/** The reason given for snapshots that simply have no index. */
export const NO_INDEX = 'it has no index';

/** What {@link openHistory} found. */
export interface HistorySource {
  lister: IndexedLister;
  /** Snapshots whose index was used. */
  indexed: string[];
  /** Snapshots read from their trees: no index, or a stale or damaged one (with the reason). */
  fromTrees: Array<{ name: string; reason: string }>;
}

/** Options of {@link openHistory}. */
export interface HistoryOptions extends CallOptions {
  /** Read indexes (default true); false reads only trees. */
  useIndex?: boolean;
}

/** A {@link DirectoryLister} over the grid's listings. */
export function gridLister(store: Store): DirectoryLister {
  const reader = new GridTreeReader(store);
  return { list: (cap, options) => reader.list(cap, '/', options) };
}

/** Loads the indexes of `snapshots` (from `ROOT/index/`, when there is one) into one lister. */
export async function openHistory(store: Store, indexDirCap: string | undefined, snapshots: readonly SnapshotRoot[], options: HistoryOptions = {}): Promise<HistorySource> {
  const lister = new IndexedLister(gridLister(store));
  const source: HistorySource = { lister, indexed: [], fromTrees: [] };
  const links = options.useIndex === false ? new Map() : await listIndexLinks(store, indexDirCap, options);
  const usable = snapshots.map((s) => {
    const link = links.get(s.name);
    if (!link) return undefined;
    if (link.root !== s.cap) {
      source.fromTrees.push({ name: s.name, reason: 'its index is stale (it describes an earlier tree of this snapshot)' });
      return undefined;
    }
    return link;
  });
  const reader = new IndexReader(store);
  reader.prefetch(usable.filter((l) => l !== undefined), options);
  for (const [i, snapshot] of snapshots.entries()) {
    const link = usable[i];
    if (!link) {
      if (!source.fromTrees.some((f) => f.name === snapshot.name)) source.fromTrees.push({ name: snapshot.name, reason: NO_INDEX });
      continue;
    }
    try {
      lister.register(await reader.load(link, options));
      source.indexed.push(snapshot.name);
    } catch (err) {
      if (!(err instanceof IndexUnusable)) throw err;
      source.fromTrees.push({ name: snapshot.name, reason: err.message });
    }
  }
  return source;
}
