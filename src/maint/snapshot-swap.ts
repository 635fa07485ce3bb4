/**
 * Swapping rewritten snapshot trees into `snapshots/` so that a crash at any moment loses
 * nothing and a rerun finishes the job.
 *
 * The Store links with `replace=false` only, so one edge cannot be replaced atomically. Instead:
 * 1. every new tree is uploaded first (immutable, convergent: repeating it is harmless);
 * 2. one new mutable directory is created holding *all* swaps as its initial children (name →
 *    new root, with the snapshot's edge metadata) and linked into the repository root as
 *    `rebase-pending` — a single step, so the intent is recorded whole or not at all;
 * 3. each snapshot edge is unlinked and linked again to its new root (a snapshot is missing from
 *    `snapshots/` only between those two calls, and then it is still reachable and renewed
 *    through `rebase-pending`);
 * 4. `rebase-pending` is unlinked.
 * Any run of rebase first completes a `rebase-pending` left by a killed run.
 */
import { REPO_LAYOUT } from '../model/entry.js';
import { isTimefsError } from '../model/errors.js';
import type { CallOptions, NewChild, Store } from '../store/store.js';

/** Name of the intent directory in the repository root (an optional, temporary root child). */
export const PENDING_NAME = REPO_LAYOUT.rebasePending;

/** One snapshot edge to swap. */
export interface SnapshotSwap {
  name: string;
  newRoot: string;
  /** The snapshot edge's metadata, kept as it was. */
  metadata: Record<string, unknown>;
}

/** Records all swaps in `rebase-pending` under the repository root, in one step. */
export async function recordSwaps(store: Store, rootCap: string, swaps: readonly SnapshotSwap[], options: CallOptions = {}): Promise<void> {
  const children: Record<string, NewChild> = {};
  for (const swap of swaps) children[swap.name] = { cap: swap.newRoot, metadata: swap.metadata };
  const pending = await store.mkdirMutable(children, options);
  await store.link(rootCap, PENDING_NAME, pending, undefined, options);
}

/**
 * Carries out the swaps recorded in `rebase-pending` (if any) and removes it.
 * Returns the names swapped (including those found already done).
 */
export async function completeSwaps(store: Store, rootCap: string, snapshotsCap: string, options: CallOptions = {}): Promise<string[]> {
  const root = await store.list(rootCap, options);
  const pendingEntry = root.get(PENDING_NAME);
  if (!pendingEntry) return [];
  const pending = await store.list(pendingEntry.cap, options);
  const listed = await store.list(snapshotsCap, options);
  const names: string[] = [];
  for (const [name, swap] of pending) {
    const current = listed.get(name);
    if (current?.readCap !== swap.readCap) {
      if (current) await unlinkIfPresent(store, snapshotsCap, name, options);
      const { tahoe: _ignored, ...metadata } = swap.metadata;
      await store.link(snapshotsCap, name, swap.readCap, metadata, options);
    }
    names.push(name);
  }
  await unlinkIfPresent(store, rootCap, PENDING_NAME, options);
  return names;
}

async function unlinkIfPresent(store: Store, dirCap: string, name: string, options: CallOptions): Promise<void> {
  try {
    await store.unlink(dirCap, name, options);
  } catch (err) {
    if (!isTimefsError(err, 'grid.not-found')) throw err;
  }
}
