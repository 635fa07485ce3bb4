/**
 * The objects the snapshots of a repository need, as a graph: every snapshot tree walked once
 * (shared subtrees are listed once, by cap), version nodes opened to their parts, and for every
 * object the directories that link it, so a damaged object can be traced back to the snapshots
 * it affects. Used by `check` (health of each cap once) and `rebase` (which version nodes exist).
 */
import type { EntryMeta } from '../model/entry.js';
import { isTimefsError, TimefsError } from '../model/errors.js';
import { ListingWindow } from '../store/listing-window.js';
import type { CallOptions, Store } from '../store/store.js';
import { decodeEntry } from '../view/entry-decode.js';

/** What an object is to timefs. */
export type ObjectKind = 'snapshot' | 'dir' | 'file' | 'version-node' | 'version-part' | 'pack' | 'symlink' | 'special';

/** One object the snapshots need. */
export interface NeededObject {
  cap: string;
  kind: ObjectKind;
  /** A path that reaches it, for messages: `SNAPSHOT/home/me/a.txt` (or `…/a.txt#d003` for parts). */
  path: string;
  /** Caps of the directories (snapshot roots, dirs, version nodes) that link it. */
  parents: Set<string>;
}

/** One version of a regular file as linked from a snapshot tree. */
export interface FileVersion {
  /** The child cap: the file itself, a version node or a pack. */
  cap: string;
  meta: EntryMeta;
  path: string;
  /** Cap of the directory that links it. */
  parent: string;
}

/** A directory that could not be listed. */
export interface UnreadableDir {
  cap: string;
  path: string;
  error: TimefsError;
}

/** The result of {@link buildObjectGraph}. */
export interface ObjectGraph {
  objects: Map<string, NeededObject>;
  /** Distinct file versions, keyed by `cap|hash`. */
  versions: Map<string, FileVersion>;
  /** Snapshot root cap → the snapshot names that use it (identical trees share one cap). */
  roots: Map<string, string[]>;
  unreadable: UnreadableDir[];
}

/** A snapshot to walk. */
export interface GraphRoot {
  name: string;
  cap: string;
}

/** Options of {@link buildObjectGraph}. */
export interface GraphOptions extends CallOptions {
  /** Parallel listings (default 8). */
  concurrency?: number;
  /** Called after each directory listed, with the number of objects known so far. */
  onProgress?: (objects: number) => void;
}

/** True for caps whose data lives inside the cap: nothing to check, nothing to renew. */
export function isLiteralCap(cap: string): boolean {
  return cap.startsWith('URI:LIT:') || cap.startsWith('URI:DIR2-LIT:');
}

/** Walks every snapshot tree in `snapshots` and returns the objects they need. */
export async function buildObjectGraph(store: Store, snapshots: readonly GraphRoot[], options: GraphOptions = {}): Promise<ObjectGraph> {
  const graph: ObjectGraph = { objects: new Map(), versions: new Map(), roots: new Map(), unreadable: [] };
  const callOptions: CallOptions = options.signal ? { signal: options.signal } : {};

  const listDir = async (cap: string, path: string, kind: 'dir' | 'version-node'): Promise<void> => {
    let children;
    try {
      children = await store.list(cap, callOptions);
    } catch (err) {
      if (isTimefsError(err, 'grid.gone', 'grid.not-found', 'grid.bad-response')) {
        graph.unreadable.push({ cap, path, error: err });
        return;
      }
      throw err;
    }
    options.onProgress?.(graph.objects.size);
    for (const child of children.values()) {
      if (kind === 'version-node') {
        add(child.readCap, 'version-part', `${path}#${child.name}`, cap);
        continue;
      }
      let entry;
      try {
        entry = decodeEntry(child, path);
      } catch (err) {
        if (!isTimefsError(err, 'repo.bad-format')) throw err;
        graph.unreadable.push({ cap, path: `${path}/${child.name}`, error: err });
        continue;
      }
      const childPath = `${path}/${child.name}`;
      const meta = entry.meta;
      if (meta.type === 'dir') add(entry.cap, 'dir', childPath, cap);
      else if (meta.type === 'file') {
        const storage = meta.storage ?? 'whole';
        const key = `${entry.cap}|${meta.hash ?? ''}`;
        if (!graph.versions.has(key)) graph.versions.set(key, { cap: entry.cap, meta, path: childPath, parent: cap });
        add(entry.cap, storage === 'chain' ? 'version-node' : storage === 'packed' ? 'pack' : 'file', childPath, cap);
      } else if (meta.type === 'symlink') add(entry.cap, meta.storage === 'packed' ? 'pack' : 'symlink', childPath, cap);
      else add(entry.cap, 'special', childPath, cap);
    }
  };

  const add = (cap: string, kind: ObjectKind, path: string, parent: string | undefined): void => {
    const known = graph.objects.get(cap);
    if (known) {
      if (parent) known.parents.add(parent);
      return;
    }
    graph.objects.set(cap, { cap, kind, path, parents: new Set(parent ? [parent] : []) });
    if (kind === 'snapshot' || kind === 'dir' || kind === 'version-node') {
      window.add({ cap, path, kind: kind === 'version-node' ? 'version-node' : 'dir' }, cap);
    }
  };

  const window = new ListingWindow<{ cap: string; path: string; kind: 'dir' | 'version-node' }>(
    (dir) => listDir(dir.cap, dir.path, dir.kind),
    { concurrency: options.concurrency ?? 8, ...(options.signal ? { signal: options.signal } : {}) },
  );
  for (const snapshot of snapshots) {
    const names = graph.roots.get(snapshot.cap) ?? [];
    names.push(snapshot.name);
    graph.roots.set(snapshot.cap, names);
    add(snapshot.cap, 'snapshot', snapshot.name, undefined);
  }
  await window.done();
  return graph;
}

/** Names of the snapshots whose trees reach `cap`, sorted. */
export function snapshotsReaching(graph: ObjectGraph, cap: string): string[] {
  const seen = new Set<string>();
  const names = new Set<string>();
  const stack = [cap];
  while (stack.length > 0) {
    const current = stack.pop()!;
    if (seen.has(current)) continue;
    seen.add(current);
    for (const name of graph.roots.get(current) ?? []) names.add(name);
    for (const parent of graph.objects.get(current)?.parents ?? []) stack.push(parent);
  }
  return [...names].sort();
}

/**
 * For each object, the time of the newest snapshot whose tree reaches it: a memoised walk up the
 * parents. `timeOf` gives a snapshot's time by name.
 */
export function newestReaching(graph: ObjectGraph, timeOf: (snapshot: string) => number): (cap: string) => number {
  const memo = new Map<string, number>();
  const visit = (cap: string): number => {
    const known = memo.get(cap);
    if (known !== undefined) return known;
    memo.set(cap, Number.NEGATIVE_INFINITY); // cycles cannot happen in immutable trees; guard anyway
    let newest = Number.NEGATIVE_INFINITY;
    for (const name of graph.roots.get(cap) ?? []) newest = Math.max(newest, timeOf(name));
    for (const parent of graph.objects.get(cap)?.parents ?? []) newest = Math.max(newest, visit(parent));
    memo.set(cap, newest);
    return newest;
  };
  return visit;
}
