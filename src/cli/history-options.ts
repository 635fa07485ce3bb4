/**
 * What `timefs log`, `find` and `diff` share: `--since`/`--until` snapshot ranges, opening the
 * repository's history (indexes where present, trees elsewhere), and paths as exact bytes.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { HistoryCache } from '../tree-index/history-cache.js';
import { TimefsError } from '../model/errors.js';
import { parseSnapshotSpec } from '../view/as-of.js';
import { NO_INDEX, openHistory, type HistorySource } from '../view/history-source.js';
import { GridSnapshotCatalogue, type SnapshotInfo } from '../view/snapshot-catalogue.js';
import { pathSegments } from '../view/tree-reader.js';
import { argBytes, snapshotPathOfBytes } from './argv-bytes.js';
import { byteEnv, openRepo, type RepoHandle } from './repo-options.js';

/** Option values of {@link addRangeOptions}. */
export interface RangeFlags {
  since?: string;
  until?: string;
  utc?: boolean;
  index?: boolean;
  json?: boolean;
}

/** Adds `--since` and `--until` (unless `range` is false), `--utc` and `--no-index`. */
export function addRangeOptions(cmd: Command, range = true): Command {
  if (range) {
    cmd
      .option('--since <when>', 'only snapshots taken at or after WHEN: a day YYYY-MM-DD (its start), an ISO time, or a snapshot name')
      .option('--until <when>', 'only snapshots taken at or before WHEN: a day YYYY-MM-DD (its end), an ISO time, or a snapshot name');
  }
  return cmd
    .option('--utc', 'days and times in UTC instead of the local time zone')
    .option('--no-index', 'read the snapshot trees only, not the metadata indexes');
}

/** The first (`start`) or last (`end`) millisecond a `--since`/`--until` value names. */
export function boundMs(spec: string, edge: 'start' | 'end', snapshots: readonly SnapshotInfo[], utc: boolean): number {
  const exact = snapshots.find((s) => s.name === spec);
  if (exact) return exact.timeMs;
  const parsed = parseSnapshotSpec(spec);
  switch (parsed.kind) {
    case 'latest':
      return snapshots.at(-1)?.timeMs ?? 0;
    case 'time':
      return parsed.timeMs;
    case 'day': {
      const { year, month, day } = parsed;
      const start = utc ? Date.UTC(year, month - 1, day) : new Date(year, month - 1, day).getTime();
      const next = utc ? Date.UTC(year, month - 1, day + 1) : new Date(year, month - 1, day + 1).getTime();
      return edge === 'start' ? start : next - 1;
    }
    case 'name':
      throw new TimefsError('usage', `"${spec}" is neither a snapshot, a day nor a time`, { hint: 'use a day YYYY-MM-DD, an ISO time like 2009-01-09T01:49:00Z, or a name from `timefs snapshots`' });
  }
}

/** The snapshots (oldest first) within `--since`/`--until`. */
export function snapshotsInRange(snapshots: readonly SnapshotInfo[], flags: RangeFlags): SnapshotInfo[] {
  const utc = flags.utc === true;
  const from = flags.since === undefined ? -Infinity : boundMs(flags.since, 'start', snapshots, utc);
  const to = flags.until === undefined ? Infinity : boundMs(flags.until, 'end', snapshots, utc);
  return snapshots.filter((s) => s.timeMs >= from && s.timeMs <= to);
}

/** An opened repository with its snapshot list. */
export interface RepoHistory {
  repo: RepoHandle;
  catalogue: GridSnapshotCatalogue;
  all: SnapshotInfo[];
}

/** Opens the repository and lists its snapshots. */
export async function openSnapshots(flags: Record<string, unknown>): Promise<RepoHistory> {
  const repo = await openRepo(flags, { index: flags.index !== false });
  const catalogue = new GridSnapshotCatalogue(repo.store, repo.snapshotsCap);
  return { repo, catalogue, all: await catalogue.list() };
}

/** The history source for `snapshots`: their indexes unless `--no-index`. */
export async function historyOf(repo: RepoHandle, snapshots: readonly SnapshotInfo[], flags: RangeFlags): Promise<HistorySource> {
  const cache = historyCache(repo);
  const source = await openHistory(repo.store, repo.indexCap, snapshots, { useIndex: flags.index !== false, ...(cache ? { cache } : {}) });
  // A missing index is normal (older snapshots); a stale or damaged one is worth a word.
  for (const { name, reason } of source.fromTrees) {
    if (reason !== NO_INDEX) process.stderr.write(`timefs: snapshot ${name} is read from its tree: ${reason} (\`timefs check\` reports it, \`timefs index --force\` replaces it)\n`);
  }
  return source;
}

/**
 * The local cache of verified indexes (`<repo cache>/index-history`), bounded by
 * `TIMEFS_HISTORY_CACHE_BYTES` (default 256 MiB; 0 turns it off).
 */
export function historyCache(repo: Pick<RepoHandle, 'cacheDir'>): HistoryCache | undefined {
  const bytes = byteEnv('TIMEFS_HISTORY_CACHE_BYTES', 256 * 1024 * 1024);
  return bytes > 0 ? new HistoryCache(join(repo.cacheDir, 'index-history'), bytes) : undefined;
}

/** JSON for scripts and tests: how many snapshots were answered by indexes, how many by trees. */
export function sourcesJson(source: HistorySource): { indexed: number; fromTrees: number } {
  return { indexed: source.indexed.length, fromTrees: source.fromTrees.length };
}

/** A path argument inside snapshots as exact name bytes per component (`/` and `.` dropped, `..` refused). */
export function pathArgSegments(arg: string): Uint8Array[] {
  return pathSegments(snapshotPathOfBytes(argBytes(arg))).map((s) => (typeof s === 'string' ? new Uint8Array(Buffer.from(s, 'utf8')) : s));
}

/** `/a/b` from exact components. */
export function joinSegments(segments: readonly Uint8Array[]): Buffer {
  const parts: Buffer[] = [];
  for (const s of segments) parts.push(Buffer.from('/'), Buffer.from(s));
  return parts.length === 0 ? Buffer.from('/') : Buffer.concat(parts);
}
