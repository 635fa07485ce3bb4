/**
 * What a restore walks: the snapshot's metadata index (docs/format.md §5) when it has a usable
 * one, its verified text read in one pass (restore-index-walk.ts), a handful of requests for the
 * whole tree instead of one listing per directory; the grid's listings when it has none, or a
 * stale or damaged one.
 */
import type { CallOptions, Store } from '../store/store.js';
import { IndexReader, IndexUnusable, listIndexLinks } from '../tree-index/index-store.js';
import { NO_INDEX } from '../view/history-source.js';
import type { SnapshotRoot } from '../view/path-states.js';
import { GridTreeReader, type TreeReader } from '../view/tree-reader.js';

/** What {@link restoreTrees} found. */
export interface RestoreTrees {
  /** Listings from the grid (for the lookup and walk when there is no index). */
  trees: TreeReader;
  /** The snapshot's verified index text, when it has a usable one. */
  index?: Uint8Array;
  /** Where the listings come from. */
  listedFrom: 'index' | 'tree';
  /** Why the index was not used (when `listedFrom` is `tree`). */
  reason?: string;
}

/** Listings cached for the walk when the index is not used (entries, summed over directories). */
const TREE_CACHE_ENTRIES = 20_000;
/** Larger index texts are not read whole into memory: the tree is walked instead. */
const MAX_INDEX_BYTES = 256 << 20;

/** Opens the listings of `snapshot`; `indexDirCap` is the repository's `index/` (undefined: none). */
export async function restoreTrees(store: Store, indexDirCap: string | undefined, snapshot: SnapshotRoot, options: CallOptions = {}): Promise<RestoreTrees> {
  const trees = new GridTreeReader(store, { maxCachedEntries: TREE_CACHE_ENTRIES });
  const fromTree = (reason: string): RestoreTrees => ({ trees, listedFrom: 'tree', reason });
  const link = (await listIndexLinks(store, indexDirCap, options)).get(snapshot.name);
  if (!link) return fromTree(NO_INDEX);
  if (link.root !== snapshot.cap) return fromTree('its index is stale (it describes an earlier tree of this snapshot)');
  if (link.size > MAX_INDEX_BYTES) return fromTree(`its index is larger than ${MAX_INDEX_BYTES} bytes`);
  try {
    return { trees, index: (await new IndexReader(store).loadBytes(link, options)).bytes, listedFrom: 'index' };
  } catch (err) {
    if (err instanceof IndexUnusable) return fromTree(err.message);
    throw err;
  }
}
