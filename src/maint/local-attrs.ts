/**
 * The parts of a restore that Node's fs cannot do exactly: special files (fifo, socket, device
 * nodes) and modification times to the nanosecond (fs.utimes takes a double, which loses the
 * last digits). Special files are made by the system tools (`mkfifo`, `mknod`) under a temporary
 * ASCII name and renamed into place, so raw non-UTF-8 names work; times that fs.lutimes cannot
 * carry exactly are set in one batch by `python3` (`os.utime(ns=…, follow_symlinks=False)`),
 * falling back to fs.lutimes when it is absent.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, lutimes, rename } from 'node:fs/promises';
import type { EntryMeta } from '../model/entry.js';
import { TimefsError } from '../model/errors.js';

/** Major and minor numbers of a Linux `dev_t`. */
export function splitDevice(rdev: number): { major: number; minor: number } {
  const dev = BigInt(rdev);
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  return { major, minor };
}

/**
 * Creates the fifo, socket or device at `destination`: first under a temporary ASCII name in
 * `scratchDir` (same file system, a plain string path the tools accept), then renamed into place.
 * Returns false (nothing created) when the system refuses, e.g. device nodes without root.
 */
export async function makeSpecialFile(scratchDir: string, destination: Buffer, meta: EntryMeta): Promise<boolean> {
  const tmp = `${scratchDir}/.timefs-restore-${randomBytes(6).toString('hex')}`;
  const mode = (meta.mode & 0o777).toString(8);
  let result;
  if (meta.type === 'fifo') {
    result = spawnSync('mkfifo', ['-m', mode, tmp], { stdio: ['ignore', 'ignore', 'pipe'] });
  } else if (meta.type === 'socket') {
    const script = 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()';
    result = spawnSync('python3', ['-c', script, tmp], { stdio: ['ignore', 'ignore', 'pipe'] });
  } else {
    const { major, minor } = splitDevice(meta.rdev ?? 0);
    const kind = meta.type === 'chardev' ? 'c' : 'b';
    result = spawnSync('mknod', ['-m', mode, tmp, kind, String(major), String(minor)], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  if (result.error || result.status !== 0) return false;
  await rename(tmp, destination);
  return true;
}

/** Up to this many times are tried with fs.lutimes first (two system calls each, one after another). */
const FEW_TIMES = 256;

/** Collects modification times and sets them all at the end, children before their directories. */
export class TimeSetter {
  private readonly pending: { path: Buffer; mtimeNs: bigint }[] = [];

  /** Remembers to give `path` (not following a symlink) the mtime `mtimeNs` (decimal string). */
  add(path: Buffer, mtimeNs: string): void {
    this.pending.push({ path, mtimeNs: BigInt(mtimeNs) });
  }

  /**
   * Sets every collected time, in the order added (add directories after their contents). Times
   * that fs.lutimes carries exactly (whole microseconds, checked with lstat) are set by it; only
   * the others need the one `python3` run, whose start-up would otherwise end every restore.
   */
  async apply(): Promise<{ exact: boolean }> {
    const inexact: { path: Buffer; mtimeNs: bigint }[] = [];
    for (const p of this.pending) {
      if (this.pending.length <= FEW_TIMES && p.mtimeNs % 1000n === 0n && await setMicroseconds(p.path, p.mtimeNs)) continue;
      inexact.push(p);
    }
    if (inexact.length === 0) return { exact: true };
    const script = [
      'import os, sys, base64',
      'for line in sys.stdin:',
      '    p, t = line.split()',
      '    t = int(t)',
      '    os.utime(base64.b64decode(p), ns=(t, t), follow_symlinks=False)',
    ].join('\n');
    const input = inexact.map((p) => `${p.path.toString('base64')} ${p.mtimeNs}\n`).join('');
    const result = spawnSync('python3', ['-c', script], { input, stdio: ['pipe', 'ignore', 'pipe'], maxBuffer: 1 << 20 });
    if (!result.error && result.status === 0) return { exact: true };
    if (!result.error) {
      throw new TimefsError('io', `could not set modification times: ${result.stderr.toString('utf8').trim().split('\n').pop() ?? ''}`);
    }
    for (const p of inexact) {
      const seconds = Number(p.mtimeNs / 1000n) / 1e6;
      await lutimes(p.path, seconds, seconds);
    }
    return { exact: false };
  }
}

/** Sets `path`'s atime and mtime to `ns` (whole microseconds) with fs.lutimes; whether it came out exact. */
async function setMicroseconds(path: Buffer, ns: bigint): Promise<boolean> {
  const seconds = Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) / 1e9;
  await lutimes(path, seconds, seconds);
  const stats = await lstat(path, { bigint: true });
  return stats.mtimeNs === ns && stats.atimeNs === ns;
}
