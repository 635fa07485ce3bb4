/**
 * Range reads assembled from fixed-size, aligned segments, so caches can keep and reuse the pieces
 * of large immutable files. Pure apart from the `fetch` callback.
 */

/** Default cache segment: Tahoe's own immutable segment size (1 MiB), so one fetch decodes one segment. */
export const DEFAULT_SEGMENT_SIZE = 1024 * 1024;

/** Bytes [start, start+length) of a file of `size` bytes, clamped, from segments of `segmentSize`. */
export async function readBySegments(
  size: number,
  start: number,
  length: number,
  segmentSize: number,
  fetch: (index: number, segStart: number, segLength: number) => Promise<Uint8Array>,
): Promise<Uint8Array> {
  const end = Math.min(start + length, size);
  if (start >= end) return new Uint8Array(0);
  const first = Math.floor(start / segmentSize);
  const last = Math.floor((end - 1) / segmentSize);
  const parts = await Promise.all(
    Array.from({ length: last - first + 1 }, (_, k) => {
      const index = first + k;
      const segStart = index * segmentSize;
      return fetch(index, segStart, Math.min(segmentSize, size - segStart));
    }),
  );
  if (parts.length === 1) {
    const only = parts[0] as Uint8Array;
    return only.subarray(start - first * segmentSize, end - first * segmentSize);
  }
  const out = new Uint8Array(end - start);
  let pos = 0;
  parts.forEach((part, k) => {
    const segStart = (first + k) * segmentSize;
    const from = Math.max(start, segStart) - segStart;
    const to = Math.min(end, segStart + part.length) - segStart;
    out.set(part.subarray(from, to), pos);
    pos += to - from;
  });
  return out;
}
