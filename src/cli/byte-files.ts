/**
 * Streaming file I/O for commands that process whole files as byte streams (`timefs rdiff`):
 * chunked input from a file or stdin, random-access reads of a basis, and output to a file
 * (written to a temporary name, renamed into place only on success) or stdout. `-` means stdin/stdout.
 */
import { constants, fstatSync } from 'node:fs';
import { open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { TimefsError } from '../model/errors.js';

/** Size of each chunk read from an input file. */
export const READ_CHUNK = 1 << 20;

/** An input opened for streaming: its size when it is a regular file, and its chunks. */
export interface ByteInput {
  /** Byte size if the input is a regular file (stdin counts when redirected from one). */
  size: number | undefined;
  /**
   * The file's bytes in order, in chunks of up to `size` bytes. With `reuse`, each chunk is
   * overwritten by the one after the next (two buffers alternate).
   */
  chunks(reuse: boolean, size?: number): AsyncGenerator<Uint8Array>;
  close(): Promise<void>;
}

/** Opens `path` (or stdin for `-`) for streaming. Throws `io` naming the path. */
export async function openInput(path: string): Promise<ByteInput> {
  if (path === '-') {
    const st = fstatSync(0);
    return {
      size: st.isFile() ? st.size : undefined,
      async *chunks() {
        for await (const chunk of process.stdin) yield chunk as Uint8Array;
      },
      close: async () => undefined,
    };
  }
  const handle = await openOrThrow(path, 'r');
  const st = await handle.stat();
  if (st.isDirectory()) {
    await handle.close();
    throw new TimefsError('io', `${path} is a directory, not a file`);
  }
  return {
    size: st.isFile() ? st.size : undefined,
    async *chunks(reuse, size = READ_CHUNK) {
      // Two buffers: the next read runs (on libuv's thread pool) while the consumer works on this one.
      const buffers = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
      let turn = 0;
      const readInto = (buf: Buffer) => {
        const promise = readOrThrow(handle, path, buf, null);
        promise.catch(() => undefined); // awaited below; no unhandled rejection if the consumer stops
        return promise;
      };
      let pending = readInto(buffers[0] as Buffer);
      for (;;) {
        const { bytesRead, buffer } = await pending;
        if (bytesRead === 0) return;
        turn ^= 1;
        pending = readInto(reuse ? (buffers[turn] as Buffer) : Buffer.allocUnsafe(size));
        yield buffer.subarray(0, bytesRead);
      }
    },
    close: () => handle.close(),
  };
}

/** Reads of a basis up to this size reuse a small ring of buffers (see {@link openRandomAccess}). */
const RING_PIECE = 1 << 20;

/**
 * A random-access reader over a regular file (the basis of a patch). A returned array is
 * overwritten by the third read after it: consume each before reading two more (patchStream does).
 */
export interface RandomAccessFile {
  size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Opens `path` (or stdin when it is redirected from a regular file) for positional reads. */
export async function openRandomAccess(path: string): Promise<RandomAccessFile> {
  if (path === '-') {
    const st = fstatSync(0);
    if (!st.isFile()) {
      throw new TimefsError('usage', 'the basis must be a regular file: patch reads it at random offsets, so a pipe cannot be the basis');
    }
  }
  const handle = path === '-' ? await open('/dev/stdin', 'r') : await openOrThrow(path, 'r');
  const st = await handle.stat();
  if (!st.isFile()) {
    await handle.close();
    throw new TimefsError('usage', `${path} is not a regular file: patch reads the basis at random offsets`);
  }
  // A ring of three buffers: patch prefetches one basis piece while the previous one is written.
  const ring = [0, 1, 2].map(() => Buffer.allocUnsafe(RING_PIECE));
  let turn = 0;
  return {
    size: st.size,
    async read(offset, length) {
      let buf: Buffer;
      if (length <= RING_PIECE) {
        buf = ring[turn] as Buffer;
        turn = (turn + 1) % ring.length;
      } else {
        buf = Buffer.allocUnsafe(length);
      }
      const { bytesRead } = await readOrThrow(handle, path, buf, offset, length);
      return buf.subarray(0, bytesRead);
    },
    close: () => handle.close(),
  };
}

/** Writes smaller than this are buffered and written together. */
const COALESCE = 256 << 10;

/** An output being written; `commit` makes it visible, `abort` removes it. */
export interface ByteOutput {
  write(bytes: Uint8Array): Promise<void>;
  /** Bytes written so far. */
  readonly written: number;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * Opens an output: stdout for `-`, else a temporary file beside `path` that `commit` renames
 * into place. An existing `path` is an error unless `force` (as in rdiff).
 */
export async function openOutput(path: string, force: boolean): Promise<ByteOutput> {
  if (path === '-') return stdoutOutput();
  if (!force && (await exists(path))) {
    throw new TimefsError('io', `${path} already exists`, { hint: 'pass --force to overwrite it' });
  }
  const temp = join(dirname(path), `.${basename(path)}.timefs-${process.pid}.tmp`);
  const handle = await openOrThrow(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL);
  let written = 0;
  // Small outputs (signature entries, delta commands) are coalesced into fewer, larger writes.
  const pending = Buffer.allocUnsafe(COALESCE);
  let pendingLength = 0;
  const writeAll = async (bytes: Uint8Array) => {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, done, bytes.length - done).catch((err: unknown) => {
        throw new TimefsError('io', `cannot write ${path}: ${(err as Error).message}`, { cause: err });
      });
      done += bytesWritten;
    }
  };
  const drain = async () => {
    if (pendingLength === 0) return;
    const length = pendingLength;
    pendingLength = 0;
    await writeAll(pending.subarray(0, length));
  };
  return {
    get written() {
      return written;
    },
    async write(bytes) {
      written += bytes.length;
      if (pendingLength + bytes.length <= COALESCE) {
        pending.set(bytes, pendingLength);
        pendingLength += bytes.length;
        return;
      }
      await drain();
      if (bytes.length < COALESCE / 2) {
        pending.set(bytes, 0);
        pendingLength = bytes.length;
      } else {
        await writeAll(bytes);
      }
    },
    async commit() {
      await drain();
      await handle.close();
      await rename(temp, path).catch((err: unknown) => {
        throw new TimefsError('io', `cannot create ${path}: ${(err as Error).message}`, { cause: err });
      });
    },
    async abort() {
      await handle.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
    },
  };
}

function stdoutOutput(): ByteOutput {
  let written = 0;
  // A closed pipe (e.g. `| head`) is reported through the write callback; without a listener the
  // 'error' event would crash the process.
  if (process.stdout.listenerCount('error') === 0) process.stdout.on('error', () => undefined);
  return {
    get written() {
      return written;
    },
    write(bytes) {
      written += bytes.length;
      return new Promise((resolve, reject) => {
        process.stdout.write(bytes, (err) => (err ? reject(new TimefsError('io', `cannot write to stdout: ${err.message}`, { cause: err })) : resolve()));
      });
    },
    commit: async () => undefined,
    abort: async () => undefined,
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function openOrThrow(path: string, flags: string | number): Promise<FileHandle> {
  try {
    return await open(path, flags);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new TimefsError('io', `cannot open ${path}: ${why}`, { cause: err });
  }
}

async function readOrThrow(handle: FileHandle, path: string, buf: Buffer, position: number | null, length = buf.length) {
  try {
    return await handle.read(buf, 0, length, position);
  } catch (err) {
    throw new TimefsError('io', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}
