/**
 * What a snapshot spec shows (docs/format.md, "Several sources"): an exact snapshot name shows
 * that snapshot alone; `latest`, a day or a time shows the merged view of every source as of
 * then, which is a single snapshot when only one member owns anything. Every reader resolves
 * specs here: the mount, `ls`, `cat`, `restore`, and whatever else takes a snapshot name.
 */
import type { CallOptions, Store } from '../store/store.js';
import { resolveSnapshotSpec, type DayOptions } from './as-of.js';
import { membersAsOf, type MergeMember } from './merged-tree.js';
import { mergedCap, MergingStore } from './merging-store.js';
import { GridSnapshotCatalogue, type SnapshotInfo } from './snapshot-catalogue.js';

/** What a spec resolved to. */
export interface ViewTarget<T extends MergeMember = MergeMember> {
  /** The snapshot's name, or the spec itself (`latest`, `2009-01-09`) for a merged view. */
  name: string;
  /** Time of the newest member. */
  timeMs: number;
  /** Root cap: the snapshot's, or a merged directory's (list it through a {@link MergingStore}). */
  cap: string;
  /** The snapshots shown, newest first (one unless merged). */
  members: T[];
  merged: boolean;
}

/** Options of {@link resolveView}. */
export interface ViewOptions extends DayOptions {
  /** Only snapshots of this host. */
  host?: string;
}

/**
 * Resolves `spec` over `snapshots` (any order).
 * @throws TimefsError `snapshot.not-found` (from {@link resolveSnapshotSpec})
 */
export function resolveView<T extends MergeMember>(snapshots: readonly T[], spec: string, options: ViewOptions = {}): ViewTarget<T> {
  const mine = options.host === undefined ? snapshots : snapshots.filter((s) => s.host === options.host);
  const newest = resolveSnapshotSpec(mine, spec, options);
  const members = newest.name === spec ? [newest] : membersAsOf(mine, newest.timeMs);
  if (members.length <= 1) return { name: newest.name, timeMs: newest.timeMs, cap: newest.cap, members: [newest], merged: false };
  return { name: spec, timeMs: members[0]!.timeMs, cap: mergedCap(members), members, merged: true };
}

/** A resolved spec and the store to read it through. */
export interface OpenedView {
  target: ViewTarget<SnapshotInfo>;
  /** `store` that can also list merged directories. */
  store: Store;
}

/** `store`, able to list the merged directories of views over `snapshots`. */
export function mergingStoreOver(store: Store, snapshots: readonly SnapshotInfo[]): Store {
  const byName = new Map(snapshots.map((s) => [s.name, s]));
  return new MergingStore(store, async (names) => names.flatMap((n) => byName.get(n) ?? []));
}

/**
 * The target as one snapshot record: the snapshot itself, or for a merged view its newest
 * member's record under the view's name and root cap, with every member's paths (for code that
 * takes one snapshot).
 */
export function targetAsSnapshot(target: ViewTarget<SnapshotInfo>): SnapshotInfo {
  const newest = target.members[0]!;
  if (!target.merged) return newest;
  const paths = [...new Set(target.members.flatMap((m) => m.paths))].sort();
  return { ...newest, name: target.name, cap: target.cap, paths };
}

/** Lists the repository's snapshots once and resolves `spec`: what `ls`, `cat` and `restore` read. */
export async function openSnapshotView(store: Store, snapshotsCap: string, spec: string, options: ViewOptions & CallOptions = {}): Promise<OpenedView> {
  const catalogue = new GridSnapshotCatalogue(store, snapshotsCap);
  if (spec === '') await catalogue.resolve(spec);
  const snapshots = await catalogue.list(options.signal ? { signal: options.signal } : {});
  return { target: resolveView(snapshots, spec, options), store: mergingStoreOver(store, snapshots) };
}
