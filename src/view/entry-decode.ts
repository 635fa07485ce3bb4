/**
 * Decoding of snapshot-tree edges (format timefs/1, src/model/entry.ts) into {@link TreeEntry}
 * records: the attributes checked for shape, and the exact name bytes recovered. Pure.
 */
import type { EntryMeta, EntryType } from '../model/entry.js';
import { TimefsError } from '../model/errors.js';
import { rawNameBytes } from '../model/names.js';
import type { DirEntry } from '../store/store.js';

/** One child of a snapshot directory, decoded. */
export interface TreeEntry {
  /** The edge name as Tahoe stores it (NFC, possibly an escaped form of the real name). */
  name: string;
  /** The exact on-disk name bytes: `rawName` when present, else the UTF-8 of `name`. */
  rawName: Uint8Array;
  /** Read cap of the child (directory, file, version node, pack or LIT). Secret. */
  cap: string;
  meta: EntryMeta;
}

const TYPES: ReadonlySet<EntryType> = new Set(['dir', 'file', 'symlink', 'fifo', 'socket', 'chardev', 'blockdev']);
const STORAGES = new Set(['whole', 'chain', 'packed']);

/**
 * Decodes one listed child. `where` names the directory for error messages.
 * @throws TimefsError `repo.bad-format` when the edge has no valid `metadata.timefs`
 */
export function decodeEntry(entry: DirEntry, where: string): TreeEntry {
  const raw = (entry.metadata as { timefs?: unknown }).timefs;
  const bad = (why: string): TimefsError =>
    new TimefsError('repo.bad-format', `${joinPath(where, entry.name)}: ${why} in its timefs metadata`, {
      hint: 'this object was not written by timefs/1; run `timefs check`',
    });
  if (typeof raw !== 'object' || raw === null) throw bad('no attributes');
  const m = raw as Record<string, unknown>;
  if (typeof m.type !== 'string' || !TYPES.has(m.type as EntryType)) throw bad(`unknown type ${JSON.stringify(m.type)}`);
  for (const key of ['mode', 'uid', 'gid', 'size'] as const) {
    if (!Number.isSafeInteger(m[key]) || (m[key] as number) < 0) throw bad(`bad ${key}`);
  }
  if (typeof m.mtime !== 'string' || !/^-?\d+$/.test(m.mtime)) throw bad('bad mtime');
  if (m.type === 'file' || m.type === 'symlink') {
    const storage = m.storage ?? 'whole';
    if (typeof storage !== 'string' || !STORAGES.has(storage) || (m.type === 'symlink' && storage === 'chain')) throw bad(`unknown storage ${JSON.stringify(m.storage)}`);
    if (m.hash !== undefined && (typeof m.hash !== 'string' || !/^[0-9a-f]{64}$/.test(m.hash))) throw bad('bad hash');
    if (storage === 'packed') {
      const pack = m.pack as { offset?: unknown } | undefined;
      if (!pack || !Number.isSafeInteger(pack.offset) || (pack.offset as number) < 0) throw bad('bad pack offset');
    }
    if (m.chain !== undefined && (!Number.isSafeInteger(m.chain) || (m.chain as number) < 0)) throw bad('bad chain length');
  }
  if (m.rawName !== undefined && typeof m.rawName !== 'string') throw bad('bad rawName');
  const rawName = new Uint8Array(rawNameBytes(entry.name, m.rawName as string | undefined));
  return { name: entry.name, rawName, cap: entry.readCap, meta: m as unknown as EntryMeta };
}

/** `dir/name` for messages, with `/` for the root. */
export function joinPath(dir: string, name: string): string {
  if (dir === '' || dir === '/') return `/${name}`;
  return `${dir}/${name}`;
}
