/**
 * Streaming delta against a loaded signature, byte-identical to rdiff 2.3.2 (librsync.md §3.3):
 * every offset is tried left to right, a weak hit is confirmed by the strong sum, the scan jumps
 * past a match, adjacent matches merge into one COPY, literal runs are cut at 32768 bytes, and at
 * the end of the file the window shrinks so that the basis's short last block can match.
 *
 * The window buffer holds only the pending literal run plus one block, so memory is
 * O(signature + block length + chunk).
 */
import { RK_ADJ, RK_INVM, RK_MULT, rabinKarpBlock, rabinKarpPower, rollsumBlock, ROLLSUM_OFFSET } from './checksums.js';
import { ByteSink, growBuffer } from './byte-sink.js';
import { deltaMagicBytes, encodeCopy, encodeLiteralHeader, OP } from './delta-format.js';
import { lookupKey, type LoadedSignature, type SignatureIndex } from './signature-index.js';
import { createStrongHasher, type StrongHasher } from './strong-hash.js';

/** rdiff 2.3.2 flushes a literal run when a further miss arrives and the run is this long. */
export const MAX_LITERAL_RUN = 32768;
/** Chunks are consumed in pieces of at most this size, which bounds the window buffer. */
const PIECE = 1 << 20;

/** Computes a delta over a stream of chunks of the new file. */
export interface DeltaEncoder {
  /** Consumes the next chunk of the new file; returns the delta bytes that are final so far (the magic on the first call). */
  update(chunk: Uint8Array): Uint8Array;
  /** Ends the new file; returns the rest of the delta, up to and including END. */
  finish(): Uint8Array;
}

/** Options of {@link createDeltaEncoder}. */
export interface DeltaEncoderOptions {
  /**
   * Return views of one internal buffer instead of fresh copies: each result is valid only until
   * the next `update`/`finish`. For consumers that write each result out before going on; it
   * avoids a large garbage array per chunk (and the RSS that comes with it).
   */
  reuseOutput?: boolean;
  /**
   * A source of strong digests already computed for `[offset, offset+length)` of the new file
   * (the one-pass operation passes the new signature's digests), or undefined to compute one.
   */
  knownDigest?: (offset: number, length: number) => Uint8Array | undefined;
}

/** Creates a {@link DeltaEncoder} for a signature loaded with `loadSignature`. */
export async function createDeltaEncoder(signature: LoadedSignature, options: DeltaEncoderOptions = {}): Promise<DeltaEncoder> {
  const sink = new ByteSink(options.reuseOutput === true);
  if (signature.blockCount === 0) return new SlackDelta(signature.params.blockLength, sink);
  return new RollingDelta(signature, await createStrongHasher(signature.params.strong), sink, options.knownDigest);
}

/** A signature without blocks (empty basis): rdiff emits one LITERAL per block-length chunk of input. */
class SlackDelta implements DeltaEncoder {
  private pending: Uint8Array;
  private pendingLength = 0;

  constructor(
    private readonly blockLength: number,
    private readonly sink: ByteSink,
  ) {
    this.pending = new Uint8Array(Math.min(blockLength, 1 << 16));
    this.sink.write(deltaMagicBytes());
  }

  update(chunk: Uint8Array): Uint8Array {
    let offset = 0;
    const B = this.blockLength;
    while (offset < chunk.length) {
      if (this.pendingLength === 0 && chunk.length - offset >= B) {
        this.literal(chunk.subarray(offset, offset + B));
        offset += B;
        continue;
      }
      const take = Math.min(B - this.pendingLength, chunk.length - offset);
      this.pending = growBuffer(this.pending, this.pendingLength + take, this.pendingLength);
      this.pending.set(chunk.subarray(offset, offset + take), this.pendingLength);
      this.pendingLength += take;
      offset += take;
      if (this.pendingLength === B) {
        this.literal(this.pending.subarray(0, B));
        this.pendingLength = 0;
      }
    }
    return this.sink.take();
  }

  finish(): Uint8Array {
    if (this.pendingLength > 0) this.literal(this.pending.subarray(0, this.pendingLength));
    this.pendingLength = 0;
    this.sink.write(Uint8Array.of(OP.END));
    return this.sink.take();
  }

