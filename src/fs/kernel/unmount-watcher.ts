/**
 * libfuse's `auto_unmount` for the kernel backend: a small watcher process that unmounts the
 * mount point when the serving process dies without unmounting (`kill -9`, a crash, the OOM
 * killer), so the mount point never keeps answering ENOTCONN. The watcher holds the read end of
 * a pipe from the server: end of file without a word first means the server died. It runs in a
 * session of its own and ignores SIGINT/SIGTERM/SIGHUP (Ctrl-C on the terminal or a systemd
 * stop reach the server, which unmounts itself), and it unmounts only the very mount it was
 * started for (same device number), never one made at that path since.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** The watcher's code (plain JavaScript, run by `node -e`): argv = mount point, device `major:minor`. */
const WATCHER_SOURCE = `
const { execFile } = require('node:child_process');
const { readFileSync } = require('node:fs');
const [point, device] = process.argv.slice(1);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => {});
let told = false;
process.stdin.on('data', () => { told = true; });
process.stdin.on('error', () => {});
process.stdin.on('close', () => {
  if (told) process.exit(0);
  const decode = (field) => field.replace(/\\\\([0-7]{3})/g, (_, octal) => String.fromCharCode(parseInt(octal, 8)));
  let ours = false;
  try {
    for (const line of readFileSync('/proc/self/mountinfo', 'latin1').split('\\n')) {
      const fields = line.split(' ');
      if (fields[2] === device && Buffer.from(decode(fields[4] || ''), 'latin1').toString() === point) ours = true;
    }
  } catch {}
  if (!ours) process.exit(0);
  execFile('umount', ['-l', point], () => process.exit(0));
});
`;

/** A running watcher. */
export interface UnmountWatcher {
  /** Tells the watcher the mount was unmounted on purpose: it exits without doing anything. */
  dismiss(): void;
}

/** Starts a watcher for the mount of device `device` (`major:minor`) at `mountPoint`. */
export function startUnmountWatcher(mountPoint: string, device: string): UnmountWatcher {
  const child: ChildProcess = spawn(process.execPath, ['-e', WATCHER_SOURCE, mountPoint, device], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  child.on('error', () => {});
  child.stdin?.on('error', () => {});
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return {
    dismiss() {
      child.stdin?.end('unmounted\n');
    },
  };
}
