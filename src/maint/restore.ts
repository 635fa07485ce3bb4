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
import { blake2bStreamHex } from '../model/blake2b-pool.js';
import { isTimefsError, TimefsError } from '../model/errors.js';
import type { CallOptions, Store } from '../store/store.js';
import { pathSegments, type TreeEntry, type TreePath, type TreeReader } from '../view/tree-reader.js';
import type { VersionReader } from '../view/version-reader.js';
import { makeSpecialFile, TimeSetter } from './local-attrs.js';
import PQueue from 'p-queue';
import { walkBreadthFirst } from '../store/listing-window.js';
import { PACK_RUN_LIMITS, planPackRuns, type PackMember } from './pack-runs.js';
import { joinBytes, NameSet, safeComponent } from './restore-names.js';
import { SparseWriter } from './sparse-writer.js';
import { verifyContent } from './version-bytes.js';
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
  /** Files and content bytes to restore, known once every directory is listed (0 before). */
  filesTotal: number;
  bytesTotal: number;
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

/** Listings in flight during the walk, and content reads in flight after it. */
export const RESTORE_WINDOW = { listings: 8, reads: 4 } as const;
/** Packed files larger than this are streamed in ranges on their own instead of read within a run. */
const RUN_MEMBER_MAX = 4 << 20;
/**
 * Bytes one read holds: pack runs and the ranges of streamed files are at most 4 MiB, and such a
 * file keeps 2 ranges in flight while one is written, so the {@link RESTORE_WINDOW} reads hold at
 * most 4 × 12 MiB, whatever the tree's size (one of them may be a {@link LARGE_FILE} read of 64 MiB).
 */
const READ_LIMITS = { runBytes: 4 << 20, rangeBytes: 4 << 20, rangesAhead: 2 } as const;
/**
 * Files larger than this are read one at a time, in 16 MiB ranges with 3 in flight as `cat` reads
 * (about 64 MiB held: the ranges in flight, one waiting, and the 1 MiB piece being written): far
 * fewer requests, which is what a remote grid needs, while the other reads keep {@link READ_LIMITS}.
 */
const LARGE_FILE = { minBytes: 16 << 20, rangeBytes: 16 << 20, rangesAhead: 3 } as const;

interface Place {
  dest: Buffer;
  entry: TreeEntry;
  shown: string;
}

interface WalkDir {
  cap: string;
  dest: Buffer;
  where: string;
  ancestors: readonly string[];
}

/**
 * Restores `from` into the directory `target` (created when missing; existing entries are never
 * overwritten). Directories are listed breadth first through one window and created as found;
 * files stored on their own and symlinks are written as soon as their directory exists, while the
 * walk goes on; then each pack is read once in large runs, a few reads at a time; then hard
 * links; then directory modes and every mtime, children before their parents.
 */
