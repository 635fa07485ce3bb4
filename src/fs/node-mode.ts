/** `st_mode` of a node: the type bits of its entry type plus its permission bits. */
import type { EntryType } from '../model/entry.js';

/** st_mode type bits by entry type. */
const TYPE_BITS: Record<EntryType, number> = {
  dir: 0o040000,
  file: 0o100000,
  symlink: 0o120000,
  fifo: 0o010000,
  socket: 0o140000,
  chardev: 0o020000,
  blockdev: 0o060000,
};

/** The whole `st_mode` for a node of `type` with permission bits `perm`. */
export function modeOf(type: EntryType, perm: number): number {
  return TYPE_BITS[type] | (perm & 0o7777);
}
