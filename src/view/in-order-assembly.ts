/**
 * Whole reads in order: a version's bytes assembled from its composed extent list while the base
 * arrives as one ordered flow of chunks (one streamed GET, or ranges fetched a few at a time and
 * handed over in order). Each output byte is copied at most once, into its output chunk; base
 * bytes are held only while a later piece still needs them. The planning ({@link inOrderSpan}) is
 * pure; {@link assembleInOrder} only consumes the flow it is given.
 */
import type { ExtentList } from '../delta/extents.js';
import { integrityError, type VersionPlace } from './hash-check.js';

/** Most base bytes an in-order read may hold at once (a chain that copies from far back needs them). */
export const MAX_HELD_BASE_BYTES = 128 << 20;

/**
 * The base prefix `[0, end)` an in-order read of `extents` streams, or undefined when the extents
 * suit range reads better: when less than half of that prefix is used (a file that shrank or
 * keeps little of its base) or when copies from far back would hold more than `maxHeld` bytes.
 */
export function inOrderSpan(extents: ExtentList, maxHeld = MAX_HELD_BASE_BYTES): { end: number } | undefined {
  const { pieces } = extents;
  const lowestAfter = lowestBaseAfter(extents);
  let used = 0;
  let reached = 0;
  for (const [i, piece] of pieces.entries()) {
    if (piece.source !== 'base') continue;
    used += piece.length;
    reached = Math.max(reached, piece.position + piece.length);
    if (reached - lowestAfter[i]! > maxHeld) return undefined;
  }
  return used * 2 >= reached ? { end: reached } : undefined;
}

/** For each piece index i, the lowest base position pieces i… refer to: what must stay held. */
function lowestBaseAfter(extents: ExtentList): Float64Array {
  const { pieces } = extents;
  const lowest = new Float64Array(pieces.length + 1).fill(Number.POSITIVE_INFINITY);
  for (let i = pieces.length - 1; i >= 0; i--) {
    const piece = pieces[i]!;
    lowest[i] = piece.source === 'base' ? Math.min(lowest[i + 1]!, piece.position) : lowest[i + 1]!;
  }
  return lowest;
}

/** Collects parts into output chunks of exactly `size` bytes (the last may be shorter). */
class ChunkBuilder {
  private parts: Uint8Array[] = [];
  private bytes = 0;

  constructor(private readonly size: number) {}

  /** Adds `part`; returns the chunks it completed. */
  add(part: Uint8Array): Uint8Array[] {
    const full: Uint8Array[] = [];
    let rest = part;
    while (rest.length > 0) {
      const take = Math.min(rest.length, this.size - this.bytes);
      this.parts.push(take === rest.length ? rest : rest.subarray(0, take));
      this.bytes += take;
      rest = rest.subarray(take);
      if (this.bytes === this.size) full.push(this.flush());
    }
    return full;
  }

  /** The chunk collected so far (possibly empty); a single part is passed on without a copy. */
  flush(): Uint8Array {
    const parts = this.parts;
    const bytes = this.bytes;
    this.parts = [];
    this.bytes = 0;
    if (parts.length === 1) return parts[0]!;
    const out = Buffer.allocUnsafe(bytes);
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }
}

/**
 * The content described by `extents`, in order, in chunks of `chunkBytes`. `base` yields the
 * base from byte 0 in order, in chunks of any size, at least up to the end {@link inOrderSpan}
 * gave; it is read no further than needed.
 * @throws TimefsError `integrity` naming `place` when the base ends early or a delta is too short
 */
export async function* assembleInOrder(
  extents: ExtentList, deltas: readonly Uint8Array[], base: AsyncIterator<Uint8Array>, chunkBytes: number, place: VersionPlace,
): AsyncGenerator<Uint8Array> {
  const out = new ChunkBuilder(Math.max(1, chunkBytes));
  // The base chunks still needed, from `held[head]` on, the first starting at `heldStart`.
  const held: Uint8Array[] = [];
  let head = 0;
  let heldStart = 0;
  let received = 0;
  const lowestAfter = lowestBaseAfter(extents);
  for (const [i, piece] of extents.pieces.entries()) {
    if (piece.source === 'delta') {
      const delta = deltas[piece.delta];
      if (!delta || piece.offset + piece.length > delta.length) throw integrityError(place, `delta ${piece.delta + 1} is shorter than its commands say`);
      yield* out.add(delta.subarray(piece.offset, piece.offset + piece.length));
      continue;
    }
    const end = piece.position + piece.length;
    while (received < end) {
      const next = await base.next();
      if (next.done) throw integrityError(place, `the base ended at byte ${received}, before byte ${end} that the content needs`);
      held.push(next.value);
      received += next.value.length;
    }
    // Copy the piece out of the held chunks that overlap it.
    let at = heldStart;
    for (let k = head; k < held.length && at < end; k++) {
      const chunk = held[k]!;
      const from = Math.max(piece.position, at);
      const to = Math.min(end, at + chunk.length);
      if (to > from) yield* out.add(chunk.subarray(from - at, to - at));
      at += chunk.length;
    }
    // Release the chunks no later piece refers to.
    const keepFrom = lowestAfter[i + 1]!;
    while (head < held.length && heldStart + held[head]!.length <= keepFrom) {
      heldStart += held[head]!.length;
      held[head++] = new Uint8Array(0);
    }
    if (head > 1024) {
      held.splice(0, head);
      head = 0;
    }
  }
  const last = out.flush();
  if (last.length > 0) yield last;
}
