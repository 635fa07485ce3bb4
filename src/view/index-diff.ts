/**
 * The difference between two snapshots read straight off their metadata indexes: each path has
 * one line per index, so the paths whose lines differ are all there is to compare, and no
 * directory is walked. The changes are the ones {@link diffTrees} gives for the same two trees
 * (same rules, shared through {@link pairChange}), in the same order.
 */
import { rawNameBytes } from '../model/names.js';
import type { CallOptions, Store } from '../store/store.js';
import { IndexReader, IndexUnusable, listIndexLinks, type IndexLink } from '../tree-index/index-store.js';
import { parentKeyOf, pathKeyOf } from '../tree-index/index-changes.js';
import { parseRecord } from '../tree-index/index-format.js';
import type { TreeEntry } from './entry-decode.js';
import type { SnapshotRoot } from './path-states.js';
import { comparePaths } from './tree-search.js';
import { contentKey, pairChange, type DiffChange, type DiffNode, type DiffOptions } from './tree-diff.js';

/** The entry lines of an index text by path key. */
function linesByKey(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let start = text.indexOf('\n') + 1;
  while (start > 0 && start < text.length) {
    const end = text.indexOf('\n', start);
    const line = text.slice(start, end < 0 ? text.length : end);
    out.set(pathKeyOf(line), line);
    start = end + 1;
  }
  return out;
}

/** Decodes lines to diff nodes, and paths to exact name bytes, remembering both. */
class Side {
  private readonly nodes = new Map<string, DiffNode & TreeEntry>();

  constructor(readonly lines: ReadonlyMap<string, string>) {}

  node(key: string): DiffNode & TreeEntry {
    let node = this.nodes.get(key);
    if (!node) {
      const record = parseRecord(this.lines.get(key) as string);
      const name = record.path.at(-1) as string;
      node = { name, rawName: new Uint8Array(rawNameBytes(name, record.meta.rawName)), cap: record.cap, meta: record.meta, key: contentKey(record) };
      this.nodes.set(key, node);
    }
    return node;
  }
}

/** The changes from the index text `before` to the index text `after` (both verified). */
export async function diffIndexTexts(before: string, after: string, options: DiffOptions = {}): Promise<DiffChange[]> {
  const a = new Side(linesByKey(before));
  const b = new Side(linesByKey(after));
  const paths = new Map<string, Uint8Array[]>();
  const pathOf = (key: string, side: Side): Uint8Array[] => {
    let path = paths.get(key);
    if (!path) {
      const parent = parentKeyOf(key);
      path = [...(parent === '' ? [] : pathOf(parent, side)), side.node(key).rawName];
      paths.set(key, path);
    }
    return path;
  };
  const changes: DiffChange[] = [];
  for (const [key, line] of a.lines) {
    const other = b.lines.get(key);
    if (other === line) continue;
    if (other === undefined) {
      changes.push({ kind: 'removed', path: pathOf(key, a), before: a.node(key) });
      continue;
    }
    const kind = await pairChange(a.node(key), b.node(key), pathOf(key, b), options);
    if (kind) changes.push({ kind, path: pathOf(key, b), before: a.node(key), after: b.node(key) });
  }
  for (const key of b.lines.keys()) {
    if (!a.lines.has(key)) changes.push({ kind: 'added', path: pathOf(key, b), after: b.node(key) });
  }
  return changes.sort((x, y) => comparePaths(x.path, y.path));
}

/**
 * The verified index texts of two snapshots, or undefined when either has no usable index (then
 * the trees are compared instead).
 */
export async function indexTextsOf(store: Store, indexDirCap: string | undefined, snapshots: readonly [SnapshotRoot, SnapshotRoot], options?: CallOptions): Promise<[string, string] | undefined> {
  const links = await listIndexLinks(store, indexDirCap, options);
  const pair = snapshots.map((s) => links.get(s.name)).filter((l, i): l is IndexLink => l !== undefined && l.root === snapshots[i]!.cap);
  if (pair.length !== 2) return undefined;
  const reader = new IndexReader(store);
  reader.prefetch(pair, options);
  try {
    const [a, b] = await Promise.all(pair.map((link) => reader.load(link, options)));
    return [a!.text, b!.text];
  } catch (err) {
    if (err instanceof IndexUnusable) return undefined;
    throw err;
  }
}
