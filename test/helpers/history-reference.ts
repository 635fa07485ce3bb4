// Test-only brute-force answers for `timefs log`, `find` and `diff`, computed from saved copies of
// every state of a source tree (exact name bytes, lstat attributes, content digests), with no
// timefs code involved.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** One path of a saved state. */
export interface RefEntry {
  type: string;
  mode: number;
  mtime: string;
  size: number;
  /** Digest of the content (files) or target (symlinks); undefined for other types. */
  content?: string;
}

/** A state: relative path (components joined by '/', as latin1 so any bytes survive) → entry. */
export type RefState = Map<string, RefEntry>;

/** Reads a whole tree below `root` (exclusive). */
export function describeTree(root: Buffer, prefix = ''): RefState {
  const out: RefState = new Map();
  for (const name of readdirSync(root, { encoding: 'buffer' })) {
    const path = Buffer.concat([root, Buffer.from('/'), name]);
    const rel = prefix + name.toString('latin1');
    const st = lstatSync(path, { bigint: true });
    const type = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other';
    const entry: RefEntry = { type, mode: Number(st.mode & 0o7777n), mtime: st.mtimeNs.toString(), size: type === 'dir' ? 0 : Number(st.size) };
    if (type === 'file') entry.content = createHash('sha256').update(readFileSync(path)).digest('hex');
    if (type === 'symlink') entry.content = createHash('sha256').update(readlinkSync(path, { encoding: 'buffer' })).digest('hex');
    out.set(rel, entry);
    if (type === 'dir') for (const [k, v] of describeTree(path, `${rel}/`)) out.set(k, v);
  }
  return out;
}

const contentOf = (e: RefEntry): string => `${e.type}:${e.content ?? ''}`;
const attrsOf = (e: RefEntry): string => `${e.mode}:${e.mtime}`;

/** `[change, first, last, count, deletedIn]` rows of one path, snapshots named by `names`. */
export function referenceLog(states: readonly RefState[], names: readonly string[], path: string): Array<[string, string, string, number, string | undefined]> {
  const rows: Array<[string, string, string, number, string | undefined]> = [];
  let prev: RefEntry | undefined;
  let seen = false;
  let gap = false;
  states.forEach((state, i) => {
    const e = state.get(path);
    const name = names[i] as string;
    if (!e) {
      if (prev && !gap) (rows.at(-1) as [string, string, string, number, string | undefined])[4] = name;
      if (seen) gap = true;
      prev = undefined;
      return;
    }
    if (prev && contentOf(prev) === contentOf(e) && attrsOf(prev) === attrsOf(e)) {
      const row = rows.at(-1)!;
      row[2] = name;
      row[3]++;
    } else {
      const last = rows.length ? lastEntry(states, i) : undefined;
      const change = !seen ? 'new' : gap ? 'back' : last && last.type !== e.type ? 'type' : last && contentOf(last) === contentOf(e) ? 'metadata' : 'content';
      rows.push([change, name, name, 1, undefined]);
    }
    prev = e;
    seen = true;
    gap = false;
  });
  return rows;

  function lastEntry(all: readonly RefState[], before: number): RefEntry | undefined {
    for (let k = before - 1; k >= 0; k--) {
      const e = all[k]?.get(path);
      if (e) return e;
    }
    return undefined;
  }
}

/** Paths whose last component matches `test`, each with `[first, last, count]` runs. */
export function referenceFind(states: readonly RefState[], names: readonly string[], test: (name: Buffer) => boolean): Map<string, Array<[string, string, number]>> {
  const out = new Map<string, Array<[string, string, number]>>();
  const lastIndex = new Map<string, number>();
  states.forEach((state, i) => {
    for (const path of state.keys()) {
      const name = Buffer.from(path.split('/').at(-1) as string, 'latin1');
      if (!test(name)) continue;
      const runs = out.get(path) ?? [];
      out.set(path, runs);
      if (lastIndex.get(path) === i - 1 && runs.length) {
        const run = runs.at(-1)!;
        run[1] = names[i] as string;
        run[2]++;
      } else runs.push([names[i] as string, names[i] as string, 1]);
      lastIndex.set(path, i);
    }
  });
  return out;
}

/** `kind path` lines of the differences between two states, sorted. */
export function referenceDiff(a: RefState, b: RefState): string[] {
  const out: string[] = [];
  for (const path of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(path);
    const y = b.get(path);
    if (!x) out.push(`added ${path}`);
    else if (!y) out.push(`removed ${path}`);
    else if (x.type !== y.type) out.push(`type ${path}`);
    else if (contentOf(x) !== contentOf(y)) out.push(`modified ${path}`);
    else if (attrsOf(x) !== attrsOf(y)) out.push(`metadata ${path}`);
  }
  return out.sort();
}
