/**
 * BLAKE2b-256 hashers for content hashes, reused: creating one instantiates WebAssembly (0.2–0.6
 * ms), which dominated pushing and restoring many small files (one hasher per file). hash-wasm
 * itself is loaded on first use.
 */
import type { IHasher } from 'hash-wasm';

const spare: IHasher[] = [];
/** Spare hashers kept at most (one per concurrent reader is plenty). */
const MAX_SPARE = 64;

/** A BLAKE2b-256 hasher, initialised; give it back with {@link releaseHasher} after its digest. */
export async function takeHasher(): Promise<IHasher> {
  // hash-wasm is loaded on first use: commands that read history from the local cache need no hashing.
  const hasher = spare.pop() ?? (await (await import('hash-wasm')).createBLAKE2b(256));
  hasher.init();
  return hasher;
}

/** Gives back a hasher whose digest was taken (it is re-initialised before its next use). */
export function releaseHasher(hasher: IHasher): void {
  if (spare.length < MAX_SPARE) spare.push(hasher);
}

/** BLAKE2b-256 (lowercase hex) of `bytes`. */
export async function blake2bHex(bytes: Uint8Array): Promise<string> {
  const hasher = await takeHasher();
  hasher.update(bytes);
  const hex = hasher.digest('hex');
  releaseHasher(hasher);
  return hex;
}

/** BLAKE2b-256 (lowercase hex) of everything `chunks` yields (a file stream, say). */
export async function blake2bStreamHex(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const hasher = await takeHasher();
  for await (const chunk of chunks) hasher.update(chunk);
  const hex = hasher.digest('hex');
  releaseHasher(hasher);
  return hex;
}
