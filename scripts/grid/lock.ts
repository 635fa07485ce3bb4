/**
 * A cross-process lock file: several engineers (and test runs) share one grid on this machine,
 * so starting, stopping and creating it must not interleave. A lock whose holder died is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { readPidFile } from './process-records.js';

function holderAlive(path: string): boolean {
  const pid = readPidFile(path);
  if (pid === null) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Run `fn` while holding the lock file at `path`, waiting up to `timeoutMs` for it. */
export async function withLock<T>(path: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // An empty file may be a holder that has not written its pid yet; give it a moment.
      await sleep(200);
      if (!holderAlive(path)) {
        try {
          if (!holderAlive(path)) rmSync(path, { force: true });
        } catch { /* raced with another waiter */ }
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the grid lock ${path} (held by pid ${readFileSync(path, 'utf8').trim()})`);
    }
  }
  try {
    return await fn();
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
}
