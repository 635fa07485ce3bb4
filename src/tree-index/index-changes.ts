/**
 * What changed between two index texts, as entry lines: the paths that are gone and the lines
 * that are new or different. Each path has one line per index, so this is all a reader needs to
 * follow a tree from one snapshot to the next. When the new text was made by patching the old
 * one, the copies of the delta say which lines were carried over whole, and only the lines at
 * the edges of copies and inside literals are looked at: the cost follows the change, not the
 * tree. Pure.
 */
import type { CopiedRange } from './index-patch.js';

/** The entry-line changes from one index to the next (header excluded). */
export interface IndexChanges {
  /** Path keys (the JSON-escaped edge path, without quotes) present before and absent after. */
  removed: string[];
  /** Entry lines that are new, or that replace the line of the same path. */
  added: string[];
}

const NL = 0x0a;

/** The path key of an entry line: what is between the quotes of its first field. */
export function pathKeyOf(line: string): string {
  return line.slice(1, line.indexOf('\t') - 1);
}

/** The key of the directory holding `key` ('' for the root). */
export function parentKeyOf(key: string): string {
  const slash = key.lastIndexOf('/');
  return slash < 0 ? '' : key.slice(0, slash);
}

/** Offset just past the header line (where the entry lines start). */
function entriesStart(text: Buffer): number {
  const nl = text.indexOf(NL);
  return nl < 0 ? text.length : nl + 1;
}

function lineAt(text: Buffer, start: number): string {
  const end = text.indexOf(NL, start);
  return text.toString('utf8', start, end < 0 ? text.length : end);
}

/** Start of the line holding `offset`. */
function lineStartOf(text: Buffer, offset: number): number {
  return offset <= 0 ? 0 : text.lastIndexOf(NL, offset - 1) + 1;
}

/** The entry lines of `text` starting at the given offsets, keyed by path. */
function linesByKey(text: Buffer, starts: Iterable<number>): Map<string, string> {
  const out = new Map<string, string>();
  const first = entriesStart(text);
  for (const start of starts) {
    if (start < first || start >= text.length) continue;
    const line = lineAt(text, start);
    out.set(pathKeyOf(line), line);
  }
  return out;
}

/** Line starts of `text` inside [from, to) (whole lines, `from` at a line start). */
function* lineStarts(text: Buffer, from: number, to: number): Generator<number> {
  for (let s = from; s < to;) {
    yield s;
    const nl = text.indexOf(NL, s);
    if (nl < 0) return;
    s = nl + 1;
  }
}

/**
 * The changes from `old` to `next`, where `next` was made from `old` by a delta whose copies are
 * `copies` (in output order, as patchIndexText reports them).
 */
export function changesFromCopies(old: Buffer, next: Buffer, copies: readonly CopiedRange[]): IndexChanges {
  // A line is carried over when one copy holds it whole, newline included, and starts at a line
  // start on both sides; the same test marks it on the old side and on the new side.
  const newCandidates = new Set<number>();
  const keptOld: Array<[number, number]> = [];
  let cursor = 0; // new-text offset up to which candidates are known
  const touch = (from: number, to: number): void => {
    // every new line that has a byte in [from, to)
    for (const s of lineStarts(next, lineStartOf(next, from), to)) newCandidates.add(s);
  };
  for (const c of copies) {
    if (c.to > cursor) touch(cursor, c.to); // literal bytes before this copy
    const end = c.to + c.length;
    const newLineStart = c.to === 0 || next[c.to - 1] === NL;
    const oldLineStart = c.from === 0 || old[c.from - 1] === NL;
    let first = newLineStart && oldLineStart ? c.to : next.indexOf(NL, c.to) + 1;
    if (first <= 0 || first > end) first = end;
    if (first > c.to) touch(c.to, Math.min(first, end));
    const lastNl = next.lastIndexOf(NL, end - 1);
    const keptEnd = lastNl >= first ? lastNl + 1 : first; // end of the last whole line inside the copy
    if (keptEnd > first) keptOld.push([c.from + (first - c.to), c.from + (keptEnd - c.to)]);
    if (keptEnd < end) touch(keptEnd, end);
    cursor = Math.max(cursor, end);
  }
  if (cursor < next.length) touch(cursor, next.length);

  // Old lines not carried over by any copy: gone, or replaced by one of the candidates above.
  keptOld.sort((a, b) => a[0] - b[0]);
  const oldCandidates: number[] = [];
  let at = entriesStart(old);
  for (const [from, to] of keptOld) {
    if (from > at) for (const s of lineStarts(old, at, from)) oldCandidates.push(s);
    at = Math.max(at, to);
  }
  if (at < old.length) for (const s of lineStarts(old, at, old.length)) oldCandidates.push(s);
  return compareCandidates(linesByKey(old, oldCandidates), linesByKey(next, newCandidates));
}

/** The changes between two whole index texts (no delta between them: a new base). */
export function changesBetween(old: Buffer, next: Buffer): IndexChanges {
  const all = (text: Buffer): Map<string, string> => linesByKey(text, lineStarts(text, entriesStart(text), text.length));
  return compareCandidates(all(old), all(next));
}

function compareCandidates(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): IndexChanges {
  const removed: string[] = [];
  const added: string[] = [];
  for (const key of before.keys()) if (!after.has(key)) removed.push(key);
  for (const [key, line] of after) if (before.get(key) !== line) added.push(line);
  return { removed, added };
}
