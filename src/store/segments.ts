/**
 * Range reads assembled from fixed-size, aligned segments, so caches can keep and reuse the pieces
 * of large immutable files. Caches store segments, but fetching is planned in runs: consecutive
 * missing segments are fetched with one request (each grid request costs several round trips), up
 * to {@link MAX_RUN_BYTES} per request, the runs in parallel. Pure apart from the callbacks.
 */

/** Default cache segment: Tahoe's own immutable segment size (1 MiB), so one fetch decodes one segment. */
export const DEFAULT_SEGMENT_SIZE = 1024 * 1024;

/** Largest single fetch of consecutive missing segments (16 MiB: the size class Tahoe serves fastest). */
export const MAX_RUN_BYTES = 16 * 1024 * 1024;

/** A cached segment (or one being fetched), or undefined on a miss. */
export type SegmentLookup = (index: number, segStart: number, segLength: number) => Uint8Array | Promise<Uint8Array | undefined> | undefined;

/**
 * Fetches `count` consecutive segments from `first` (bytes [runStart, runStart+runLength)) with
 * one request and returns one promise per segment (the caller caches them).
 */
export type RunFetch = (first: number, count: number, runStart: number, runLength: number) => Array<Promise<Uint8Array>>;

/** Splits the bytes of one run into its segments' promises. */
export function splitRun(run: Promise<Uint8Array>, count: number, segmentSize: number): Array<Promise<Uint8Array>> {
  return Array.from({ length: count }, (_, i) => run.then((bytes) => (count === 1 ? bytes : bytes.slice(i * segmentSize, (i + 1) * segmentSize))));
}

/** Bytes [start, start+length) of a file of `size` bytes, clamped, from segments of `segmentSize`. */
export async function readBySegments(
  size: number,
  start: number,
  length: number,
  segmentSize: number,
  lookup: SegmentLookup,
  fetchRun: RunFetch,
  maxRunBytes = MAX_RUN_BYTES,
): Promise<Uint8Array> {
  const end = Math.min(start + length, size);
  if (start >= end) return new Uint8Array(0);
  const first = Math.floor(start / segmentSize);
  const last = Math.floor((end - 1) / segmentSize);
  const count = last - first + 1;
  const segLength = (index: number) => Math.min(segmentSize, size - index * segmentSize);
  const found = await Promise.all(Array.from({ length: count }, (_, k) => lookup(first + k, (first + k) * segmentSize, segLength(first + k))));
  const parts: Array<Uint8Array | Promise<Uint8Array>> = [];
  const maxRun = Math.max(1, Math.floor(maxRunBytes / segmentSize));
  for (let k = 0; k < count;) {
    const hit = found[k];
    if (hit !== undefined) {
      parts.push(hit);
      k++;
      continue;
    }
    let n = 1;
    while (k + n < count && n < maxRun && found[k + n] === undefined) n++;
    const runStart = (first + k) * segmentSize;
    const runEnd = Math.min(size, (first + k + n) * segmentSize);
    parts.push(...fetchRun(first + k, n, runStart, runEnd - runStart));
    k += n;
  }
  const segments = await Promise.all(parts);
  if (segments.length === 1) {
    const only = segments[0] as Uint8Array;
    return only.subarray(start - first * segmentSize, end - first * segmentSize);
  }
  const out = new Uint8Array(end - start);
  let pos = 0;
  segments.forEach((part, k) => {
    const segStart = (first + k) * segmentSize;
    const from = Math.max(start, segStart) - segStart;
    const to = Math.min(end, segStart + part.length) - segStart;
    out.set(part.subarray(from, to), pos);
    pos += to - from;
  });
  return out;
}
