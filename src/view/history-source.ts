/**
 * The directory lister that `log`, `find`, `diff` and the web UI read history through: snapshot
 * indexes where they are present and intact, the grid's listings for everything else. An index
 * that is missing, stale (it names another root) or damaged is skipped and reported; the trees
 * answer in its place. The loading itself is {@link SnapshotIndexes}, which the mount shares.
 */
import type { CallOptions, Store } from '../store/store.js';
import type { HistoryCache } from '../tree-index/history-cache.js';
import type { DirectoryLister, SnapshotRoot } from './path-states.js';
import { SnapshotIndexes, type HistorySource } from './snapshot-indexes.js';
import { GridTreeReader } from './tree-reader.js';

export { NO_INDEX, type HistorySource } from './snapshot-indexes.js';

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
export function openHistory(store: Store, indexDirCap: string | undefined, snapshots: readonly SnapshotRoot[], options: HistoryOptions = {}): Promise<HistorySource> {
  const indexes = new SnapshotIndexes(store, gridLister(store), options.useIndex === false ? {} : {
    ...(indexDirCap === undefined ? {} : { indexDir: indexDirCap }),
    ...(options.cache ? { cache: options.cache } : {}),
  });
  return indexes.openAll(snapshots, options);
}
