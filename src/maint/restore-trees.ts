/**
 * The directory listings a restore walks: from the snapshot's metadata index (docs/format.md §5)
 * when it has a usable one, a handful of requests for the whole tree instead of one listing per
 * directory; from the grid when it has none, or a stale or damaged one. Each listing is decoded
 * when the walk reaches it and not kept: only the index text stays in memory.
 */
import type { CallOptions, Store } from '../store/store.js';
import { openHistory } from '../view/history-source.js';
import type { SnapshotRoot } from '../view/path-states.js';
import { GridTreeReader, type TreeReader } from '../view/tree-reader.js';

/** What {@link restoreTrees} found. */
export interface RestoreTrees {
  trees: TreeReader;
  /** Where the listings come from. */
  listedFrom: 'index' | 'tree';
  /** Why the index was not used (when `listedFrom` is `tree`). */
  reason?: string;
}

/** Listings cached for the walk when the index is not used (entries, summed over directories). */
const TREE_CACHE_ENTRIES = 20_000;

/** Opens the listings of `snapshot`; `indexDirCap` is the repository's `index/` (undefined: none). */
export async function restoreTrees(store: Store, indexDirCap: string | undefined, snapshot: SnapshotRoot, options: CallOptions = {}): Promise<RestoreTrees> {
  const history = await openHistory(store, indexDirCap, [snapshot], options);
  if (history.indexed.length === 0) {
    return { trees: new GridTreeReader(store, { maxCachedEntries: TREE_CACHE_ENTRIES }), listedFrom: 'tree', reason: history.fromTrees[0]?.reason ?? 'it has no index' };
  }
  return { trees: new GridTreeReader(store, { maxCachedEntries: TREE_CACHE_ENTRIES, known: (cap) => history.lister.entriesOnce(cap) }), listedFrom: 'index' };
}
