/**
 * Before a push scans, the catalog must be a true cache of the grid: dropped when the snapshot it
 * last made is gone or changed, and filled in from the grid for every pushed path it knows nothing
 * of. Both need the `snapshots/` listing, the one grid read in front of the scan; when the catalog
 * made the last snapshot and knows every path, the listing can only confirm it, and push scans
 * while it arrives ({@link catalogLooksCurrent}).
 */
import type { Catalog } from '../catalog/catalog.js';
import { choosePushBase, pathCovered } from '../model/source.js';
import type { DirEntry, Store } from '../store/store.js';
import type { IndexedSnapshot } from '../tree-index/index-update.js';
import { snapshotFromEntry } from '../view/snapshot-catalogue.js';
import { rebuildCatalogAt } from './rebuild.js';

/** Catalog meta key: the source paths the catalog holds records for (pushed or rebuilt). */
const KNOWN_ROOTS = 'roots';

/** Where the catalog's records come from, and what was rebuilt. */
export interface PreparedCatalog {
  /** The snapshot the push continues (its parent), if any. */
  parent?: IndexedSnapshot;
  /** Path records rebuilt from the grid, when any path was new to the catalog. */
  rebuilt?: number;
}

/**
 * True when preparing the catalog for `paths` can change nothing unless the grid finds it stale:
 * it made a snapshot before and holds records for every path. A scan may then start before the
 * `snapshots/` listing is in, as long as nothing is uploaded until {@link catalogIsStale} says no.
 */
export async function catalogLooksCurrent(catalog: Catalog, paths: readonly string[]): Promise<boolean> {
  if ((await catalog.lastSnapshot()) === undefined) return false;
  const known = await catalog.getMeta<string[]>(KNOWN_ROOTS);
  return known !== undefined && paths.every((path) => pathCovered(known, path));
}

/**
 * Makes the catalog ready for a push of `paths` from `host`: drops it when stale, then fills in
 * every pushed path it knows nothing of from the snapshot push's parent rule picks for that path.
 */
export async function prepareCatalog(store: Store, catalog: Catalog, host: string, paths: string[], listing: ReadonlyMap<string, DirEntry>): Promise<PreparedCatalog> {
  const prepared: PreparedCatalog = {};
  let known: string[];
  if (await catalogIsStale(catalog, listing)) {
    await catalog.clearPaths();
    await catalog.putMeta('rebuilt', '');
    known = [];
  } else {
    known = (await catalog.getMeta<string[]>(KNOWN_ROOTS)) ?? (await catalog.lastSnapshot())?.paths ?? [];
  }
  const snapshots = [...listing.values()].flatMap((entry) => snapshotFromEntry(entry) ?? []);
  const base = choosePushBase(snapshots, { host, paths });
  for (const [path, snapshot] of base.perPath) {
    if (pathCovered(known, path)) continue;
    if (snapshot) {
      const before = known;
      prepared.rebuilt = (prepared.rebuilt ?? 0) + (await rebuildCatalogAt(store, catalog, snapshot.cap, path, (p) => pathCovered(before, p)));
    }
    known = [...known, path];
  }
  await catalog.putMeta(KNOWN_ROOTS, known);
  if (base.parent) prepared.parent = { name: base.parent.name, cap: base.parent.cap };
  return prepared;
}

/**
 * True when the catalog cannot be trusted as a cache of the grid: it is new, or the snapshot it
 * last made is gone from `snapshots/` or now points elsewhere (`forget` or `rebase` ran), so its
 * chains and directory caps may name objects no snapshot keeps alive any more.
 */
export async function catalogIsStale(catalog: Catalog, snapshots: ReadonlyMap<string, DirEntry>): Promise<boolean> {
  const last = await catalog.lastSnapshot();
  if (last === undefined) return (await catalog.getMeta('rebuilt')) === undefined;
  const entry = snapshots.get(last.name);
  return entry?.readCap !== last.rootCap;
}
