/**
 * `timefs rebase`: rewrites forward chains into reverse ones (DESIGN.md §6). For each family of
 * versions that needs it (rebase-plan.ts) the newest version is rebuilt and stored whole, the
 * older ones become one reverse delta from it (rebase-family.ts), the snapshot trees that link
 * them are rebuilt (tree-rewrite.ts) and swapped into `snapshots/` under their old names with
 * their old metadata (snapshot-swap.ts). Everything is uploaded and checked before any swap.
 */
import type { EntryMeta } from '../model/entry.js';
import { isTimefsError } from '../model/errors.js';
import type { CallOptions, Store } from '../store/store.js';
import { retryUnhappyUploads } from '../store/unhappy-retry.js';
import { snapshotFromEntry } from '../view/snapshot-catalogue.js';
import { CountingStore } from './counting-store.js';
import { forEachLimited } from './limited.js';
import { buildObjectGraph, newestReaching } from './object-graph.js';
import { rebaseFamily, type Replacement } from './rebase-family.js';
import { groupFamilies, needsRebase, type ChainFamily, type ChainMember } from './rebase-plan.js';
import { updateIndexes } from './reindex.js';
import { completeSwaps, recordSwaps, type SnapshotSwap } from './snapshot-swap.js';
import { rewriteTrees } from './tree-rewrite.js';
import { readChainParts } from './version-bytes.js';

/** The repository a rebase works on. */
export interface RebaseRepo {
  rootCap: string;
  snapshotsCap: string;
}

/** Chain lengths over all chained versions. */
export interface ChainStats {
  /** Chained versions (version nodes) counted. */
  versions: number;
  /** Longest chain. */
  max: number;
  /** Sum of all chain lengths: the deltas a reader of every version would apply. */
  total: number;
}

/** Progress of a rebase. */
export interface RebaseProgress {
  phase: 'walk' | 'rebuild' | 'trees' | 'swap';
  done: number;
  total?: number;
  path?: string;
}

/** Options of {@link rebase}. */
export interface RebaseOptions extends CallOptions {
  /** Rebase families whose longest chain is longer than this (default 0: every chained file). */
  maxChain?: number;
  /** Plan only: report what would be rebased, change nothing. */
  dryRun?: boolean;
  onProgress?: (progress: RebaseProgress) => void;
}

/** What a rebase did (or, on a dry run, would do). */
export interface RebaseReport {
  dryRun: boolean;
  /** Families of versions found, and how many were (or would be) rebased. */
  families: number;
  rebased: number;
  /** Version nodes rewritten. */
  versions: number;
  /** Snapshots swapped to new trees. */
  snapshots: string[];
  /** Snapshots whose swap a killed earlier run had left pending and this run completed. */
  resumed: string[];
  before: ChainStats;
  after: ChainStats;
  downloaded: number;
  uploaded: number;
  /** Paths of the families rebased (one path each), for the report. */
  paths: string[];
  /** Families left as they were because a version could not be rebuilt (damaged data). */
  skipped: { path: string; reason: string }[];
}

