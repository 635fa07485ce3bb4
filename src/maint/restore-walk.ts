/**
 * The walk of a restore from the grid (restore-index-walk.ts reads a metadata index instead):
 * lists the tree breadth first through one window, checks every name
 * (restore-names.ts), creates each directory as it is found (a directory's subdirectories at
 * once) and hands every other entry on as soon as its directory exists.
 */
import { TimefsError } from '../model/errors.js';
import type { CallOptions } from '../store/store.js';
import { walkBreadthFirst } from '../store/listing-window.js';
import { pathSegments, segmentText, type TreeEntry, type TreePath, type TreeReader } from '../view/tree-reader.js';
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
  path: TreePath;
  /** The target directory, resolved. */
  root: Buffer;
  /** Called for every entry that is not a directory, once its directory exists. */
  onEntry: (place: RestorePlace) => void;
  /** Called after each directory's children were handed on. */
  onListed?: () => void;
}

/**
 * Where `entry`, a child of the directory restored at `dir`, goes: its name checked
 * (restore-names.ts) and recorded in `names`, the names seen in that directory so far.
 * @throws TimefsError `repo.tampered`
 */
export function placeIn(dir: { dest: Buffer; where: string }, names: NameSet, entry: TreeEntry): RestorePlace {
  const name = safeComponent(entry.rawName, dir.where);
  names.add(name);
  return { dest: joinBytes(dir.dest, name), meta: entry.meta, entry, shown: `${dir.where === '/' ? '' : dir.where}/${name.toString('utf8')}` };
}

/** Walks `top` into `local`; see the file comment. */
export async function walkRestore(trees: TreeReader, top: TreeEntry, local: LocalTree, plan: WalkPlan, call: CallOptions): Promise<void> {
  const visit = (dir: WalkDir, entries: readonly TreeEntry[]): WalkDir[] => {
    const names = new NameSet(dir.where);
    const below: WalkDir[] = [];
    for (const entry of entries) {
      const place = placeIn(dir, names, entry);
      if (entry.meta.type !== 'dir') {
        plan.onEntry(place);
        continue;
      }
      // Immutable trees cannot loop, but a tampered one could link a mutable directory into itself.
      if (dir.ancestors.includes(entry.cap)) throw new TimefsError('repo.tampered', `refusing to restore ${place.shown}: the directory contains itself`);
      local.makeDir(place);
      below.push({ cap: entry.cap, dest: place.dest, where: place.shown, ancestors: [...dir.ancestors, entry.cap] });
    }
    plan.onListed?.();
    return below;
  };

  if (top.meta.type !== 'dir') {
    visit({ cap: '', dest: plan.root, where: '/', ancestors: [] }, [top]);
    return;
  }
  const start: WalkDir = { cap: top.cap, dest: plan.root, where: `/${pathSegments(plan.path).map(segmentText).join('/')}`, ancestors: [top.cap] };
  // Identical subtrees share a cap, so each directory is known by where it goes, not by its cap.
  await walkBreadthFirst([start], async (d) => visit(d, await trees.list(d.cap, d.where, call)), {
    concurrency: WALK_LISTINGS,
    idOf: (d) => d.dest.toString('base64'),
    ...(call.signal ? { signal: call.signal } : {}),
  });
}
