/**
 * What a path (or each child of a directory) was in every snapshot of a list, read through a
 * {@link DirectoryLister}: the grid's listings, or a metadata index answering from memory. Shared
 * directories are listed once (listings are keyed by cap), so unchanged history costs nothing.
 */
import type { CallOptions } from '../store/store.js';
import type { TreeEntry } from './entry-decode.js';
import type { PathState } from './path-versions.js';
import { findChild, rootEntry } from './tree-reader.js';
import { contentKey } from './path-versions.js';

/** Lists immutable snapshot directories, sorted by exact name bytes. */
export interface DirectoryLister {
  list(dirCap: string, options?: CallOptions): Promise<readonly TreeEntry[]>;
  /**
   * The child of `dirCap` whose exact name bytes are `segment` (null: there is none), when the
   * lister can tell without decoding the whole listing; undefined: ask {@link list}.
   */
  child?(dirCap: string, segment: Uint8Array): TreeEntry | null | undefined;
}

/** A snapshot as the history functions need it: its name and root cap (secret). */
export interface SnapshotRoot {
  name: string;
  cap: string;
}

/** Picks the child a path segment names (default {@link findChild}: by exact name bytes). */
export type ChildMatcher = (entries: readonly TreeEntry[], segment: Uint8Array) => TreeEntry | undefined;

/** The entry at `segments` (exact name bytes) below `rootCap`, or undefined when there is none. */
export async function entryAt(lister: DirectoryLister, rootCap: string, segments: readonly Uint8Array[], options?: CallOptions, match: ChildMatcher = findChild): Promise<TreeEntry | undefined> {
  let current: TreeEntry = rootEntry(rootCap);
  for (const segment of segments) {
    if (current.meta.type !== 'dir') return undefined;
    const quick = match === findChild ? lister.child?.(current.cap, segment) : undefined;
    const child = quick !== undefined ? quick ?? undefined : match(await lister.list(current.cap, options), segment);
    if (!child) return undefined;
    current = child;
  }
  return current;
}

/** What `segments` was in each snapshot, in the order given (lookups run a few at a time). */
export async function pathStates(lister: DirectoryLister, snapshots: readonly SnapshotRoot[], segments: readonly Uint8Array[], options?: CallOptions, match?: ChildMatcher): Promise<PathState[]> {
  const out: PathState[] = new Array(snapshots.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < snapshots.length) {
      const i = next++;
      const snapshot = snapshots[i] as SnapshotRoot;
      const entry = await entryAt(lister, snapshot.cap, segments, options, match);
      out[i] = entry ? { snapshot: snapshot.name, entry } : { snapshot: snapshot.name };
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, snapshots.length) }, worker));
  return out;
}

/** The history of one child of a directory: its exact name and its state in every snapshot. */
export interface ChildHistory {
  rawName: Uint8Array;
  states: PathState[];
}

/**
 * The history of every name that was ever a child of the directory at `segments`, sorted by
 * exact name bytes. `states` gives the directory's own states (from {@link pathStates}).
 */
export async function childStates(lister: DirectoryLister, states: readonly PathState[], options?: CallOptions): Promise<ChildHistory[]> {
  const byCap = new Map<string, Map<string, TreeEntry>>();
  for (const state of states) {
    const dir = state.entry?.meta.type === 'dir' ? state.entry : undefined;
    if (!dir || byCap.has(dir.cap)) continue;
    byCap.set(dir.cap, new Map((await lister.list(dir.cap, options)).map((e) => [nameKey(e.rawName), e])));
  }
  const names = new Map<string, Uint8Array>();
  for (const listing of byCap.values()) for (const [key, e] of listing) if (!names.has(key)) names.set(key, e.rawName);
  const out: ChildHistory[] = [];
  for (const [key, rawName] of names) {
    out.push({
      rawName,
      states: states.map((state) => {
        const child = state.entry?.meta.type === 'dir' ? byCap.get(state.entry.cap)?.get(key) : undefined;
        return child ? { snapshot: state.snapshot, entry: child } : { snapshot: state.snapshot };
      }),
    });
  }
  return out.sort((a, b) => Buffer.compare(a.rawName, b.rawName));
}

function nameKey(raw: Uint8Array): string {
  return Buffer.from(raw).toString('latin1');
}

/** A {@link DiffSide}-shaped reader of snapshot trees: a directory's key is its cap. */
export function listerSide(lister: DirectoryLister, options?: CallOptions): { children(dir: { key?: string }): Promise<Array<TreeEntry & { key: string }>> } {
  return {
    async children(dir) {
      if (dir.key === undefined) return [];
      return (await lister.list(dir.key, options)).map((e) => ({ ...e, key: contentKey(e) }));
    },
  };
}
