/**
 * The push's view of the rdiff engine (src/delta): a streaming signature builder and a streaming
 * delta encoder against a loaded signature, both fed the same chunks in one pass over the file.
 * Kept behind this small interface so the uploader can be tested with any engine.
 */
import { createSignatureBuilder } from '../delta/signature-builder.js';

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

type DeltaModule = {
  loadSignature(bytes: Uint8Array): unknown;
  createDeltaEncoder(sig: unknown): StreamEncoder | Promise<StreamEncoder>;
};

/** The engine backed by src/delta (the delta encoder is loaded on first use). */
export const rdiffEngine: DeltaEngine = {
  async signature(fileSize, blockLength, strongLength) {
    const builder = await createSignatureBuilder({ fileSize, blockLength, strongLength });
    return { update: (chunk) => builder.update(chunk), finish: () => builder.finish() };
  },
  async delta(sig) {
    const mod = (await import(DELTA_MODULE)) as DeltaModule;
    const index = await import('../delta/signature-index.js');
    return await mod.createDeltaEncoder(index.loadSignature(sig));
  },
};

// A variable so the type checker does not require the module while the rdiff helper builds it.
const DELTA_MODULE = '../delta/delta-encoder.js';
