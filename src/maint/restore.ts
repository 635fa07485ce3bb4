/**
 * `timefs restore`: copies a snapshot (or one path of it) out of the grid into a local directory
 * without FUSE: exact bytes (zero blocks as holes), modes, owners (as root), mtimes to the
 * nanosecond, symlinks, hard links, fifos, sockets, devices and raw non-UTF-8 names.
 *
 * Safety: every name is checked (restore-names.ts) and every entry is created exclusively
 * (`O_EXCL`, `mkdir`), so nothing is written outside the target or through something that
 * already exists there, even for a tampered repository.
 */
import { createReadStream } from 'node:fs';
import { mkdir, realpath } from 'node:fs/promises';
import { blake2bStreamHex } from '../model/blake2b-pool.js';
import { TimefsError } from '../model/errors.js';
import type { CallOptions, Store } from '../store/store.js';
import type { TreePath, TreeReader } from '../view/tree-reader.js';
import type { VersionReader } from '../view/version-reader.js';
import { ContentReader } from './restore-contents.js';
import { LocalTree, type LocalCounts } from './restore-local.js';
import { findInIndex, walkIndex } from './restore-index-walk.js';
import { walkRestore, type RestorePlace } from './restore-walk.js';

/** What restore needs from the read model. */
export interface RestoreSource {
  store: Store;
  trees: TreeReader;
  versions: VersionReader;
  /** The snapshot's verified metadata index text (restore-trees.ts): walked instead of `trees`. */
  index?: Uint8Array;
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
export interface RestoreReport extends LocalCounts {
  /** Files and content bytes to restore, known once every directory is listed (0 before). */
  filesTotal: number;
  bytesTotal: number;
  /** Files re-read and checked with `verify`. */
  verified: number;
  /** Entries that could not be created as they were (e.g. device nodes without root). */
  warnings: string[];
  /** Files left out because their stored data is damaged (missing or not matching its hash). */
  damaged: string[];
  /** False when python3 was missing and mtimes were set to the microsecond only. */
  exactTimes: boolean;
}

/**
 * Restores `from` into the directory `target` (created when missing; existing entries are never
 * overwritten). The tree comes from the snapshot's metadata index in one pass when
 * `source.index` is given, else directories are listed breadth first through one window; either
 * way directories are created as found;
 * files stored on their own and symlinks are read and written as soon as their directory exists,
 * while the walk goes on; then each pack is read once, in runs of up to a whole pack
 * (restore-contents.ts); then special files and hard links; then directory modes and times,
 * deepest first (restore-local.ts).
 */
export async function restore(source: RestoreSource, from: RestoreFrom, target: string, options: RestoreOptions = {}): Promise<RestoreReport> {
  const call: CallOptions = options.signal ? { signal: options.signal } : {};
  const report: RestoreReport = { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, specials: 0, bytes: 0, filesTotal: 0, bytesTotal: 0, written: 0, verified: 0, warnings: [], damaged: [], exactTimes: true };
  const spot = source.index ? findInIndex(source.index, from.rootCap, from.path) : undefined;
  const top = spot?.entry ?? (await source.trees.lookup(from.rootCap, from.path, call));
  await mkdir(target, { recursive: true });
  const root = await realpath(target);
  const local = new LocalTree(options.owners ?? process.getuid?.() === 0, report);

  // Only what the end needs is kept per entry: the first name of each hard-link group (and
  // whether it was restored), the later names, special files, and what `verify` re-reads.
  const firstOfLink = new Map<string, RestorePlace>();
  const restoredFirsts = new Set<Buffer>();
  const laterLinks: Array<{ place: RestorePlace; first: RestorePlace }> = [];
  const specials: RestorePlace[] = [];
  const toVerify: Array<{ dest: Buffer; hash: string }> = [];
  const contents = new ContentReader({ store: source.store, versions: source.versions, snapshot: from.snapshot }, local, {
    onDone: (place) => {
      if (place.meta.link) restoredFirsts.add(place.dest);
      if (options.verify && place.meta.type === 'file' && place.meta.hash !== undefined) toVerify.push({ dest: place.dest, hash: place.meta.hash });
      options.onProgress?.(report);
    },
    onDamaged: (place, message) => report.damaged.push(`${place.shown}: ${message}`),
  }, call);

  const onEntry = (place: RestorePlace): void => {
    const m = place.meta;
    const linkKey = m.link ? `${m.link.dev}:${m.link.ino}` : undefined;
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
    }
    if (m.type === 'file' || m.type === 'symlink') contents.add(place);
    else specials.push(place);
  };

  try {
    const plan = { path: from.path, root: Buffer.from(root), onEntry, onListed: () => options.onProgress?.(report) };
    if (source.index && spot) await walkIndex(source.index, spot, local, plan);
    else await walkRestore(source.trees, top, local, plan, call);
    contents.readPacks();
  } catch (err) {
    contents.stop(err);
  }
  try {
    await contents.drain();
    for (const place of specials) {
      if (await local.makeSpecial(place, root)) restoredFirsts.add(place.dest);
      else report.warnings.push(`${place.shown}: could not create the ${place.meta.type} (creating device nodes needs root)`);
    }
    for (const { place, first } of laterLinks) {
      if (restoredFirsts.has(first.dest)) local.link(first.dest, place);
      // The first name could not be restored (damaged data): try this one on its own.
      else if (place.meta.type === 'file') contents.stream(place);
    }
    await contents.drain();
    report.exactTimes = (await local.finish()).exact;
  } catch (err) {
    local.abort();
    throw err;
  }

  for (const { dest, hash } of toVerify) {
    if ((await blake2bStreamHex(createReadStream(dest, { highWaterMark: 1 << 20 }))) !== hash) {
      throw new TimefsError('integrity', `${dest.toString('utf8').slice(root.length)}: the restored file does not match its recorded hash`, {
        hint: 'the local disk did not keep what was written; check the target file system',
      });
    }
    report.verified++;
  }
  return report;
}
