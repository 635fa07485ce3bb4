/**
 * The emitting half of rdiff's delta: turns "these bytes are literal" and "this window matched
 * basis bytes [pos, pos+len)" into delta commands exactly as rdiff 2.3.2 does (librsync.md §3.3,
 * rules 4–5): adjacent matches merge into one COPY, literal runs are cut into pieces of 32768
 * (of the block length when the signature has no blocks: rdiff's slack delta).
 *
 * A literal piece is emitted as soon as it is complete: whatever follows (a miss, a match or the
 * end) rdiff emits that same piece, so nothing longer is ever held back.
 */
import { ByteSink, growBuffer } from './byte-sink.js';
import { deltaMagicBytes, encodeCopy, encodeLiteralHeader, OP } from './delta-format.js';
import type { MatchList } from './window-scan.js';

/** Longest literal rdiff emits (its `max_miss`). */
export const MAX_LITERAL_RUN = 32768;

/** Writes delta commands for a sequence of literal bytes and matches, in file order. */
export class DeltaCommandWriter {
  private pending: Uint8Array;
  private pendingLength = 0;
  private basisPos = 0;
  private basisLen = 0;

  /** Writes the magic into `sink`; every later command goes there too. Literals are cut into pieces of `literalPiece` bytes. */
  constructor(
    private readonly sink: ByteSink,
    private readonly literalPiece = MAX_LITERAL_RUN,
  ) {
    this.pending = new Uint8Array(Math.min(literalPiece, MAX_LITERAL_RUN)); // grows up to one piece
    sink.write(deltaMagicBytes());
  }

  /** Bytes of the new file that matched nothing. */
  literal(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.flushCopy();
    const piece = this.literalPiece;
    let offset = 0;
    while (offset < bytes.length) {
      if (this.pendingLength === 0 && bytes.length - offset >= piece) {
        this.writeLiteral(bytes.subarray(offset, offset + piece));
        offset += piece;
        continue;
      }
      const take = Math.min(piece - this.pendingLength, bytes.length - offset);
      this.pending = growBuffer(this.pending, this.pendingLength + take, this.pendingLength);
      this.pending.set(bytes.subarray(offset, offset + take), this.pendingLength);
      this.pendingLength += take;
      offset += take;
      if (this.pendingLength === piece) this.flushLiteral();
    }
  }

  /** A window of `length` bytes that matched the basis at `basisPos`. */
  copy(basisPos: number, length: number): void {
    if (this.basisLen > 0 && this.basisPos + this.basisLen === basisPos) {
      this.basisLen += length;
      return;
    }
    this.flushCopy();
    this.flushLiteral();
    this.basisPos = basisPos;
    this.basisLen = length;
  }

  /**
   * Writes what a scan decided for `data[from, to)`: the windows in `matches` (positions in
   * `data`, in order, at or after `from`) as COPYs of blocks of `blockLength`, the bytes between
   * them as literals. Returns where that leaves off: `to`, or the end of a match reaching past it.
   */
  scanned(data: Uint8Array, from: number, to: number, matches: MatchList, blockLength: number): number {
    let p = from;
    for (let i = 0; i < matches.positions.length; i++) {
      const at = matches.positions[i] as number;
      this.literal(data.subarray(p, at));
      this.copy((matches.blocks[i] as number) * blockLength, matches.lengths[i] as number);
      p = at + (matches.lengths[i] as number);
    }
    if (p < to) {
      this.literal(data.subarray(p, to));
      p = to;
    }
    return p;
  }

  /** Flushes what is pending and writes END. */
  finish(): void {
    this.flushCopy();
    this.flushLiteral();
    this.sink.write(Uint8Array.of(OP.END));
  }

  private flushCopy(): void {
    if (this.basisLen === 0) return;
    const { buf, pos } = this.sink.reserve(17);
    this.sink.commit(encodeCopy(buf, pos, this.basisPos, this.basisLen));
    this.basisLen = 0;
  }

  private flushLiteral(): void {
    if (this.pendingLength === 0) return;
    this.writeLiteral(this.pending.subarray(0, this.pendingLength));
    this.pendingLength = 0;
  }

  private writeLiteral(data: Uint8Array): void {
    const { buf, pos } = this.sink.reserve(9 + data.length);
    const p = encodeLiteralHeader(buf, pos, data.length);
    buf.set(data, p);
    this.sink.commit(p + data.length);
  }
}
