/**
 * Splitting a delta's scan over segments of the new file, and stitching the pieces back into the
 * one scan rdiff would have made.
 *
 * rdiff's scan (librsync.md §3.3) visits position p, then p + len on a match or p + 1 on a miss,
 * and whether p matches depends only on the bytes of its window. So a scan started "cold" at a
 * segment's first byte visits every position the true scan visits from the first position both
 * visit onwards. The true scan enters a segment at some q (a match in the previous segment may
 * jump past its start); if the speculative scan visited q, its matches from q on are the true ones.
 * If q lies inside one of its matched windows, the true scan is re-run from q up to that window's
 * end, where it is in step again unless it matched once more (then repeat). The re-runs are short
 * except on pathological input (e.g. long runs of one repeated block), where they degrade to the
 * sequential scan: correct, only slower.
 */
import { scanMatches, emptyMatches, type MatchList, type ScanContext } from './window-scan.js';

/** Smallest segment: per-segment overhead (a message, a stitch) stays well below 1 %. */
const MIN_SEGMENT = 4 << 20;

/** Length of the segments a new file is split into for a signature of block length `blockLength`. */
export function segmentLength(blockLength: number): number {
  return Math.max(MIN_SEGMENT, 8 * blockLength);
}

/**
 * Bytes a non-final segment of `length` positions needs: its windows are all whole, so the last
 * one reaches `blockLength - 1` bytes past its end. (The final segment holds the rest of the
 * file and needs nothing beyond it.)
 */
export function segmentDataLength(length: number, blockLength: number): number {
  return length + blockLength - 1;
}

/** One segment's speculative scan, as a worker returns it. */
export interface ScannedSegment {
  /** File offset of the segment's first position (and of `data[0]`). */
  readonly start: number;
  /** Number of positions in the segment: it covers file offsets [start, start + length). */
  readonly length: number;
  /** The file's bytes from `start`: `segmentDataLength(length)` of them, or the rest of the file when `atEnd`. */
  readonly data: Uint8Array;
  /** True for the last segment (windows shrink at the end of the file). */
  readonly atEnd: boolean;
  /** Matches of the scan started at `data[0]`, positions relative to `start`. */
  readonly spec: MatchList;
  /** Where that scan would go next (relative, >= length). */
  readonly specNext: number;
}

/**
 * Where a scan whose matches are `spec` stands with respect to position `q`: `inside` is the
 * index of the matched window that strictly contains q (the scan never visited q), else -1;
 * `next` is the index of the first match at or after q.
 */
export function locate(spec: MatchList, q: number): { inside: number; next: number } {
  const positions = spec.positions;
  let lo = 0;
  let hi = positions.length; // first index with position >= q lies in [lo, hi]
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((positions[mid] as number) < q) lo = mid + 1;
    else hi = mid;
  }
  const before = lo - 1;
  if (before >= 0 && (positions[before] as number) + (spec.lengths[before] as number) > q) return { inside: before, next: lo };
  return { inside: -1, next: lo };
}

/**
 * The true scan's matches in `segment` (positions relative to its start), given that the true
 * scan enters it at file offset `entry`; and the file offset where it goes next.
 */
export function stitchSegment(segment: ScannedSegment, entry: number, ctx: ScanContext): { matches: MatchList; next: number } {
  const matches = emptyMatches();
  const { spec, length } = segment;
  let q = entry - segment.start;
  while (q < length) {
    const { inside, next } = locate(spec, q);
    if (inside < 0) {
      for (let i = next; i < spec.positions.length; i++) {
        matches.positions.push(spec.positions[i] as number);
        matches.blocks.push(spec.blocks[i] as number);
        matches.lengths.push(spec.lengths[i] as number);
      }
      q = segment.specNext;
      break;
    }
    const resync = Math.min(length, (spec.positions[inside] as number) + (spec.lengths[inside] as number));
    q = scanMatches(segment.data, q, resync, segment.atEnd, ctx, matches);
  }
  return { matches, next: segment.start + Math.max(q, 0) };
}
