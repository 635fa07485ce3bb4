/**
 * Searching many snapshots at once (`timefs find`, the web UI's search box), as a pure walk over
 * a {@link DirectoryLister}. Each distinct directory (by cap and path) is searched once: a subtree
 * shared by a hundred snapshots costs one walk. Matches come back grouped by path, with the runs of
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

/** A directory at one path, with the snapshots it appears in (a bit per snapshot). */
interface DirNode {
  cap: string;
  path: Uint8Array[];
  key: string;
  seen: Uint32Array;
}

/** One matching entry at one path, with the snapshots it appears in. */
interface Hit {
  entry: TreeEntry;
  seen: Uint32Array;
}

/**
 * Every path matching `filter` in any of `snapshots` (oldest first), sorted by path bytes. The
 * trees are walked level by level; a directory (cap and path) that several snapshots share is
 * walked once, and the snapshots it appears in are carried down to its entries as a bit set.
 */
export async function searchSnapshots(lister: DirectoryLister, snapshots: readonly SnapshotRoot[], filter: EntryFilter, options: SearchOptions = {}): Promise<PathMatches[]> {
  const words = Math.ceil(snapshots.length / 32);
  const names = new WeakMap<Uint8Array, string>();
  const nameKey = (raw: Uint8Array): string => {
    let key = names.get(raw);
    if (key === undefined) names.set(raw, (key = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1')));
    return key;
  };
  const verdicts = new WeakMap<TreeEntry, boolean>();
  const matches = (pathOf: () => Uint8Array[], entry: TreeEntry): boolean => {
    if (options.pathDependent) return filter(pathOf(), entry);
    let verdict = verdicts.get(entry);
    if (verdict === undefined) verdicts.set(entry, (verdict = filter(pathOf(), entry)));
    return verdict;
  };
  const found = new Map<string, { path: Uint8Array[]; hits: Map<TreeEntry, Hit> }>();
  let level = new Map<string, DirNode>();
  for (const [index, snapshot] of snapshots.entries()) {
    let root = level.get(snapshot.cap);
    if (!root) level.set(snapshot.cap, (root = { cap: snapshot.cap, path: [], key: '', seen: new Uint32Array(words) }));
    (root.seen[index >>> 5] as number) |= 1 << (index & 31);
  }
  while (level.size > 0) {
    const dirs = [...level.values()];
    const listings = await Promise.all(dirs.map((dir) => lister.list(dir.cap, options)));
    const next = new Map<string, DirNode>();
    dirs.forEach((dir, d) => {
      for (const child of listings[d] as readonly TreeEntry[]) {
        const key = `${dir.key}\0${nameKey(child.rawName)}`;
        let path: Uint8Array[] | undefined;
        const pathOf = (): Uint8Array[] => (path ??= [...dir.path, child.rawName]);
        if (matches(pathOf, child)) {
          let item = found.get(key);
          if (!item) found.set(key, (item = { path: pathOf(), hits: new Map() }));
          let hit = item.hits.get(child);
          if (!hit) item.hits.set(child, (hit = { entry: child, seen: new Uint32Array(words) }));
          orInto(hit.seen, dir.seen);
        }
        if (child.meta.type !== 'dir') continue;
        const nodeKey = `${child.cap}\0${key}`;
        let node = next.get(nodeKey);
        if (!node) next.set(nodeKey, (node = { cap: child.cap, path: pathOf(), key, seen: new Uint32Array(words) }));
        orInto(node.seen, dir.seen);
      }
    });
    level = next;
  }
  const out: PathMatches[] = [];
  for (const { path, hits } of found.values()) {
    const bySnapshot: Array<{ index: number; entry: TreeEntry }> = [];
    for (const hit of hits.values()) {
      for (let w = 0; w < words; w++) {
        let bits = hit.seen[w] as number;
        while (bits !== 0) {
          const low = bits & -bits;
          bySnapshot.push({ index: w * 32 + 31 - Math.clz32(low), entry: hit.entry });
          bits ^= low;
        }
      }
    }
    bySnapshot.sort((a, b) => a.index - b.index);
    out.push({ path, runs: runsOf(bySnapshot, snapshots) });
  }
  return out.sort((a, b) => comparePaths(a.path, b.path));
}

function orInto(target: Uint32Array, source: Uint32Array): void {
  for (let w = 0; w < target.length; w++) (target[w] as number) |= source[w] as number;
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