  private literal(data: Uint8Array): void {
    const { buf, pos } = this.sink.reserve(9 + data.length);
    const p = encodeLiteralHeader(buf, pos, data.length);
    buf.set(data, p);
    this.sink.commit(p + data.length);
  }
}

class RollingDelta implements DeltaEncoder {
  private readonly B: number;
  private readonly rollsum: boolean;
  private readonly index: SignatureIndex;
  /** RK_MULT^B: the factor for the byte leaving a full window. */
  private readonly multB: number;
  private buf: Uint8Array;
  private base = 0; // file offset of buf[0]
  private n = 0; // bytes in buf
  private pos = 0; // window start (in buf)
  private litStart = 0; // start of the pending literal run (in buf)
  private count = 0; // window length; 0 = recompute at pos
  private h = 0; // RabinKarp hash
  private mult = 1; // RK_MULT^count
  private s1 = 0; // rollsum sums
  private s2 = 0;
  private basisPos = 0; // pending COPY
  private basisLen = 0;
  private finished = false;

  constructor(
    signature: LoadedSignature,
    private readonly hasher: StrongHasher,
    private readonly sink: ByteSink,
    private readonly knownDigest: DeltaEncoderOptions['knownDigest'],
  ) {
    this.B = signature.params.blockLength;
    this.rollsum = signature.params.weak === 'rollsum';
    this.index = signature.index;
    this.multB = rabinKarpPower(this.B);
    this.buf = new Uint8Array((1 << 16) + Math.min(this.B, 1 << 20) + MAX_LITERAL_RUN + 1); // grows in append() if needed
    this.sink.write(deltaMagicBytes());
  }

  update(chunk: Uint8Array): Uint8Array {
    if (this.finished) throw new Error('DeltaEncoder.update after finish');
    for (let offset = 0; offset < chunk.length; offset += PIECE) {
      this.append(chunk.subarray(offset, Math.min(chunk.length, offset + PIECE)));
      this.scan(false);
    }
    return this.sink.take();
  }

  finish(): Uint8Array {
    if (this.finished) throw new Error('DeltaEncoder.finish called twice');
    this.finished = true;
    this.scan(true);
    this.flush(this.pos);
    this.sink.write(Uint8Array.of(OP.END));
    return this.sink.take();
  }

  private append(piece: Uint8Array): void {
    const keep = this.litStart;
    if (keep > 0) {
      this.buf.copyWithin(0, keep, this.n);
      this.base += keep;
      this.n -= keep;
      this.pos -= keep;
      this.litStart = 0;
    }
    this.buf = growBuffer(this.buf, this.n + piece.length, this.n);
    this.buf.set(piece, this.n);
    this.n += piece.length;
  }

  private scan(final: boolean): void {
    const B = this.B;
    const n = this.n;
    const bloom = this.index.bloom;
    let pos = this.pos;
    while (pos < n) {
      if (!final && pos + B >= n) break;
      if (this.count === 0) this.freshWindow(pos, Math.min(B, n - pos));
      const key = this.rollsum ? lookupKey((this.s2 << 16) | (this.s1 & 0xffff), true) : lookupKey(this.h, false);
      const bit = this.index.bloomBit(key);
      if (((bloom[bit >>> 5] as number) & (1 << (bit & 31))) !== 0) {
        const buf = this.buf;
        const len = this.count;
        const at = pos;
        const block = this.index.find(key, () => this.knownDigest?.(this.base + at, len) ?? this.hasher.digest(buf, at, len));
        if (block >= 0) {
          this.appendMatch(block, len, pos);
          pos += len;
          this.litStart = pos;
          this.count = 0;
          continue;
        }
      }
      if (this.basisLen > 0 || pos - this.litStart >= MAX_LITERAL_RUN) this.flush(pos);
      if (pos + B < n) {
        this.rotate(this.buf[pos] as number, this.buf[pos + B] as number);
        pos = this.rollsum ? this.rollMissesRollsum(pos + 1) : this.rollMissesRabinKarp(pos + 1);
      } else {
        this.rollout(this.buf[pos] as number);
        pos++;
      }
    }
    this.pos = pos;
  }

