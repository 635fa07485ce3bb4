/** Builds {@link EntryMeta} from `lstat` results (pure). */
import type { BigIntStats } from 'node:fs';
import type { EntryMeta, EntryType } from '../model/entry.js';

/** The timefs type of an `lstat` result. */
export function entryTypeOf(stat: BigIntStats): EntryType {
  if (stat.isDirectory()) return 'dir';
  if (stat.isFile()) return 'file';
  if (stat.isSymbolicLink()) return 'symlink';
  if (stat.isFIFO()) return 'fifo';
  if (stat.isSocket()) return 'socket';
  if (stat.isCharacterDevice()) return 'chardev';
  return 'blockdev';
}

/** Edge metadata for an entry (content fields such as `hash` and `storage` come later). */
export function entryMetaOf(stat: BigIntStats): EntryMeta {
  const type = entryTypeOf(stat);
  const meta: EntryMeta = {
    type,
    mode: Number(stat.mode & 0o7777n),
    uid: Number(stat.uid),
    gid: Number(stat.gid),
    mtime: stat.mtimeNs.toString(),
    size: type === 'file' || type === 'symlink' ? Number(stat.size) : 0,
  };
  if (type === 'chardev' || type === 'blockdev') meta.rdev = Number(stat.rdev);
  if (type === 'file' && stat.nlink > 1n) meta.link = { dev: Number(stat.dev), ino: Number(stat.ino) };
  return meta;
}
