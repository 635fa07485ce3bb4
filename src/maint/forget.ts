/**
 * `timefs forget`: applies a keep policy to the snapshots of a repository and unlinks the others
 * from `snapshots/`. Nothing is deleted at once (Tahoe cannot delete on demand): objects that no
 * kept snapshot links stop being renewed by `timefs renew` and expire with their leases.
 */
import type { CallOptions, Store } from '../store/store.js';
import { GridSnapshotCatalogue, type SnapshotInfo } from '../view/snapshot-catalogue.js';
import { applyForgetPolicy, type ForgetPolicy, type PolicyDecision } from './forget-policy.js';
import { completeSwaps } from './snapshot-swap.js';

/** A snapshot as the policy sees it. */
export interface ForgetCandidate {
  name: string;
  time: Date;
  host: string;
}

/** What forget decided and did. */
export interface ForgetReport {
  /** Every snapshot, newest first, with the reasons it is kept. */
  decisions: PolicyDecision<ForgetCandidate>[];
  /** Names unlinked (empty on a dry run). */
  removed: string[];
  /** Snapshot swaps of an interrupted rebase that were completed first. */
  resumed: string[];
  dryRun: boolean;
}

/** Options of {@link forgetSnapshots}. */
export interface ForgetOptions extends CallOptions {
  dryRun?: boolean;
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
  const candidates = listed.map((s: SnapshotInfo): ForgetCandidate => ({ name: s.name, time: new Date(s.timeMs), host: s.host }));
  const result = applyForgetPolicy(candidates, policy, options.now ?? new Date());
  const removed: string[] = [];
  if (!options.dryRun) {
    for (const snapshot of result.remove) {
      await store.unlink(snapshotsCap, snapshot.name, call);
      removed.push(snapshot.name);
      options.onRemoved?.(snapshot.name);
    }
  }
  return { decisions: result.decisions, removed, resumed, dryRun: options.dryRun ?? false };
}
