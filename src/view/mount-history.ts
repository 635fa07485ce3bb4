/**
 * The mount's `history/<path>/` directories, read through the same machinery as `timefs log`:
 * the snapshots' metadata indexes ({@link SnapshotIndexes}, loaded once per snapshot) answer
 * where present and intact, the trees everywhere else, and {@link pathStates} finds what the
 * path was in each snapshot. Versions are de-duplicated by {@link distinctVersions}.
 */
import { LRUCache } from 'lru-cache';
import { pathCovered } from '../model/source.js';
import type { CallOptions } from '../store/store.js';
import type { TreeEntry } from './entry-decode.js';
import { distinctVersions, type HistoryVersion, type PathInSnapshot } from './file-history.js';
import { inodeFor } from './inode-numbers.js';
import type { DirChild } from './mount-source.js';
import { pathStates } from './path-states.js';
import type { SnapshotIndexes } from './snapshot-indexes.js';
import type { SnapshotRef } from './time-tree.js';
import { nameForBytes } from './tree-cache.js';
import { findChild } from './tree-reader.js';

/** A path's history: its versions, and the snapshots' directory caps where it is a directory. */
export interface PathHistory {
  versions: HistoryVersion[];
  dirCaps: string[];
}

/** A mount path segment (a shown name) against listed entries: by exact bytes, else by shown name (escaped non-UTF-8 names). */
function shownChild(entries: readonly TreeEntry[], segment: Uint8Array): TreeEntry | undefined {
  const text = Buffer.from(segment).toString('utf8');
  return findChild(entries, segment) ?? entries.find((e) => nameForBytes(e.rawName) === text);
}

/** Histories of mount paths, cached per path and snapshot list. */
export class PathHistories {
  private readonly cache: LRUCache<string, PathHistory>;

  constructor(private readonly indexes: SnapshotIndexes, private readonly onIndexError: (err: unknown) => void, maxPaths = 1_000) {
    this.cache = new LRUCache<string, PathHistory>({ max: maxPaths });
  }

  /** What `rest` (shown names) was in every snapshot, de-duplicated into versions. */
  async of(rest: readonly string[], snapshots: readonly SnapshotRef[], signal?: AbortSignal): Promise<PathHistory> {
    const key = `${snapshots.length}\0${snapshots[snapshots.length - 1]?.name}\0${rest.join('/')}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const options: CallOptions = signal ? { signal } : {};
    await this.open(snapshots, options);
    const states = await pathStates(this.indexes.lister, snapshots, rest.map((r) => new Uint8Array(Buffer.from(r, 'utf8'))), options, shownChild);
    const items: PathInSnapshot[] = [];
    const dirCaps = new Set<string>();
    for (const [i, state] of states.entries()) {
      const snapshot = snapshots[i] as SnapshotRef;
      if (state.entry) {
        if (state.entry.meta.type === 'dir') dirCaps.add(state.entry.cap);
        items.push({ snapshotName: snapshot.name, meta: state.entry.meta, cap: state.entry.cap });
      } else if (!snapshot.paths || snapshot.paths.length === 0 || pathCovered(snapshot.paths, `/${rest.join('/')}`)) {
        // Absent from a snapshot of another source (one that did not back this path up) says nothing.
        items.push({ snapshotName: snapshot.name });
      }
    }
    const history = { versions: distinctVersions(items), dirCaps: [...dirCaps] };
    this.cache.set(key, history);
    return history;
  }

  /** The children of `history/<rest>/`: every name any of the directories had, each itself a history directory. */
  async childrenOf(dirCaps: readonly string[], rest: readonly string[], signal?: AbortSignal): Promise<DirChild[]> {
    const children = new Map<string, DirChild>();
    for (const cap of new Set(dirCaps)) {
      for (const entry of await this.indexes.lister.list(cap, signal ? { signal } : {})) {
        const name = nameForBytes(entry.rawName);
        if (!children.has(name)) children.set(name, { name, raw: entry.rawName, type: 'dir', ino: inodeFor(`history\0${[...rest, name].join('/')}\0`) });
      }
    }
    return [...children.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Loads every snapshot's index; a failure to read them leaves the trees to answer. */
  private async open(snapshots: readonly SnapshotRef[], options: CallOptions): Promise<void> {
    try {
      await this.indexes.openAll(snapshots, options);
    } catch (err) {
      this.onIndexError(err);
    }
  }
}
