/**
 * Mounting and unmounting a {@link MountSource}: checks the mount point first (clearing a stale
 * mount left by a crash, refusing a busy one), mounts read-only with long kernel caches (the
 * content is immutable) through one of two backends, and unmounts reporting a busy mount point.
 */
import type Fuse from 'fuse-native';
import { resolve } from 'node:path';
import { TimefsError } from '../model/errors.js';
import type { MountSource } from '../view/mount-source.js';
import { buildFuseOps } from './fuse-ops.js';
import { attachKernelMount } from './kernel/kernel-mount.js';
import { fusermountUnmount, mountPointState, prepareMountPoint } from './mount-point.js';

/** Options of {@link mountSource}. */
export interface MountOptions {
  /** Let other users see the mount (`allow_other`; needs `user_allow_other` in /etc/fuse.conf for non-root). */
  allowOther?: boolean;
  /** Per-operation deadline in milliseconds (default 30 s); a slower grid gives EIO. */
  timeoutMs?: number;
  /** How long the kernel may cache attributes and names, in seconds (default 3600). */
  cacheSeconds?: number;
  /** Log every request and reply (kernel backend) or libfuse's debug output (fuse-native). */
  debug?: boolean;
  /** How to talk to the kernel; default {@link defaultBackend}. */
  backend?: FuseBackend;
  /** Kernel backend: most names the kernel may keep cached (bounds memory; default 20,000). */
  maxNodes?: number;
  /** Kernel backend: unmount when the process dies without unmounting (`kill -9`); default true. */
  autoUnmount?: boolean;
  /** Where notices go (stale mount cleared, failed operations); never receives a cap. */
  log?: (line: string) => void;
}

/**
 * `kernel`: timefs speaks the FUSE protocol on /dev/fuse itself (needs root; exact name bytes,
 * nanosecond times, 53-bit inode numbers, bounded memory). `libfuse`: fuse-native and libfuse2
 * through fusermount (any user; names must be UTF-8, times in milliseconds).
 */
export type FuseBackend = 'kernel' | 'libfuse';

/** A live mount. */
export interface MountedFs {
  readonly mountPoint: string;
  readonly backend: FuseBackend;
  /** Kernel backend: how many nodes the kernel holds now (bounded by `maxNodes`). */
  nodeCount(): number | undefined;
  /** Unmounts; throws `fs.mount-busy` (and stays mounted) when files below it are in use, unless `lazy`. */
  unmount(lazy?: boolean): Promise<void>;
}

/** Mount points this process already detached with fusermount, so fuse-native's own unmount only stops its thread. */
const detached = new Set<string>();

let fuseNative: Promise<typeof Fuse> | undefined;
/**
 * fuse-native, loaded by the first libfuse mount: it maps libfuse and its addon (some 12 MiB of
 * the process), which the kernel backend never uses.
 */
function loadFuseNative(): Promise<typeof Fuse> {
  fuseNative ??= import('fuse-native').then(({ default: binding }) => {
    const originalUnmount = binding.unmount.bind(binding);
    binding.unmount = (mountPoint, cb) => (detached.delete(mountPoint) ? cb(null) : originalUnmount(mountPoint, cb));
    return binding;
  });
  return fuseNative;
}

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
  await prepareMountPoint(path, log);

  const timeoutMs = options.timeoutMs ?? 30_000;
  const cacheSeconds = options.cacheSeconds ?? 3600;
  const onError = (op: string, p: string, err: unknown): void => log(`timefs: ${op} ${p}: ${err instanceof Error ? err.message : String(err)} (EIO)`);
  const backend = options.backend ?? defaultBackend();
  let stopServing: (lazy: boolean) => Promise<void>;
  let nodeCount: () => number | undefined = () => undefined;
  if (backend === 'kernel') {
    const connection = await attachKernelMount(source, path, {
      allowOther: options.allowOther ?? false,
      timeoutMs,
      cacheSeconds,
      maxNodes: options.maxNodes ?? 20_000,
      readaheadKiB: 1024,
      autoUnmount: options.autoUnmount ?? true,
      onError,
      ...(options.debug ? { trace: (line: string) => log(`timefs: fuse ${line}`) } : {}),
    });
    nodeCount = connection.nodeCount;
    stopServing = async (lazy) => {
      connection.unmounted();
      if (lazy) connection.release();
      else await connection.served.catch(() => {});
    };
  } else {
    stopServing = await attachLibfuseMount(source, path, { ...options, timeoutMs, cacheSeconds, onError });
  }

  let mounted = true;
  return {
    mountPoint: path,
    backend,
    nodeCount: () => nodeCount(),
    async unmount(lazy = false) {
      if (!mounted) return;
      const result = await fusermountUnmount(path, lazy);
      if (!result.ok) {
        if (result.busy) throw new TimefsError('fs.mount-busy', `${path} is busy: files or directories below it are in use`, { hint: 'close them (or leave the directory), then stop timefs again' });
        if ((await mountPointState(path).catch(() => 'mounted')) === 'mounted') {
          throw new TimefsError('fs.mount-failed', `${path}: cannot unmount (${result.message})`);
        }
      }
      mounted = false;
      await stopServing(lazy);
    },
  };
}

/** The kernel backend when this process may mount (root), else fuse-native through fusermount. */
export function defaultBackend(): FuseBackend {
  return process.getuid?.() === 0 ? 'kernel' : 'libfuse';
}

/** Mounts through fuse-native; returns what stops its thread after the kernel has unmounted. */
async function attachLibfuseMount(
  source: MountSource,
  path: string,
  options: MountOptions & { timeoutMs: number; cacheSeconds: number; onError: (op: string, p: string, err: unknown) => void },
): Promise<() => Promise<void>> {
  const ops = buildFuseOps(source, { timeoutMs: options.timeoutMs, onError: options.onError });
  const Binding = await loadFuseNative();
  const fuse = new Binding(path, ops, {
    // fuse-native's own watchdog stays behind ours, as a last resort
    timeout: options.timeoutMs + 5_000,
    force: false,
    mkdir: false,
    debug: options.debug ?? false,
    allowOther: options.allowOther ?? false,
    defaultPermissions: true,
    kernelCache: true,
    attrTimeout: options.cacheSeconds,
    entryTimeout: options.cacheSeconds,
    fsname: FSNAME_WITH_EXTRA_OPTIONS,
  });
  await new Promise<void>((done, fail) => {
    fuse.mount((err) => (err ? fail(new TimefsError('fs.mount-failed', `${path}: cannot mount (${err.message})`, {
      cause: err,
      hint: 'FUSE needs /dev/fuse and Debian\'s libfuse2 and fuse packages (`bash scripts/setup.sh` installs them)',
    })) : done()));
  });
  return async () => {
    detached.add(path);
    await new Promise<void>((done) => fuse.unmount(() => done()));
  };
}
