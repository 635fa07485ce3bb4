/**
 * `timefs restore`: copies a snapshot (or one path of it) out of the grid into a local directory
 * without FUSE: exact bytes (zero blocks as holes), modes, owners (as root), mtimes to the
 * nanosecond, symlinks, hard links, fifos, sockets, devices and raw non-UTF-8 names.
 *
 * Safety: every name is checked (restore-names.ts) and every entry is created exclusively
 * (`O_EXCL`, `mkdir`), so nothing is written outside the target or through something that
 * already exists there, even for a tampered repository.
 */
import { constants, createReadStream } from 'node:fs';
import { chmod, lchown, link, mkdir, open, realpath, symlink, unlink } from 'node:fs/promises';
import { isTimefsError, TimefsError } from '../model/errors.js';
import type { CallOptions, Store } from '../store/store.js';
import { pathSegments, type TreeEntry, type TreePath, type TreeReader } from '../view/tree-reader.js';
import type { VersionReader } from '../view/version-reader.js';
import { makeSpecialFile, TimeSetter } from './local-attrs.js';
import { joinBytes, NameSet, safeComponent } from './restore-names.js';
import { SparseWriter } from './sparse-writer.js';
import { streamHash } from './version-bytes.js';
import { readWholeVersion } from './whole-stream.js';

/** What restore needs from the read model. */
export interface RestoreSource {
  store: Store;
  trees: TreeReader;
  versions: VersionReader;
}

/** Where to restore from. */
export interface RestoreFrom {
  /** Snapshot name, for messages. */
  snapshot: string;
  /** Snapshot root cap. */
  rootCap: string;
  /** Path inside the snapshot; empty for the whole snapshot. */
  path: TreePath;
}

/** Options of {@link restore}. */
export interface RestoreOptions extends CallOptions {
  /** Re-read every restored file from disk and compare it with its recorded hash. */
  verify?: boolean;
  /** Restore owners (default: when running as root). */
  owners?: boolean;
  /** Called after each entry with the running totals. */
  onProgress?: (report: RestoreReport) => void;
}

/** What a restore did. */
export interface RestoreReport {
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  specials: number;
  /** Content bytes restored (holes included). */
  bytes: number;
  /** Content bytes actually written (holes left out). */
  written: number;
  /** Files re-read and checked with `verify`. */
  verified: number;
  /** Entries that could not be created as they were (e.g. device nodes without root). */
  warnings: string[];
  /** Files left out because their stored data is damaged (missing or not matching its hash). */
  damaged: string[];
  /** False when python3 was missing and mtimes were set to the microsecond only. */
  exactTimes: boolean;
}

