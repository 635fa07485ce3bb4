/**
 * The state of a mount point before mounting (ready, already mounted, stale after a crash, …)
 * and unmounting through `fusermount`, which reports a busy mount point instead of hiding it.
 */
import { execFile } from 'node:child_process';
import { readFile, readdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { TimefsError } from '../model/errors.js';

/** What is at a mount point. */
export type MountPointState =
  | 'ready' // an empty directory
  | 'missing'
  | 'not-a-directory'
  | 'not-empty'
  | 'mounted' // something answers there already
  | 'stale'; // a FUSE mount whose process died (ENOTCONN): safe to clear

/** One line of `/proc/self/mountinfo`: the device (`major:minor`) and the decoded mount point. */
export interface MountInfoEntry {
  device: string;
  mountPoint: string;
}

/** The mounts listed in `/proc/self/mountinfo`, with octal escapes (`\040` for a space) undone. */
export async function mountInfo(): Promise<MountInfoEntry[]> {
  const text = await readFile('/proc/self/mountinfo', 'latin1').catch(() => '');
  const entries: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const field = fields[4];
    if (!field || !fields[2]) continue;
    const decoded = field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
    entries.push({ device: fields[2], mountPoint: Buffer.from(decoded, 'latin1').toString('utf8') });
  }
  return entries;
}

/** The decoded mount points listed in `/proc/self/mountinfo`. */
export async function mountedPoints(): Promise<Set<string>> {
  return new Set((await mountInfo()).map((entry) => entry.mountPoint));
}

/** Classifies `mountPoint` (an absolute or relative path). */
export async function mountPointState(mountPoint: string): Promise<MountPointState> {
  const path = resolve(mountPoint);
  const mounted = (await mountedPoints()).has(path);
  try {
    const info = await stat(path);
    if (mounted) return 'mounted';
    if (!info.isDirectory()) return 'not-a-directory';
    return (await readdir(path)).length > 0 ? 'not-empty' : 'ready';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTCONN' || (mounted && code === 'ECONNABORTED')) return 'stale';
    if (code === 'ENOENT') return 'missing';
    throw err;
  }
}

/** Result of one `fusermount -u` attempt. */
export interface UnmountResult {
  ok: boolean;
  /** True when the kernel refused because files or directories below it are in use. */
  busy: boolean;
  message: string;
}

/**
 * Unmounts with `fusermount -u` (or `-uz`, lazy: detach now, finish when no longer busy).
 * A busy mount point is reported in the result, never ignored.
 */
export function fusermountUnmount(mountPoint: string, lazy = false): Promise<UnmountResult> {
  const args = [lazy ? '-uz' : '-u', resolve(mountPoint)];
  return new Promise((done) => {
    execFile('fusermount', args, { timeout: 10_000 }, (err, _stdout, stderr) => {
      const message = String(stderr).trim();
      if (!err) return done({ ok: true, busy: false, message });
      done({ ok: false, busy: /busy/i.test(message), message: message || err.message });
    });
  });
}

/**
 * Makes sure `path` can take a mount: clears a stale mount left by a crashed process (logging
 * it) and refuses a busy, missing, non-directory or non-empty mount point with a clear error.
 */
export async function prepareMountPoint(path: string, log: (line: string) => void): Promise<void> {
  const state = await mountPointState(path);
  if (state === 'stale') {
    log(`timefs: ${path} holds a stale mount left by a process that died; clearing it`);
    const result = await fusermountUnmount(path, true);
    if (!result.ok) throw new TimefsError('fs.mount-busy', `${path}: cannot clear the stale mount there (${result.message})`, { hint: `run \`fusermount -uz ${path}\` as the user who mounted it` });
  } else if (state === 'mounted') {
    throw new TimefsError('fs.mount-busy', `${path} is already a mount point in use`, { hint: `unmount it first (\`fusermount -u ${path}\`) or choose another directory` });
  } else if (state === 'missing') {
    throw new TimefsError('fs.mount-failed', `${path}: the mount point does not exist`, { hint: `create it with \`mkdir -p ${path}\`` });
  } else if (state === 'not-a-directory') {
    throw new TimefsError('fs.mount-failed', `${path}: the mount point is not a directory`);
  } else if (state === 'not-empty') {
    throw new TimefsError('fs.mount-failed', `${path}: the mount point is not empty`, { hint: 'mount on an empty directory so nothing is hidden' });
  }
}
