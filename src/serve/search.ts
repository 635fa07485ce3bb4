/**
 * The search box: file names across every snapshot, through the same view-level search as
 * `timefs find` (snapshot indexes where present, each distinct directory walked once). The
 * indexes are the served view's own, so each one is loaded once for browsing and searching.
 */
import picomatch from 'picomatch';
import type { HistorySource, SnapshotIndexes } from '../view/snapshot-indexes.js';
import type { SnapshotCatalogue } from '../view/snapshot-catalogue.js';
import { nameForBytes } from '../view/tree-cache.js';
import { searchSnapshots, type EntryFilter, type PathMatches } from '../view/tree-search.js';

/** Searches names (a glob, or a plain word matched anywhere in the name, case-insensitively). */
export type SearchNames = (pattern: string, signal: AbortSignal) => Promise<PathMatches[]>;

/** The filter of a search box query: `*.odt` is a glob, `report` means `*report*`; case-insensitive. */
export function nameFilter(pattern: string): EntryFilter {
  const glob = /[*?[\]{}]/.test(pattern) ? pattern : `*${pattern}*`;
  const matches = picomatch(glob, { dot: true, nocase: true });
  return (path) => matches(nameForBytes(path[path.length - 1] as Uint8Array));
}

/** The view path (names as served) of a match's exact name bytes. */
export function servedPath(path: readonly Uint8Array[]): string[] {
  return path.map((segment) => nameForBytes(segment));
}

/** A search over the repository's snapshots; the history source is reused while the snapshot list is unchanged. */
export function createSearch(indexes: SnapshotIndexes, catalogue: SnapshotCatalogue): SearchNames {
  let cached: { key: string; history: Promise<HistorySource> } | undefined;
  return async (pattern, signal) => {
    const snapshots = await catalogue.list({ signal });
    const key = snapshots.map((s) => `${s.name}\0${s.cap}`).join('\n');
    if (cached?.key !== key) cached = { key, history: indexes.openAll(snapshots, { signal }) };
    const history = await cached.history.catch((err: unknown) => {
      cached = undefined;
      throw err;
    });
    return searchSnapshots(history.lister, snapshots, nameFilter(pattern), { signal });
  };
}
