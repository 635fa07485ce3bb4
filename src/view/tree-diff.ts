/**
 * The difference between two trees (`timefs diff`, the web UI's diff pages), as a pure walk over
 * two small reading interfaces: snapshot trees in the grid, a metadata index, or files on disk.
 * Subtrees whose keys (grid caps) are equal are skipped without being listed.
 */
import type { EntryMeta } from '../model/entry.js';
import { attributeIdentity, contentKey } from './path-versions.js';

export { contentKey };

/** One entry on either side of a diff. */
export interface DiffNode {
  /** Exact name bytes ('' for a root). */
  rawName: Uint8Array;
  meta: EntryMeta;
  /**
   * When both sides have one, equal keys mean identical content and, for directories, identical
   * subtrees (grid caps are convergent). Absent for files on disk.
   */
  key?: string;
}

/** Reads one side of a diff. */
export interface DiffSide {
  /** The children of a directory node, sorted by exact name bytes. */
  children(dir: DiffNode): Promise<readonly DiffNode[]>;
}

/** What happened to one path. */
export type DiffKind = 'added' | 'removed' | 'modified' | 'metadata' | 'type';

/** One changed path; `path` holds the exact name bytes of each component below the roots. */
export interface DiffChange {
  kind: DiffKind;
  path: Uint8Array[];
  before?: DiffNode;
  after?: DiffNode;
}

/** How {@link diffTrees} compares. */
export interface DiffOptions {
  /**
   * Decides whether two non-directory entries of the same type hold the same content when their
   * hashes and keys do not settle it (files on disk have neither). Default: they differ.
   */
  sameContent?(before: DiffNode, after: DiffNode, path: readonly Uint8Array[]): Promise<boolean>;
  /** List what is inside added and removed directories too (default true). */
  expand?: boolean;
}

/** The changes from `before` to `after` (two directory roots), depth-first in name order. */
export async function* diffTrees(before: DiffNode, after: DiffNode, sides: { before: DiffSide; after: DiffSide }, options: DiffOptions = {}): AsyncGenerator<DiffChange> {
  yield* diffDirs(before, after, [], sides, options);
}

async function* diffDirs(before: DiffNode, after: DiffNode, path: Uint8Array[], sides: { before: DiffSide; after: DiffSide }, options: DiffOptions): AsyncGenerator<DiffChange> {
  if (before.key !== undefined && before.key === after.key) return;
  const [left, right] = await Promise.all([sides.before.children(before), sides.after.children(after)]);
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    const a = left[i];
    const b = right[j];
    const order = a && b ? Buffer.compare(a.rawName, b.rawName) : a ? -1 : 1;
    if (order < 0) {
      i++;
      yield* whole('removed', a as DiffNode, [...path, (a as DiffNode).rawName], sides.before, options);
    } else if (order > 0) {
      j++;
      yield* whole('added', b as DiffNode, [...path, (b as DiffNode).rawName], sides.after, options);
    } else {
      i++;
      j++;
      yield* diffEntries(a as DiffNode, b as DiffNode, [...path, (b as DiffNode).rawName], sides, options);
    }
  }
}

async function* diffEntries(a: DiffNode, b: DiffNode, path: Uint8Array[], sides: { before: DiffSide; after: DiffSide }, options: DiffOptions): AsyncGenerator<DiffChange> {
  const kind = await pairChange(a, b, path, options);
  if (kind) yield { kind, path, before: a, after: b };
  if (kind === 'type') {
    if (a.meta.type === 'dir') yield* inside('removed', a, path, sides.before, options);
    if (b.meta.type === 'dir') yield* inside('added', b, path, sides.after, options);
  } else if (a.meta.type === 'dir') yield* diffDirs(a, b, path, sides, options);
}

/**
 * What happened to one path present on both sides, not looking inside directories: another
 * type, other content, other attributes only, or nothing (undefined).
 */
export async function pairChange(a: DiffNode, b: DiffNode, path: readonly Uint8Array[], options: DiffOptions = {}): Promise<'type' | 'modified' | 'metadata' | undefined> {
  if (a.meta.type !== b.meta.type) return 'type';
  const attributesDiffer = attributeIdentity(a.meta) !== attributeIdentity(b.meta);
  if (a.meta.type !== 'dir' && !(await sameContent(a, b, path, options))) return 'modified';
  return attributesDiffer ? 'metadata' : undefined;
}

async function sameContent(a: DiffNode, b: DiffNode, path: readonly Uint8Array[], options: DiffOptions): Promise<boolean> {
  if (a.meta.size !== b.meta.size && (a.meta.type === 'file' || a.meta.type === 'symlink')) return false;
  if (a.meta.hash !== undefined && b.meta.hash !== undefined) return a.meta.hash === b.meta.hash;
  if (a.key !== undefined && a.key === b.key) return true;
  if (a.meta.type !== 'file' && a.meta.type !== 'symlink') return true; // devices, fifos, sockets: no content (rdev is an attribute)
  return options.sameContent ? options.sameContent(a, b, path) : false;
}

async function* whole(kind: 'added' | 'removed', node: DiffNode, path: Uint8Array[], side: DiffSide, options: DiffOptions): AsyncGenerator<DiffChange> {
  yield kind === 'added' ? { kind, path, after: node } : { kind, path, before: node };
  if (node.meta.type === 'dir') yield* inside(kind, node, path, side, options);
}

async function* inside(kind: 'added' | 'removed', dir: DiffNode, path: Uint8Array[], side: DiffSide, options: DiffOptions): AsyncGenerator<DiffChange> {
  if (options.expand === false) return;
  for (const child of await side.children(dir)) yield* whole(kind, child, [...path, child.rawName], side, options);
}
