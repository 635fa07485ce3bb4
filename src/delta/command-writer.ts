/**
 * The emitting half of rdiff's delta: turns "these bytes are literal" and "this window matched
 * basis bytes [pos, pos+len)" into delta commands exactly as rdiff 2.3.2 does (librsync.md §3.3,
 * rules 4–5): adjacent matches merge into one COPY, literal runs are cut into pieces of 32768.
 *
 * A literal run of 32768 bytes is emitted as soon as it is complete: whatever follows (a miss, a
 * match or the end) rdiff emits that same piece, so nothing longer is ever held back.
 */
import { ByteSink } from './byte-sink.js';
import { deltaMagicBytes, encodeCopy, encodeLiteralHeader, OP } from './delta-format.js';

/** Longest literal rdiff emits (its `max_miss`). */
const LITERAL_PIECE = 32768;

/** Writes delta commands for a sequence of literal bytes and matches, in file order. */
export class DeltaCommandWriter {
  private readonly pending = new Uint8Array(LITERAL_PIECE);
  private pendingLength = 0;
  private basisPos = 0;
  private basisLen = 0;

  /** Writes the magic into `sink`; every later command goes there too. */
  constructor(private readonly sink: ByteSink) {
    sink.write(deltaMagicBytes());
  }

  /** Bytes of the new file that matched nothing. */
  literal(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.flushCopy();
    let offset = 0;
    while (offset < bytes.length) {
      if (this.pendingLength === 0 && bytes.length - offset >= LITERAL_PIECE) {
        this.writeLiteral(bytes.subarray(offset, offset + LITERAL_PIECE));
        offset += LITERAL_PIECE;
        continue;
      }
      const take = Math.min(LITERAL_PIECE - this.pendingLength, bytes.length - offset);
      this.pending.set(bytes.subarray(offset, offset + take), this.pendingLength);
      this.pendingLength += take;
      offset += take;
      if (this.pendingLength === LITERAL_PIECE) this.flushLiteral();
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
