/**
 * The time-indexed top level of a mount (DESIGN.md §5), as pure functions over the snapshot list:
 * `latest`, one name per snapshot (its exact time), one name per day that has snapshots, and
 * day names that resolve "as of" the end of that day even when no snapshot was made on it.
 */

/** A snapshot as the top level needs it: its name (exact UTC time) and when it was taken. */
export interface SnapshotRef {
  /** The child name in `snapshots/`, e.g. `2009-01-09T01:49:00Z`. */
  name: string;
  /** Milliseconds since the epoch. */
  timeMs: number;
  /** The snapshot root's directory cap (secret: never log it). */
  cap: string;
  /** The host that pushed it (edge metadata; '' when unknown). */
  host?: string;
  /** The source paths it backed up (edge metadata; empty when unknown: the whole tree). */
  paths?: string[];
}

/** Which calendar the day names follow. */
export type DayZone = 'local' | 'utc';

/** Name of the symlink to the newest snapshot. */
export const LATEST_NAME = 'latest';
/** Name of the per-file history directory. */
export const HISTORY_NAME = 'history';
/** Name of the per-host directory, shown when a repository holds more than one host. */
export const HOSTS_NAME = 'hosts';

/** What a top-level name means. */
export type TopLevelEntry =
  | { kind: 'snapshot'; snapshot: SnapshotRef }
  /** `latest` and day names: symlinks whose target is a snapshot name. */
  | { kind: 'alias'; target: SnapshotRef }
  | { kind: 'history' };

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const SNAPSHOT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/** Parses a snapshot name (`2009-01-09T01:49:00Z`) into milliseconds, or undefined when it is not one. */
export function parseSnapshotName(name: string): number | undefined {
  if (!SNAPSHOT_PATTERN.test(name)) return undefined;
  const ms = Date.parse(name);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The day name (`YYYY-MM-DD`) a moment falls on, in the given zone. */
export function dayName(timeMs: number, zone: DayZone): string {
  const d = new Date(timeMs);
  const [y, m, day] = zone === 'utc'
    ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()]
    : [d.getFullYear(), d.getMonth() + 1, d.getDate()];
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * The last millisecond of the day called `name` in the given zone, or undefined when `name` is
 * not a real calendar day (`2009-02-30` is rejected, not rolled over).
 */
export function endOfDayMs(name: string, zone: DayZone): number | undefined {
  const match = DAY_PATTERN.exec(name);
  if (!match) return undefined;
  const [y, m, d] = [Number(match[1]), Number(match[2]) - 1, Number(match[3])];
  const start = zone === 'utc' ? new Date(Date.UTC(y, m, d)) : new Date(y, m, d);
  const real = zone === 'utc'
    ? start.getUTCFullYear() === y && start.getUTCMonth() === m && start.getUTCDate() === d
    : start.getFullYear() === y && start.getMonth() === m && start.getDate() === d;
  if (!real) return undefined;
  const next = zone === 'utc' ? Date.UTC(y, m, d + 1) : new Date(y, m, d + 1).getTime();
  return next - 1;
}

/** Snapshots sorted oldest first (ties broken by name), dropping names that are not snapshot times. */
export function sortSnapshots(snapshots: Iterable<SnapshotRef>): SnapshotRef[] {
  return [...snapshots].sort((a, b) => a.timeMs - b.timeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The newest snapshot taken at or before `timeMs`, from a list sorted oldest first. */
export function snapshotAsOf(sorted: readonly SnapshotRef[], timeMs: number): SnapshotRef | undefined {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as SnapshotRef).timeMs <= timeMs) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? undefined : sorted[lo - 1];
}

/**
 * The names `readdir` shows at the top level: `latest` and `history` (when there is a snapshot),
 * every day that has snapshots, and every snapshot. Days without snapshots are not listed but
 * still resolve through {@link resolveTopLevel}.
 */
export function topLevelNames(sorted: readonly SnapshotRef[], zone: DayZone): string[] {
  if (sorted.length === 0) return [];
  const days = new Set(sorted.map((s) => dayName(s.timeMs, zone)));
  return [LATEST_NAME, HISTORY_NAME, ...days, ...sorted.map((s) => s.name)];
}

/** What a top-level name refers to, or undefined when it names nothing. */
export function resolveTopLevel(sorted: readonly SnapshotRef[], name: string, zone: DayZone): TopLevelEntry | undefined {
  if (sorted.length === 0) return undefined;
  if (name === LATEST_NAME) return { kind: 'alias', target: sorted[sorted.length - 1] as SnapshotRef };
  if (name === HISTORY_NAME) return { kind: 'history' };
  const end = endOfDayMs(name, zone);
  if (end !== undefined) {
    const target = snapshotAsOf(sorted, end);
    return target ? { kind: 'alias', target } : undefined;
  }
  const snapshot = sorted.find((s) => s.name === name);
  return snapshot ? { kind: 'snapshot', snapshot } : undefined;
}
