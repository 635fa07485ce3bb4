/**
 * The fuse-native operations table: a thin translator from kernel requests to a
 * {@link MountSource}. Every operation runs under a timeout (a slow grid gives EIO, it never
 * wedges the kernel), errors become errno values in `errno.ts`, and every operation that would
 * change anything answers EROFS.
 */
import type { FileContent, MountNode, MountSource } from '../view/mount-source.js';
import { settleOperation } from './deadline.js';
import { ERRNO } from './errno.js';
import { modeOf } from './node-mode.js';

/** Options of {@link buildFuseOps}. */
export interface FuseOpsOptions {
  /** Longest any one operation may take before it fails with EIO (milliseconds). */
  timeoutMs: number;
  /** Called with a one-line description of a failed operation (no caps: paths only). */
  onError?: (op: string, path: string, err: unknown) => void;
}

/** Operations that would modify the file system; all answer EROFS. */
export const WRITE_OPS = [
  'write', 'create', 'unlink', 'rename', 'mkdir', 'rmdir', 'chmod', 'chown', 'truncate', 'ftruncate',
  'symlink', 'link', 'mknod', 'utimens', 'setxattr', 'removexattr', 'fsync', 'fsyncdir',
] as const;

const O_ACCMODE = 3;
const O_TRUNC = 0o1000;
const W_OK = 2;

/** The `stat` object fuse-native expects for a node (times in milliseconds and 32-bit inode numbers: the binding's limits). */
export function statFor(node: MountNode): Record<string, number> {
  const mtimeMs = Number(node.mtimeNs / 1_000_000n);
  return {
    mode: modeOf(node.type, node.perm),
    uid: node.uid,
    gid: node.gid,
    size: node.size,
    nlink: node.nlink,
    ino: node.ino % 0x1_0000_0000,
    rdev: node.rdev,
    blksize: 128 * 1024,
    blocks: Math.ceil(node.size / 512),
    atime: mtimeMs,
    mtime: mtimeMs,
    ctime: mtimeMs,
  };
}

/** Splits a FUSE path (`/a/b`) into names. */
export function splitPath(path: string): string[] {
  return path.split('/').filter((name) => name.length > 0);
}

type Callback = (code: number, ...results: unknown[]) => void;

/** Builds the operations object to hand to `new Fuse(mountPoint, ops, …)`. */
export function buildFuseOps(source: MountSource, options: FuseOpsOptions): Record<string, (...args: never[]) => void> {
  const handles = new Map<number, FileContent>();
  let nextHandle = 1;

  /** Runs `work` with a deadline and answers `cb` with its result or an errno. */
  const serve = <T>(op: string, path: string, cb: Callback, work: (signal: AbortSignal) => Promise<T>, reply: (value: T) => unknown[]): void => {
    void settleOperation(op, path, options.timeoutMs, work, options.onError).then((result) => (result.ok ? cb(0, ...reply(result.value)) : cb(-result.errno)));
  };

  const ops: Record<string, (...args: never[]) => void> = {
    init: (cb: Callback) => cb(0),
    getattr: (path: string, cb: Callback) => serve('getattr', path, cb, (s) => source.getattr(splitPath(path), s), (node) => [statFor(node)]),
    readdir: (path: string, cb: Callback) => serve('readdir', path, cb, (s) => source.readdir(splitPath(path), s), (children) => [['.', '..', ...children.map((child) => child.name)]]),
    readlink: (path: string, cb: Callback) => serve('readlink', path, cb, (s) => source.readlink(splitPath(path), s), (target) => [Buffer.from(target).toString('utf8')]),
    access: (path: string, mode: number, cb: Callback) => {
      if (mode & W_OK) return cb(-ERRNO.EROFS);
      serve('access', path, cb, (s) => source.getattr(splitPath(path), s), () => []);
    },
    open: (path: string, flags: number, cb: Callback) => {
      if ((flags & O_ACCMODE) !== 0 || (flags & O_TRUNC) !== 0) return cb(-ERRNO.EROFS);
      serve('open', path, cb, (s) => source.open(splitPath(path), s), (content) => {
        const fh = nextHandle;
        nextHandle = nextHandle >= 0xfffffff0 ? 1 : nextHandle + 1;
        handles.set(fh, content);
        return [fh];
      });
    },
    read: (path: string, fh: number, buf: Buffer, length: number, position: number, cb: (result: number) => void) => {
      const content = handles.get(fh);
      if (!content) return cb(-ERRNO.EBADF);
      serve('read', path, (code, bytes) => {
        if (code !== 0) return cb(code);
        const data = bytes as Uint8Array;
        buf.set(data, 0);
        cb(data.length);
      }, (s) => content.read(position, length, s), (bytes) => [bytes]);
    },
    release: (_path: string, fh: number, cb: Callback) => {
      handles.get(fh)?.close();
      handles.delete(fh);
      cb(0);
    },
    statfs: (_path: string, cb: Callback) => cb(0, {
      bsize: 128 * 1024, frsize: 128 * 1024, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, favail: 0, fsid: 0, flag: 1, namemax: 255,
    }),
  };
  for (const name of WRITE_OPS) {
    ops[name] = (...args: never[]) => (args[args.length - 1] as unknown as Callback)(-ERRNO.EROFS);
  }
  return ops;
}
