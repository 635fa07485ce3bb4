/**
 * The local side of a restore: creating directories, files, symlinks, special files and hard
 * links below the target with their owners, modes and times. Small files are written whole with
 * synchronous calls on an open descriptor (open, write, fchown, fchmod, close: a trip through the
 * thread pool per call cost more than the call); large ones are streamed. Only what the end
 * needs is kept: each directory's attributes (set last, deepest first) and the names that hard
 * links point to. Times go to {@link TimeSetter} as each entry is finished.
 *
 * Every entry is created exclusively (`O_EXCL|O_NOFOLLOW`, `mkdir`, `symlink`, `link`), so
 * nothing is written through something that already exists in the target.
 */
import { chmodSync, closeSync, constants, fchmodSync, fchownSync, linkSync, lchownSync, mkdirSync, open as openCallback, symlinkSync } from 'node:fs';
import { promisify } from 'node:util';
import { chmod, lchown, open, unlink } from 'node:fs/promises';
import type { EntryMeta } from '../model/entry.js';
import { TimefsError } from '../model/errors.js';
import { makeSpecialFile, TimeSetter } from './local-attrs.js';
import { SparseWriter, writeSparseSync } from './sparse-writer.js';

/** One entry to create: where it goes, what it is, and its path as shown in messages. */
export interface LocalPlace {
  dest: Buffer;
  meta: EntryMeta;
  shown: string;
}

/** Counts of what was created. */
export interface LocalCounts {
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  specials: number;
  /** Content bytes restored (holes included). */
  bytes: number;
  /** Content bytes actually written (holes left out). */
  written: number;
}

interface DirAttrs {
  dest: Buffer;
  shown: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: string;
}

const openFile = promisify(openCallback);
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Creates entries below one target directory; see the file comment. */
export class LocalTree {
  private readonly dirs: DirAttrs[] = [];
  private readonly times = new TimeSetter();

  /** @param owners restore owners (needs root) */
  constructor(private readonly owners: boolean, private readonly counts: LocalCounts) {}

  /** Creates the directory (private until {@link finish} gives it its mode). */
  makeDir(place: LocalPlace): void {
    guardedSync(place, () => mkdirSync(place.dest, 0o700));
    const m = place.meta;
    this.dirs.push({ dest: place.dest, shown: place.shown, mode: m.mode, uid: m.uid, gid: m.gid, mtime: m.mtime });
    this.counts.dirs++;
  }

  /**
   * Writes a file whose whole (checked) content is in memory, with its attributes: the create
   * goes through the thread pool (it may wait for the file system), the rest are quick calls on
   * the new descriptor.
   */
  async writeWhole(place: LocalPlace, bytes: Uint8Array): Promise<void> {
    const fd = await guarded(place, () => openFile(place.dest, CREATE_FLAGS, 0o600));
    guardedSync(place, () => {
      try {
        this.counts.written += writeSparseSync(fd, bytes);
        if (this.owners) fchownSync(fd, place.meta.uid, place.meta.gid);
        fchmodSync(fd, place.meta.mode & 0o7777);
      } finally {
        closeSync(fd);
      }
    });
    this.counts.bytes += bytes.length;
    this.fileDone(place);
  }

  /**
   * Writes a file from `chunks` (read as it is written), with its attributes. When reading fails
   * (damaged data) the partial file is removed and the error thrown.
   */
  async writeChunks(place: LocalPlace, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    const handle = await guarded(place, () => open(place.dest, CREATE_FLAGS, 0o600));
    try {
      const writer = new SparseWriter(handle);
      for await (const chunk of chunks) {
        await guarded(place, () => writer.write(chunk));
        this.counts.bytes += chunk.length;
      }
      await guarded(place, () => writer.finish());
      this.counts.written += writer.written;
      if (this.owners) await guarded(place, () => handle.chown(place.meta.uid, place.meta.gid));
      await guarded(place, () => handle.chmod(place.meta.mode & 0o7777));
    } catch (err) {
      await handle.close();
      await unlink(place.dest);
      throw err;
    }
    await handle.close();
    this.fileDone(place);
  }

  /** Creates the symlink to `target` (exact bytes). */
  makeSymlink(place: LocalPlace, target: Uint8Array): void {
    guardedSync(place, () => {
      symlinkSync(Buffer.from(target.buffer, target.byteOffset, target.byteLength), place.dest);
      if (this.owners) lchownSync(place.dest, place.meta.uid, place.meta.gid);
    });
    this.counts.symlinks++;
    this.times.add(place.dest, place.meta.mtime);
  }

  /** Creates the fifo, socket or device; false when the system refuses (devices without root). */
  async makeSpecial(place: LocalPlace, scratchDir: string): Promise<boolean> {
    return guarded(place, async () => {
      if (!(await makeSpecialFile(scratchDir, place.dest, place.meta))) return false;
      if (this.owners) await lchown(place.dest, place.meta.uid, place.meta.gid);
      await chmod(place.dest, place.meta.mode & 0o7777);
      this.counts.specials++;
      this.times.add(place.dest, place.meta.mtime);
      return true;
    });
  }

  /** Makes `place` another name of the file at `first`. */
  link(first: Buffer, place: LocalPlace): void {
    guardedSync(place, () => linkSync(first, place.dest));
    this.counts.hardlinks++;
  }

  /**
   * Gives every directory its owner, mode and time, deepest first (their modes may forbid
   * writing, their mtimes move with every child), and waits for every time to be set.
   * @returns exact: false when times could only be set to the microsecond
   */
  async finish(): Promise<{ exact: boolean }> {
    for (let i = this.dirs.length - 1; i >= 0; i--) {
      const d = this.dirs[i]!;
      guardedSync(d, () => {
        if (this.owners) lchownSync(d.dest, d.uid, d.gid);
        chmodSync(d.dest, d.mode & 0o7777);
      });
      this.times.add(d.dest, d.mtime);
    }
    this.dirs.length = 0;
    return this.times.finish();
  }

  /** Stops setting times (after a failed restore). */
  abort(): void {
    this.times.abort();
  }

  private fileDone(place: LocalPlace): void {
    this.counts.files++;
    this.times.add(place.dest, place.meta.mtime);
  }
}

/** Runs `work`, turning a system error into a message naming `place`. */
export async function guarded<T>(place: Pick<LocalPlace, 'shown'>, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw asRestoreError(err, place.shown);
  }
}

function guardedSync(place: Pick<LocalPlace, 'shown'>, work: () => void): void {
  try {
    work();
  } catch (err) {
    throw asRestoreError(err, place.shown);
  }
}

function asRestoreError(err: unknown, shown: string): unknown {
  if (err instanceof TimefsError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EEXIST') {
    return new TimefsError('io', `${shown} already exists in the target`, { cause: err, hint: 'restore into an empty or new directory' });
  }
  if (typeof code === 'string') return new TimefsError('io', `cannot restore ${shown}: ${(err as Error).message}`, { cause: err });
  return err;
}
