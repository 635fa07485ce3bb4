import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errnoFor, ERRNO } from '../../../src/fs/errno.js';
import { statFor, splitPath, WRITE_OPS, buildFuseOps } from '../../../src/fs/fuse-ops.js';
import { TimefsError, type ErrorCode } from '../../../src/model/errors.js';
import type { MountSource } from '../../../src/view/mount-source.js';

test('errors map to errno in one place, EIO by default', () => {
  const table: Array<[unknown, number]> = [
    [new TimefsError('path.not-found', 'x'), -ERRNO.ENOENT],
    [new TimefsError('fs.not-a-directory', 'x'), -ERRNO.ENOTDIR],
    [new TimefsError('fs.is-a-directory', 'x'), -ERRNO.EISDIR],
    [new TimefsError('fs.read-only', 'x'), -ERRNO.EROFS],
    [new TimefsError('integrity', 'x'), -ERRNO.EIO],
    [new TimefsError('grid.timeout', 'x'), -ERRNO.EIO],
    [new TimefsError('aborted', 'x'), -ERRNO.EINTR],
    [new TimefsError('grid.gone', 'x'), -ERRNO.EIO],
    [new TimefsError('repo.bad-format' as ErrorCode, 'x'), -ERRNO.EIO],
    [new Error('a bug'), -ERRNO.EIO],
    ['not even an error', -ERRNO.EIO],
  ];
  for (const [err, errno] of table) assert.equal(errnoFor(err), errno, String(err));
});

test('stat carries the type bits, permissions, owner, size and mtime in milliseconds', () => {
  const table: Array<[Parameters<typeof statFor>[0], number]> = [
    [{ type: 'file', ino: 7, perm: 0o644, uid: 1000, gid: 100, size: 5000, mtimeNs: 1231465740123456789n, nlink: 1, rdev: 0, stable: true }, 0o100644],
    [{ type: 'dir', ino: 8, perm: 0o755, uid: 0, gid: 0, size: 0, mtimeNs: 0n, nlink: 2, rdev: 0, stable: true }, 0o040755],
    [{ type: 'symlink', ino: 9, perm: 0o777, uid: 0, gid: 0, size: 3, mtimeNs: 0n, nlink: 1, rdev: 0, stable: true }, 0o120777],
    [{ type: 'fifo', ino: 10, perm: 0o600, uid: 0, gid: 0, size: 0, mtimeNs: 0n, nlink: 1, rdev: 0, stable: true }, 0o010600],
    [{ type: 'chardev', ino: 11, perm: 0o666, uid: 0, gid: 0, size: 0, mtimeNs: 0n, nlink: 1, rdev: 259, stable: true }, 0o020666],
  ];
  for (const [node, mode] of table) {
    const stat = statFor(node);
    assert.equal(stat.mode, mode);
    assert.equal(stat.ino, node.ino % 2 ** 32);
    assert.equal(stat.rdev, node.rdev);
  }
  assert.equal(statFor(table[0]![0]).mtime, 1231465740123);
});

test('paths split into names', () => {
  assert.deepEqual(splitPath('/'), []);
  assert.deepEqual(splitPath('/a/b c/d'), ['a', 'b c', 'd']);
});

test('every write operation and every writable open answers EROFS', async () => {
  const source: MountSource = {
    getattr: async () => { throw new Error('unused'); },
    readdir: async () => [],
    readlink: async () => new Uint8Array(0),
    open: async () => ({ size: 0, read: async () => new Uint8Array(0), close: () => {} }),
  };
  const ops = buildFuseOps(source, { timeoutMs: 1000 }) as unknown as Record<string, (...args: unknown[]) => void>;
  for (const name of WRITE_OPS) {
    const code = await new Promise<number>((done) => ops[name]!('/x', 0, 0, 0, 0, (c: number) => done(c)));
    assert.equal(code, -ERRNO.EROFS, name);
  }
  for (const flags of [1, 2, 0o1000]) {
    const code = await new Promise<number>((done) => ops.open!('/x', flags, (c: number) => done(c)));
    assert.equal(code, -ERRNO.EROFS, `open flags ${flags}`);
  }
  assert.equal(await new Promise<number>((done) => ops.open!('/x', 0, (c: number) => done(c))), 0);
});

test('an operation slower than the timeout fails with EIO', async () => {
  const source: MountSource = {
    getattr: () => new Promise(() => {}),
    readdir: async () => [],
    readlink: async () => new Uint8Array(0),
    open: async () => { throw new Error('unused'); },
  };
  const errors: string[] = [];
  const ops = buildFuseOps(source, { timeoutMs: 50, onError: (op, path) => errors.push(`${op} ${path}`) }) as unknown as Record<string, (...args: unknown[]) => void>;
  const code = await new Promise<number>((done) => ops.getattr!('/slow', (c: number) => done(c)));
  assert.equal(code, -ERRNO.EIO);
  assert.deepEqual(errors, ['getattr /slow']);
});
