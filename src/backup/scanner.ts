/**
 * Stage 1 of a push: walk the sources in sorted order with `lstat`, compare each entry with the
 * catalog, and write the snapshot being built (`pending`) plus upload jobs (`queue`). Names are
 * raw bytes throughout. Memory holds one directory listing per level, never the tree.
 */
import type { BigIntStats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Catalog } from '../catalog/catalog.js';
import { childKey, displayPath, pathKey } from '../catalog/path-key.js';
import type { PathRecord, PendingEntry } from '../catalog/records.js';
import { entryMetaOf } from './entry-meta.js';
import type { PushEvents, PushStats } from './events.js';
import { bodyHash, directoryBody } from './commit.js';
import type { ExcludeTest } from './exclude.js';
import { fingerprintOf, hasChanged } from './fingerprint.js';

/** Scan options. */
export interface ScanOptions {
  exclude: ExcludeTest;
  /** Skip directories containing a child with one of these names. */
  excludeIfPresent: readonly string[];
  oneFileSystem: boolean;
  /** Queue every file and symlink whatever its fingerprint. */
  rehash: boolean;
}

/** Normalised absolute source paths: resolved, sorted, nested ones folded into their parent. */
export function normaliseSources(paths: readonly string[]): string[] {
  const sorted = [...new Set(paths.map((p) => resolve(p)))].sort();
  return sorted.filter((p, i) => !sorted.slice(0, i).some((q) => q === '/' || p.startsWith(`${q}/`)));
}

const LSTAT_BATCH = 64;
/** Sibling directories whose listings are read ahead while one is processed. */
const READ_AHEAD = 4;

interface ListedItem {
  name: Buffer;
  full: Buffer;
  key: Buffer;
  stat?: BigIntStats;
  error?: string;
  known: PathRecord | null;
}

interface Listing {
  error?: string;
  items: ListedItem[];
}

/** One scanned child, before it is written: `resolved` when its final cap and metadata are known now. */
interface ScannedChild {
  key: Buffer;
  name: Buffer;
  entry: PendingEntry;
  resolved: boolean;
}

/**
 * Walks `sources` and fills the catalog's pending snapshot and upload queue; counts into `stats`.
 * A directory whose children are all unchanged and whose body was made before (same names, caps
 * and metadata) is written as one pending entry carrying its cap: its subtree costs no writes
 * and no commit work.
 */
