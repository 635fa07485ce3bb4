/**
 * Extent lists: where each byte of a version comes from, without rebuilding the version.
 *
 * A delta's commands say "output these literal bytes" or "copy this range of the basis". Parsing
 * a delta gives an {@link ExtentList} whose pieces point at the delta's own literal bytes or at the
 * basis. Composing the lists of a chain (base, d001 … dN, see `extent-compose.ts`) gives, for the
 * final version, pieces that point either at the literal bytes of some delta of the chain or at a
 * range of the chain's base. {@link slicePieces} then turns `read(offset, length)` into those pieces.
 *
 * Pure: bytes and numbers in, records out.
 */
import { TimefsError } from '../model/errors.js';
import { checkDeltaMagic, readCommand } from './delta-format.js';

/** Bytes `[position, position + length)` of the chain's base (or, for one delta, of its basis). */
export interface BasePiece {
  source: 'base';
  /** Offset of this piece in the version's output. */
  start: number;
  length: number;
  /** Offset in the base. */
  position: number;
}

/** Literal bytes `[offset, offset + length)` of delta number `delta` (0 = `d001`). */
export interface DeltaPiece {
  source: 'delta';
  /** Offset of this piece in the version's output. */
  start: number;
  length: number;
  /** Index of the delta in the chain, 0-based (0 is `d001`). */
  delta: number;
  /** Byte offset inside that delta's file. */
  offset: number;
}

/** One contiguous piece of a version's content. */
export type Piece = BasePiece | DeltaPiece;

/**
 * The content of one version as a list of pieces: sorted by `start`, non-empty, contiguous and
 * covering `[0, size)` exactly.
 */
export interface ExtentList {
  size: number;
  pieces: readonly Piece[];
}

/** The extent list of a base stored whole: one piece covering it. */
export function baseExtents(size: number): ExtentList {
  return { size, pieces: size > 0 ? [{ source: 'base', start: 0, length: size, position: 0 }] : [] };
}

/**
 * Parses a whole delta (in memory) into an extent list whose base pieces refer to the delta's basis.
 *
 * @param delta the delta file's bytes (librsync format, `rs\x026` magic)
 * @param basisSize the size of the version the delta applies to; a COPY past it is corrupt
 * @param deltaIndex the index recorded in the literal pieces (0 = `d001`)
 * @param name how to name the delta in error messages
 * @throws TimefsError `delta.bad-magic`, `delta.truncated` or `delta.corrupt`
 */
export function parseDeltaExtents(delta: Uint8Array, basisSize: number, deltaIndex = 0, name = 'delta'): ExtentList {
  checkDeltaMagic(delta);
  const pieces: Piece[] = [];
  let out = 0;
  let pos = 4;
  for (;;) {
    const step = readCommand(delta, pos);
    if (step === null) throw new TimefsError('delta.truncated', `${name} ends before its END command (at byte ${pos})`);
    const { command } = step;
    if (command.op === 'end') break;
    if (command.length <= 0) throw new TimefsError('delta.corrupt', `${name}: zero-length command at byte ${pos}`);
    if (command.op === 'literal') {
      if (command.dataOffset + command.length > delta.length) {
        throw new TimefsError('delta.truncated', `${name} ends inside a ${command.length}-byte literal (at byte ${pos})`);
      }
      pushPiece(pieces, { source: 'delta', start: out, length: command.length, delta: deltaIndex, offset: command.dataOffset });
    } else {
      if (command.position + command.length > basisSize) {
        throw new TimefsError('delta.corrupt', `${name}: COPY of bytes ${command.position}+${command.length} reaches past the end of its ${basisSize}-byte basis (at byte ${pos})`);
      }
      pushPiece(pieces, { source: 'base', start: out, length: command.length, position: command.position });
    }
    out += command.length;
    if (!Number.isSafeInteger(out)) throw new TimefsError('delta.corrupt', `${name}: output size overflows`);
    pos = command.op === 'literal' ? command.dataOffset + command.length : step.next;
  }
  return { size: out, pieces };
}

/**
 * Appends `piece` to `pieces`, merging it into the last piece when it continues it
 * (same source, adjacent on both sides), so that lists stay short.
 */
export function pushPiece(pieces: Piece[], piece: Piece): void {
  if (piece.length <= 0) return;
  const last = pieces[pieces.length - 1];
  if (last && last.start + last.length === piece.start) {
    if (last.source === 'base' && piece.source === 'base' && last.position + last.length === piece.position) {
      pieces[pieces.length - 1] = { ...last, length: last.length + piece.length };
      return;
    }
    if (last.source === 'delta' && piece.source === 'delta' && last.delta === piece.delta && last.offset + last.length === piece.offset) {
      pieces[pieces.length - 1] = { ...last, length: last.length + piece.length };
      return;
    }
  }
  pieces.push(piece);
}

/** Index of the piece containing output byte `offset` (binary search); `offset` must be in `[0, size)`. */
export function findPiece(list: ExtentList, offset: number): number {
  let lo = 0;
  let hi = list.pieces.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if ((list.pieces[mid] as Piece).start <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The pieces covering output bytes `[offset, offset + length)`, clipped to that range and with
 * `start` kept in output coordinates. The range is clamped to the version's size: a range that
 * starts at or past the end, or has zero length, gives no pieces.
 */
export function slicePieces(list: ExtentList, offset: number, length: number): Piece[] {
  const from = Math.max(0, offset);
  const to = Math.min(list.size, offset + Math.max(0, length));
  if (from >= to) return [];
  const out: Piece[] = [];
  for (let i = findPiece(list, from); i < list.pieces.length; i++) {
    const piece = list.pieces[i] as Piece;
    if (piece.start >= to) break;
    const a = Math.max(from, piece.start);
    const b = Math.min(to, piece.start + piece.length);
    out.push(clipPiece(piece, a - piece.start, b - a));
  }
  return out;
}

/** `piece` narrowed to `length` bytes starting `skip` bytes into it. */
export function clipPiece(piece: Piece, skip: number, length: number): Piece {
  if (piece.source === 'base') return { ...piece, start: piece.start + skip, length, position: piece.position + skip };
  return { ...piece, start: piece.start + skip, length, offset: piece.offset + skip };
}
