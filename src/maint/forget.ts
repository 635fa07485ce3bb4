/**
 * `timefs forget`: applies a keep policy to the snapshots of a repository and unlinks the others
 * from `snapshots/`. Nothing is deleted at once (Tahoe cannot delete on demand): objects that no
 * kept snapshot links stop being renewed by `timefs renew` and expire with their leases.
 */
import { GROUP_BY_SOURCE, sourceKey, sourceLabel, type GroupBy } from '../model/source.js';
import type { CallOptions, Store } from '../store/store.js';
import { GridSnapshotCatalogue, type SnapshotInfo } from '../view/snapshot-catalogue.js';
import { applyForgetPolicy, type ForgetPolicy, type PolicyDecision } from './forget-policy.js';
import { forgetIndexes } from './reindex.js';
import { completeSwaps } from './snapshot-swap.js';

/** A snapshot as the policy sees it. */
export interface ForgetCandidate {
  name: string;
  time: Date;
  host: string;
  paths: string[];
}

/** The snapshots of one group (a source, unless `--group-by` says otherwise) and their decisions. */
export interface ForgetGroup {
  /** e.g. `laptop:/home/me/docs` or `host laptop`. */
  label: string;
  /** Newest first. */
  decisions: PolicyDecision<ForgetCandidate>[];
}

/** What forget decided and did. */
export interface ForgetReport {
  /** Every snapshot, newest first, with the reasons it is kept. */
  decisions: PolicyDecision<ForgetCandidate>[];
  /** The same decisions per group, groups ordered by their newest snapshot (newest first). */
  groups: ForgetGroup[];
  groupBy: GroupBy;
  /** Names unlinked (empty on a dry run). */
  removed: string[];
  /** Snapshot swaps of an interrupted rebase that were completed first. */
  resumed: string[];
  dryRun: boolean;
}

/** Options of {@link forgetSnapshots}. */
export interface ForgetOptions extends CallOptions {
  dryRun?: boolean;
  /** How snapshots are grouped before the policy applies (default: host and paths, i.e. per source). */
  groupBy?: GroupBy;
  /** The present, for `within` (snapshots after it do not count as the newest). */
  now?: Date;
  /** Called after each unlink. */
  onRemoved?: (name: string) => void;
  /**
   * The repository root: when given, swaps an interrupted `rebase` left pending are completed
   * first (not on a dry run), so they cannot relink a snapshot forget removes.
   */
  rootCap?: string;
}

/** Applies `policy` to the snapshots listed in `snapshotsCap` and unlinks those it does not keep. */
export async function forgetSnapshots(store: Store, snapshotsCap: string, policy: ForgetPolicy, options: ForgetOptions = {}): Promise<ForgetReport> {
  const call: CallOptions = options.signal ? { signal: options.signal } : {};
  const resumed = options.rootCap && !options.dryRun ? await completeSwaps(store, options.rootCap, snapshotsCap, call) : [];
  const listed = await new GridSnapshotCatalogue(store, snapshotsCap).list(call);
  const candidates = listed.map((s: SnapshotInfo): ForgetCandidate => ({ name: s.name, time: new Date(s.timeMs), host: s.host, paths: s.paths }));
  const groupBy = options.groupBy ?? GROUP_BY_SOURCE;
  const groups = decideByGroup(candidates, policy, groupBy, options.now ?? new Date());
  const decisions = groups.flatMap((g) => g.decisions).sort((a, b) => b.snapshot.time.getTime() - a.snapshot.time.getTime() || (a.snapshot.name < b.snapshot.name ? 1 : -1));
  const removed: string[] = [];
  if (!options.dryRun) {
    for (const { snapshot } of decisions.filter((d) => !d.keep)) {
      await store.unlink(snapshotsCap, snapshot.name, call);
      removed.push(snapshot.name);
      options.onRemoved?.(snapshot.name);
    }
    if (options.rootCap) await forgetIndexes(store, options.rootCap, removed, call);
  }
  return { decisions, groups, groupBy, removed, resumed, dryRun: options.dryRun ?? false };
}

/**
 * Applies the policy within each group, then keeps the newest snapshot of every source (host and
 * paths) whatever the grouping, so no source ever loses its whole history.
 */
export function decideByGroup(candidates: readonly ForgetCandidate[], policy: ForgetPolicy, groupBy: GroupBy, now: Date): ForgetGroup[] {
  const byKey = new Map<string, ForgetCandidate[]>();
  for (const c of candidates) {
    const key = sourceKey(c, groupBy);
    const list = byKey.get(key);
    if (list) list.push(c);
    else byKey.set(key, [c]);
  }
  const groups = [...byKey.values()].map((members): ForgetGroup => ({
    label: sourceLabel(members[0]!, groupBy),
    decisions: applyForgetPolicy(members, policy, now).decisions,
  }));
  const newestOfSource = new Map<string, PolicyDecision<ForgetCandidate>>();
  for (const d of groups.flatMap((g) => g.decisions)) {
    const key = sourceKey(d.snapshot);
    const seen = newestOfSource.get(key);
    if (!seen || d.snapshot.time.getTime() > seen.snapshot.time.getTime() || (d.snapshot.time.getTime() === seen.snapshot.time.getTime() && d.snapshot.name > seen.snapshot.name)) {
      newestOfSource.set(key, d);
    }
  }
  for (const d of newestOfSource.values()) {
    if (d.keep) continue;
    d.keep = true;
    d.reasons.push(`newest of ${sourceLabel(d.snapshot)} (always kept)`);
  }
  const newest = (g: ForgetGroup) => g.decisions[0]?.snapshot.time.getTime() ?? 0;
  return groups.sort((a, b) => newest(b) - newest(a) || (a.label < b.label ? -1 : 1));
}
