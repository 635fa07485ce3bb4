/**
 * The list of snapshots a mount shows, read from the repository's `snapshots/` directory and
 * refreshed lazily: a call after `refreshMs` re-lists the directory, so pushes made while the
 * mount is up appear without a restart. No catalog is needed, only a (read-only) cap.
 */
import type { Store } from '../store/store.js';
import { parseSnapshotName, sortSnapshots, type SnapshotRef } from './time-tree.js';

/** Options of {@link SnapshotFeed}. */
export interface SnapshotFeedOptions {
  /** How long a listing stays fresh, in milliseconds (default 30 s). */
  refreshMs?: number;
  /** Clock, for tests. */
  now?: () => number;
  /** Called when a refresh fails and the previous list is kept. */
  onStaleError?: (err: unknown) => void;
}

/** Snapshots of one repository, sorted oldest first, refreshed at most every `refreshMs`. */
export class SnapshotFeed {
  private list: SnapshotRef[] | undefined;
  private fetchedAt = 0;
  private pending: Promise<SnapshotRef[]> | undefined;
  private readonly refreshMs: number;
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    private readonly snapshotsCap: string,
    private readonly options: SnapshotFeedOptions = {},
  ) {
    this.refreshMs = options.refreshMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** The current list; re-lists the grid when stale. A failed refresh keeps the old list if there is one. */
  async snapshots(signal?: AbortSignal): Promise<SnapshotRef[]> {
    if (this.list && this.now() - this.fetchedAt < this.refreshMs) return this.list;
    this.pending ??= this.fetch(signal).finally(() => { this.pending = undefined; });
    try {
      return await this.pending;
    } catch (err) {
      if (!this.list) throw err;
      this.options.onStaleError?.(err);
      this.fetchedAt = this.now(); // do not hammer a failing grid: retry after the next period
      return this.list;
    }
  }

  private async fetch(signal?: AbortSignal): Promise<SnapshotRef[]> {
    const children = await this.store.list(this.snapshotsCap, signal ? { signal } : {});
    const refs: SnapshotRef[] = [];
    for (const [name, entry] of children) {
      if (entry.kind !== 'dir') continue;
      const timeMs = parseSnapshotName(name);
      if (timeMs === undefined) continue;
      const meta = (entry.metadata as { timefs?: { host?: unknown; paths?: unknown } }).timefs;
      const host = typeof meta?.host === 'string' ? meta.host : '';
      const paths = Array.isArray(meta?.paths) ? meta.paths.filter((p): p is string => typeof p === 'string') : [];
      refs.push({ name, timeMs, cap: entry.readCap, host, paths });
    }
    this.list = sortSnapshots(refs);
    this.fetchedAt = this.now();
    return this.list;
  }
}
