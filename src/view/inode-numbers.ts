/**
 * Inode numbers for the mount, derived from a stable key so nothing has to be remembered per file
 * (memory stays flat however many snapshots are walked): a 53-bit hash of the key (two FNV-1a
 * passes with different offsets), so collisions are negligible. The fuse-native fallback can
 * carry only 32 bits and uses the low half.
 */
import type { EntryMeta } from '../model/entry.js';

/** The root directory's inode number. */
export const ROOT_INO = 1;

function fnv1a(key: string, offset: number): number {
  let hash = offset;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** An inode number for `key` below 2^53, never 0 or {@link ROOT_INO}. */
export function inodeFor(key: string): number {
  const high = fnv1a(key, 0x811c9dc5) & 0x1fffff;
  const low = fnv1a(key, 0x050c5d1f);
  const ino = high * 0x1_0000_0000 + low;
  return ino <= ROOT_INO ? ino + 2 : ino;
}

/**
 * The key of an entry at `path` inside snapshot `snapshot`: hard links (entries carrying the same
 * source `{dev, ino}`) share one key, and so one inode, within a snapshot.
 */
export function entryInodeKey(snapshot: string, path: readonly string[], meta: EntryMeta): string {
  if (meta.link && meta.type !== 'dir') return `${snapshot}\0link\0${meta.link.dev}\0${meta.link.ino}`;
  return `${snapshot}\0${path.join('/')}`;
}
