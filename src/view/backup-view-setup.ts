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
import { TreeCache } from './tree-cache.js';
import { MergingStore } from './merging-store.js';
import { asMember } from './view-scope.js';
import { ChainVersionReader } from './version-reader.js';

/** Options of {@link createBackupView}. */
export interface BackupViewSetup {
  /** Day names in local time (default) or UTC. */
  zone?: DayZone;
  /** Memory budget for cached content in bytes (default 64 MiB): blocks get 3/4, deltas 1/4. */
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
}

/** A view ready to mount, plus the counters benchmarks read. */
export interface BackupViewBundle {
  view: BackupView;
  blockStats: BlockReaderStats;
}

/** Creates the view of the repository whose `snapshots/` directory is `snapshotsCap` (a read cap is enough). */
export function createBackupView(store: Store, snapshotsCap: string, setup: BackupViewSetup = {}): BackupViewBundle {
  const log = setup.log ?? (() => {});
  const cacheBytes = setup.cacheBytes ?? 64 << 20;
  const blocks = new BlockReader(setup.rangeStore ?? store, { cacheBytes: Math.floor(cacheBytes * 0.75), concurrency: setup.concurrency ?? 6 });
  const ranges = new BlockCachedStore(store, blocks);
  const versions = new ChainVersionReader(ranges, {
    deltaCacheBytes: Math.floor(cacheBytes / 4),
    onChainBase: (baseCap) => { ranges.warm(baseCap).catch(() => {}); },
  });
  const feed = new SnapshotFeed(store, snapshotsCap, {
    refreshMs: setup.refreshMs ?? 30_000,
    onStaleError: (err) => log(`timefs: cannot refresh the snapshot list, showing the last one: ${err instanceof Error ? err.message : String(err)}`),
  });
  const view = new BackupView({
    feed,
    trees: new TreeCache(new MergingStore(store, async (names, options) => {
      const byName = new Map((await feed.snapshots(options?.signal)).map((s) => [s.name, s]));
      return names.flatMap((n) => { const s = byName.get(n); return s ? [asMember(s)] : []; });
    })),
    versions,
    zone: setup.zone ?? 'local',
    owner: setup.owner ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
    log,
    ...(setup.host !== undefined ? { host: setup.host } : {}),
  });
  return { view, blockStats: blocks.stats };
}
