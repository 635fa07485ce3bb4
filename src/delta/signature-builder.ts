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
  return new StreamingSignature(params, await createStrongHasher(params.strong), onBlockDigest);
}

class StreamingSignature implements SignatureBuilder {
  readonly params: SignatureParams;
  private readonly hasher: StrongHasher;
  private partial: Uint8Array;
  private partialLength = 0;
  private headerWritten = false;
  private finished = false;
  private readonly entryLength: number;
  private offset = 0; // file offset of the next block

  constructor(
    params: SignatureParams,
    hasher: StrongHasher,
    private readonly onBlockDigest: BlockDigestListener | undefined,
  ) {
    this.params = params;
    this.hasher = hasher;
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
    while (chunk.length - offset >= B) {
      o = this.writeEntry(out, o, chunk, offset, B);
      offset += B;
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
    const strong = writeSignatureEntry(out, o, data, start, length, this.params, this.hasher);
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
  out[o] = weak >>> 24;
  out[o + 1] = weak >>> 16;
  out[o + 2] = weak >>> 8;
  out[o + 3] = weak;
  const strong = hasher.digest(data, start, length);
  out.set(strong.subarray(0, params.strongLength), o + 4);
  return strong;
}

/** Signature entries (no header) of consecutive blocks of `data`; the last block may be short. */
export function signatureEntries(data: Uint8Array, params: SignatureParams, hasher: StrongHasher): Uint8Array {
  const B = params.blockLength;
  const entryLength = 4 + params.strongLength;
  const out = new Uint8Array(Math.ceil(data.length / B) * entryLength);
  for (let start = 0, o = 0; start < data.length; start += B, o += entryLength) {
    writeSignatureEntry(out, o, data, start, Math.min(B, data.length - start), params, hasher);
  }
  return out;
}
