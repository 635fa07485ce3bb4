/**
 * The children of the directories a push has just made, kept in a spool file until the push
 * writes the snapshot's index, which takes them from here instead of listing those directories
 * on the grid. Memory holds one offset per directory, not the tree.
 */
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { EntryMeta } from '../model/entry.js';
import type { IndexChild } from './index-build.js';

/** A spool file of directory listings, by directory cap. */
export class DirectoryStash {
  private file: Promise<FileHandle> | undefined;
  private end = 0;
  private readonly at = new Map<string, { offset: number; length: number }>();
  private readonly writes = new Set<Promise<unknown>>();

  /** `path`: the spool file (created on the first {@link add}, removed by {@link discard}). */
  constructor(private readonly path: string) {}

  /** Keeps the children of the directory `cap`. */
  async add(cap: string, children: readonly IndexChild[]): Promise<void> {
    const bytes = Buffer.from(JSON.stringify(children.map((c) => [c.name, c.cap, c.meta])), 'utf8');
    const offset = this.end;
    this.end += bytes.length;
    this.file ??= mkdir(dirname(this.path), { recursive: true, mode: 0o700 }).then(() => open(this.path, 'w+', 0o600));
    const write = this.file.then((file) => file.write(bytes, 0, bytes.length, offset));
    this.writes.add(write);
    try {
      await write;
    } finally {
      this.writes.delete(write);
    }
    this.at.set(cap, { offset, length: bytes.length });
  }

  /** The children of `cap` when it was kept here, else undefined. */
  readonly list = async (cap: string): Promise<IndexChild[] | undefined> => {
    const where = this.at.get(cap);
    if (where === undefined || this.file === undefined) return undefined;
    const bytes = Buffer.alloc(where.length);
    await (await this.file).read(bytes, 0, where.length, where.offset);
    return (JSON.parse(bytes.toString('utf8')) as Array<[string, string, EntryMeta]>).map(([name, childCap, meta]) => ({ name, cap: childCap, meta }));
  };

  /** Closes and removes the spool file. */
  async discard(): Promise<void> {
    await Promise.allSettled([...this.writes]);
    const file = this.file;
    this.file = undefined;
    this.at.clear();
    if (file) await (await file).close().catch(() => undefined);
    await rm(this.path, { force: true });
  }
}
