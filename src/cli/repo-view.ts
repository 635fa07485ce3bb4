/**
 * The read view `timefs mount` and `timefs serve` share: the repository opened from the options,
 * and the mount's {@link BackupView} over it with its own byte-bounded caches.
 */
import { TahoeStore } from '../store/tahoe/tahoe-store.js';
import type { BackupView } from '../view/backup-view.js';
import type { SnapshotIndexes } from '../view/snapshot-indexes.js';
import { createBackupView } from '../view/backup-view-setup.js';
import { openRepo, type RepoHandle } from './repo-options.js';
import { historyCache } from './history-options.js';

/** The options both commands take for their view. */
export interface RepoViewOptions extends Record<string, unknown> {
  utc?: boolean;
  /** Memory for cached content and deltas, in bytes. */
  cacheSize: number;
  /** Seconds between re-reads of the snapshot list. */
  refresh: number;
  /** Show only this host's snapshots (`--host`). */
  host?: string;
  /** False with `--no-index`: list the snapshot trees only, not the metadata indexes. */
  index?: boolean;
}

/** Opens the repository and builds its view; notices go to `log` (never a cap). */
export async function openRepoView(opts: RepoViewOptions, log: (line: string) => void): Promise<{ repo: RepoHandle; view: BackupView; indexes: SnapshotIndexes }> {
  // The view keeps its own byte-bounded block cache (--cache-size) and fetches content ranges
  // straight from the client node in large requests; the shared in-memory object cache would
  // only hold the same bytes twice. Listings and deltas keep the disk cache.
  process.env.TIMEFS_MEMORY_CACHE_BYTES = '0';
  const repo = await openRepo(opts);
  const cache = historyCache(repo);
  const { view, indexes } = createBackupView(repo.store, repo.snapshotsCap, {
    rangeStore: new TahoeStore({ nodeUrl: repo.nodeUrl }),
    zone: opts.utc ? 'utc' : 'local',
    cacheBytes: opts.cacheSize,
    refreshMs: opts.refresh * 1000,
    log,
    repoRootCap: repo.readCap,
    ...(repo.indexCap === undefined ? {} : { indexDirCap: repo.indexCap }),
    useIndex: opts.index !== false,
    ...(cache ? { indexCache: cache } : {}),
    ...(opts.host !== undefined ? { host: opts.host } : {}),
  });
  return { repo, view, indexes };
}
