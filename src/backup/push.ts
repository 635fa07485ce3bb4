/**
 * `push` end to end: finish an unfinished push first, then scan → upload queue → commit.
 * Every stage is restartable: the scan from the start, the upload from the durable queue, the
 * commit from the pending entries (directories are convergent; the snapshot link is last).
 */
import { lstat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Catalog } from '../catalog/catalog.js';
import type { Session } from '../catalog/records.js';
import type { EntryMeta, SnapshotMeta } from '../model/entry.js';
import { isTimefsError, TimefsError } from '../model/errors.js';
import type { DirEntry, Store } from '../store/store.js';
import { buildSnapshotTree } from './commit.js';
import type { DeltaEngine } from './delta-engine.js';
import { emptyStats, type PushEvents, type PushStats } from './events.js';
import { excludeMatcher } from './exclude.js';
import type { StoragePolicy } from './policy.js';
import { catalogIsStale, catalogLooksCurrent, prepareCatalog, type PreparedCatalog } from './prepare-catalog.js';
import { normaliseSources, scanSources } from './scanner.js';
import { cleanSpool } from './spool.js';
import { drainQueue, type ScanState } from './upload-drain.js';
import { retryUnhappyUploads } from '../store/unhappy-retry.js';
import { PushIndex, type IndexedSnapshot, type PreparedIndex } from '../tree-index/index-update.js';
import { DirectoryStash } from '../tree-index/directory-stash.js';

export { UPLOAD_JOBS } from './upload-drain.js';

/** Where a push writes. */
export interface PushTarget {
  store: Store;
  catalog: Catalog;
  /** Write cap of the repository's `snapshots/` directory. */
  snapshotsCap: string;
  /** Local state directory (the spool lives under it). */
  stateDir: string;
  engine?: DeltaEngine;
  /** Write cap of the repository root: when given, push also stores the snapshot's metadata index. */
  repoRootCap?: string;
  /** Cap of the repository's `index/` directory, when opening the repository found one. */
  indexDirCap?: string;
  /**
   * Settles once the repository is validated on the grid, when opening it did not wait for that:
   * push scans meanwhile, and writes nothing to the grid before it resolves.
   */
  validated?: Promise<void>;
}

/** What to push and how. */
export interface PushOptions {
  paths: string[];
  exclude?: string[];
  excludeIfPresent?: string[];
  oneFileSystem?: boolean;
  rehash?: boolean;
  dryRun?: boolean;
  policy?: Partial<StoragePolicy>;
  /** Pack small files into shared objects (default true). */
  pack?: boolean;
  /** Concurrent upload jobs (default {@link UPLOAD_JOBS}). */
  concurrency?: number;
  /** Host name recorded in the snapshot (default: this machine's); names the source with the paths. */
  host?: string;
  /** Snapshot time override (tests); default now. */
  now?: () => number;
}

/** The outcome of a push. */
export interface PushResult {
  /** Name of the snapshot made (absent for a dry run). */
  snapshot?: string;
  /** Name of an unfinished earlier snapshot this push completed first. */
  resumed?: string;
  /** Number of path records rebuilt from the grid (the catalog knew nothing of a pushed path). */
  rebuilt?: number;
  /** The snapshot this one continues (push's parent rule), if any. */
  parent?: string;
  stats: PushStats;
}

/**
 * A push none of whose sources exists (a backup disk that is not mounted) would make an empty
 * snapshot that becomes `latest`, and retention would soon keep only such snapshots: refuse it,
 * naming the paths. Some sources missing is only a warning (the scan reports each).
 */
async function refuseWhenNoSourceExists(sources: readonly string[]): Promise<void> {
  const missing: string[] = [];
  for (const source of sources) {
    try {
      await lstat(source);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return;
      missing.push(source);
    }
  }
  throw new TimefsError('push.no-sources', `nothing to back up: ${missing.length === 1 ? `${JSON.stringify(missing[0])} does not exist` : `none of ${missing.map((m) => JSON.stringify(m)).join(', ')} exists`}; no snapshot was made`, {
    hint: 'check the paths, and that the disk holding them is mounted',
  });
}

