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
