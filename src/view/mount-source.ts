/**
 * What the FUSE adapter (`fs/`) needs from the read model: a small, path-based, read-only
 * file-system shape. `BackupView` implements it over the grid; tests may implement it directly.
 * Paths are arrays of names below the mount root (`[]` is the root).
 */
import type { EntryType } from '../model/entry.js';

/** Attributes of one node, already in the form `stat` shows them. */
export interface MountNode {
  type: EntryType;
  /** Inode number; hard links within one snapshot share it. */
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
  /** Child names of the directory at `path` (without `.` and `..`). */
  readdir(path: readonly string[], signal?: AbortSignal): Promise<string[]>;
  /** Target of the symlink at `path`. */
  readlink(path: readonly string[], signal?: AbortSignal): Promise<string>;
  /** Opens the regular file at `path` for reading. */
  open(path: readonly string[], signal?: AbortSignal): Promise<FileContent>;
}
