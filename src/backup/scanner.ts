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
/** Directories listed at the same time: keeps the thread pool busy without holding the tree. */
const MAX_CONCURRENT_WALKS = 6;

/** Walks `sources` and fills the catalog's pending snapshot and upload queue; counts into `stats`. */
export async function scanSources(sources: readonly string[], catalog: Catalog, options: ScanOptions, stats: PushStats, events: PushEvents): Promise<void> {
  const firstLinks = new Map<string, string>();
  const written = new Set<string>();
  const warn = (key: Buffer, reason: string) => {
    stats.warnings++;
    events.onWarning?.({ path: displayPath(key), reason });
  };

  const record = async (key: Buffer, stat: BigIntStats, known?: PathRecord | null): Promise<void> => {
    const meta = entryMetaOf(stat);
    if (meta.type === 'dir') {
      stats.dirs++;
      await catalog.writeBuffered({ put: 'pending', key, value: { meta } });
      return;
    }
    if (meta.type !== 'file' && meta.type !== 'symlink') {
      stats.others++;
      await catalog.writeBuffered({ put: 'pending', key, value: { meta } });
      return;
    }
    if (meta.type === 'file') stats.files++;
    else stats.others++;
    if (meta.link) {
      const id = `${stat.dev}:${stat.ino}`;
      const first = firstLinks.get(id);
      if (first !== undefined) {
        await catalog.writeBuffered({ put: 'pending', key, value: { meta, linkOf: first } });
        return;
      }
      firstLinks.set(id, key.toString('hex'));
    }
    const fp = fingerprintOf(stat);
    const previous = known === undefined ? await catalog.getPath(key) : known ?? undefined;
    const unchanged = previous !== undefined && previous.meta.type === meta.type && !hasChanged(fp, previous.fp);
    if (unchanged && !options.rehash) {
      if (meta.type === 'file') stats.unchangedFiles++;
      const entry: PendingEntry = { meta: { ...previous.meta, ...sameLink(meta) }, cap: previous.cap };
      await catalog.writeBuffered({ put: 'pending', key, value: entry });
      return;
    }
    if (meta.type === 'file') {
      if (previous === undefined) stats.newFiles++;
      else stats.changedFiles++;
      stats.bytesToRead += meta.size;
    }
    await catalog.writeBuffered({ put: 'pending', key, value: { meta } });
    await catalog.writeBuffered({ put: 'queue', key, value: { kind: meta.type, fp, ...(options.rehash ? { rehash: true } : {}) } });
  };

  const walk = async (dirKey: Buffer, dirPath: Buffer, rootDev: bigint): Promise<void> => {
    let names: Buffer[];
    try {
      names = await readdir(dirPath, { encoding: 'buffer' });
    } catch (err) {
      warn(dirKey, `cannot list directory: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      return;
    }
    names.sort(Buffer.compare);
    const subdirs: Array<{ key: Buffer; full: Buffer }> = [];
    for (let i = 0; i < names.length; i += LSTAT_BATCH) {
      const batch = names.slice(i, i + LSTAT_BATCH).filter((name) => {
        const full = Buffer.concat([dirPath, dirPath.length > 1 ? Buffer.from('/') : Buffer.alloc(0), name]);
        return !options.exclude(full.toString('utf8'), name.toString('utf8'));
      });
      const stats2 = await Promise.all(batch.map(async (name) => {
        const full = Buffer.concat([dirPath, dirPath.length > 1 ? Buffer.from('/') : Buffer.alloc(0), name]);
        try {
          return { name, full, stat: await lstat(full, { bigint: true }) };
        } catch (err) {
          return { name, full, error: (err as NodeJS.ErrnoException).code ?? String(err) };
        }
      }));
      const keys = stats2.map((item) => childKey(dirKey, item.name));
      const known = await catalog.getPaths(keys);
      for (const [i, item] of stats2.entries()) {
        const key = keys[i]!;
        if (!('stat' in item) || item.stat === undefined) {
          warn(key, `cannot stat: ${item.error}`);
          continue;
        }
        if (item.stat.isDirectory() && (await hasMarker(item.full, options.excludeIfPresent))) continue;
        await record(key, item.stat, known[i] ?? null);
        if (item.stat.isDirectory() && !(options.oneFileSystem && item.stat.dev !== rootDev)) subdirs.push({ key, full: item.full });
      }
    }
    // Subdirectories run concurrently while slots are free, else inline: bounded, never deadlocked.
    const running: Promise<void>[] = [];
    for (const sub of subdirs) {
      if (activeWalks < MAX_CONCURRENT_WALKS) {
        activeWalks++;
        running.push(walk(sub.key, sub.full, rootDev).finally(() => { activeWalks--; }));
      } else await walk(sub.key, sub.full, rootDev);
    }
    await Promise.all(running);
  };
  let activeWalks = 0;

  for (const source of normaliseSources(sources)) {
    const components = source.split('/').filter((c) => c.length > 0).map((c) => Buffer.from(c));
    // Ancestors of the source ("/", "/home", …) are recorded with their own metadata but only this child.
    for (let depth = 0; depth < components.length; depth++) {
      const key = pathKey(components.slice(0, depth));
      if (written.has(key.toString('hex'))) continue;
      written.add(key.toString('hex'));
      const path = `/${components.slice(0, depth).map((c) => c.toString()).join('/')}`;
      try {
        await record(key, await lstat(path, { bigint: true }));
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
    await record(key, stat);
    if (stat.isDirectory()) await walk(key, Buffer.from(source), stat.dev);
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
