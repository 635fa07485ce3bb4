/**
 * Mounting and unmounting a {@link MountSource} with fuse-native: checks the mount point first
 * (clearing a stale mount left by a crash, refusing a busy one), mounts read-only with long
 * kernel caches (the content is immutable), and unmounts reporting a busy mount point.
 */
import Fuse from 'fuse-native';
import { resolve } from 'node:path';
import { TimefsError } from '../model/errors.js';
import type { MountSource } from '../view/mount-source.js';
import { buildFuseOps } from './fuse-ops.js';
import { fusermountUnmount, mountPointState } from './mount-point.js';

/** Options of {@link mountSource}. */
export interface MountOptions {
  /** Let other users see the mount (`allow_other`; needs `user_allow_other` in /etc/fuse.conf for non-root). */
  allowOther?: boolean;
  /** Per-operation deadline in milliseconds (default 30 s); a slower grid gives EIO. */
  timeoutMs?: number;
  /** How long the kernel may cache attributes and names, in seconds (default 3600). */
  cacheSeconds?: number;
  /** libfuse debug output. */
  debug?: boolean;
  /** Where notices go (stale mount cleared, failed operations); never receives a cap. */
  log?: (line: string) => void;
}

/** A live mount. */
export interface MountedFs {
  readonly mountPoint: string;
  /** Unmounts; throws `fs.mount-busy` (and stays mounted) when files below it are in use, unless `lazy`. */
  unmount(lazy?: boolean): Promise<void>;
}

/** Mount points this process already detached with fusermount, so fuse-native's own unmount only stops its thread. */
const detached = new Set<string>();
const originalUnmount = Fuse.unmount.bind(Fuse);
Fuse.unmount = (mountPoint, cb) => (detached.delete(mountPoint) ? cb(null) : originalUnmount(mountPoint, cb));

/**
 * libfuse2 options that fuse-native has no switch for. The binding joins its options with commas
 * into one `-o` argument, so extra options can ride after the fsname: `ro` (the kernel refuses
 * writes itself) and `use_ino` (our inode numbers reach `stat`, so hard links share one).
 */
const FSNAME_WITH_EXTRA_OPTIONS = 'timefs,ro,use_ino';

/** Mounts `source` at `mountPoint` and resolves once the kernel serves it. */
export async function mountSource(source: MountSource, mountPoint: string, options: MountOptions = {}): Promise<MountedFs> {
  const path = resolve(mountPoint);
  const log = options.log ?? (() => {});
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

  const timeoutMs = options.timeoutMs ?? 30_000;
  const cacheSeconds = options.cacheSeconds ?? 3600;
  const ops = buildFuseOps(source, {
    timeoutMs,
    onError: (op, p, err) => log(`timefs: ${op} ${p}: ${err instanceof Error ? err.message : String(err)} (EIO)`),
  });
  const fuse = new Fuse(path, ops, {
    // fuse-native's own watchdog stays behind ours, as a last resort
    timeout: timeoutMs + 5_000,
    force: false,
    mkdir: false,
    debug: options.debug ?? false,
    allowOther: options.allowOther ?? false,
    defaultPermissions: true,
    kernelCache: true,
    attrTimeout: cacheSeconds,
    entryTimeout: cacheSeconds,
    fsname: FSNAME_WITH_EXTRA_OPTIONS,
  });
  await new Promise<void>((done, fail) => {
    fuse.mount((err) => (err ? fail(new TimefsError('fs.mount-failed', `${path}: cannot mount (${err.message})`, {
      cause: err,
      hint: 'FUSE needs /dev/fuse and Debian\'s libfuse2 and fuse packages (`bash scripts/setup.sh` installs them)',
    })) : done()));
  });

  let mounted = true;
  return {
    mountPoint: path,
    async unmount(lazy = false) {
      if (!mounted) return;
      const result = await fusermountUnmount(path, lazy);
      if (!result.ok) {
        if (result.busy) throw new TimefsError('fs.mount-busy', `${path} is busy: files or directories below it are in use`, { hint: 'close them (or leave the directory), then stop timefs again' });
        if ((await mountPointState(path).catch(() => 'mounted')) === 'mounted') {
          throw new TimefsError('fs.mount-failed', `${path}: cannot unmount (${result.message})`);
        }
      }
      detached.add(path);
      mounted = false;
      await new Promise<void>((done) => fuse.unmount(() => done()));
    },
  };
}
