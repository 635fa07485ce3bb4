/**
 * Building the index text of a snapshot from its tree. Directories whose cap equals the cap the
 * previous index recorded at the same path are copied from that index without being listed, so a
 * push pays for the directories it changed, not for the tree.
 */
import type { EntryMeta } from '../model/entry.js';
import { compareEdgeNames, headerLine, linePath, parseRecord, recordLine } from './index-format.js';

/** One child of a listed directory, as the index records it. */
export interface IndexChild {
  name: string;
  cap: string;
  meta: EntryMeta;
}

/** Lists a snapshot directory (by cap) for the builder. */
export type ChildLister = (dirCap: string) => Promise<IndexChild[]>;

/** The directories of an earlier index: where each one's subtree lines are, by edge path. */
export interface PreviousIndex {
  lines: readonly string[];
  dirs: ReadonlyMap<string, { cap: string; start: number; end: number }>;
}

/** Indexes the directory records of an index's entry lines (for reuse by {@link buildIndexText}). */
export function previousIndex(lines: readonly string[]): PreviousIndex {
  const dirs = new Map<string, { cap: string; start: number; end: number }>();
  const open: Array<{ path: string; start: number; cap: string }> = [];
  const closeUntil = (path: string, at: number): void => {
    while (open.length > 0 && !path.startsWith(`${open.at(-1)!.path}/`)) {
      const dir = open.pop()!;
      dirs.set(dir.path, { cap: dir.cap, start: dir.start, end: at });
    }
  };
  lines.forEach((line, i) => {
    const path = linePath(line);
    closeUntil(path, i);
    const record = parseRecord(line);
    if (record.meta.type === 'dir') open.push({ path, start: i + 1, cap: record.cap });
  });
  closeUntil('\0', lines.length);
  return { dirs, lines };
}

/** The full index text of the tree at `rootCap`. */
export async function buildIndexText(rootCap: string, list: ChildLister, previous?: PreviousIndex): Promise<string> {
  const lines = await subtree(rootCap, [], list, previous);
  return headerLine({ root: rootCap, entries: lines.length }) + lines.join('');
}

async function subtree(dirCap: string, prefix: readonly string[], list: ChildLister, previous?: PreviousIndex): Promise<string[]> {
  const children = (await list(dirCap)).sort((a, b) => compareEdgeNames(a.name, b.name));
  const parts = await Promise.all(children.map(async (child) => {
    const path = [...prefix, child.name];
    const own = recordLine({ path, cap: child.cap, meta: child.meta });
    if (child.meta.type !== 'dir') return [own];
    const known = previous?.dirs.get(path.join('/'));
    if (known && known.cap === child.cap) return [own, ...previous!.lines.slice(known.start, known.end).map((l) => `${l}\n`)];
    return [own, ...(await subtree(child.cap, path, list, previous))];
  }));
  return parts.flat();
}