/** Restores `from` into the directory `target` (created when missing; existing entries are never overwritten). */
export async function restore(source: RestoreSource, from: RestoreFrom, target: string, options: RestoreOptions = {}): Promise<RestoreReport> {
  const call: CallOptions = options.signal ? { signal: options.signal } : {};
  const owners = options.owners ?? process.getuid?.() === 0;
  const report: RestoreReport = { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, specials: 0, bytes: 0, written: 0, verified: 0, warnings: [], damaged: [], exactTimes: true };
  const times = new TimeSetter();
  const hardlinks = new Map<string, Buffer>();
  const toVerify: { path: Buffer; entry: TreeEntry }[] = [];

  const top = await source.trees.lookup(from.rootCap, from.path, call);
  await mkdir(target, { recursive: true });
  const root = await realpath(target);
  const rootBytes = Buffer.from(root);

  const setAttributes = async (dest: Buffer, entry: TreeEntry): Promise<void> => {
    const m = entry.meta;
    if (owners) await lchown(dest, m.uid, m.gid);
    if (m.type !== 'symlink') await chmod(dest, m.mode & 0o7777);
    times.add(dest, m.mtime);
  };

  const restoreEntry = async (dir: Buffer, entry: TreeEntry, where: string, names: NameSet, ancestors: ReadonlySet<string>): Promise<void> => {
    const name = safeComponent(entry.rawName, where);
    names.add(name);
    const dest = joinBytes(dir, name);
    const shown = `${where === '/' ? '' : where}/${name.toString('utf8')}`;
    const m = entry.meta;
    const linkKey = m.link && m.type !== 'dir' ? `${m.link.dev}:${m.link.ino}` : undefined;
    const first = linkKey ? hardlinks.get(linkKey) : undefined;
    try {
      if (first) {
        await link(first, dest);
        report.hardlinks++;
        return;
      }
      if (m.type === 'dir') {
        // Immutable trees cannot loop, but a tampered one could link a mutable directory into itself.
        if (ancestors.has(entry.cap)) throw new TimefsError('repo.tampered', `refusing to restore ${shown}: the directory contains itself`);
        await mkdir(dest, 0o700);
        const childNames = new NameSet(shown);
        const below = new Set(ancestors).add(entry.cap);
        for (const child of await source.trees.list(entry.cap, shown, call)) await restoreEntry(dest, child, shown, childNames, below);
        report.dirs++;
      } else if (m.type === 'file') {
        if (!(await restoreFile(dest, entry, shown))) return;
        if (options.verify) toVerify.push({ path: dest, entry });
      } else if (m.type === 'symlink') {
        await symlink(Buffer.from(await source.store.get(entry.cap, call)), dest);
        report.symlinks++;
      } else {
        if (!(await makeSpecialFile(root, dest, m))) {
          report.warnings.push(`${shown}: could not create the ${m.type} (creating device nodes needs root)`);
          return;
        }
        report.specials++;
      }
    } catch (err) {
      throw asRestoreError(err, shown);
    }
    if (linkKey) hardlinks.set(linkKey, dest);
    await setAttributes(dest, entry);
    options.onProgress?.(report);
  };

  const restoreFile = async (dest: Buffer, entry: TreeEntry, shown: string): Promise<boolean> => {
    const handle = await open(dest, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      const writer = new SparseWriter(handle);
      const chunks = readWholeVersion(source.store, source.versions, entry, { path: shown, snapshot: from.snapshot }, call);
      for await (const chunk of chunks) {
        await writer.write(chunk);
        report.bytes += chunk.length;
        options.onProgress?.(report);
      }
      await writer.finish();
      report.written += writer.written;
      report.files++;
    } catch (err) {
      await handle.close();
      await unlink(dest);
      // A damaged file is left out (not half-written) and reported; the rest is restored.
      if (!isTimefsError(err, 'integrity', 'grid.gone') && !(isTimefsError(err) && err.code.startsWith('delta.'))) throw err;
      report.damaged.push(`${shown}: ${err.message}`);
      return false;
    }
    await handle.close();
    return true;
  };

  if (top.meta.type === 'dir') {
    const names = new NameSet('/');
    const segments = pathSegments(from.path).map((s) => (typeof s === 'string' ? s : Buffer.from(s).toString('utf8')));
    const where = `/${segments.join('/')}`;
    for (const child of await source.trees.list(top.cap, where, call)) await restoreEntry(rootBytes, child, where, names, new Set([top.cap]));
  } else {
    await restoreEntry(rootBytes, top, '/', new NameSet('/'), new Set());
  }
  report.exactTimes = (await times.apply()).exact;

  for (const { path, entry } of toVerify) {
    const hash = await streamHash(createReadStream(path, { highWaterMark: 1 << 20 }));
    if (entry.meta.hash !== undefined && hash !== entry.meta.hash) {
      throw new TimefsError('integrity', `${path.toString('utf8').slice(root.length)}: the restored file does not match its recorded hash`, {
        hint: 'the local disk did not keep what was written; check the target file system',
      });
    }
    report.verified++;
  }
  return report;
}

function asRestoreError(err: unknown, shown: string): unknown {
  if (err instanceof TimefsError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EEXIST') {
    return new TimefsError('io', `${shown} already exists in the target`, { cause: err, hint: 'restore into an empty or new directory' });
  }
  if (typeof code === 'string') return new TimefsError('io', `cannot restore ${shown}: ${(err as Error).message}`, { cause: err });
  return err;
}
