/**
 * The push's view of the rdiff engine (src/delta): a streaming signature builder and a streaming
 * delta encoder against a loaded signature, both fed the same chunks in one pass over the file
 * (the same pairing as `createSignatureAndDelta`, kept apart so a pass can build either alone).
 */
import { createDeltaEncoder, createSignatureBuilder, loadSignature } from '../delta/index.js';

/** Consumes a file's chunks and produces output bytes as it goes. */
export interface StreamEncoder {
  update(chunk: Uint8Array): Uint8Array;
  finish(): Uint8Array;
}

/** What the uploader needs from the rdiff engine. */
export interface DeltaEngine {
  /** A signature encoder for a file of `fileSize` bytes with the given block and strong-sum lengths. */
  signature(fileSize: number, blockLength: number, strongLength: number): Promise<StreamEncoder>;
  /** A delta encoder against the signature `sig` (whole signature file bytes). */
  delta(sig: Uint8Array): Promise<StreamEncoder>;
}

/** The engine backed by src/delta: byte-identical to librsync 2.3.2's rdiff. */
export const rdiffEngine: DeltaEngine = {
  async signature(fileSize, blockLength, strongLength) {
    return createSignatureBuilder({ fileSize, blockLength, strongLength });
  },
  async delta(sig) {
    return createDeltaEncoder(loadSignature(sig));
  },
};
