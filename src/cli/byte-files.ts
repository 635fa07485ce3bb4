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
  /** The file's bytes in order. With `reuse`, each chunk is overwritten by the next one. */
  chunks(reuse: boolean): AsyncGenerator<Uint8Array>;
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
    async *chunks(reuse) {
      let buf = Buffer.allocUnsafe(READ_CHUNK);
      for (;;) {
        if (!reuse) buf = Buffer.allocUnsafe(READ_CHUNK);
        const { bytesRead } = await readOrThrow(handle, path, buf, null);
        if (bytesRead === 0) return;
        yield buf.subarray(0, bytesRead);
      }
    },
    close: () => handle.close(),
  };
}

/** A random-access reader over a regular file (the basis of a patch). */
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
  return {
    size: st.size,
    async read(offset, length) {
      const buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await readOrThrow(handle, path, buf, offset);
      return buf.subarray(0, bytesRead);
    },
    close: () => handle.close(),
  };
}

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
  return {
    get written() {
      return written;
    },
    async write(bytes) {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, done, bytes.length - done).catch((err: unknown) => {
          throw new TimefsError('io', `cannot write ${path}: ${(err as Error).message}`, { cause: err });
        });
        done += bytesWritten;
      }
      written += bytes.length;
    },
    async commit() {
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

async function readOrThrow(handle: FileHandle, path: string, buf: Buffer, position: number | null) {
  try {
    return await handle.read(buf, 0, buf.length, position);
  } catch (err) {
    throw new TimefsError('io', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}
