/**
 * The walk of a restore from a snapshot's metadata index (docs/format.md §5): one pass over the
 * verified index text in its pre-order (a directory, then its contents, siblings by name bytes:
 * the order push packed the files in, so each pack's members come together). Each line is
 * decoded when it is reached and dropped after; nothing is kept per entry but the directories
 * open from the top down to the current line. Names are checked as in a grid listing.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { TimefsError } from '../model/errors.js';
import { linePath } from '../tree-index/index-format.js';
import { decodeIndexLine } from '../view/indexed-lister.js';
import { findChild, pathSegments, rootEntry, segmentText, type TreeEntry, type TreePath } from '../view/tree-reader.js';
import type { LocalTree } from './restore-local.js';
import { NameSet } from './restore-names.js';
import { placeIn, type WalkPlan } from './restore-walk.js';

/** Longest stretch of decoding before the event loop gets a turn (reads are going on). */
const SLICE_MS = 10;

/** Where in an index text the entry at a path is, found by {@link findInIndex}. */
export interface IndexSpot {
  entry: TreeEntry;
  /** Its edge path (`home/me`; empty for the root). */
  path: string;
  /** Byte offset of the line after the entry's own. */
  next: number;
}

/**
 * The entry at `path` in the index text `index` of the snapshot `rootCap`, as the tree's lookup
 * would find it.
 * @throws TimefsError `path.not-found`
 */
export function findInIndex(index: Uint8Array, rootCap: string, path: TreePath): IndexSpot {
  let spot: IndexSpot = { entry: rootEntry(rootCap), path: '', next: lineEnd(index, 0) };
  let where = '';
  for (const segment of pathSegments(path)) {
    const shown = segmentText(segment);
    if (spot.entry.meta.type !== 'dir') throw new TimefsError('path.not-found', `${where || '/'} is a ${spot.entry.meta.type}, not a directory`);
    let found: IndexSpot | undefined;
    for (const { line, next } of lines(index, spot.next)) {
      const linePathText = linePath(line);
      if (!inside(linePathText, spot.path)) break;
      if (linePathText.indexOf('/', spot.path === '' ? 0 : spot.path.length + 1) >= 0) continue; // deeper down
      const { entry } = decodeIndexLine(line);
      if (findChild([entry], segment)) {
        found = { entry, path: linePathText, next };
        break;
      }
    }
    where = `${where}/${shown}`;
    if (!found) throw new TimefsError('path.not-found', `no ${where} in this snapshot`);
    spot = found;
  }
  return spot;
}

interface OpenDir {
  path: string;
  dest: Buffer;
  where: string;
  names: NameSet;
}

/** Walks the entries below `spot` (or `spot` itself, a file) into `local`, as restore-walk.ts does. */
export async function walkIndex(index: Uint8Array, spot: IndexSpot, local: LocalTree, plan: WalkPlan): Promise<void> {
  const where = `/${pathSegments(plan.path).map(segmentText).join('/')}`;
  const top: OpenDir = { path: spot.path, dest: plan.root, where, names: new NameSet(where) };
  if (spot.entry.meta.type !== 'dir') {
    plan.onEntry(placeIn({ dest: plan.root, where: '/' }, new NameSet('/'), spot.entry));
    return;
  }
  const open: OpenDir[] = [top];
  let sliceStart = Date.now();
  for (const { line } of lines(index, spot.next)) {
    const { path, entry } = decodeIndexLine(line);
    if (!inside(path, spot.path)) break;
    const parent = path.slice(0, Math.max(0, path.lastIndexOf('/')));
    while (open.length > 0 && open.at(-1)!.path !== parent) {
      open.pop();
      plan.onListed?.();
    }
    const dir = open.at(-1);
    if (!dir) throw new TimefsError('repo.bad-format', `the index lists ${JSON.stringify(path)} outside its directory`, { hint: 'run `timefs index --force` to store a correct index' });
    const place = placeIn(dir, dir.names, entry);
    if (entry.meta.type === 'dir') {
      local.makeDir(place);
      open.push({ path, dest: place.dest, where: place.shown, names: new NameSet(place.shown) });
    } else plan.onEntry(place);
    if (Date.now() - sliceStart > SLICE_MS) {
      await nextTurn();
      sliceStart = Date.now();
    }
  }
  plan.onListed?.();
}

/** True when the edge path `path` is below the directory at `dirPath` ('' is the root). */
function inside(path: string, dirPath: string): boolean {
  return dirPath === '' || (path.startsWith(dirPath) && path.charCodeAt(dirPath.length) === 0x2f);
}

function lineEnd(bytes: Uint8Array, from: number): number {
  const newline = bytes.indexOf(0x0a, from);
  return newline < 0 ? bytes.length : newline + 1;
}

function* lines(bytes: Uint8Array, from: number): Generator<{ line: string; next: number }> {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = from; at < bytes.length; ) {
    const next = lineEnd(bytes, at);
    const end = text[next - 1] === 0x0a ? next - 1 : next;
    if (end > at) yield { line: text.toString('utf8', at, end), next };
    at = next;
  }
}
