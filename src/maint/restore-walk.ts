/**
 * The walk of a restore: lists the tree breadth first through one window (depth first when the
 * listings are in memory), checks every name
 * (restore-names.ts), creates each directory as it is found (a directory's subdirectories at
 * once) and hands every other entry on as soon as its directory exists.
 */
import { TimefsError } from '../model/errors.js';
import type { CallOptions } from '../store/store.js';
import { walkBreadthFirst } from '../store/listing-window.js';
import { pathSegments, type TreeEntry, type TreePath, type TreeReader } from '../view/tree-reader.js';
import type { LocalPlace, LocalTree } from './restore-local.js';
import { joinBytes, NameSet, safeComponent } from './restore-names.js';

/** Directory listings in flight during the walk. */
export const WALK_LISTINGS = 8;

/** An entry to restore: where it goes and what the tree says of it. */
export interface RestorePlace extends LocalPlace {
  entry: TreeEntry;
}

interface WalkDir {
  cap: string;
  dest: Buffer;
  where: string;
  ancestors: readonly string[];
}

/** Where the walk starts and what it calls. */
export interface WalkPlan {
  /** The entry at `path` (a directory is restored as its contents). */
  top: TreeEntry;
  path: TreePath;
  /** The target directory, resolved. */
  root: Buffer;
  /** Called for every entry that is not a directory, once its directory exists. */
  onEntry: (place: RestorePlace) => void;
  /**
   * Walk depth first, one listing at a time, when listings come from memory (a metadata index):
   * entries then come in the order push packed them, so each pack's members come together.
   */
  depthFirst?: boolean;
  /** Called after each directory's children were handed on. */
  onListed?: () => void;
}

/** Walks `plan.top` into `local`; see the file comment. */
export async function walkRestore(trees: TreeReader, local: LocalTree, plan: WalkPlan, call: CallOptions): Promise<void> {
  const visit = async (dir: WalkDir, entries: readonly TreeEntry[]): Promise<WalkDir[]> => {
    const names = new NameSet(dir.where);
    const below: WalkDir[] = [];
    const made: Array<Promise<void>> = [];
    for (const entry of entries) {
      const name = safeComponent(entry.rawName, dir.where);
      names.add(name);
      const place: RestorePlace = { dest: joinBytes(dir.dest, name), meta: entry.meta, entry, shown: `${dir.where === '/' ? '' : dir.where}/${name.toString('utf8')}` };
      if (entry.meta.type !== 'dir') {
        plan.onEntry(place);
        continue;
      }
      // Immutable trees cannot loop, but a tampered one could link a mutable directory into itself.
      if (dir.ancestors.includes(entry.cap)) throw new TimefsError('repo.tampered', `refusing to restore ${place.shown}: the directory contains itself`);
      const making = local.makeDir(place);
      making.catch(() => {}); // settled below
      made.push(making);
      below.push({ cap: entry.cap, dest: place.dest, where: place.shown, ancestors: [...dir.ancestors, entry.cap] });
    }
    const failed = (await Promise.allSettled(made)).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    plan.onListed?.();
    return below;
  };

  if (plan.top.meta.type !== 'dir') {
    await visit({ cap: '', dest: plan.root, where: '/', ancestors: [] }, [plan.top]);
    return;
  }
  const segments = pathSegments(plan.path).map((s) => (typeof s === 'string' ? s : Buffer.from(s).toString('utf8')));
  const start: WalkDir = { cap: plan.top.cap, dest: plan.root, where: `/${segments.join('/')}`, ancestors: [plan.top.cap] };
  if (plan.depthFirst) {
    const descend = async (dir: WalkDir): Promise<void> => {
      for (const below of await visit(dir, await trees.list(dir.cap, dir.where, call))) await descend(below);
    };
    await descend(start);
    return;
  }
  // Identical subtrees share a cap, so each directory is known by where it goes, not by its cap.
  await walkBreadthFirst([start], async (d) => visit(d, await trees.list(d.cap, d.where, call)), {
    concurrency: WALK_LISTINGS,
    idOf: (d) => d.dest.toString('base64'),
    ...(call.signal ? { signal: call.signal } : {}),
  });
}
