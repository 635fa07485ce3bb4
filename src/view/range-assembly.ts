/**
 * Turns one read of a version into bytes: the composed extent list gives literal pieces (copied
 * from deltas already in memory) and base pieces, which are grouped into a few closed range
 * reads of the base (nearby pieces share one request) and fetched concurrently.
 */
import { slicePieces, type BasePiece, type ExtentList } from '../delta/extents.js';
import type { CallOptions, Store } from '../store/store.js';
import { integrityError, type VersionPlace } from './hash-check.js';

/** Base pieces closer than this share one range request (the bytes between are fetched and dropped). */
export const MERGE_GAP = 64 * 1024;
/** A merged range request grows no larger than this. */
export const MAX_SPAN = 8 * 1024 * 1024;

/** One range request on the base and the pieces it serves. */
export interface BaseSpan {
  position: number;
  length: number;
  pieces: BasePiece[];
}

/** Groups base pieces (in any order) into range requests, sorted by position. Pure. */
export function planBaseSpans(pieces: readonly BasePiece[], gap = MERGE_GAP, maxSpan = MAX_SPAN): BaseSpan[] {
  const sorted = [...pieces].sort((a, b) => a.position - b.position);
  const spans: BaseSpan[] = [];
  for (const piece of sorted) {
    const last = spans[spans.length - 1];
    const end = piece.position + piece.length;
    if (last && piece.position <= last.position + last.length + gap && Math.max(end, last.position + last.length) - last.position <= maxSpan) {
      last.length = Math.max(end, last.position + last.length) - last.position;
      last.pieces.push(piece);
    } else {
      spans.push({ position: piece.position, length: piece.length, pieces: [piece] });
    }
  }
  return spans;
}

/**
 * Bytes `[offset, offset + length)` of the version described by `extents` (clamped to its size).
 *
 * @param baseCap the object base pieces refer to
 * @param deltas the chain's deltas in memory (delta pieces index them)
 * @param baseOffset added to every base position (for contents packed inside a larger object)
 */
export async function assembleRange(
  store: Store, baseCap: string, extents: ExtentList, deltas: readonly Uint8Array[],
  offset: number, length: number, place: VersionPlace, options?: CallOptions, baseOffset = 0,
): Promise<Uint8Array> {
  const pieces = slicePieces(extents, offset, length);
  const first = pieces[0];
  if (!first) return new Uint8Array(0);
  const last = pieces[pieces.length - 1] as typeof first;
  const out = new Uint8Array(last.start + last.length - first.start);
  const baseParts: BasePiece[] = [];
  for (const piece of pieces) {
    if (piece.source === 'base') {
      baseParts.push(piece);
      continue;
    }
    const delta = deltas[piece.delta];
    if (!delta || piece.offset + piece.length > delta.length) throw integrityError(place, `delta ${piece.delta + 1} is shorter than its commands say`);
    out.set(delta.subarray(piece.offset, piece.offset + piece.length), piece.start - first.start);
  }
  await Promise.all(planBaseSpans(baseParts).map(async (span) => {
    const bytes = await store.getRange(baseCap, baseOffset + span.position, span.length, options);
    if (bytes.length !== span.length) {
      throw integrityError(place, `the base returned ${bytes.length} of ${span.length} bytes at ${span.position}`);
    }
    for (const piece of span.pieces) {
      const from = piece.position - span.position;
      out.set(bytes.subarray(from, from + piece.length), piece.start - first.start);
    }
  }));
  return out;
}
