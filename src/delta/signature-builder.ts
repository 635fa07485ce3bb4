/**
 * Streaming signature generation: feed the file as chunks, get signature bytes back.
 * Memory: one block plus the output produced by the current chunk.
 */
import { growBuffer } from './byte-sink.js';
import { rabinKarpBlock, rollsumBlock } from './checksums.js';
import {
  encodeSignatureHeader,
  resolveSignatureParams,
  type SignatureOptions,
  type SignatureParams,
} from './signature-format.js';
import { createStrongHasher, type StrongHasher } from './strong-hash.js';
import { loadKernels, type RdiffKernels } from './wasm/kernels.js';

/** Computes a signature over a stream of chunks. */
export interface SignatureBuilder {
  readonly params: SignatureParams;
  /** Consumes the next chunk of the file; returns the signature bytes it completes (the header on the first call). */
  update(chunk: Uint8Array): Uint8Array;
  /** Ends the file; returns the remaining signature bytes (the last, possibly short, block). */
  finish(): Uint8Array;
}

/** Called with each block's full strong digest and its offset in the file (used by the one-pass operation). */
export type BlockDigestListener = (offset: number, length: number, digest: Uint8Array) => void;

/** Creates a {@link SignatureBuilder} with rdiff 2.3.2's defaults for anything not given in `options`. */
export async function createSignatureBuilder(
  options: SignatureOptions = {},
  onBlockDigest?: BlockDigestListener,
): Promise<SignatureBuilder> {
  const params = resolveSignatureParams(options);
  return new StreamingSignature(params, await createBlockSummer(params), onBlockDigest);
}

class StreamingSignature implements SignatureBuilder {
  readonly params: SignatureParams;
  private readonly summer: BlockSummer;
  private partial: Uint8Array;
  private partialLength = 0;
  private headerWritten = false;
  private finished = false;
  private readonly entryLength: number;
  private offset = 0; // file offset of the next block

  constructor(
    params: SignatureParams,
    summer: BlockSummer,
    private readonly onBlockDigest: BlockDigestListener | undefined,
  ) {
    this.params = params;
    this.summer = summer;
    this.partial = new Uint8Array(Math.min(params.blockLength, 1 << 16)); // grows up to one block
    this.entryLength = 4 + params.strongLength;
  }

  update(chunk: Uint8Array): Uint8Array {
    if (this.finished) throw new Error('SignatureBuilder.update after finish');
    const B = this.params.blockLength;
    let offset = 0;
    let blocks = 0;
    const fromPartial = this.partialLength > 0 && this.partialLength + chunk.length >= B ? 1 : 0;
    const afterPartial = this.partialLength > 0 ? Math.max(0, chunk.length - (B - this.partialLength)) : chunk.length;
    blocks = fromPartial + Math.floor(afterPartial / B);
    const header = this.headerWritten ? 0 : 12;
    const out = new Uint8Array(header + blocks * this.entryLength);
    let o = 0;
    if (!this.headerWritten) {
      out.set(encodeSignatureHeader(this.params));
      this.headerWritten = true;
      o = 12;
    }
    if (this.partialLength > 0) {
      const take = Math.min(B - this.partialLength, chunk.length);
      this.partial = growBuffer(this.partial, this.partialLength + take, this.partialLength);
      this.partial.set(chunk.subarray(0, take), this.partialLength);
      this.partialLength += take;
      offset = take;
      if (this.partialLength === B) {
        o = this.writeEntry(out, o, this.partial, 0, B);
        this.partialLength = 0;
      }
    }
    const whole = Math.floor((chunk.length - offset) / B) * B;
    if (whole > 0) {
      const from = this.offset;
      o = this.summer.write(out, o, chunk, offset, offset + whole, this.onBlockDigest && ((at, length, digest) => this.onBlockDigest?.(from + at, length, digest)));
      this.offset += whole;
      offset += whole;
    }
    if (offset < chunk.length) {
      this.partial = growBuffer(this.partial, this.partialLength + chunk.length - offset, this.partialLength);
      this.partial.set(chunk.subarray(offset), this.partialLength);
      this.partialLength += chunk.length - offset;
    }
    return out;
  }

  finish(): Uint8Array {
    if (this.finished) throw new Error('SignatureBuilder.finish called twice');
    this.finished = true;
    const header = this.headerWritten ? 0 : 12;
    const out = new Uint8Array(header + (this.partialLength > 0 ? this.entryLength : 0));
    if (!this.headerWritten) out.set(encodeSignatureHeader(this.params));
    this.headerWritten = true;
    if (this.partialLength > 0) this.writeEntry(out, header, this.partial, 0, this.partialLength);
    this.partialLength = 0;
    return out;
  }

  private writeEntry(out: Uint8Array, o: number, data: Uint8Array, start: number, length: number): number {
    const strong = this.summer.writeOne(out, o, data, start, length);
    this.onBlockDigest?.(this.offset, length, strong);
    this.offset += length;
    return o + this.entryLength;
  }
}

/**
 * Writes the signature entry (weak sum, then the first `strongLength` bytes of the strong sum) of
 * `data[start, start+length)` at `out[o]`; returns the block's full strong digest.
 */
