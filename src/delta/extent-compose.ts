/**
 * Composition of extent lists down a delta chain (DESIGN.md §5 "Reading").
 *
 * A chain is "start from `base`, apply d001 … dN in order". The extent list of d(i) points at
 * ranges of version i-1; substituting the composed list of version i-1 for those ranges gives the
 * composed list of version i, whose pieces point only at the chain's base or at literal bytes of
 * some delta. Pure.
 */
import { TimefsError } from '../model/errors.js';
import { baseExtents, parseDeltaExtents, pushPiece, slicePieces, type ExtentList, type Piece } from './extents.js';

/**
 * The list of `next` (whose base pieces refer to version `previous`) rewritten so that its
 * base pieces refer to whatever `previous`'s pieces refer to.
 *
 * @throws TimefsError `delta.corrupt` when `next` reads past the end of `previous`
 */
export function composeExtents(previous: ExtentList, next: ExtentList): ExtentList {
  const pieces: Piece[] = [];
  for (const piece of next.pieces) {
    if (piece.source === 'delta') {
      pushPiece(pieces, piece);
      continue;
    }
    if (piece.position + piece.length > previous.size) {
      throw new TimefsError('delta.corrupt', `a COPY of bytes ${piece.position}+${piece.length} reaches past the end of its ${previous.size}-byte basis`);
    }
    const shift = piece.start - piece.position;
    for (const inner of slicePieces(previous, piece.position, piece.length)) {
      pushPiece(pieces, { ...inner, start: inner.start + shift });
    }
  }
  return { size: next.size, pieces };
}

/**
 * The composed extent list of the last version of a chain.
 *
 * @param baseSize size of the chain's base
 * @param deltas the chain's deltas in order (`d001` first), whole, in memory
 * @param name how to name the chain in error messages (e.g. the file's path)
 * @throws TimefsError `delta.bad-magic`, `delta.truncated` or `delta.corrupt` naming the delta
 */
export function composeChain(baseSize: number, deltas: readonly Uint8Array[], name = 'chain'): ExtentList {
  let list = baseExtents(baseSize);
  deltas.forEach((delta, i) => {
    const label = `${name}: delta d${String(i + 1).padStart(3, '0')}`;
    list = composeExtents(list, parseDeltaExtents(delta, list.size, i, label));
  });
  return list;
}
