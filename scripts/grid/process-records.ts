/**
 * Detached helper processes recorded by pid file: only a recorded pid whose command line still
 * carries our marker is ever signalled, so a recycled pid is never touched.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Write one progress line of the grid scripts to stderr. */
export function log(message: string): void {
  process.stderr.write(`grid: ${message}\n`);
}

/** The positive pid written in `file`, or null when it cannot be read or holds no pid. */
export function readPidFile(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** The pid in `file`, if alive and its command line carries `marker` (a recycled pid never does). */
export function liveRecordedPid(file: string, marker: string): number | null {
  const pid = readPidFile(file);
  if (pid === null || pid === 1) return null;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    // A recycled pid must never be signalled: require our node directory on its command line.
    if (!cmdline.includes(marker)) return null;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/\) [ZX] /.test(stat)) return null;
    return pid;
  } catch {
    return null;
  }
}

/** Poll `ok` every 150 ms until it holds; past `timeoutMs` throw (or return false when `raise` is off). */
export async function waitFor(ok: () => boolean | Promise<boolean>, timeoutMs: number, what: string, raise = true): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ok()) return true;
    if (Date.now() > deadline) {
      if (raise) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
      return false;
    }
    await sleep(150);
  }
}
