/**
 * The one-pass operation `push` needs: while reading the new file once, compute both its own
 * signature and its delta against the previous version's signature.
 */
import { createDeltaEncoder } from './delta-encoder.js';
import { createSignatureBuilder } from './signature-builder.js';
import type { SignatureOptions } from './signature-format.js';
import type { LoadedSignature } from './signature-index.js';

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

/**
 * Creates a one-pass signature + delta computer. `oldSignature` is the previous version's
 * signature (from `loadSignature`); `newSignatureOptions` are rdiff-style options for the new
 * file's signature (pass `fileSize` so the block length matches what `rdiff signature` picks).
 */
export async function createSignatureAndDelta(
  oldSignature: LoadedSignature,
  newSignatureOptions: SignatureOptions = {},
): Promise<SignatureAndDelta> {
  const signature = await createSignatureBuilder(newSignatureOptions);
  const delta = await createDeltaEncoder(oldSignature);
  return {
    update: (chunk) => ({ signature: signature.update(chunk), delta: delta.update(chunk) }),
    finish: () => ({ signature: signature.finish(), delta: delta.finish() }),
  };
}
