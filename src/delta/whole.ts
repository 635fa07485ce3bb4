/**
 * Convenience wrappers over the streaming engine for inputs that are already in memory or
 * arrive as async iterables (tests, small files, tools).
 */
import { createDeltaEncoder } from './delta-encoder.js';
import { patchStream, type BasisReader } from './patch.js';
import { createSignatureBuilder } from './signature-builder.js';
import type { SignatureOptions } from './signature-format.js';
import { loadSignature } from './signature-index.js';

/** Concatenates byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Signature of an in-memory file (its size sets the default block length, as `rdiff signature FILE` does). */
export async function signatureOf(data: Uint8Array, options: SignatureOptions = {}): Promise<Uint8Array> {
  const builder = await createSignatureBuilder({ fileSize: data.length, ...options });
  return concatBytes([builder.update(data), builder.finish()]);
}

/** Delta of an in-memory new file against signature bytes. */
export async function deltaOf(signature: Uint8Array, newData: Uint8Array): Promise<Uint8Array> {
  const encoder = await createDeltaEncoder(loadSignature(signature));
  return concatBytes([encoder.update(newData), encoder.finish()]);
}

/** A {@link BasisReader} over an in-memory basis. */
export function memoryBasis(basis: Uint8Array): BasisReader {
  return {
    size: basis.length,
    read: async (offset, length) => basis.subarray(offset, Math.min(basis.length, offset + length)),
  };
}

/** Applies an in-memory delta to an in-memory basis. */
export async function patchBytes(basis: Uint8Array, delta: Uint8Array): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of patchStream(oneChunk(delta), memoryBasis(basis))) parts.push(part);
  return concatBytes(parts);
}

async function* oneChunk(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data;
}
