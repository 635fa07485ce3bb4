import { Option, type Command } from 'commander';
import { defaultBackend, mountSource, type FuseBackend, type MountedFs } from '../../fs/mounter.js';
import { mountedPoints } from '../../fs/mount-point.js';
import { isTimefsError } from '../../model/errors.js';
import { redactCaps } from '../../model/cap.js';
import { localPathArg } from '../argv-bytes.js';
import { EXIT } from '../exit-codes.js';
import { parseByteSize } from '../byte-size-option.js';
import { integerOption } from '../options.js';
import { addHostOption } from '../host-option.js';
import { addRepoOptions } from '../repo-options.js';
import { openRepoView } from '../repo-view.js';
import type { CommandModule } from './index.js';

interface MountOptions extends Record<string, unknown> {
  utc?: boolean;
  host?: string;
  allowOther?: boolean;
  cacheSize: number;
  diskCacheSize: number;
  timeout: number;
  refresh: number;
  json?: boolean;
  debug?: boolean;
  fuse: FuseBackend;
}

function log(line: string): void {
  process.stderr.write(`${redactCaps(line)}\n`);
}

/** Waits for SIGINT/SIGTERM, then unmounts; a busy mount point is reported and retried, a second signal detaches lazily. */
function unmountOnSignal(mounted: MountedFs): Promise<void> {
  return new Promise((done) => {
    let stopping = false;
    let retry: NodeJS.Timeout | undefined;
    const attempt = async (lazy: boolean): Promise<void> => {
      try {
        await mounted.unmount(lazy);
        if (retry) clearInterval(retry);
        clearInterval(watch);
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        log(`timefs: unmounted ${mounted.mountPoint}`);
        done();
      } catch (err) {
        if (!isTimefsError(err, 'fs.mount-busy')) throw err;
        if (!retry) {
          log(`timefs: ${err.message}; ${err.hint ?? ''}`);
          log('timefs: retrying every 2 s; send the signal again (Ctrl-C) to detach it lazily now');
          retry = setInterval(() => { attempt(false).catch(() => {}); }, 2_000);
        }
      }
    };
    // `umount`/`fusermount -u` from outside (systemd automount expiry, an admin) ends the mount
    // without a signal: notice it and finish, rather than idle forever.
    const watch = setInterval(() => {
      mountedPoints().then((points) => {
        if (points.has(mounted.mountPoint) || stopping) return;
        stopping = true;
        clearInterval(watch);
        log(`timefs: ${mounted.mountPoint} was unmounted from outside; stopping`);
        attempt(true).catch(() => done());
      }, () => {});
    }, 2_000);
    const onSignal = (): void => {
      if (stopping) {
        if (retry) clearInterval(retry);
        attempt(true).catch((err: unknown) => log(`timefs: ${err instanceof Error ? err.message : String(err)}`));
        return;
      }
      stopping = true;
      attempt(false).catch((err: unknown) => log(`timefs: ${err instanceof Error ? err.message : String(err)}`));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** `timefs mount MOUNTPOINT`: every snapshot as a read-only FUSE file system, in the foreground. */
export const mountCommand: CommandModule = {
  register(program: Command) {
    const cmd = program
      .command('mount')
      .description('show every snapshot as a read-only file system at MOUNTPOINT (runs in the foreground; Ctrl-C or SIGTERM unmounts)')
      .argument('<MOUNTPOINT>', 'an empty directory')
      .option('--utc', 'day names (2009-01-09) follow UTC instead of the local time zone')
      .option('--allow-other', 'let other users see the mount (non-root needs user_allow_other in /etc/fuse.conf)')
      .addOption(new Option('--cache-size <SIZE>', 'memory for cached file content and deltas, e.g. 256M or 1G').argParser(parseByteSize).default(64 << 20, '64M'))
      .addOption(new Option('--disk-cache-size <SIZE>', 'disk cache of fetched objects under $XDG_CACHE_HOME/timefs (0 disables)')
        .argParser((v: string) => (v === '0' ? 0 : parseByteSize(v))).default(1 << 30, '1G'))
      .option('--timeout <SECONDS>', 'a grid request slower than this fails with EIO instead of hanging', integerOption('--timeout', 1, 3600), 30)
      .option('--refresh <SECONDS>', 'how often the snapshot list is re-read, so new pushes appear', integerOption('--refresh', 1, 3600), 30)
      .option('--no-index', 'list directories and history/ from the snapshot trees only, not from the metadata indexes')
      .option('--json', 'print one JSON line {"mountPoint", "snapshots"} on stdout once the mount is usable')
      .option('--debug', 'print every FUSE request and reply')
      .addOption(new Option('--fuse <BACKEND>', 'kernel: timefs speaks FUSE itself (needs root; exact name bytes, ns times); libfuse: fuse-native (any user)')
        .choices(['kernel', 'libfuse']).default(defaultBackend(), 'kernel as root, else libfuse'))
      .addHelpText('after', [
        '',
        'Layout: latest -> newest snapshot; 2009-01-09T01:49:00Z/ (each snapshot); 2009-01-09 -> the',
        'newest snapshot by the end of that day (any day resolves, listed or not); history/PATH/ (one',
        'entry per version of PATH). Only a read cap is needed: --repo URI:DIR2-RO:... works.',
        '',
        'Examples:',
        '  timefs mount /mnt/backups --repo backups:',
        '  timefs mount /mnt/backups --repo URI:DIR2-RO:... --utc --cache-size 512M',
        '  cp /mnt/backups/2009-01-09/home/me/report.odt ~/report-old.odt',
        '  timefs mount /mnt/laptop --repo backups: --host laptop',
        '',
        'Several sources (pushes of different paths, or from several hosts): latest and the day names',
        'show every path as its newest snapshot (as of then) that backed it up; exact snapshot names',
        'show that snapshot alone; with more than one host, hosts/<host>/ holds each host\'s own view.',
        '',
      ].join('\n'));
    addHostOption(cmd);
    addRepoOptions(cmd);
    cmd.action(async (mountPoint: string, opts: MountOptions) => {
      const started = performance.now();
      process.env.TIMEFS_DISK_CACHE_BYTES = String(opts.diskCacheSize);
      const { view } = await openRepoView(opts, log);
      // List once before mounting: an unreachable grid or a wrong cap fails here, not inside the kernel.
      const snapshots = await view.getattr([]).then(() => view.readdir([]));
      const mounted = await mountSource(view, localPathArg(mountPoint, 'mount point'), {
        allowOther: opts.allowOther === true,
        timeoutMs: opts.timeout * 1000,
        debug: opts.debug === true,
        backend: opts.fuse,
        log,
      });
      const count = snapshots.filter((child) => child.name.includes('T')).length;
      if (opts.json) process.stdout.write(`${JSON.stringify({ mountPoint: mounted.mountPoint, snapshots: count, startMs: Math.round(performance.now() - started) })}\n`);
      log(`timefs: mounted ${count} snapshot${count === 1 ? '' : 's'} at ${mounted.mountPoint} (Ctrl-C to unmount)`);
      await unmountOnSignal(mounted);
      process.exitCode = EXIT.ok;
    });
  },
};