export function writeSignatureEntry(
  out: Uint8Array,
  o: number,
  data: Uint8Array,
  start: number,
  length: number,
  params: SignatureParams,
  hasher: StrongHasher,
): Uint8Array {
  const weak = params.weak === 'rabinkarp' ? rabinKarpBlock(data, start, length) : rollsumBlock(data, start, length);
  const strong = hasher.digest(data, start, length);
  writeEntry(out, o, weak, strong, params.strongLength);
  return strong;
}

function writeEntry(out: Uint8Array, o: number, weak: number, strong: Uint8Array, strongLength: number): void {
  out[o] = weak >>> 24;
  out[o + 1] = weak >>> 16;
  out[o + 2] = weak >>> 8;
  out[o + 3] = weak;
  for (let i = 0; i < strongLength; i++) out[o + 4 + i] = strong[i] as number;
}

/** Bytes summed per copy into the kernels' arena. */
const ARENA_BYTES = 1 << 20;

/**
 * Writes the signature entries of consecutive blocks, two blocks at a time through the
 * WebAssembly kernels where they run (RabinKarp and BLAKE2b), else one at a time.
 */
export class BlockSummer {
  private readonly kernels: RdiffKernels | undefined;
  private arena: Uint8Array | undefined;
  private readonly arenaBytes: number;

  /** Use {@link createBlockSummer}. */
  constructor(
    private readonly params: SignatureParams,
    private readonly hasher: StrongHasher,
    kernels: RdiffKernels | undefined,
  ) {
    this.arenaBytes = arenaBytesFor(params.blockLength);
    this.kernels = kernels;
    this.arena = kernels?.arena();
  }

  /** Writes the entry of one block at `out[o]`; returns its full strong digest. */
  writeOne(out: Uint8Array, o: number, data: Uint8Array, start: number, length: number): Uint8Array {
    return writeSignatureEntry(out, o, data, start, length, this.params, this.hasher);
  }

  /**
   * Writes the entries of the blocks of `data[start, end)` (the last may be short) from `out[o]`;
   * returns the position after them. `onDigest` gets each block's full strong digest and offset
   * (relative to `start`).
   */
  write(out: Uint8Array, o: number, data: Uint8Array, start: number, end: number, onDigest?: (offset: number, length: number, digest: Uint8Array) => void): number {
    const B = this.params.blockLength;
    const entryLength = 4 + this.params.strongLength;
    if (!this.kernels || !this.arena) {
      for (let p = start; p < end; p += B, o += entryLength) {
        const length = Math.min(B, end - p);
        const strong = writeSignatureEntry(out, o, data, p, length, this.params, this.hasher);
        onDigest?.(p - start, length, strong);
      }
      return o;
    }
    for (let from = start; from < end; from += this.arenaBytes) {
      const to = Math.min(end, from + this.arenaBytes);
      this.arena.set(data.subarray(from, to));
      o = this.sumArena(out, o, to - from, from - start, onDigest);
    }
    return o;
  }

  private sumArena(out: Uint8Array, o: number, length: number, offset: number, onDigest?: (offset: number, length: number, digest: Uint8Array) => void): number {
    const { params, hasher } = this;
    const kernels = this.kernels as RdiffKernels;
    const arena = this.arena as Uint8Array;
    const B = params.blockLength;
    const S = params.strongLength;
    const entryLength = 4 + S;
    const rabinKarp = params.weak === 'rabinkarp';
    const pairs = params.strong === 'blake2';
    let p = 0;
    if (pairs) {
      for (; p + 2 * B <= length; p += 2 * B, o += 2 * entryLength) {
        const digests = kernels.blake2bPair(arena, p, p + B, B);
        const first = digests.subarray(0, 32);
        const second = digests.subarray(32, 64);
        writeEntry(out, o, rabinKarp ? kernels.rabinKarp(arena, p, B) : rollsumBlock(arena, p, B), first, S);
        writeEntry(out, o + entryLength, rabinKarp ? kernels.rabinKarp(arena, p + B, B) : rollsumBlock(arena, p + B, B), second, S);
        if (onDigest) {
          onDigest(offset + p, B, first.slice());
          onDigest(offset + p + B, B, second.slice());
        }
      }
    }
    for (; p < length; p += B, o += entryLength) {
      const n = Math.min(B, length - p);
      const strong = hasher.digest(arena, p, n);
      writeEntry(out, o, rabinKarp ? kernels.rabinKarp(arena, p, n) : rollsumBlock(arena, p, n), strong, S);
      onDigest?.(offset + p, n, strong);
    }
    return o;
  }
}

/** Arena bytes a summer copies at a time: whole pairs of blocks, about 1 MiB. */
function arenaBytesFor(blockLength: number): number {
  return Math.max(2, Math.floor(ARENA_BYTES / blockLength)) * blockLength;
}

/** A {@link BlockSummer} for `params`, with the kernels where they run (blocks up to 1 MiB). */
export async function createBlockSummer(params: SignatureParams): Promise<BlockSummer> {
  const kernels = params.blockLength <= ARENA_BYTES ? await loadKernels(arenaBytesFor(params.blockLength)) : undefined;
  return new BlockSummer(params, await createStrongHasher(params.strong), kernels);
}

/** Signature entries (no header) of consecutive blocks of `data`; the last block may be short. */
export function signatureEntries(data: Uint8Array, params: SignatureParams, summer: BlockSummer): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.length / params.blockLength) * (4 + params.strongLength));
  summer.write(out, 0, data, 0, data.length);
  return out;
}
