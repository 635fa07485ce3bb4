/**
 * Which byte ranges of a pack object a whole restore fetches (pure): members sorted by offset,
 * neighbours merged into one run while the gap between them is small and the run stays within
 * a size bound, so each pack is read once in a few large requests, never once per member.
 */

/** One file inside a pack. */
export interface PackMember<T> {
  offset: number;
  size: number;
  item: T;
}

/** One range read serving several members. */
export interface PackRun<T> {
  start: number;
  length: number;
  members: Array<PackMember<T>>;
}

/** Bounds of {@link planPackRuns}. */
export interface PackRunLimits {
  /** Longest run fetched in one request (a member longer than this gets a run of its own). */
  maxRun: number;
  /** Largest gap of unwanted bytes read through rather than starting a new request. */
  maxGap: number;
}

/** Default: 16 MiB runs (a pack is at most 8 MiB, so one run), gaps up to 1 MiB read through. */
export const PACK_RUN_LIMITS: PackRunLimits = { maxRun: 16 << 20, maxGap: 1 << 20 };

/** Groups `members` (any order) into runs; every member is in exactly one run. */
export function planPackRuns<T>(members: ReadonlyArray<PackMember<T>>, limits: PackRunLimits = PACK_RUN_LIMITS): Array<PackRun<T>> {
  const sorted = [...members].sort((a, b) => a.offset - b.offset || a.size - b.size);
  const runs: Array<PackRun<T>> = [];
  let current: PackRun<T> | undefined;
  for (const m of sorted) {
    const end = m.offset + m.size;
    if (current) {
      const currentEnd = current.start + current.length;
      const fits = m.offset - currentEnd <= limits.maxGap && Math.max(end, currentEnd) - current.start <= limits.maxRun;
      if (fits) {
        current.length = Math.max(end, currentEnd) - current.start;
        current.members.push(m);
        continue;
      }
    }
    current = { start: m.offset, length: m.size, members: [m] };
    runs.push(current);
  }
  return runs;
}
