/**
 * A snapshot's source: the host that pushed it and the sorted set of paths it backed up, both
 * from the snapshot's edge metadata. Each source keeps its own history: `forget` applies its
 * policy per source, push continues the chains of its own source, and the merged views
 * (docs/format.md, "Several sources") take every path from the newest snapshot whose paths hold it.
 */
import { TimefsError } from './errors.js';

/** What identifies a source. */
export interface SourceFields {
  host: string;
  paths: readonly string[];
}

/** Which fields group snapshots (`forget --group-by`). */
export interface GroupBy {
  host: boolean;
  paths: boolean;
}

/** restic's default grouping: host and paths. */
export const GROUP_BY_SOURCE: GroupBy = { host: true, paths: true };

/** The source's paths, sorted and without duplicates. */
export function sourcePaths(source: SourceFields): string[] {
  return [...new Set(source.paths)].sort();
}

/** A stable key of the source under `groupBy`; equal keys mean the same group. */
export function sourceKey(source: SourceFields, groupBy: GroupBy = GROUP_BY_SOURCE): string {
  return JSON.stringify([groupBy.host ? source.host : null, groupBy.paths ? sourcePaths(source) : null]);
}

/** A readable label, e.g. `laptop:/home/me/docs,/etc`, `laptop` (paths not grouped), `all snapshots`. */
export function sourceLabel(source: SourceFields, groupBy: GroupBy = GROUP_BY_SOURCE): string {
  const paths = sourcePaths(source).join(',') || '(no paths)';
  const host = source.host || '(no host)';
  if (groupBy.host && groupBy.paths) return `${host}:${paths}`;
  if (groupBy.host) return `host ${host}`;
  if (groupBy.paths) return `paths ${paths}`;
  return 'all snapshots';
}

/** Parses `--group-by host|paths|host,paths|none` (also the empty string for none). */
export function parseGroupBy(value: string): GroupBy {
  const parts = value.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 1 && parts[0] === 'none') return { host: false, paths: false };
  const bad = parts.filter((p) => p !== 'host' && p !== 'paths');
  if (bad.length > 0) {
    throw new TimefsError('usage', `--group-by takes host, paths, host,paths or none, got "${value}"`, { hint: 'e.g. --group-by host,paths (the default)' });
  }
  return { host: parts.includes('host'), paths: parts.includes('paths') };
}

/** The `--group-by` spelling of `groupBy`. */
export function formatGroupBy(groupBy: GroupBy): string {
  const parts = [groupBy.host ? 'host' : '', groupBy.paths ? 'paths' : ''].filter((p) => p !== '');
  return parts.length === 0 ? 'none' : parts.join(',');
}

/** True when `path` is one of `roots` or lies below one of them (`/` covers everything). */
export function pathCovered(roots: readonly string[], path: string): boolean {
  return roots.some((root) => root === '/' || root === path || path.startsWith(`${root}/`));
}

/** A snapshot as the parent rule sees it. */
export interface SourcedSnapshot extends SourceFields {
  name: string;
  timeMs: number;
}

/** What a push continues from: {@link choosePushBase}. */
export interface PushBase<T extends SourcedSnapshot> {
  /** The snapshot the push is made against (edge metadata `parent`), if any. */
  parent?: T;
  /** For each pushed path, the snapshot whose state of that path the push continues, if any. */
  perPath: Map<string, T | undefined>;
}

/**
 * push's parent rule: the newest snapshot of the same source (host and paths); when there is none,
 * for each pushed path the newest snapshot whose paths cover it, from any host. So a second
 * machine, a renamed host or a lost catalog continue the chains as deltas.
 */
export function choosePushBase<T extends SourcedSnapshot>(snapshots: readonly T[], source: SourceFields): PushBase<T> {
  const newer = (a: T | undefined, b: T) => !a || b.timeMs > a.timeMs || (b.timeMs === a.timeMs && b.name > a.name);
  const key = sourceKey(source);
  let same: T | undefined;
  for (const s of snapshots) if (sourceKey(s) === key && newer(same, s)) same = s;
  const perPath = new Map<string, T | undefined>();
  for (const path of sourcePaths(source)) {
    let best: T | undefined = same;
    if (!same) for (const s of snapshots) if (pathCovered(s.paths, path) && newer(best, s)) best = s;
    perPath.set(path, best);
  }
  let parent = same;
  if (!parent) for (const s of perPath.values()) if (s && newer(parent, s)) parent = s;
  return parent ? { parent, perPath } : { perPath };
}

/** Checks a `--host` name: it names a directory in the mount (`hosts/<host>/`), so no `/`, no NUL, not `.`/`..`. */
export function checkHostName(host: string): string {
  if (host === '' || host === '.' || host === '..' || /[/\0]/.test(host) || host.length > 255) {
    throw new TimefsError('usage', `--host "${host}" is not a usable host name`, { hint: 'use a plain name such as laptop (no "/"); it names hosts/<host>/ in the mount' });
  }
  return host;
}