/** Rebases the repository `repo`. */
export async function rebase(grid: Store, repo: RebaseRepo, options: RebaseOptions = {}): Promise<RebaseReport> {
  // Retried: a rerun after a kill may find the client node still placing the same objects.
  const store = new CountingStore(retryUnhappyUploads(grid));
  const call: CallOptions = options.signal ? { signal: options.signal } : {};
  const dryRun = options.dryRun ?? false;
  const resumed = dryRun ? [] : await completeSwaps(store, repo.rootCap, repo.snapshotsCap, call);

  const listing = await store.list(repo.snapshotsCap, call);
  const snapshots = [...listing.values()].flatMap((entry) => {
    const info = snapshotFromEntry(entry);
    return info ? [{ info, metadata: entry.metadata }] : [];
  });
  const timeOf = new Map(snapshots.map((s) => [s.info.name, s.info.timeMs]));
  const graph = await buildObjectGraph(store, snapshots.map((s) => ({ name: s.info.name, cap: s.info.cap })), {
    ...call,
    onProgress: (done) => options.onProgress?.({ phase: 'walk', done }),
  });
  const newestMs = newestReaching(graph, (name) => timeOf.get(name) ?? Number.NEGATIVE_INFINITY);

  const metaByCap = new Map<string, { meta: EntryMeta; path: string }>();
  for (const version of graph.versions.values()) metaByCap.set(version.cap, { meta: version.meta, path: version.path });
  const members: ChainMember[] = [];
  const wholeFiles = new Map<string, number>();
  const nodes = [...graph.objects.values()].filter((obj) => obj.kind === 'version-node' && metaByCap.has(obj.cap));
  // From the versions, not the objects' kinds: a whole file that is also some node's base may
  // have been reached first as a version part.
  for (const version of graph.versions.values()) {
    if ((version.meta.storage ?? 'whole') === 'whole') wholeFiles.set(version.cap, newestMs(version.cap));
  }
  await forEachLimited(nodes, 8, async (obj) => {
    const parts = await readChainParts(store, obj.cap, obj.path, call);
    members.push({ cap: obj.cap, meta: metaByCap.get(obj.cap)!.meta, parts, path: obj.path, newestMs: newestMs(obj.cap) });
  });
  const families = groupFamilies(members, wholeFiles);
  const chosen = families.filter((f) => needsRebase(f, options.maxChain ?? 0));
  const before = chainStats(families, new Map());
  const report: RebaseReport = {
    dryRun, families: families.length, rebased: chosen.length, versions: 0, snapshots: [], resumed,
    before, after: before, downloaded: 0, uploaded: 0, paths: chosen.map((f) => f.newest.path), skipped: [],
  };
  if (dryRun || chosen.length === 0) return finish(report, store, families, new Map());

  const replacements = new Map<string, Replacement>();
  for (const [i, family] of chosen.entries()) {
    options.onProgress?.({ phase: 'rebuild', done: i, total: chosen.length, path: family.newest.path });
    try {
      for (const [cap, replacement] of await rebaseFamily(store, family, call)) replacements.set(cap, replacement);
    } catch (err) {
      // A damaged chain is left exactly as it was (check reports it); the others go ahead.
      if (!isTimefsError(err, 'integrity', 'grid.gone', 'repo.bad-format') && !(isTimefsError(err) && err.code.startsWith('delta.'))) throw err;
      report.skipped.push({ path: family.newest.path, reason: err.message });
    }
  }
  report.rebased = chosen.length - report.skipped.length;
  report.versions = replacements.size;
  options.onProgress?.({ phase: 'trees', done: 0 });
  const newRoots = await rewriteTrees(store, graph, replacements, snapshots.map((s) => s.info.cap), call);
  const swaps: SnapshotSwap[] = snapshots.flatMap((s) => {
    const newRoot = newRoots.get(s.info.cap);
    if (!newRoot) return [];
    const { tahoe: _ignored, ...metadata } = s.metadata;
    return [{ name: s.info.name, newRoot, metadata }];
  });
  if (swaps.length > 0) {
    options.onProgress?.({ phase: 'swap', done: 0, total: swaps.length });
    await recordSwaps(store, repo.rootCap, swaps, call);
    report.snapshots = await completeSwaps(store, repo.rootCap, repo.snapshotsCap, call);
  }
  // The swapped snapshots' indexes now describe their old trees: store current ones.
  if (swaps.length > 0 || resumed.length > 0) await updateIndexes(store, repo, { ...call, mode: 'stale' });
  return finish(report, store, families, replacements);
}

function finish(report: RebaseReport, store: CountingStore, families: ChainFamily[], replacements: ReadonlyMap<string, Replacement>): RebaseReport {
  report.after = chainStats(families, replacements);
  report.downloaded = store.downloaded;
  report.uploaded = store.uploaded;
  return report;
}

function chainStats(families: readonly ChainFamily[], replacements: ReadonlyMap<string, Replacement>): ChainStats {
  const stats: ChainStats = { versions: 0, max: 0, total: 0 };
  for (const family of families) {
    for (const member of family.members) {
      const replaced = replacements.get(member.cap);
      const length = replaced ? (replaced.chain ?? 0) : member.parts.deltas.length;
      stats.versions++;
      stats.max = Math.max(stats.max, length);
      stats.total += length;
    }
  }
  return stats;
}