/** Runs a push. Throws grid errors (the queue stays, the next push resumes); per-file problems are warnings. */
export async function runPush(given: PushTarget, options: PushOptions, events: PushEvents = {}): Promise<PushResult> {
  const paths = normaliseSources(options.paths);
  await refuseWhenNoSourceExists(paths);
  const target: PushTarget = { ...given, store: retryUnhappyUploads(given.store) };
  const { catalog } = target;
  const now = options.now ?? Date.now;
  const spoolDir = join(target.stateDir, 'spool');
  await cleanSpool(spoolDir);
  const result: PushResult = { stats: emptyStats() };

  const unfinished = await catalog.getSession();
  if (unfinished?.phase === 'scanning') {
    await catalog.clearPending();
    await catalog.deleteSession();
  } else if (unfinished && !options.dryRun) {
    await target.validated;
    if (!(await hasPending(catalog))) {
      // Killed after the snapshot was linked, logged and its pending entries cleared: only the
      // session record is left to drop.
      await catalog.clearPending();
      await catalog.deleteSession();
    } else {
      const stats = { ...emptyStats(), ...unfinished.stats };
      await drainQueue(target, options, spoolDir, stats, events);
      result.resumed = await commit(target, unfinished, stats, events, await startIndex(target, unfinished.parent));
    }
  }

  const host = options.host ?? hostname();
  // Listing snapshots/ is the one grid read in front of the scan. When the catalog can only be
  // confirmed by it (it made the last snapshot and knows every path), the scan runs while the
  // listing arrives and the uploads wait for it; a catalog found stale is dropped and the scan redone.
  const listing = options.dryRun ? undefined : Promise.all([target.store.list(target.snapshotsCap), target.validated]).then(([snapshots]) => snapshots);
  listing?.catch(() => {}); // awaited below
  const prepare = async (snapshots: ReadonlyMap<string, DirEntry>): Promise<PreparedCatalog> => {
    const prepared = await prepareCatalog(target.store, catalog, host, paths, snapshots);
    if (prepared.rebuilt !== undefined) result.rebuilt = (result.rebuilt ?? 0) + prepared.rebuilt;
    if (prepared.parent) result.parent = prepared.parent.name;
    return prepared;
  };
  let ahead = listing !== undefined && (await catalogLooksCurrent(catalog, paths));
  for (;;) {
    const confirmed: Promise<PreparedCatalog | 'stale'> = listing === undefined
      ? Promise.resolve({})
      : ahead
        ? listing.then(async (snapshots) => ((await catalogIsStale(catalog, snapshots)) ? 'stale' : prepare(snapshots)))
        : Promise.resolve(prepare(await listing));
    confirmed.catch(() => {}); // awaited below
    const known = ahead ? undefined : await confirmed;
    // The index's reads (index/, the parent's index) overlap the scan and the uploads.
    const indexing = options.dryRun ? undefined : confirmed.then((c) => (c === 'stale' ? undefined : indexFor(target, c.parent)));
    indexing?.catch(() => {}); // awaited below

    const startMs = now();
    const parent = known === undefined || known === 'stale' ? undefined : known.parent?.name;
    const session: Session = {
      name: new Date(Math.floor(startMs / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
      startNs: (BigInt(startMs) * 1_000_000n).toString(),
      paths,
      host,
      phase: 'scanning',
      stats: {},
      ...(parent ? { parent } : {}),
    };
    const stats = (result.stats = emptyStats());
    await catalog.putSession(session);
    const scan = scanSources(session.paths, catalog, {
      exclude: excludeMatcher(options.exclude ?? []),
      excludeIfPresent: options.excludeIfPresent ?? [],
      oneFileSystem: options.oneFileSystem ?? false,
      rehash: options.rehash ?? false,
    }, stats, events);
    // Uploads start while the walk goes on: the client node has work from the first packed file on.
    const scanState: ScanState = { finished: false, failed: false };
    const drained = options.dryRun ? undefined : confirmed.then((c) => (c === 'stale' ? undefined : drainQueue(target, options, spoolDir, stats, events, scanState)));
    drained?.catch(() => {}); // awaited below
    const scanEnded = (failed: boolean): void => {
      scanState.failed = failed;
      scanState.finished = true;
      scanState.wake?.();
    };
    try {
      await scan;
    } catch (err) {
      scanEnded(true);
      await drained?.catch(() => {});
      throw err;
    }
    scanEnded(false);
    if (options.dryRun) {
      events.onProgress?.('scan', stats);
      await catalog.clearPending();
      await catalog.deleteSession();
      await target.validated;
      return result;
    }
    const checked = await confirmed;
    if (checked === 'stale') {
      // Scanned against a catalog the grid no longer backs: nothing was uploaded; drop both, start over.
      await catalog.clearPending();
      await catalog.deleteSession();
      ahead = false;
      continue;
    }
    events.onProgress?.('scan', stats);
    if (checked.parent) session.parent = checked.parent.name;
    await catalog.putSession({ ...session, phase: 'uploading', stats: { ...stats } });
    await drained;
    result.snapshot = await commit(target, session, stats, events, await indexing);
    return result;
  }
}

/** The index work of a push against `parent`, started now; none when the target keeps no index. */
function indexFor(target: PushTarget, parent: IndexedSnapshot | undefined): PushIndex | undefined {
  return target.repoRootCap === undefined ? undefined : PushIndex.start(target.store, target.repoRootCap, target.indexDirCap, parent, join(target.stateDir, 'spool'));
}

/** {@link indexFor} when only the parent's name is known (finishing an interrupted push). */
async function startIndex(target: PushTarget, parentName: string | undefined): Promise<PushIndex | undefined> {
  if (target.repoRootCap === undefined) return undefined;
  const parentCap = parentName === undefined ? undefined : (await target.store.list(target.snapshotsCap).catch(() => undefined))?.get(parentName)?.readCap;
  return indexFor(target, parentCap === undefined ? undefined : { name: parentName as string, cap: parentCap });
}

async function hasPending(catalog: Catalog): Promise<boolean> {
  for await (const _entry of catalog.pending()) return true;
  return false;
}

async function commit(target: PushTarget, session: Session, stats: PushStats, events: PushEvents, index: PushIndex | undefined): Promise<string> {
  if ((await target.catalog.queueLength()) > 0) throw new TimefsError('internal', 'commit with uploads still queued');
  // The index (when there is one to write) takes each new directory's children from here, not from the grid.
  const stash = index ? new DirectoryStash(join(target.stateDir, 'spool', 'index-dirs')) : undefined;
  try {
    return await commitTree(target, session, stats, events, index, stash);
  } finally {
    await stash?.discard();
  }
}

async function commitTree(target: PushTarget, session: Session, stats: PushStats, events: PushEvents, index: PushIndex | undefined, stash: DirectoryStash | undefined): Promise<string> {
  const { store, catalog } = target;
  const rootCap = await buildSnapshotTree(store, catalog, stats, events, stash && ((cap, children) => stash.add(cap, Object.entries(children).map(([name, child]) => ({ name, cap: child.cap, meta: (child.metadata as { timefs: EntryMeta }).timefs })))));
  events.onProgress?.('commit', stats);
  const parent = session.parent;
  const meta: SnapshotMeta = {
    timefs: {
      time: new Date(Number(BigInt(session.startNs) / 1_000_000n)).toISOString(),
      host: session.host,
      paths: session.paths,
      stats: numericStats(stats),
      ...(parent ? { parent } : {}),
    },
  };
  // The index node is stored while the snapshot is linked; it is linked itself only after.
  const linked = linkSnapshot(store, target.snapshotsCap, session, rootCap, meta);
  linked.catch(() => {}); // awaited below
  // Built once the link request is on its way: the text is CPU work that would hold it back.
  const storedIndex = index && new Promise<void>((sent) => setImmediate(sent)).then(() => index.store(rootCap, stash?.list));
  storedIndex?.catch(() => {}); // reported below, once the snapshot is safe
  const name = await linked;
  // Logged before the pending entries go: a push killed in between commits again to the same
  // name (linking is idempotent), and one killed after finds no pending entry and only ends the session.
  await catalog.logSnapshot({ name, rootCap, paths: session.paths, stats: numericStats(stats) });
  await catalog.clearPending();
  await catalog.deleteSession();
  if (index && storedIndex) await linkIndexQuietly(index, name, storedIndex, events);
  return name;
}

/** The index is an optional extension: failing to store it leaves a good snapshot, and a warning. */
async function linkIndexQuietly(index: PushIndex, name: string, stored: Promise<PreparedIndex>, events: PushEvents): Promise<void> {
  try {
    await index.link(name, await stored);
  } catch (err) {
    events.onWarning?.({ path: name, reason: `its metadata index was not stored (${err instanceof Error ? err.message : String(err)}); \`timefs index\` stores it later` });
  }
}

/** Links the root as the snapshot's name; on a clash (two pushes in one second) uses the exact millisecond time. */
async function linkSnapshot(store: Store, snapshotsCap: string, session: Session, rootCap: string, meta: SnapshotMeta): Promise<string> {
  const exactMs = Number(BigInt(session.startNs) / 1_000_000n);
  const names = [session.name, new Date(exactMs).toISOString()];
  for (let extra = 1; extra <= 999; extra++) names.push(new Date(exactMs).toISOString().replace('Z', `${String(extra).padStart(3, '0')}Z`));
  for (const name of names) {
    try {
      await store.link(snapshotsCap, name, rootCap, meta as unknown as Record<string, unknown>);
      return name;
    } catch (err) {
      if (!isTimefsError(err, 'grid.conflict')) throw err;
      // Already linked by this very push before a crash? Then it is done.
      const existing = (await store.list(snapshotsCap)).get(name);
      if (existing && existing.readCap === rootCap) return name;
    }
  }
  throw new TimefsError('grid.conflict', `could not find a free snapshot name near ${session.name}`);
}

function numericStats(stats: PushStats): Record<string, number> {
  return Object.fromEntries(Object.entries(stats).filter(([, v]) => typeof v === 'number'));
}
