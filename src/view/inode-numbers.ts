/**
 * Inode numbers for the mount, derived from a stable key so nothing has to be remembered per file
 * (memory stays flat however many snapshots are walked). fuse-native passes `st_ino` as 32 bits,
 * so numbers are a 32-bit FNV-1a hash of the key; collisions are possible but rare (about one in
 * 2^32 per pair) and only matter to tools that compare inode numbers.
 */
import type { EntryMeta } from '../model/entry.js';

/** The root directory's inode number. */
export const ROOT_INO = 1;

/** A 32-bit inode number for `key`, never 0 or {@link ROOT_INO}. */
export function inodeFor(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash <= ROOT_INO ? hash + 2 : hash;
}

/**
 * The key of an entry at `path` inside snapshot `snapshot`: hard links (entries carrying the same
 * source `{dev, ino}`) share one key, and so one inode, within a snapshot.
 */
export function entryInodeKey(snapshot: string, path: readonly string[], meta: EntryMeta): string {
  if (meta.link && meta.type !== 'dir') return `${snapshot}\0link\0${meta.link.dev}\0${meta.link.ino}`;
  return `${snapshot}\0${path.join('/')}`;
}