export async function scanSources(sources: readonly string[], catalog: Catalog, options: ScanOptions, stats: PushStats, events: PushEvents): Promise<void> {
  const firstLinks = new Map<string, { key: string; entry?: PendingEntry }>();
  const written = new Set<string>();
  const warn = (key: Buffer, reason: string) => {
    stats.warnings++;
    events.onWarning?.({ path: displayPath(key), reason });
  };

  /** The pending entry of a non-directory; queues it when it must be read. */
  const scanEntry = async (key: Buffer, stat: BigIntStats, known?: PathRecord | null): Promise<{ entry: PendingEntry; resolved: boolean }> => {
    const meta = entryMetaOf(stat);
    if (meta.type !== 'file' && meta.type !== 'symlink') {
      stats.others++;
      return { entry: { meta }, resolved: false };
    }
    if (meta.type === 'file') stats.files++;
    else stats.others++;
    const linkId = meta.link ? `${stat.dev}:${stat.ino}` : undefined;
    if (linkId !== undefined) {
      const first = firstLinks.get(linkId);
      // The first link unchanged: share its cap now (its directory may never be written out).
      if (first?.entry) return { entry: { meta: { ...first.entry.meta, ...pick(meta, 'mode', 'uid', 'gid', 'mtime'), ...sameLink(meta) }, cap: first.entry.cap! }, resolved: true };
      if (first !== undefined) return { entry: { meta, linkOf: first.key }, resolved: false };
      firstLinks.set(linkId, { key: key.toString('hex') });
    }
    const fp = fingerprintOf(stat);
    const previous = known === undefined ? await catalog.getPath(key) : known ?? undefined;
    const unchanged = previous !== undefined && previous.meta.type === meta.type && !hasChanged(fp, previous.fp);
    if (unchanged && !options.rehash) {
      if (meta.type === 'file') stats.unchangedFiles++;
      const entry: PendingEntry = { meta: { ...previous.meta, ...sameLink(meta) }, cap: previous.cap };
      if (linkId !== undefined) firstLinks.set(linkId, { key: key.toString('hex'), entry });
      return { entry, resolved: true };
    }
    if (meta.type === 'file') {
      if (previous === undefined) stats.newFiles++;
      else stats.changedFiles++;
      stats.bytesToRead += meta.size;
    }
    await catalog.writeBuffered({ put: 'queue', key, value: { kind: meta.type, fp, ...(options.rehash ? { rehash: true } : {}) } });
    return { entry: { meta }, resolved: false };
  };

  /** Reads a directory: names (excluded ones dropped), `lstat` of each, and their catalog records. No side effects. */
  const listDir = async (dirKey: Buffer, dirPath: Buffer): Promise<Listing> => {
    let names: Buffer[];
    try {
      names = await readdir(dirPath, { encoding: 'buffer' });
    } catch (err) {
      return { error: (err as NodeJS.ErrnoException).code ?? String(err), items: [] };
    }
    names.sort(Buffer.compare);
    const items: ListedItem[] = [];
    for (let i = 0; i < names.length; i += LSTAT_BATCH) {
      const batch = names.slice(i, i + LSTAT_BATCH).flatMap((name) => {
        const full = Buffer.concat([dirPath, dirPath.length > 1 ? Buffer.from('/') : Buffer.alloc(0), name]);
        return options.exclude(full.toString('utf8'), name.toString('utf8')) ? [] : [{ name, full, key: childKey(dirKey, name) }];
      });
      const [stats2, known] = await Promise.all([
        Promise.all(batch.map(async (item) => {
          try {
            return { stat: await lstat(item.full, { bigint: true }) };
          } catch (err) {
            return { error: (err as NodeJS.ErrnoException).code ?? String(err) };
          }
        })),
        catalog.getPaths(batch.map((item) => item.key)),
      ]);
      batch.forEach((item, j) => items.push({ ...item, ...stats2[j]!, known: known[j] ?? null }));
    }
    return { items };
  };

  /** Walks a directory's contents; returns its cap when the whole subtree is unchanged and known. */
  const walk = async (dirKey: Buffer, dirPath: Buffer, rootDev: bigint, prefetched?: Promise<Listing>): Promise<string | undefined> => {
    const listing = await (prefetched ?? listDir(dirKey, dirPath));
    if (listing.error !== undefined) {
      warn(dirKey, `cannot list directory: ${listing.error}`);
      return undefined;
    }
    const children: ScannedChild[] = [];
    const subdirs: Array<{ key: Buffer; name: Buffer; full: Buffer; stat: BigIntStats }> = [];
    for (const item of listing.items) {
      if (item.stat === undefined) {
        warn(item.key, `cannot stat: ${item.error}`);
        continue;
      }
      if (item.stat.isDirectory()) {
        if (await hasMarker(item.full, options.excludeIfPresent)) continue;
        stats.dirs++;
        subdirs.push({ key: item.key, name: item.name, full: item.full, stat: item.stat });
        continue;
      }
      const { entry, resolved } = await scanEntry(item.key, item.stat, item.known);
      children.push({ key: item.key, name: item.name, entry, resolved });
    }
    // Processed in order (the first name of a hard-linked inode must be the same every run), but
    // the next few listings are read ahead so the disk and the catalog are never idle.
    const descend = subdirs.map((sub) => !(options.oneFileSystem && sub.stat.dev !== rootDev));
    const ahead = new Map<number, Promise<Listing>>();
    const prefetch = (i: number) => {
      if (i < subdirs.length && descend[i] && !ahead.has(i)) ahead.set(i, listDir(subdirs[i]!.key, subdirs[i]!.full));
    };
    for (const [i, sub] of subdirs.entries()) {
      for (let j = i; j < i + READ_AHEAD; j++) prefetch(j);
      const meta = entryMetaOf(sub.stat);
      const cap = descend[i] ? await walk(sub.key, sub.full, rootDev, ahead.get(i)) : undefined;
      ahead.delete(i);
      children.push({ key: sub.key, name: sub.name, entry: cap === undefined ? { meta } : { meta, cap }, resolved: cap !== undefined });
    }
    if (children.every((c) => c.resolved)) {
      children.sort((a, b) => Buffer.compare(a.name, b.name));
      const body = directoryBody(children.map((c) => c.name), children.map((c) => ({ cap: c.entry.cap!, meta: c.entry.meta })));
      const cap = await catalog.getDir(bodyHash(body));
      if (cap !== undefined) {
        stats.dirsReused++;
        return cap;
      }
    }
    for (const c of children) await catalog.writeBuffered({ put: 'pending', key: c.key, value: c.entry });
    return undefined;
  };

  for (const source of normaliseSources(sources)) {
    const components = source.split('/').filter((c) => c.length > 0).map((c) => Buffer.from(c));
    // Ancestors of the source ("/", "/home", …) are recorded with their own metadata but only this child.
    for (let depth = 0; depth < components.length; depth++) {
      const key = pathKey(components.slice(0, depth));
      if (written.has(key.toString('hex'))) continue;
      written.add(key.toString('hex'));
      const path = `/${components.slice(0, depth).map((c) => c.toString()).join('/')}`;
      try {
        const stat = await lstat(path, { bigint: true });
        stats.dirs++;
        await catalog.writeBuffered({ put: 'pending', key, value: { meta: entryMetaOf(stat) } });
      } catch (err) {
        warn(key, `cannot stat: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
    }
    const key = pathKey(components);
    let stat: BigIntStats;
    try {
      stat = await lstat(source, { bigint: true });
    } catch (err) {
      warn(key, `cannot stat source: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      continue;
    }
    written.add(key.toString('hex'));
    if (stat.isDirectory()) {
      stats.dirs++;
      const cap = await walk(key, Buffer.from(source), stat.dev);
      await catalog.writeBuffered({ put: 'pending', key, value: cap === undefined ? { meta: entryMetaOf(stat) } : { meta: entryMetaOf(stat), cap } });
    } else {
      const { entry } = await scanEntry(key, stat);
      await catalog.writeBuffered({ put: 'pending', key, value: entry });
    }
  }
  await catalog.flush();
}

function sameLink(meta: { link?: { dev: number; ino: number } }): { link?: { dev: number; ino: number } } {
  return meta.link ? { link: meta.link } : {};
}

/** True when the directory holds one of the `--exclude-if-present` marker files. */
async function hasMarker(dir: Buffer, markers: readonly string[]): Promise<boolean> {
  for (const marker of markers) {
    try {
      await lstat(Buffer.concat([dir, Buffer.from(`/${marker}`)]));
      return true;
    } catch {
      // absent (or unreadable): not excluded
    }
  }
  return false;
}

function pick<T extends object, K extends keyof T>(o: T, ...keys: K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) out[k] = o[k];
  return out;
}
