/**
 * Searching many snapshots at once (`timefs find`, the web UI's search box), as a pure walk over
 * a {@link DirectoryLister}. Each distinct directory (by cap) is searched once: a subtree shared
 * by a hundred snapshots costs one walk. Matches come back grouped by path, with the runs of
 * snapshots in which each path matched.
 */
import type { CallOptions } from '../store/store.js';
import type { TreeEntry } from './entry-decode.js';
import type { DirectoryLister, SnapshotRoot } from './path-states.js';
import { contentIdentity } from './path-versions.js';

/** Decides whether one entry matches; `path` holds the exact bytes of every component. */
export type EntryFilter = (path: readonly Uint8Array[], entry: TreeEntry) => boolean;

/** A run of consecutive searched snapshots in which a path matched. */
export interface MatchRun {
  first: string;
  last: string;
  snapshots: number;
  /** The entry as of the run's last snapshot. */
  entry: TreeEntry;
  /** Distinct contents of the path within the run. */
  versions: number;
}

/** One matching path and where it matched. */
export interface PathMatches {
  path: Uint8Array[];
  runs: MatchRun[];
}

/** Options of {@link searchSnapshots}. */
export interface SearchOptions extends CallOptions {
  /**
   * True when the filter looks at whole paths (not only names and attributes): then results are
   * shared only between equal directories at equal paths.
   */
  pathDependent?: boolean;
}

interface Found {
  rel: Uint8Array[];
  entry: TreeEntry;
}

/** Every path matching `filter` in any of `snapshots` (oldest first), sorted by path bytes. */
export async function searchSnapshots(lister: DirectoryLister, snapshots: readonly SnapshotRoot[], filter: EntryFilter, options: SearchOptions = {}): Promise<PathMatches[]> {
  const memo = new Map<string, Promise<Found[]>>();
  const below = (cap: string, path: Uint8Array[]): Promise<Found[]> => {
    const key = options.pathDependent ? `${cap}\0${path.map((p) => Buffer.from(p).toString('latin1')).join('/')}` : cap;
    let found = memo.get(key);
    if (!found) {
      found = searchDir(cap, path);
      memo.set(key, found);
    }
    return found;
  };
  const searchDir = async (cap: string, path: Uint8Array[]): Promise<Found[]> => {
    const out: Found[] = [];
    const children = await lister.list(cap, options);
    const nested = await Promise.all(children.map((child) => (child.meta.type === 'dir' ? below(child.cap, [...path, child.rawName]) : Promise.resolve([]))));
    children.forEach((child, i) => {
      const childPath = [...path, child.rawName];
      if (filter(childPath, child)) out.push({ rel: [child.rawName], entry: child });
      for (const f of nested[i] as Found[]) out.push({ rel: [child.rawName, ...f.rel], entry: f.entry });
    });
    return out;
  };

  const byPath = new Map<string, { path: Uint8Array[]; hits: Array<{ index: number; entry: TreeEntry }> }>();
  for (const [index, snapshot] of snapshots.entries()) {
    for (const f of await below(snapshot.cap, [])) {
      const key = pathKey(f.rel);
      let item = byPath.get(key);
      if (!item) byPath.set(key, (item = { path: f.rel, hits: [] }));
      item.hits.push({ index, entry: f.entry });
    }
  }
  const out: PathMatches[] = [];
  for (const { path, hits } of byPath.values()) out.push({ path, runs: runsOf(hits, snapshots) });
  return out.sort((a, b) => comparePaths(a.path, b.path));
}

function runsOf(hits: ReadonlyArray<{ index: number; entry: TreeEntry }>, snapshots: readonly SnapshotRoot[]): MatchRun[] {
  const runs: MatchRun[] = [];
  let run: (MatchRun & { lastIndex: number; contents: Set<string> }) | undefined;
  for (const { index, entry } of hits) {
    const name = (snapshots[index] as SnapshotRoot).name;
    const content = contentIdentity(entry.meta, entry.cap);
    if (run && index === run.lastIndex + 1) {
      run.last = name;
      run.lastIndex = index;
      run.snapshots++;
      run.entry = entry;
      run.contents.add(content);
      run.versions = run.contents.size;
      continue;
    }
    run = { first: name, last: name, snapshots: 1, entry, versions: 1, lastIndex: index, contents: new Set([content]) };
    runs.push(run);
  }
  return runs.map(({ first, last, snapshots: count, entry, versions }) => ({ first, last, snapshots: count, entry, versions }));
}

/** Orders paths component by component, each by exact bytes (a directory before its contents). */
export function comparePaths(a: readonly Uint8Array[], b: readonly Uint8Array[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const order = Buffer.compare(a[i] as Uint8Array, b[i] as Uint8Array);
    if (order !== 0) return order;
  }
  return a.length - b.length;
}

function pathKey(path: readonly Uint8Array[]): string {
  return path.map((p) => Buffer.from(p).toString('latin1')).join('\0');
}
