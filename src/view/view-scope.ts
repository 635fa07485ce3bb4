/**
 * The mount's scopes: the whole repository at the top level, one host under `hosts/<host>/`
 * (shown when the repository holds more than one host), and what their `latest` and day names
 * show: one snapshot (a symlink to it, as before) or a merged directory of several sources.
 */
import { membersAsOf, type MergeMember } from './merged-tree.js';
import { mergedCap } from './merging-store.js';
import type { SnapshotRef } from './time-tree.js';

/** A snapshot ref with its source fields filled in. */
export type MemberRef = SnapshotRef & MergeMember;

/** `ref` with host and paths defaulted ('' and the whole tree). */
export function asMember(ref: SnapshotRef): MemberRef {
  return { ...ref, host: ref.host ?? '', paths: ref.paths ?? [] };
}

/** The distinct host names, sorted ('' — unknown — left out). */
export function hostsOf(snapshots: readonly SnapshotRef[]): string[] {
  return [...new Set(snapshots.map((s) => s.host ?? '').filter((h) => h !== ''))].sort();
}

/**
 * What an alias (`latest`, a day) as of `target`'s time shows: undefined when that is `target`
 * alone, else the merged root as a pseudo snapshot whose name lists its members (so caches keyed
 * by snapshot name never mix two different merges).
 */
export function mergedAlias(snapshots: readonly SnapshotRef[], target: SnapshotRef): { ref: SnapshotRef; members: MemberRef[] } | undefined {
  const members = membersAsOf(snapshots.map(asMember), target.timeMs);
  if (members.length <= 1) return undefined;
  return { ref: { name: `merged:${members.map((m) => m.name).join('+')}`, timeMs: members[0]!.timeMs, cap: mergedCap(members) }, members };
}
