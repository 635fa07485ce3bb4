/**
 * Snapshot specs and as-of resolution (DESIGN.md §5): `latest`, an exact snapshot name
 * (`2009-01-09T01:49:00Z`), or a day (`2009-01-09`) meaning "as of the end of that day": the
 * newest snapshot taken on or before it, also for days on which nothing was pushed. Days follow
 * the local time zone unless `utc` is set. Pure.
 */
import { TimefsError } from '../model/errors.js';

/** The least a snapshot needs for resolution: its name and its time. */
export interface Timed {
  /** Exact snapshot name, e.g. `2009-01-09T01:49:00Z`. */
  name: string;
  /** Milliseconds since the epoch. */
  timeMs: number;
}

/** Options for day arithmetic. */
export interface DayOptions {
  /** Days are UTC days instead of days in the process's local time zone. */
  utc?: boolean;
}

/** A parsed snapshot spec. */
export type SnapshotSpec =
  | { kind: 'latest' }
  | { kind: 'day'; year: number; month: number; day: number }
  | { kind: 'time'; name: string; timeMs: number }
  | { kind: 'name'; name: string };

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Parses `latest`, a day `YYYY-MM-DD`, an ISO time with zone, or anything else as a plain name. */
export function parseSnapshotSpec(spec: string): SnapshotSpec {
  if (spec === 'latest') return { kind: 'latest' };
  const day = DAY.exec(spec);
  if (day) {
    const [year, month, dd] = [Number(day[1]), Number(day[2]), Number(day[3])];
    const check = new Date(Date.UTC(year, month - 1, dd));
    if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== dd) {
      throw new TimefsError('usage', `"${spec}" is not a valid day`, { hint: 'write days as YYYY-MM-DD, e.g. 2009-01-09' });
    }
    return { kind: 'day', year, month, day: dd };
  }
  if (TIME.test(spec)) {
    const timeMs = Date.parse(spec);
    if (Number.isFinite(timeMs)) return { kind: 'time', name: spec, timeMs };
  }
  return { kind: 'name', name: spec };
}

/** The first millisecond after the given day ends (exclusive end), in local time or UTC. */
export function endOfDayMs(year: number, month: number, day: number, options: DayOptions = {}): number {
  return options.utc ? Date.UTC(year, month - 1, day + 1) : new Date(year, month - 1, day + 1).getTime();
}

/** The day (`YYYY-MM-DD`) a time falls on, in local time or UTC: the name the mount lists. */
export function dayName(timeMs: number, options: DayOptions = {}): string {
  const d = new Date(timeMs);
  const [y, m, dd] = options.utc ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()] : [d.getFullYear(), d.getMonth() + 1, d.getDate()];
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(dd).padStart(2, '0')}`;
}

/** The newest of `snapshots` taken strictly before `limitMs`, or undefined. */
export function newestBefore<T extends Timed>(snapshots: readonly T[], limitMs: number): T | undefined {
  let best: T | undefined;
  for (const s of snapshots) if (s.timeMs < limitMs && (!best || s.timeMs >= best.timeMs)) best = s;
  return best;
}

/**
 * Resolves a spec against a list of snapshots (in any order).
 *
 * An exact name always wins; an ISO time that is not a snapshot's name resolves as of that
 * instant (newest on or before it).
 * @throws TimefsError `snapshot.not-found` naming the spec, with a hint
 */
export function resolveSnapshotSpec<T extends Timed>(snapshots: readonly T[], spec: string, options: DayOptions = {}): T {
  const exact = snapshots.find((s) => s.name === spec);
  if (exact) return exact;
  const parsed = parseSnapshotSpec(spec);
  const hint = snapshots.length === 0
    ? 'the repository has no snapshots yet; make one with `timefs push PATH`'
    : 'list the snapshots with `timefs snapshots`; use `latest`, an exact name or a day YYYY-MM-DD';
  let found: T | undefined;
  switch (parsed.kind) {
    case 'latest':
      found = newestBefore(snapshots, Number.POSITIVE_INFINITY);
      break;
    case 'day':
      found = newestBefore(snapshots, endOfDayMs(parsed.year, parsed.month, parsed.day, options));
      break;
    case 'time':
      found = newestBefore(snapshots, parsed.timeMs + 1);
      break;
    case 'name':
      break;
  }
  if (!found) {
    const what = parsed.kind === 'name' ? `no snapshot named "${spec}"` : `no snapshot as of "${spec}"${parsed.kind === 'latest' ? '' : ' (nothing on or before it)'}`;
    throw new TimefsError('snapshot.not-found', what, { hint });
  }
  return found;
}