  private freshWindow(pos: number, len: number): void {
    this.count = len;
    if (this.rollsum) {
      const packed = rollsumBlock(this.buf, pos, len);
      this.s1 = packed & 0xffff;
      this.s2 = packed >>> 16;
    } else {
      this.h = rabinKarpBlock(this.buf, pos, len);
      this.mult = len === this.B ? this.multB : rabinKarpPower(len);
    }
  }

  private rotate(out: number, inn: number): void {
    if (this.rollsum) {
      this.s1 = (this.s1 + inn - out) | 0;
      this.s2 = (this.s2 + this.s1 - Math.imul(this.count, out + ROLLSUM_OFFSET)) | 0;
    } else {
      this.h = (Math.imul(this.h, RK_MULT) + inn - Math.imul(this.mult, out + RK_ADJ)) | 0;
    }
  }

  private rollout(out: number): void {
    if (this.rollsum) {
      this.s1 = (this.s1 - (out + ROLLSUM_OFFSET)) | 0;
      this.s2 = (this.s2 - Math.imul(this.count, out + ROLLSUM_OFFSET)) | 0;
    } else {
      this.mult = Math.imul(this.mult, RK_INVM);
      this.h = (this.h - Math.imul(this.mult, out + RK_ADJ)) | 0;
    }
    this.count--;
  }

  /** Fast path over misses with a full window: stops at a bloom hit, at the literal-run limit, or when the window can no longer slide. */
  private rollMissesRabinKarp(start: number): number {
    const buf = this.buf;
    const B = this.B;
    const bloom = this.index.bloom;
    const shift = this.index.bloomShift;
    const multB = this.multB;
    const end = Math.min(this.n - B - 1, this.litStart + MAX_LITERAL_RUN - 1);
    let h = this.h;
    let pos = start;
    while (pos <= end) {
      const bit = Math.imul(h === 0 ? -1 : h, 0x9e3779b1) >>> shift;
      if (((bloom[bit >>> 5] as number) & (1 << (bit & 31))) !== 0) break;
      h = (Math.imul(h, RK_MULT) + (buf[pos + B] as number) - Math.imul(multB, (buf[pos] as number) + RK_ADJ)) | 0;
      pos++;
    }
    this.h = h;
    return pos;
  }

  private rollMissesRollsum(start: number): number {
    const buf = this.buf;
    const B = this.B;
    const bloom = this.index.bloom;
    const shift = this.index.bloomShift;
    const end = Math.min(this.n - B - 1, this.litStart + MAX_LITERAL_RUN - 1);
    let s1 = this.s1;
    let s2 = this.s2;
    let pos = start;
    while (pos <= end) {
      let x = (s2 << 16) | (s1 & 0xffff);
      x ^= x >>> 16;
      x = Math.imul(x, 0x85ebca6b);
      x ^= x >>> 13;
      x = Math.imul(x, 0xc2b2ae35);
      x ^= x >>> 16;
      const bit = Math.imul(x === 0 ? -1 : x, 0x9e3779b1) >>> shift;
      if (((bloom[bit >>> 5] as number) & (1 << (bit & 31))) !== 0) break;
      const out = (buf[pos] as number) + ROLLSUM_OFFSET;
      s1 = (s1 + (buf[pos + B] as number) + ROLLSUM_OFFSET - out) | 0;
      s2 = (s2 + s1 - Math.imul(B, out)) | 0;
      pos++;
    }
    this.s1 = s1;
    this.s2 = s2;
    return pos;
  }

  private appendMatch(block: number, len: number, pos: number): void {
    const matchPos = block * this.B;
    if (this.basisLen > 0 && this.basisPos + this.basisLen === matchPos) {
      this.basisLen += len;
    } else {
      this.flush(pos);
      this.basisPos = matchPos;
      this.basisLen = len;
    }
  }

  private flush(pos: number): void {
    if (this.basisLen > 0) {
      const { buf, pos: o } = this.sink.reserve(17);
      this.sink.commit(encodeCopy(buf, o, this.basisPos, this.basisLen));
      this.basisLen = 0;
    } else if (pos > this.litStart) {
      const len = pos - this.litStart;
      const { buf, pos: o } = this.sink.reserve(9 + len);
      const p = encodeLiteralHeader(buf, o, len);
      buf.set(this.buf.subarray(this.litStart, pos), p);
      this.sink.commit(p + len);
    }
    this.litStart = pos;
  }
}
