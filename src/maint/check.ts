/**
 * `timefs check`: is everything the snapshots need still in the grid, and (with read-data) does
 * every version still rebuild to its recorded hash? Each object is checked once (`t=check`),
 * however many snapshots share it; each problem names a path and the snapshots it affects.
 */
import { isTimefsError, TimefsError } from '../model/errors.js';
import type { CallOptions, Store } from '../store/store.js';
import { buildObjectGraph, isLiteralCap, snapshotsReaching, type GraphRoot, type ObjectKind } from './object-graph.js';
import { forEachLimited } from './limited.js';
import { readWholeVersion } from './whole-stream.js';
import type { VersionReader } from '../view/version-reader.js';

/** Errors that stop a check instead of being reported as damage. */
const FATAL = new Set<string>(['aborted', 'grid.unreachable', 'grid.timeout', 'internal', 'usage']);

/** One problem found. */
export interface Damage {
  /** Where it was found: `SNAPSHOT/path/in/tree` (parts of version nodes end in `#d003` etc.). */
  path: string;
  kind: ObjectKind;
  /**
   * `missing`: fewer shares than needed, the object cannot be read; `unhealthy`: readable but
   * fewer shares than wanted (repairable); `unreadable`: a directory that could not be listed or
   * decoded; `content`: the rebuilt version does not match its recorded size or hash.
   */
  problem: 'missing' | 'unhealthy' | 'unreadable' | 'content';
  detail: string;
  /** Snapshots whose trees reach the object, sorted. */
  snapshots: string[];
}

/** Progress of a check: the phase and how far it got. */
export interface CheckProgress {
  phase: 'walk' | 'check' | 'read';
  done: number;
  total?: number;
}

/** Options of {@link checkRepository}. */
export interface CheckOptions extends CallOptions {
  /** Share of file versions to rebuild and hash, 0–100 (100 = `--read-data`). Default 0. */
  readDataPercent?: number;
  /** Reads versions whole with their hash checked (needed when readDataPercent > 0). */
  versions?: VersionReader;
  /** Parallel grid requests (default 8). */
  concurrency?: number;
  onProgress?: (progress: CheckProgress) => void;
  /** Random source for `--read-data-subset` (default Math.random). */
  random?: () => number;
}

/** What a check found. */
export interface CheckReport {
  snapshots: number;
  /** Distinct objects the snapshots need (LIT caps included). */
  objects: number;
  /** Objects whose health was asked from the grid (LIT caps need no check). */
  checked: number;
  /** Distinct file versions, and how many were rebuilt and hashed. */
  versions: number;
  versionsRead: number;
  /** Problems that lose data (`missing`, `unreadable`, `content`). */
  damaged: Damage[];
  /** Objects that are readable but below the wanted number of shares. */
  unhealthy: Damage[];
}

/** Checks every object the snapshots `roots` need. */
export async function checkRepository(store: Store, roots: readonly GraphRoot[], options: CheckOptions = {}): Promise<CheckReport> {
  const call: CallOptions = options.signal ? { signal: options.signal } : {};
  const concurrency = options.concurrency ?? 8;
  const graph = await buildObjectGraph(store, roots, {
    ...call,
    concurrency,
    onProgress: (done) => options.onProgress?.({ phase: 'walk', done }),
  });
  const damaged: Damage[] = [];
  const unhealthy: Damage[] = [];

  const toCheck = [...graph.objects.values()].filter((o) => !isLiteralCap(o.cap));
  const missing = new Set<string>();
  let done = 0;
  await forEachLimited(toCheck, concurrency, async (obj) => {
    const health = await store.check(obj.cap, call);
    options.onProgress?.({ phase: 'check', done: ++done, total: toCheck.length });
    if (health.healthy) return;
    const detail = `${health.sharesGood} of ${health.sharesTotal} shares found, ${health.sharesNeeded} needed`;
    const damage: Damage = { path: obj.path, kind: obj.kind, problem: health.recoverable ? 'unhealthy' : 'missing', detail, snapshots: snapshotsReaching(graph, obj.cap) };
    if (health.recoverable) unhealthy.push(damage);
    else {
      missing.add(obj.cap);
      damaged.push(damage);
    }
  });

  // A directory whose shares are missing is reported once, as missing, not also as unreadable.
  for (const dir of graph.unreadable) {
    if (missing.has(dir.cap) && isTimefsError(dir.error, 'grid.gone')) continue;
    const obj = graph.objects.get(dir.cap);
    damaged.push({ path: dir.path, kind: obj?.kind ?? 'dir', problem: 'unreadable', detail: dir.error.message, snapshots: snapshotsReaching(graph, dir.cap) });
  }

  let versionsRead = 0;
  const percent = options.readDataPercent ?? 0;
  if (percent > 0) {
    if (!options.versions) throw new Error('checkRepository: readDataPercent needs a version reader');
    const versions = options.versions;
    const random = options.random ?? Math.random;
    const all = [...graph.versions.values()];
    const chosen = percent >= 100 ? all : all.filter(() => random() * 100 < percent);
    const missingParents = new Set([...missing].flatMap((cap) => [...(graph.objects.get(cap)?.parents ?? [])]));
    let read = 0;
    // Whole versions are held in memory while they are hashed: read two at a time.
    await forEachLimited(chosen, 2, async (version) => {
      if (missing.has(version.cap) || missingParents.has(version.cap)) return; // already reported
      try {
        const entry = { name: '', rawName: new Uint8Array(0), cap: version.cap, meta: version.meta };
        const place = { path: version.path, snapshot: snapshotsReaching(graph, version.cap)[0] ?? '' };
        let size = 0;
        for await (const chunk of readWholeVersion(store, versions, entry, place, call)) size += chunk.length;
        versionsRead++;
        if (size !== version.meta.size) throw new TimefsError('integrity', `${version.path}: read ${size} bytes, ${version.meta.size} recorded`);
      } catch (err) {
        if (!isTimefsError(err) || FATAL.has(err.code)) throw err;
        versionsRead++;
        damaged.push({
          path: version.path,
          kind: version.meta.storage === 'chain' ? 'version-node' : 'file',
          problem: isTimefsError(err, 'grid.gone') ? 'missing' : 'content',
          detail: err.message,
          snapshots: snapshotsReaching(graph, version.cap),
        });
      } finally {
        options.onProgress?.({ phase: 'read', done: ++read, total: chosen.length });
      }
    });
  }

  const byPath = (a: Damage, b: Damage): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return {
    snapshots: roots.length,
    objects: graph.objects.size,
    checked: toCheck.length,
    versions: graph.versions.size,
    versionsRead,
    damaged: damaged.sort(byPath),
    unhealthy: unhealthy.sort(byPath),
  };
}
