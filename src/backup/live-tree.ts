/**
 * Files on disk as one side of a tree diff (`timefs diff S --live`): entries with the attributes
 * push would record, listed by exact name bytes. Content is compared lazily: a file is read (and
 * hashed) only when its size or mtime differ from the snapshot's, or when told to rehash.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { blake2bStreamHex } from '../model/blake2b-pool.js';
import type { EntryMeta } from '../model/entry.js';
import { entryMetaOf } from './entry-meta.js';
import { TimefsError } from '../model/errors.js';

/** A node of the live side: a diff node that knows its path on disk. */
export interface LiveNode {
  rawName: Uint8Array;
  meta: EntryMeta;
  localPath: Buffer;
}

/** The node for `localPath` (lstat), or undefined when nothing is there. */
export async function liveNode(localPath: Buffer, rawName: Uint8Array = new Uint8Array(0)): Promise<LiveNode | undefined> {
  let stat: import('node:fs').BigIntStats;
  try {
    stat = await lstat(localPath, { bigint: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new TimefsError('io', `cannot read ${localPath.toString()}: ${code ?? String(err)}`, { cause: err });
  }
  const meta = entryMetaOf(stat);
  return { rawName, meta, localPath };
}

/** The children of a live directory, sorted by exact name bytes. */
export async function liveChildren(dir: LiveNode): Promise<LiveNode[]> {
  let names: Buffer[];
  try {
    names = await readdir(dir.localPath, { encoding: 'buffer' });
  } catch (err) {
    throw new TimefsError('io', `cannot list ${dir.localPath.toString()}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  const nodes = await Promise.all(names.map((name) => liveNode(Buffer.concat([dir.localPath, Buffer.from('/'), name]), new Uint8Array(name))));
  return nodes.filter((n): n is LiveNode => n !== undefined).sort((a, b) => Buffer.compare(a.rawName, b.rawName));
}

/** BLAKE2b-256 (hex) of a file on disk, streamed. */
export async function hashLocalFile(path: Buffer): Promise<string> {
  return blake2bStreamHex(createReadStream(path));
}

/** The target of a live symlink as bytes. */
export async function liveLinkTarget(node: LiveNode): Promise<Buffer> {
  return readlink(node.localPath, { encoding: 'buffer' });
}
