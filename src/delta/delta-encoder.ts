/**
 * Streaming delta against a loaded signature, byte-identical to rdiff 2.3.2 (librsync.md §3.3):
 * the sequential driver of the one scan (`window-scan.ts`) and the one command writer
 * (`command-writer.ts`) that the parallel engine stitches together too.
 *
 * The window buffer holds only the bytes from the next position to visit (at most one block plus
 * a piece); literals go to the writer as soon as the scan has passed them, so memory is
 * O(signature + block length + chunk).
 */
import { ByteSink, growBuffer } from './byte-sink.js';
import { DeltaCommandWriter } from './command-writer.js';
import type { LoadedSignature } from './signature-index.js';
import { createStrongHasher } from './strong-hash.js';
import { loadKernels } from './wasm/kernels.js';
import { emptyMatches, scanMatches, type ScanContext } from './window-scan.js';

export { MAX_LITERAL_RUN } from './command-writer.js';

/** Chunks are consumed in pieces of at most this size, which bounds the window buffer. */
const PIECE = 1 << 20;
/** The window buffer's first size, besides one block. */
const INITIAL_BUFFER = (1 << 16) + PIECE;

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
  if (signature.blockCount === 0) {
    // An empty basis: rdiff emits one LITERAL per block-length piece of input.
    return new LiteralDelta(new DeltaCommandWriter(sink, signature.params.blockLength), sink);
  }
  const B = signature.params.blockLength;
  return new RollingDelta(await scanContextOf(signature, B <= PIECE ? INITIAL_BUFFER + B : 0), sink, options.knownDigest);
}

/**
 * The {@link ScanContext} of a loaded signature, with WebAssembly kernels (where they run) whose
 * arena of `arenaBytes` (it may grow) is the caller's to hold the data it scans.
 */
export async function scanContextOf(signature: LoadedSignature, arenaBytes = 0): Promise<ScanContext> {
  const hasher = await createStrongHasher(signature.params.strong);
  return {
    blockLength: signature.params.blockLength,
    rollsum: signature.params.weak === 'rollsum',
    index: signature.index,
    strong: (data, start, length) => hasher.digest(data, start, length),
    kernels: arenaBytes > 0 ? await loadKernels(arenaBytes) : undefined,
    blake2: signature.params.strong === 'blake2',
  };
}

/** A signature without blocks: everything is literal. */
class LiteralDelta implements DeltaEncoder {
  constructor(
    private readonly writer: DeltaCommandWriter,
    private readonly sink: ByteSink,
  ) {}

  update(chunk: Uint8Array): Uint8Array {
    this.writer.literal(chunk);
    return this.sink.take();
  }

  finish(): Uint8Array {
    this.writer.finish();
    return this.sink.take();
  }
}

class RollingDelta implements DeltaEncoder {
  private readonly B: number;
  private readonly ctx: ScanContext;
  private readonly writer: DeltaCommandWriter;
  private readonly matches = emptyMatches();
  private buf: Uint8Array;
  private base = 0; // file offset of buf[0]
  private n = 0; // bytes in buf
  private pos = 0; // next window position to visit (in buf); bytes before it are written
  private finished = false;

  constructor(
    ctx: ScanContext,
    private readonly sink: ByteSink,
    knownDigest: DeltaEncoderOptions['knownDigest'],
  ) {
    this.B = ctx.blockLength;
    this.ctx = knownDigest
      ? { ...ctx, blake2: false, strong: (data, start, length) => knownDigest(this.base + start, length) ?? ctx.strong(data, start, length) }
      : ctx;
    this.writer = new DeltaCommandWriter(sink);
    // In the kernels' arena when they run, so that the scan sums blocks there without copies.
    this.buf = ctx.kernels?.arena() ?? new Uint8Array((1 << 16) + Math.min(this.B, 1 << 20)); // grows in append() if needed
  }

  update(chunk: Uint8Array): Uint8Array {
    if (this.finished) throw new Error('DeltaEncoder.update after finish');
    for (let offset = 0; offset < chunk.length; offset += PIECE) {
      this.append(chunk.subarray(offset, Math.min(chunk.length, offset + PIECE)));
      // Positions whose window is whole; the rest wait for more data (or the end).
      this.scan(this.n - this.B + 1, false);
    }
    return this.sink.take();
  }

  finish(): Uint8Array {
    if (this.finished) throw new Error('DeltaEncoder.finish called twice');
    this.finished = true;
    this.scan(this.n, true);
    this.writer.finish();
    return this.sink.take();
  }

  private append(piece: Uint8Array): void {
    const keep = this.pos;
    if (keep > 0) {
      this.buf.copyWithin(0, keep, this.n);
      this.base += keep;
      this.n -= keep;
      this.pos = 0;
    }
    const need = this.n + piece.length;
    if (need > this.buf.length) this.buf = this.ctx.kernels ? this.ctx.kernels.grow(Math.max(need, 2 * this.buf.length)) : growBuffer(this.buf, need, this.n);
    this.buf.set(piece, this.n);
    this.n += piece.length;
  }

  /** Visits positions below `limit` and writes what they decide: literals and COPYs. */
  private scan(limit: number, atEnd: boolean): void {
    if (this.pos >= limit) return;
    const buf = this.buf.subarray(0, this.n);
    const matches = this.matches;
    matches.positions.length = matches.blocks.length = matches.lengths.length = 0;
    const next = scanMatches(buf, this.pos, limit, atEnd, this.ctx, matches);
    this.pos = this.writer.scanned(buf, this.pos, next, matches, this.B);
  }
}
