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

const hostsCache = new WeakMap<readonly SnapshotRef[], string[]>();
const aliasCache = new WeakMap<readonly SnapshotRef[], Map<string, { ref: SnapshotRef; members: MemberRef[] } | undefined>>();

/** The distinct host names, sorted ('' — unknown — left out); computed once per snapshot list. */
export function hostsOf(snapshots: readonly SnapshotRef[]): string[] {
  let hosts = hostsCache.get(snapshots);
  if (!hosts) {
    hosts = [...new Set(snapshots.map((s) => s.host ?? '').filter((h) => h !== ''))].sort();
    hostsCache.set(snapshots, hosts);
  }
  return hosts;
}

/**
 * What an alias (`latest`, a day) as of `target`'s time shows: undefined when that is `target`
 * alone, else the merged root as a pseudo snapshot whose name lists its members (so caches keyed
 * by snapshot name never mix two different merges). Computed once per snapshot list and target.
 */
export function mergedAlias(snapshots: readonly SnapshotRef[], target: SnapshotRef): { ref: SnapshotRef; members: MemberRef[] } | undefined {
  let byTarget = aliasCache.get(snapshots);
  if (!byTarget) aliasCache.set(snapshots, (byTarget = new Map()));
  if (byTarget.has(target.name)) return byTarget.get(target.name);
  const members = membersAsOf(snapshots.map(asMember), target.timeMs);
  const merged = members.length <= 1 ? undefined : { ref: { name: `merged:${members.map((m) => m.name).join('+')}`, timeMs: members[0]!.timeMs, cap: mergedCap(members) }, members };
  byTarget.set(target.name, merged);
  return merged;
}

const hostCache = new WeakMap<readonly SnapshotRef[], Map<string, SnapshotRef[]>>();

/** The snapshots of one host, as one array per snapshot list (so the caches above keep working). */
export function snapshotsOfHost(snapshots: readonly SnapshotRef[], host: string): SnapshotRef[] {
  let byHost = hostCache.get(snapshots);
  if (!byHost) hostCache.set(snapshots, (byHost = new Map()));
  let mine = byHost.get(host);
  if (!mine) byHost.set(host, (mine = snapshots.filter((s) => s.host === host)));
  return mine;
}
