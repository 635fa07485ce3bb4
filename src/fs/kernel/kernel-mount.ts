/**
 * Mounting without libfuse: opens `/dev/fuse`, has mount(8) attach it to the mount point (the
 * kernel takes the connection from `fd=3`, inherited by mount), and serves it with a
 * {@link KernelSession}. Needs the mount privilege, so it is the backend when running as root.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { TimefsError } from '../../model/errors.js';
import type { MountSource } from '../../view/mount-source.js';
import { mountInfo } from '../mount-point.js';
import { DeviceChannel } from './fuse-channel.js';
import { KernelSession } from './kernel-session.js';
import { startUnmountWatcher, type UnmountWatcher } from './unmount-watcher.js';

/** Options of {@link attachKernelMount}. */
export interface KernelMountOptions {
  allowOther: boolean;
  timeoutMs: number;
  cacheSeconds: number;
  /** Most names the kernel may keep cached before the oldest are dropped (bounds our memory). */
  maxNodes: number;
  /** Kernel readahead for the mount, in KiB: larger requests on sequential reads. */
  readaheadKiB: number;
  /** Unmount when this process dies without unmounting (a watcher process, like libfuse's `auto_unmount`). */
  autoUnmount: boolean;
  onError: (op: string, path: string, err: unknown) => void;
  trace?: (line: string) => void;
}

/** A served kernel connection. */
export interface KernelConnection {
  /** Settles when the kernel ends the connection (after an unmount). */
  readonly served: Promise<void>;
  /** Lets the process exit while a lazily unmounted connection lingers. */
  release(): void;
  /** How many nodes the kernel holds. */
  nodeCount(): number;
  /** Says the mount was unmounted on purpose (the watcher then has nothing to do). */
  unmounted(): void;
}

let pageSize: number | undefined;

/** The system's memory page size (INIT's `max_pages` counts pages: 4 KiB on x86-64, up to 64 KiB on arm64). */
export function systemPageSize(): number {
  if (pageSize === undefined) {
    try {
      pageSize = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8', timeout: 5_000 }).trim()) || 4096;
    } catch {
      pageSize = 4096;
    }
  }
  return pageSize;
}

function runMount(args: string[], fd: number): Promise<{ ok: boolean; message: string }> {
  return new Promise((done) => {
    const child = spawn('mount', args, { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', (err) => done({ ok: false, message: err.message }));
    child.on('close', (code) => done({ ok: code === 0, message: stderr.trim() || `mount exited with ${code}` }));
  });
}

/** The device (`major:minor`) of the mount at `path`, from mountinfo (escaped names decoded). */
export async function mountDevice(path: string): Promise<string | undefined> {
  const entries = (await mountInfo()).filter((entry) => entry.mountPoint === path);
  return entries[entries.length - 1]?.device;
}

/** Raises the kernel's readahead for the mount of `device` (best effort: needs /sys writable). */
async function raiseReadahead(device: string, kib: number): Promise<void> {
  await writeFile(`/sys/class/bdi/${device}/read_ahead_kb`, String(kib)).catch(() => {});
}

/** Mounts `source` at `path` (already checked to be a ready, empty directory) and serves it. */
export async function attachKernelMount(source: MountSource, path: string, options: KernelMountOptions): Promise<KernelConnection> {
  let fd: number;
  try {
    fd = openSync('/dev/fuse', 'r+');
  } catch (err) {
    throw new TimefsError('fs.mount-failed', `${path}: cannot open /dev/fuse (${(err as Error).message})`, {
      cause: err,
      hint: 'FUSE needs the fuse kernel module and /dev/fuse; in a container, pass --device /dev/fuse',
    });
  }
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const mountOptions = ['ro', 'nosuid', 'nodev', 'fd=3', 'rootmode=40000', `user_id=${uid}`, `group_id=${gid}`, 'default_permissions'];
  if (options.allowOther) mountOptions.push('allow_other');
  const session = new KernelSession(new DeviceChannel(fd), source, { ...options, pageSize: systemPageSize() });
  const served = session.serve();
  const result = await runMount(['-i', '-t', 'fuse.timefs', '-o', mountOptions.join(','), 'timefs', path], fd);
  if (!result.ok) {
    session.stop();
    await served.catch(() => {});
    closeSync(fd);
    throw new TimefsError('fs.mount-failed', `${path}: cannot mount (${result.message})`, {
      hint: 'mounting without libfuse needs root; as another user timefs uses fuse-native (`--fuse libfuse`)',
    });
  }
  void served.catch(() => {}).finally(() => closeSync(fd));
  // the INIT reply sets the readahead too (lowering it to the kernel's default): raise it after
  await Promise.race([session.initialized, new Promise((done) => setTimeout(done, 5_000).unref())]);
  const device = await mountDevice(path);
  let watcher: UnmountWatcher | undefined;
  if (device !== undefined) {
    await raiseReadahead(device, options.readaheadKiB);
    if (options.autoUnmount) watcher = startUnmountWatcher(path, device);
  }
  return { served, release: () => session.unref(), nodeCount: () => session.nodeCount, unmounted: () => watcher?.dismiss() };
}
