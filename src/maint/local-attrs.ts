/**
 * The parts of a restore that Node's fs cannot do exactly: special files (fifo, socket, device
 * nodes) and modification times to the nanosecond (fs.utimes takes a double, which loses the
 * last digits). Special files are made by the system tools (`mkfifo`, `mknod`) under a temporary
 * ASCII name and renamed into place, so raw non-UTF-8 names work; times are set as entries are finished by
 * `python3` (`os.utime(ns=…, follow_symlinks=False)`), falling back to fs.lutimes when it is absent.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { lutimes, rename } from 'node:fs/promises';
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

/** Characters of time lines gathered before they go to python3. */
const TIME_BATCH_CHARS = 64 * 1024;

/** True when `program` is an executable file in a directory of $PATH. */
function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir || '.', program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const UTIME_SCRIPT = [
  'import os, sys, base64',
  'for line in sys.stdin.buffer:',
  '    p, t = line.split()',
  '    t = int(t)',
  '    os.utime(base64.b64decode(p), ns=(t, t), follow_symlinks=False)',
].join('\n');

/**
 * Sets modification times to the nanosecond as entries are finished: each one goes to a `python3`
 * process as it comes (its times are set while the restore goes on, and nothing is held per
 * entry), so add a directory only after everything inside it. Without python3, the times are
 * collected and set to the microsecond with fs.lutimes by {@link finish}.
 */
export class TimeSetter {
  private readonly child: ChildProcess | undefined;
  private readonly exited: Promise<number | null> | undefined;
  private readonly pending: { path: Buffer; mtimeNs: bigint }[] = [];
  private stderr = '';
  private batch = '';

  constructor() {
    // spawn reports a missing program only asynchronously, after lines were written: look first.
    if (!onPath('python3')) return;
    const child = spawn('python3', ['-c', UTIME_SCRIPT], { stdio: ['pipe', 'ignore', 'pipe'] });
    child.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString('utf8')).slice(-4000)));
    child.stdin.on('error', () => {}); // a failed python3 closes its input; its exit status says why
    this.exited = new Promise((resolve) => child.on('close', resolve));
    this.child = child;
  }

  /** Gives `path` (not following a symlink) the mtime `mtimeNs` (decimal string). */
  add(path: Buffer, mtimeNs: string): void {
    if (!this.child) {
      this.pending.push({ path, mtimeNs: BigInt(mtimeNs) });
      return;
    }
    // Lines go out in batches: one pipe write per line cost more than setting the time.
    this.batch += `${path.toString('base64')} ${mtimeNs}\n`;
    if (this.batch.length >= TIME_BATCH_CHARS) this.flush();
  }

  private flush(): void {
    if (this.batch.length > 0) this.child!.stdin!.write(this.batch);
    this.batch = '';
  }

  /**
   * Waits until every time added is set.
   * @returns exact: false when python3 was missing and times were set to the microsecond
   * @throws TimefsError `io` when a time could not be set
   */
  async finish(): Promise<{ exact: boolean }> {
    if (this.child) {
      this.flush();
      this.child.stdin!.end();
      if ((await this.exited) === 0) return { exact: true };
      throw new TimefsError('io', `could not set modification times: ${this.stderr.trim().split('\n').pop() ?? ''}`);
    }
    for (const p of this.pending) {
      const seconds = Number(p.mtimeNs / 1000n) / 1e6;
      await lutimes(p.path, seconds, seconds);
    }
    return { exact: this.pending.length === 0 };
  }

  /** Stops the python3 process without waiting for what is left (after a failed restore). */
  abort(): void {
    this.child?.kill();
  }
}
