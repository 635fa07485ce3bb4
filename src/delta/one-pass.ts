/**
 * The one-pass operation `push` needs: while reading the new file once, compute both its own
 * signature and its delta against the previous version's signature.
 *
 * When both use the same block length and strong hash (the usual case: a file of about the same
 * size), the delta reuses the strong digests the signature has just computed for the same bytes,
 * so unchanged, unshifted regions are hashed once instead of twice. The output is unchanged by this.
 */
import { createDeltaEncoder } from './delta-encoder.js';
import { createSignatureBuilder } from './signature-builder.js';
import { resolveSignatureParams, type SignatureOptions } from './signature-format.js';
import type { LoadedSignature } from './signature-index.js';
import { concatBytes } from './whole.js';

/** Output of one {@link SignatureAndDelta} step. */
export interface SignatureAndDeltaOutput {
  /** Signature bytes of the new file completed by this step. */
  signature: Uint8Array;
  /** Delta bytes completed by this step. */
  delta: Uint8Array;
}

/** Feeds each chunk of the new file to a signature builder and a delta encoder at once. */
export interface SignatureAndDelta {
  update(chunk: Uint8Array): SignatureAndDeltaOutput;
  finish(): SignatureAndDeltaOutput;
}

/** Both sides see the file in pieces of this size, so the signature never runs far ahead. */
const PIECE = 1 << 20;
/** Digests kept for the delta; older ones are dropped (and recomputed if ever needed). */
const MEMO_LIMIT = 4096;

/**
 * Creates a one-pass signature + delta computer. `oldSignature` is the previous version's
 * signature (from `loadSignature`); `newSignatureOptions` are rdiff-style options for the new
 * file's signature (pass `fileSize` so the block length matches what `rdiff signature` picks).
 */
export async function createSignatureAndDelta(
  oldSignature: LoadedSignature,
  newSignatureOptions: SignatureOptions = {},
): Promise<SignatureAndDelta> {
  const params = resolveSignatureParams(newSignatureOptions);
  const shareDigests = params.blockLength === oldSignature.params.blockLength && params.strong === oldSignature.params.strong;
  const memo = shareDigests ? new DigestMemo(params.blockLength) : undefined;
  const signature = await createSignatureBuilder(newSignatureOptions, memo?.put);
  const delta = await createDeltaEncoder(oldSignature, { knownDigest: memo?.take });
  return {
    update(chunk) {
      if (chunk.length <= PIECE) return { signature: signature.update(chunk), delta: delta.update(chunk) };
      const sig: Uint8Array[] = [];
      const del: Uint8Array[] = [];
      for (let p = 0; p < chunk.length; p += PIECE) {
        const piece = chunk.subarray(p, p + PIECE);
        sig.push(signature.update(piece));
        del.push(delta.update(piece));
      }
      return { signature: concatBytes(sig), delta: concatBytes(del) };
    },
    finish: () => ({ signature: signature.finish(), delta: delta.finish() }),
  };
}

/** Full-block digests by file offset, from the signature builder to the delta encoder. */
class DigestMemo {
  private readonly digests = new Map<number, Uint8Array>();

  constructor(private readonly blockLength: number) {}

  readonly put = (offset: number, length: number, digest: Uint8Array): void => {
    if (length !== this.blockLength) return;
    this.digests.set(offset, digest);
    if (this.digests.size > MEMO_LIMIT) {
      const oldest = this.digests.keys().next();
      if (!oldest.done) this.digests.delete(oldest.value);
    }
  };

  readonly take = (offset: number, length: number): Uint8Array | undefined => {
    if (length !== this.blockLength) return undefined;
    const digest = this.digests.get(offset);
    if (digest) this.digests.delete(offset);
    return digest;
  };
}
