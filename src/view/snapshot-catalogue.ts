/**
 * The list of snapshots in a repository's `snapshots/` directory, read through the {@link Store}.
 * `snapshots/` is mutable, so it is never cached here: every {@link SnapshotCatalogue.list} asks
 * the grid (the mount refreshes on its own schedule).
 */
import type { SnapshotMeta } from '../model/entry.js';
import { TimefsError } from '../model/errors.js';
import type { CallOptions, DirEntry, Store } from '../store/store.js';
import { resolveSnapshotSpec, type DayOptions, type Timed } from './as-of.js';

/** One snapshot as listed in `snapshots/`. */
export interface SnapshotInfo extends Timed {
  /** Read cap of the snapshot's root directory (immutable). Secret: never print it. */
  cap: string;
  /** ISO-8601 UTC time the scan started (from the edge metadata, else the name). */
  time: string;
  host: string;
  /** Source paths given to push. */
  paths: string[];
  stats: Record<string, number>;
  /** Name of the snapshot this one was made against, if any. */
  parent?: string;
}

/** Lists and resolves the snapshots of one repository. */
export interface SnapshotCatalogue {
  /** Every snapshot, oldest first (ties by name). */
  list(options?: CallOptions): Promise<SnapshotInfo[]>;
  /**
   * The snapshot a spec names: `latest`, an exact name, an ISO time, or a day `YYYY-MM-DD`
   * (as of the end of that day, local time unless `utc`).
   * @throws TimefsError `snapshot.not-found`
   */
  resolve(spec: string, options?: CallOptions & DayOptions): Promise<SnapshotInfo>;
}

/** Decodes one `snapshots/` child into a {@link SnapshotInfo}, or undefined when it is not a snapshot. */
export function snapshotFromEntry(entry: DirEntry): SnapshotInfo | undefined {
  const meta = (entry.metadata as Partial<SnapshotMeta>).timefs;
  const time = typeof meta?.time === 'string' ? meta.time : entry.name;
  const timeMs = Date.parse(time);
  if (entry.kind !== 'dir' || !Number.isFinite(timeMs)) return undefined;
  const info: SnapshotInfo = {
    name: entry.name,
    timeMs,
    time,
    cap: entry.readCap,
    host: typeof meta?.host === 'string' ? meta.host : '',
    paths: Array.isArray(meta?.paths) ? meta.paths.filter((p): p is string => typeof p === 'string') : [],
    stats: isNumberRecord(meta?.stats) ? meta.stats : {},
  };
  if (typeof meta?.parent === 'string') info.parent = meta.parent;
  return info;
}

/** Sorts snapshots oldest first, ties by name. */
export function sortSnapshots<T extends Timed>(snapshots: T[]): T[] {
  return snapshots.sort((a, b) => a.timeMs - b.timeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** {@link SnapshotCatalogue} over the `snapshots/` directory of a repository in the grid. */
export class GridSnapshotCatalogue implements SnapshotCatalogue {
  /**
   * @param store the grid
   * @param snapshotsCap cap of the repository's `snapshots/` directory (read cap is enough)
   */
  constructor(private readonly store: Store, private readonly snapshotsCap: string) {}

  async list(options?: CallOptions): Promise<SnapshotInfo[]> {
    const children = await this.store.list(this.snapshotsCap, options);
    const out: SnapshotInfo[] = [];
    for (const entry of children.values()) {
      const info = snapshotFromEntry(entry);
      if (info) out.push(info);
    }
    return sortSnapshots(out);
  }

  async resolve(spec: string, options: CallOptions & DayOptions = {}): Promise<SnapshotInfo> {
    if (spec === '') throw new TimefsError('usage', 'the snapshot name is empty', { hint: 'use `latest`, an exact name or a day YYYY-MM-DD' });
    return resolveSnapshotSpec(await this.list(options), spec, options);
  }
}

function isNumberRecord(value: unknown): value is Record<string, number> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'number');
}
