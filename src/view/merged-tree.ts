/**
 * Merged views of several sources (docs/format.md, "Several sources"): `latest`, a day, or a time
 * shows, for every path, its state in the newest snapshot (as of that time) whose paths include
 * it. Only the newest snapshot of each source can win, so a view has a few members; directories
 * are merged lazily, one listing at a time, and a directory that a single member owns entirely is
 * that member's own directory (its real cap), so everything below it reads as fast as a snapshot.
 */
import type { EntryMeta } from '../model/entry.js';
import { rawNameBytes } from '../model/names.js';
import { sourceKey } from '../model/source.js';
import type { CallOptions, DirEntry } from '../store/store.js';

/** A snapshot that can take part in a merged view. */
export interface MergeMember {
  name: string;
  timeMs: number;
  /** Root cap of the snapshot (secret). */
  cap: string;
  host: string;
  /** Source paths; empty (a snapshot without metadata) means the whole tree, `/`. */
  paths: readonly string[];
}

/** Lists a real directory cap. */
export type ListDir = (dirCap: string, options?: CallOptions) => Promise<Map<string, DirEntry>>;

/** A merged directory's child that is itself merged: its members and its path (raw components). */
export type MergedChild = (members: readonly MergeMember[], path: readonly Buffer[]) => string;

/** The source paths of a member as raw components (`/` gives one empty list). */
function rootsOf(member: MergeMember): Buffer[][] {
  const paths = member.paths.length === 0 ? ['/'] : member.paths;
  return paths.map((p) => p.split('/').filter((c) => c !== '').map((c) => Buffer.from(c, 'utf8')));
}

function startsWith(path: readonly Buffer[], prefix: readonly Buffer[]): boolean {
  return prefix.length <= path.length && prefix.every((c, i) => c.equals(path[i]!));
}

const newestFirst = (a: MergeMember, b: MergeMember) => b.timeMs - a.timeMs || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0);

/**
 * The members of the view as of `limitMs` (inclusive): the newest snapshot of each source taken
 * by then, newest first, without those whose every path a newer member covers (they own nothing).
 * One member means the view is that snapshot alone.
 */
export function membersAsOf<T extends MergeMember>(snapshots: readonly T[], limitMs: number): T[] {
  const newestOfSource = new Map<string, T>();
  for (const s of snapshots) {
    if (s.timeMs > limitMs) continue;
    const key = sourceKey({ host: s.host, paths: s.paths.length === 0 ? ['/'] : s.paths });
    const seen = newestOfSource.get(key);
    if (!seen || newestFirst(s, seen) < 0) newestOfSource.set(key, s);
  }
  const sorted = [...newestOfSource.values()].sort(newestFirst);
  return sorted.filter((m, i) => {
    const newer = sorted.slice(0, i).flatMap(rootsOf);
    return !rootsOf(m).every((root) => newer.some((n) => startsWith(root, n)));
  });
}

/** The member whose state of `path` the view shows: the newest one with a source path at or above it. */
export function ownerOf(members: readonly MergeMember[], path: readonly Buffer[]): MergeMember | undefined {
  return members.find((m) => rootsOf(m).some((root) => startsWith(path, root)));
}

/**
 * True when the directory at `path` needs merging: no member owns it (it only leads to source
 * paths further down), or a member newer than its owner has a source path strictly below it.
 */
export function needsMerge(members: readonly MergeMember[], path: readonly Buffer[]): boolean {
  const owner = ownerOf(members, path);
  if (!owner) return true;
  for (const m of members) {
    if (m === owner) return false;
    if (rootsOf(m).some((root) => root.length > path.length && startsWith(root, path))) return true;
  }
  return false;
}

/** The raw name bytes of a listed edge. */
export function edgeBytes(name: string, entry: DirEntry): Buffer {
  const meta = (entry.metadata as { timefs?: EntryMeta }).timefs;
  return rawNameBytes(name, meta?.rawName);
}

/** The entry at `path` (non-empty) in the member's tree, or undefined. */
async function entryAt(list: ListDir, member: MergeMember, path: readonly Buffer[], options?: CallOptions): Promise<[string, DirEntry] | undefined> {
  let dirCap = member.cap;
  let found: [string, DirEntry] | undefined;
  for (const component of path) {
    if (found && found[1].kind !== 'dir') return undefined;
    found = undefined;
    for (const [name, entry] of await list(dirCap, options)) {
      if (edgeBytes(name, entry).equals(component)) {
        found = [name, entry];
        break;
      }
    }
    if (!found) return undefined;
    dirCap = found[1].readCap;
  }
  return found;
}

/** The children of the directory at `path` (raw components), in any member's tree. */
async function childrenAt(list: ListDir, member: MergeMember, path: readonly Buffer[], options?: CallOptions): Promise<Map<string, DirEntry>> {
  if (path.length === 0) return list(member.cap, options);
  const entry = await entryAt(list, member, path, options);
  return entry && entry[1].kind === 'dir' ? list(entry[1].readCap, options) : new Map();
}

/**
 * The listing of the merged directory at `path`: each child from its owner (absent when the owner
 * lacks it, e.g. deleted), directories leading to deeper source paths from the newest member that
 * has them; children that need merging again get the cap `child(members, childPath)`.
 */
export async function mergedListing(list: ListDir, members: readonly MergeMember[], path: readonly Buffer[], child: MergedChild, options?: CallOptions): Promise<Map<string, DirEntry>> {
  const owner = ownerOf(members, path);
  const candidates = new Map<string, Buffer>();
  if (owner) {
    for (const [name, entry] of await childrenAt(list, owner, path, options)) candidates.set(edgeBytes(name, entry).toString('latin1'), edgeBytes(name, entry));
  }
  for (const m of members) {
    if (m === owner) break;
    for (const root of rootsOf(m)) {
      if (root.length > path.length && startsWith(root, path)) candidates.set(root[path.length]!.toString('latin1'), root[path.length]!);
    }
  }
  const out = new Map<string, DirEntry>();
  for (const component of candidates.values()) {
    const childPath = [...path, component];
    const from = ownerOf(members, childPath) ?? members.find((m) => rootsOf(m).some((root) => root.length > childPath.length && startsWith(root, childPath)));
    if (!from) continue;
    const found = await entryAt(list, from, childPath, options);
    if (!found) continue;
    const [name, entry] = found;
    if (entry.kind === 'dir' && needsMerge(members, childPath)) {
      const cap = child(members, childPath);
      out.set(name, { ...entry, cap, readCap: cap, mutable: false });
    }
    else out.set(name, entry);
  }
  return out;
}
