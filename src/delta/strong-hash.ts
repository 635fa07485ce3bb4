/**
 * Strong checksums (BLAKE2b-256 and MD4) from hash-wasm: Node 20's crypto has neither.
 * Creation is asynchronous because the WASM module initialises asynchronously.
 */
import { createBLAKE2b, createMD4, type IHasher } from 'hash-wasm';

/** Which strong hash a signature uses. */
export type StrongHashKind = 'blake2' | 'md4';

/** A reusable strong hasher: `digest(data, start, length)` returns the full digest (32 or 16 bytes). */
export interface StrongHasher {
  readonly kind: StrongHashKind;
  /** Full digest length: 32 for BLAKE2b-256, 16 for MD4. */
  readonly digestLength: number;
  digest(data: Uint8Array, start: number, length: number): Uint8Array;
}

/** Creates a strong hasher of the given kind (unkeyed BLAKE2b with digest length 32, or MD4). */
export async function createStrongHasher(kind: StrongHashKind): Promise<StrongHasher> {
  const hasher: IHasher = kind === 'blake2' ? await createBLAKE2b(256) : await createMD4();
  return {
    kind,
    digestLength: kind === 'blake2' ? 32 : 16,
    digest(data, start, length) {
      hasher.init();
      hasher.update(data.subarray(start, start + length));
      return hasher.digest('binary');
    },
  };
}
