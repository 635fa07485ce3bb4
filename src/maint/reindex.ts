/**
 * Keeping metadata indexes current (docs/format.md §5): storing the index of snapshots that have
 * none or a stale one (`timefs index`, and `rebase` after it swapped trees), and removing the
 * indexes of forgotten snapshots (`forget`). Each index is built against the one of the snapshot
 * before it, so only changed directories are listed and only a delta is stored.
 */
import type { CallOptions, Store } from '../store/store.js';
import { ensureIndexDir, findIndexDir, listIndexLinks } from '../tree-index/index-store.js';
import { Indexer } from '../tree-index/index-update.js';
import { GridSnapshotCatalogue } from '../view/snapshot-catalogue.js';
import { isTimefsError } from '../model/errors.js';

/** Which snapshots {@link updateIndexes} indexes. */
export type ReindexMode =
  /** those without an index or with a stale one (`timefs index`) */
  | 'missing'
  /** only those whose index is stale: it describes an earlier root (after `rebase`) */
  | 'stale'
  /** every snapshot (`timefs index --force`) */
  | 'all';

/** The repository parts indexing needs. */
export interface ReindexRepo {
  rootCap: string;
  snapshotsCap: string;
}

/** Options of {@link updateIndexes}. */
export interface ReindexOptions extends CallOptions {
  mode: ReindexMode;
  /** Called per snapshot: indexed, or kept as it was. */
  onSnapshot?: (name: string, action: 'indexed' | 'kept') => void;
}

/** Indexes the snapshots `mode` selects, oldest first. Returns the names indexed. */
export async function updateIndexes(store: Store, repo: ReindexRepo, options: ReindexOptions): Promise<string[]> {
  const call: CallOptions = options.signal ? { signal: options.signal } : {};
  // After a rebase in a repository that never had indexes there is nothing to refresh.
  const dir = options.mode === 'stale' ? await findIndexDir(store, repo.rootCap, call) : await ensureIndexDir(store, repo.rootCap, call);
  if (dir === undefined) return [];
  const snapshots = await new GridSnapshotCatalogue(store, repo.snapshotsCap).list(call);
  const indexer = new Indexer(store, dir, call);
  const links = await indexer.currentLinks();
  const done: string[] = [];
  for (const [i, snapshot] of snapshots.entries()) {
    const link = links.get(snapshot.name);
    const wanted = options.mode === 'all' || (options.mode === 'missing' ? link?.root !== snapshot.cap : link !== undefined && link.root !== snapshot.cap);
    if (!wanted) {
      options.onSnapshot?.(snapshot.name, 'kept');
      continue;
    }
    await indexer.index(snapshot, snapshots[i - 1]);
    done.push(snapshot.name);
    options.onSnapshot?.(snapshot.name, 'indexed');
  }
  return done;
}

/** Unlinks the indexes of snapshots that are gone (after `forget`); missing ones are fine. */
export async function forgetIndexes(store: Store, repoRootCap: string, names: readonly string[], options: CallOptions = {}): Promise<void> {
  const dir = await findIndexDir(store, repoRootCap, options);
  if (dir === undefined || names.length === 0) return;
  const links = await listIndexLinks(store, dir, options);
  for (const name of names) {
    if (!links.has(name)) continue;
    try {
      await store.unlink(dir, name, options);
    } catch (err) {
      if (!isTimefsError(err, 'grid.not-found')) throw err;
    }
  }
}
