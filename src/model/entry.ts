/**
 * The on-grid data model, format `timefs/1` (see docs/format.md and DESIGN.md §2).
 *
 * A snapshot root is an immutable Tahoe directory tree mirroring the backed-up absolute paths.
 * Every child edge carries `metadata.timefs` = {@link EntryMeta}. What the child cap points to
 * depends on the type: see {@link EntryMeta.storage} and {@link VERSION_NODE}.
 */

/** Repository format identifier, stored in `timefs.json`. */
export const FORMAT = 'timefs/1';

/** Names of the fixed children of a repository root. */
export const REPO_LAYOUT = {
  config: 'timefs.json',
  snapshots: 'snapshots',
  /** Present only while a rebase swaps snapshots: new roots, linked so nothing is unreachable. */
  rebasePending: 'rebase-pending',
  /** Optional: one metadata index per snapshot, by snapshot name (docs/format.md §5). */
  index: 'index',
} as const;

/** Kinds of file system entries timefs records. */
export type EntryType = 'dir' | 'file' | 'symlink' | 'fifo' | 'socket' | 'chardev' | 'blockdev';

/** How a regular file's content is stored. */
export type FileStorage =
  /** the child cap is the file's own CHK/LIT cap */
  | 'whole'
  /** the child cap is a version node: `{base, d001…, sig}` */
  | 'chain'
  /** the child cap is a pack object; the content is bytes [pack.offset, pack.offset+size) of it */
  | 'packed';

/** Attributes of one entry, stored as `metadata.timefs` on its directory edge. */
export interface EntryMeta {
  type: EntryType;
  /** Permission bits and setuid/setgid/sticky (`mode & 0o7777`). */
  mode: number;
  uid: number;
  gid: number;
  /** Modification time in nanoseconds since the epoch, as a decimal string. */
  mtime: string;
  /** Content length for files, target length for symlinks, 0 otherwise. */
  size: number;
  /** Files: lowercase hex BLAKE2b-256 of the full content of this version. */
  hash?: string;
  /** Files only. */
  storage?: FileStorage;
  /** Files stored as a chain: the number of deltas in the version node. */
  chain?: number;
  /** Files stored packed: where the content sits inside the pack object. */
  pack?: { offset: number };
  /**
   * Files stored packed whose pack also holds their rdiff signature (a new large file is one
   * object: content, then signature): where the signature sits in the same pack object. Only the
   * next push reads it; content readers ignore it (an optional, compatible extension of timefs/1).
   */
  sig?: { offset: number; size: number };
  /** Base64 of the exact on-disk name bytes, present when the edge name is an escaped form. */
  rawName?: string;
  /** Hard links (nlink > 1): the source inode, so views can show one inode. */
  link?: { dev: number; ino: number };
  /** Device number for character and block devices. */
  rdev?: number;
}

/** Edge metadata as stored in Tahoe: our attributes live under a private key. */
export interface EdgeMetadata {
  timefs: EntryMeta;
}

/**
 * Layout of a version node (an immutable directory) for a file stored as a chain.
 * Reading: take `base`, apply `d001`, `d002`, … in order; the result must hash to
 * `EntryMeta.hash`. `sig` is the rdiff signature of the resulting version; a node that continues
 * a chain may instead hold a signature chain: `sigbase` (the first node's `sig`) and
 * `s001…`, rdiff deltas from each signature to the next (docs/format.md §3).
 */
export const VERSION_NODE = {
  base: 'base',
  signature: 'sig',
  /** Name of the i-th delta, 1-based: d001, d002, … */
  deltaName: (i: number): string => `d${String(i).padStart(3, '0')}`,
  signatureBase: 'sigbase',
  /** Name of the i-th signature delta, 1-based: s001, s002, … */
  signatureDeltaName: (i: number): string => `s${String(i).padStart(3, '0')}`,
} as const;

/** Edge metadata on the children of a version node. */
export interface VersionPartMeta {
  timefs: { role: 'base' | 'delta' | 'sig'; size: number };
}

/** Edge metadata of a snapshot in `snapshots/` (its name is the exact time, `2009-01-09T01:49:00Z`). */
export interface SnapshotMeta {
  timefs: {
    /** ISO-8601 UTC time the scan started. */
    time: string;
    host: string;
    /** Absolute source paths as given to push. */
    paths: string[];
    stats: Record<string, number>;
    /** Name of the previous snapshot this one was made against, if any. */
    parent?: string;
  };
}
