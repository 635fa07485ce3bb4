/**
 * `timefs check` for metadata indexes: every index present must rebuild (hash) and must say
 * exactly what its snapshot's tree says. Snapshots without an index are counted, not faulted
 * (indexes are optional); stale, damaged or wrong ones are reported, and readers ignore them.
 */
import type { CallOptions, Store } from '../store/store.js';
import { buildIndexText, indexEntries, previousIndex, type PreviousIndex } from '../tree-index/index-build.js';
import { IndexReader, IndexUnusable, listIndexLinks } from '../tree-index/index-store.js';
import { gridChildLister } from '../tree-index/index-update.js';

/** One index that readers will not use. */
export interface IndexProblem {
  snapshot: string;
  problem: 'stale' | 'unreadable' | 'wrong';
  detail: string;
}

/** What {@link checkIndexes} found. */
export interface IndexCheckReport {
  /** Snapshots whose index was verified against their tree. */
  verified: number;
  /** Snapshots with no index (readers use their trees). */
  missing: number;
  problems: IndexProblem[];
}

/** Verifies the index of every snapshot in `snapshots` (oldest first) that has one. */
export async function checkIndexes(store: Store, indexDirCap: string | undefined, snapshots: ReadonlyArray<{ name: string; cap: string }>, options: CallOptions = {}): Promise<IndexCheckReport> {
  const report: IndexCheckReport = { verified: 0, missing: 0, problems: [] };
  const links = await listIndexLinks(store, indexDirCap, options);
  const reader = new IndexReader(store);
  const list = gridChildLister(store, options);
  let previous: PreviousIndex | undefined;
  for (const snapshot of snapshots) {
    const link = links.get(snapshot.name);
    if (!link) {
      report.missing++;
      continue;
    }
    if (link.root !== snapshot.cap) {
      report.problems.push({ snapshot: snapshot.name, problem: 'stale', detail: 'the index describes an earlier tree of this snapshot (rebase swapped it)' });
      continue;
    }
    let stored: string;
    try {
      stored = (await reader.load(link, options)).text;
    } catch (err) {
      if (!(err instanceof IndexUnusable)) throw err;
      report.problems.push({ snapshot: snapshot.name, problem: 'unreadable', detail: err.message });
      continue;
    }
    const truth = await buildIndexText(snapshot.cap, list, previous);
    previous = previousIndex(indexEntries(truth));
    if (truth !== stored) {
      report.problems.push({ snapshot: snapshot.name, problem: 'wrong', detail: 'the index does not match the snapshot tree' });
      continue;
    }
    report.verified++;
  }
  return report;
}
