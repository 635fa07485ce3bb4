/**
 * What the FUSE adapter (`fs/`) needs from the read model: a small, path-based, read-only
 * file-system shape. `BackupView` implements it over the grid; tests may implement it directly.
 * Paths are arrays of names below the mount root (`[]` is the root).
 */
import type { EntryType } from '../model/entry.js';

/** Attributes of one node, already in the form `stat` shows them. */
export interface MountNode {
  type: EntryType;
  /** Inode number (up to 2^53); hard links within one snapshot share it. */
  ino: number;
  /** Permission bits (`mode & 0o7777`); the type bits are derived from `type`. */
  perm: number;
  uid: number;
  gid: number;
  size: number;
  /** Modification time in nanoseconds since the epoch. */
  mtimeNs: bigint;
  nlink: number;
  rdev: number;
  /** True when neither the attributes nor (for a directory) the children can ever change. */
  stable: boolean;
  /** Files: the recorded BLAKE2b-256 of the content (lowercase hex), when push recorded one. */
  contentHash?: string;
}

/** One child of a directory. */
export interface DirChild {
  /** The name paths use (see `nameForBytes` in `tree-cache.ts`). */
  name: string;
  /** The exact name bytes to show. */
  raw: Uint8Array;
  /** The child's type, when known without a lookup. */
  type?: EntryType;
  /** The child's inode number, as `getattr` gives it (for `d_ino`), when known without a lookup. */
  ino?: number;
  /** The child's attributes, as `getattr` gives them, when known without a lookup (readdirplus). */
  attrs?: MountNode;
}

/** An open file: its bytes are read in ranges, never rebuilt whole before the first byte. */
export interface FileContent {
  readonly size: number;
  /** Bytes [offset, offset+length) clamped to the size (fewer or none past the end). */
  read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array>;
  /** Releases per-open state (prefetches, hash checks). */
  close(): void;
}

/** The read-only file-system view a mount serves. */
export interface MountSource {
  /** Attributes of the node at `path`; throws `path.not-found` / `fs.not-a-directory`. */
  getattr(path: readonly string[], signal?: AbortSignal): Promise<MountNode>;
  /** Children of the directory at `path` (without `.` and `..`). */
  readdir(path: readonly string[], signal?: AbortSignal): Promise<DirChild[]>;
  /** Target of the symlink at `path`, as exact bytes. */
  readlink(path: readonly string[], signal?: AbortSignal): Promise<Uint8Array>;
  /** Opens the regular file at `path` for reading. */
  open(path: readonly string[], signal?: AbortSignal): Promise<FileContent>;
}
