/**
 * The directory lister that `log`, `find`, `diff` and the web UI read history through: snapshot
 * indexes where they are present and intact, the grid's listings for everything else. An index
 * that is missing, stale (it names another root) or damaged is skipped and reported; the trees
 * answer in its place.
 */
import type { CallOptions, Store } from '../store/store.js';
import type { HistoryCache } from '../tree-index/history-cache.js';
import { followIndexes } from '../tree-index/index-sequence.js';
import { listIndexLinks, type IndexLink } from '../tree-index/index-store.js';
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
  /** Verified indexes kept on local disk between runs. */
  cache?: HistoryCache;
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
  const links = options.useIndex === false ? new Map<string, IndexLink>() : await listIndexLinks(store, indexDirCap, options);
  const reasons = new Map<string, string>();
  const usable: IndexLink[] = [];
  for (const snapshot of snapshots) {
    const link = links.get(snapshot.name);
    if (!link) reasons.set(snapshot.name, NO_INDEX);
    else if (link.root !== snapshot.cap) reasons.set(snapshot.name, 'its index is stale (it describes an earlier tree of this snapshot)');
    else usable.push(link);
  }
  const { signal, cache } = options;
  for await (const followed of followIndexes(store, usable, { ...(signal ? { signal } : {}), ...(cache ? { cache } : {}), known: (cap) => lister.knows(cap) })) {
    if (followed.listings) lister.addListings(followed.listings);
    else reasons.set(followed.link.name, followed.reason);
  }
  for (const snapshot of snapshots) {
    const reason = reasons.get(snapshot.name);
    if (reason === undefined) source.indexed.push(snapshot.name);
    else source.fromTrees.push({ name: snapshot.name, reason });
  }
  return source;
}
