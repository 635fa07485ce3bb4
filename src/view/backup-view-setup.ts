/**
 * Builds a {@link BackupView} over a store with the mount's caches: a byte-bounded block cache
 * filled by planned, run-sized fetches (read-planner.ts) for ranges of bases and whole files, the read model's delta cache,
 * and entry-bounded directory listings.
 */
import type { Store } from '../store/store.js';
import { BackupView } from './backup-view.js';
import { BlockCachedStore } from './block-cached-store.js';
import { BlockReader, type BlockReaderStats } from './block-reader.js';
import { SnapshotFeed } from './snapshot-feed.js';
import type { DayZone } from './time-tree.js';
import { TreeCache, type TreeListing } from './tree-cache.js';
import { findIndexDir } from '../tree-index/index-store.js';
import type { HistoryCache } from '../tree-index/history-cache.js';
import type { TreeEntry } from './entry-decode.js';
import { IndexedListingStore } from './indexed-listing-store.js';
import type { DirectoryLister } from './path-states.js';
import { SnapshotIndexes } from './snapshot-indexes.js';
import { rawNameBytes } from '../model/names.js';
import { MergingStore } from './merging-store.js';
import { asMember } from './view-scope.js';
import { SEQUENTIAL_MIN_SIZE } from './sequential-reads.js';
import { ChainVersionReader } from './version-reader.js';

/** Options of {@link createBackupView}. */
export interface BackupViewSetup {
  /** Files at least this large read from their start come from one in-order flow (default 32 MiB). */
  sequentialMinBytes?: number;
  /** Day names in local time (default) or UTC. */
  zone?: DayZone;
  /**
   * Memory budget for cached content in bytes (default 64 MiB): blocks get 3/4, deltas 1/4; the
   * opened chains, which point into those deltas, are bounded by 1/2.
   */
  cacheBytes?: number;
  /** Concurrent grid requests for content (default 6). */
  concurrency?: number;
  /** How often the snapshot list is re-read, in milliseconds (default 30 s). */
  refreshMs?: number;
  /** Owner of the synthetic directories (default: this process). */
  owner?: { uid: number; gid: number };
  /**
   * Where ranges of file content are fetched (default: `store`). The mount passes the bare grid
   * client here: its own block cache already groups reads into large requests, which a cache
   * layer splitting them into small segments would only slow down.
   */
  rangeStore?: Store;
  /** Show only this host's snapshots. */
  host?: string;
  /** Notices (integrity errors, failed refreshes); never receives a cap. */
  log?: (line: string) => void;
  /**
   * The repository root (a read cap is enough): its `index/` directory holds the snapshots'
   * metadata indexes, which then answer cold listings and `history/`. Without it (or with
   * `useIndex: false`) every listing comes from the snapshot trees.
   */
  repoRootCap?: string;
  /** The cap of `ROOT/index/` when the caller already knows it (saves one listing). */
  indexDirCap?: string;
  /** Read the metadata indexes (default true). */
  useIndex?: boolean;
  /** Larger index texts are not loaded (their trees answer); default 64 MiB, about 200,000 entries. */
  maxIndexBytes?: number;
  /** Verified indexes on local disk, shared with `timefs log` (spares the grid for `history/`). */
  indexCache?: HistoryCache;
}

/** A view ready to mount, plus the counters benchmarks read. */
export interface BackupViewBundle {
  view: BackupView;
  blockStats: BlockReaderStats;
  /** Directory listings answered by metadata indexes and by the grid. */
  listingStats: IndexedListingStore['stats'];
  /** The view's metadata indexes (the web UI's search reads through them too). */
  indexes: SnapshotIndexes;
}

/** The tree cache as a {@link DirectoryLister} (decoded entries sorted by exact name bytes). */
function treeCacheLister(trees: () => TreeCache): DirectoryLister {
  const decoded = (listing: TreeListing): TreeEntry[] => [...listing.values()]
    .map((e) => ({ name: e.edgeName, rawName: new Uint8Array(rawNameBytes(e.edgeName, e.meta.rawName)), cap: e.cap, meta: e.meta }))
    .sort((a, b) => Buffer.compare(a.rawName, b.rawName));
  return { list: async (cap, options) => decoded(await trees().list(cap, options?.signal)) };
}

/** Creates the view of the repository whose `snapshots/` directory is `snapshotsCap` (a read cap is enough). */
export function createBackupView(store: Store, snapshotsCap: string, setup: BackupViewSetup = {}): BackupViewBundle {
  const log = setup.log ?? (() => {});
  const cacheBytes = setup.cacheBytes ?? 64 << 20;
  const blocks = new BlockReader(setup.rangeStore ?? store, { cacheBytes: Math.floor(cacheBytes * 0.75), concurrency: setup.concurrency ?? 6 });
  const ranges = new BlockCachedStore(store, blocks);
  const sequentialMin = setup.sequentialMinBytes ?? SEQUENTIAL_MIN_SIZE;
  const versions = new ChainVersionReader(ranges, {
    contentStore: setup.rangeStore ?? store,
    earlyFlowBytes: sequentialMin,
    deltaCacheBytes: Math.floor(cacheBytes / 4),
    // Opened chains keep their deltas (mostly the same objects as the delta cache) and composed
    // extents alive: bounded by half the budget, so --cache-size bounds them too rather than a
    // fixed 64 MiB beside it, while a chain whose deltas outgrow the delta cache still stays open.
    chainCacheBytes: Math.floor(cacheBytes / 2),
    // A large file read from its start is served by its in-order flow, started when it is opened
    // (sequential-reads.ts); warming the block cache too would fetch the same bytes twice.
    onChainBase: (baseCap, size) => { if (size < sequentialMin) ranges.warm(baseCap).catch(() => {}); },
  });
  const feed = new SnapshotFeed(store, snapshotsCap, {
    refreshMs: setup.refreshMs ?? 30_000,
    onStaleError: (err) => log(`timefs: cannot refresh the snapshot list, showing the last one: ${err instanceof Error ? err.message : String(err)}`),
  });
  const locate = setup.useIndex === false ? undefined
    : setup.indexDirCap ?? (setup.repoRootCap === undefined ? undefined : () => findIndexDir(store, setup.repoRootCap as string));
  const indexes = new SnapshotIndexes(store, treeCacheLister(() => trees), {
    ...(locate === undefined ? {} : { indexDir: locate }),
    refreshMs: setup.refreshMs ?? 30_000,
    maxIndexBytes: setup.maxIndexBytes ?? 64 << 20,
    ...(setup.indexCache ? { cache: setup.indexCache } : {}),
    onUnusable: (name, reason) => log(`timefs: snapshot ${name} is listed from its tree: ${reason} (\`timefs check\` reports it, \`timefs index --force\` replaces it)`),
  });
  const listings = new IndexedListingStore(store, indexes.lister);
  const trees: TreeCache = new TreeCache(new MergingStore(listings, async (names, options) => {
      const byName = new Map((await feed.snapshots(options?.signal)).map((s) => [s.name, s]));
      return names.flatMap((n) => { const s = byName.get(n); return s ? [asMember(s)] : []; });
  }));
  const view = new BackupView({
    feed,
    trees,
    indexes,
    versions,
    zone: setup.zone ?? 'local',
    owner: setup.owner ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
    log,
    ...(setup.host !== undefined ? { host: setup.host } : {}),
    sequentialMinBytes: sequentialMin,
  });
  return { view, blockStats: blocks.stats, listingStats: listings.stats, indexes };
}