export async function restore(source: RestoreSource, from: RestoreFrom, target: string, options: RestoreOptions = {}): Promise<RestoreReport> {
  const call: CallOptions = options.signal ? { signal: options.signal } : {};
  const owners = options.owners ?? process.getuid?.() === 0;
  const report: RestoreReport = { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, specials: 0, bytes: 0, filesTotal: 0, bytesTotal: 0, written: 0, verified: 0, warnings: [], damaged: [], exactTimes: true };
  const times = new TimeSetter();
  const toVerify: Place[] = [];

  const top = await source.trees.lookup(from.rootCap, from.path, call);
  await mkdir(target, { recursive: true });
  const root = await realpath(target);
  const rootBytes = Buffer.from(root);

  const dirs: Place[] = [];
  const packs = new Map<string, Array<PackMember<Place>>>();
  const specials: Place[] = [];
  const firstOfLink = new Map<string, Place>();
  const laterLinks: Array<{ place: Place; first: Place }> = [];

  const fileAttributes = async (place: Place): Promise<void> => {
    const m = place.entry.meta;
    if (owners) await lchown(place.dest, m.uid, m.gid);
    if (m.type !== 'symlink') await chmod(place.dest, m.mode & 0o7777);
    times.add(place.dest, m.mtime);
  };
  const guarded = async (place: Place, work: () => Promise<void>): Promise<void> => {
    try {
      await work();
    } catch (err) {
      throw asRestoreError(err, place.shown);
    }
  };

  const sort = (place: Place): void => {
    const m = place.entry.meta;
    const linkKey = m.link && m.type !== 'dir' ? `${m.link.dev}:${m.link.ino}` : undefined;
    if (linkKey) {
      const first = firstOfLink.get(linkKey);
      if (first) {
        laterLinks.push({ place, first });
        return;
      }
      firstOfLink.set(linkKey, place);
    }
    if (m.type === 'file') {
      report.filesTotal++;
      report.bytesTotal += m.size;
      if ((m.storage ?? 'whole') === 'packed' && m.size <= RUN_MEMBER_MAX) {
        const list = packs.get(place.entry.cap) ?? [];
        list.push({ offset: m.pack?.offset ?? 0, size: m.size, item: place });
        packs.set(place.entry.cap, list);
      } else run(() => streamFile(place));
    } else if (m.type === 'symlink') run(() => makeSymlink(place));
    else specials.push(place);
  };

  const visit = async (dir: WalkDir, entries: TreeEntry[]): Promise<WalkDir[]> => {
    const names = new NameSet(dir.where);
    const below: WalkDir[] = [];
    const made: Array<Promise<void>> = [];
    for (const entry of entries) {
      const name = safeComponent(entry.rawName, dir.where);
      names.add(name);
      const place: Place = { dest: joinBytes(dir.dest, name), entry, shown: `${dir.where === '/' ? '' : dir.where}/${name.toString('utf8')}` };
      if (entry.meta.type !== 'dir') {
        sort(place);
        continue;
      }
      // Immutable trees cannot loop, but a tampered one could link a mutable directory into itself.
      if (dir.ancestors.includes(entry.cap)) throw new TimefsError('repo.tampered', `refusing to restore ${place.shown}: the directory contains itself`);
      const making = guarded(place, () => mkdir(place.dest, 0o700));
      making.catch(() => {}); // settled below
      made.push(making);
      dirs.push(place);
      report.dirs++;
      below.push({ cap: entry.cap, dest: place.dest, where: place.shown, ancestors: [...dir.ancestors, entry.cap] });
    }
    const failed = (await Promise.allSettled(made)).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    options.onProgress?.(report);
    return below;
  };

  // Contents: files stored on their own and symlinks as soon as their directory exists (while the
  // walk goes on); then every pack once, in runs. A few reads at a time.
  const restored = new Set<Place>();
  const reads = new PQueue({ concurrency: RESTORE_WINDOW.reads });
  let failure: unknown;
  const run = (work: () => Promise<void>): void => {
    void reads.add(async () => {
      if (failure !== undefined) return;
      try {
        await work();
      } catch (err) {
        failure ??= err;
        reads.clear();
      }
    });
  };
  const damaged = (place: Place, err: unknown): void => {
    if (!isTimefsError(err, 'integrity', 'grid.gone') && !(isTimefsError(err) && err.code.startsWith('delta.'))) throw err;
    report.damaged.push(`${place.shown}: ${err.message}`);
  };
  const writeFile = async (place: Place, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> => {
    await guarded(place, async () => {
      const handle = await open(place.dest, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      try {
        const writer = new SparseWriter(handle);
        for await (const chunk of chunks) {
          await writer.write(chunk);
          report.bytes += chunk.length;
        }
        await writer.finish();
        report.written += writer.written;
      } catch (err) {
        await handle.close();
        await unlink(place.dest);
        damaged(place, err);
        return;
      }
      await handle.close();
      report.files++;
      restored.add(place);
      await fileAttributes(place);
      if (options.verify) toVerify.push(place);
      options.onProgress?.(report);
    });
  };
  const largeReads = new PQueue({ concurrency: 1 });
  const streamFile = (place: Place): Promise<void> => {
    const large = place.entry.meta.size > LARGE_FILE.minBytes;
    const limits = large ? { chunkSize: LARGE_FILE.rangeBytes, readAhead: LARGE_FILE.rangesAhead } : { chunkSize: READ_LIMITS.rangeBytes, readAhead: READ_LIMITS.rangesAhead };
    const read = () => writeFile(place, readWholeVersion(source.store, source.versions, place.entry, { path: place.shown, snapshot: from.snapshot }, { ...call, ...limits }));
    return large ? largeReads.add(read) : read();
  };
  const makeSymlink = (place: Place): Promise<void> => guarded(place, async () => {
    await symlink(Buffer.from(await source.store.get(place.entry.cap, call)), place.dest);
    report.symlinks++;
    restored.add(place);
    await fileAttributes(place);
  });

  try {
    await walk();
  } catch (err) {
    reads.clear();
    await reads.onIdle();
    throw err;
  }

  async function walk(): Promise<void> {
    if (top.meta.type !== 'dir') {
      await visit({ cap: '', dest: rootBytes, where: '/', ancestors: [] }, [top]);
      return;
    }
    const segments = pathSegments(from.path).map((s) => (typeof s === 'string' ? s : Buffer.from(s).toString('utf8')));
    const rootDir: WalkDir = { cap: top.cap, dest: rootBytes, where: `/${segments.join('/')}`, ancestors: [top.cap] };
    // Identical subtrees share a cap, so each directory is known by where it goes, not by its cap.
    await walkBreadthFirst([rootDir], async (d) => visit(d, await source.trees.list(d.cap, d.where, call)), {
      concurrency: RESTORE_WINDOW.listings,
      idOf: (d) => d.dest.toString('base64'),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }


  for (const [cap, members] of packs) {
    for (const packRun of planPackRuns(members, { ...PACK_RUN_LIMITS, maxRun: READ_LIMITS.runBytes })) {
      run(async () => {
        let bytes: Uint8Array;
        try {
          bytes = await source.store.getRange(cap, packRun.start, packRun.length, call);
        } catch (err) {
          for (const m of packRun.members) damaged(m.item, err);
          return;
        }
        for (const m of packRun.members) {
          const content = bytes.subarray(m.offset - packRun.start, m.offset - packRun.start + m.size);
          const label = `${m.item.shown} in snapshot ${from.snapshot}`;
          try {
            await verifyContent(content, m.item.entry.meta, label);
          } catch (err) {
            damaged(m.item, err);
            continue;
          }
          await writeFile(m.item, [content]);
        }
      });
    }
  }
  packs.clear();
  await reads.onIdle();
  if (failure !== undefined) throw failure;

  for (const place of specials) {
    await guarded(place, async () => {
      if (!(await makeSpecialFile(root, place.dest, place.entry.meta))) {
        report.warnings.push(`${place.shown}: could not create the ${place.entry.meta.type} (creating device nodes needs root)`);
        return;
      }
      report.specials++;
      restored.add(place);
      await fileAttributes(place);
    });
  }
  for (const { place, first } of laterLinks) {
    if (restored.has(first)) {
      await guarded(place, () => link(first.dest, place.dest));
      report.hardlinks++;
      continue;
    }
    // The first name could not be restored (damaged data): try this one on its own.
    if (place.entry.meta.type === 'file') await streamFile(place);
  }
  // Directories last, deepest first: their modes may forbid writing, their mtimes move with every child.
  for (let i = dirs.length - 1; i >= 0; i--) await guarded(dirs[i]!, () => fileAttributes(dirs[i]!));
  report.exactTimes = (await times.apply()).exact;

  for (const { dest, entry } of toVerify) {
    const hash = await blake2bStreamHex(createReadStream(dest, { highWaterMark: 1 << 20 }));
    if (entry.meta.hash !== undefined && hash !== entry.meta.hash) {
      throw new TimefsError('integrity', `${dest.toString('utf8').slice(root.length)}: the restored file does not match its recorded hash`, {
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
