/**
 * Strong checksums (BLAKE2b-256 and MD4) from hash-wasm: Node 20's crypto has neither.
 * Creation is asynchronous because the WASM module initialises asynchronously.
 */

/** Which strong hash a signature uses. */
export type StrongHashKind = 'blake2' | 'md4';

/** A reusable strong hasher: `digest(data, start, length)` returns the full digest (32 or 16 bytes). */
export interface StrongHasher {
  readonly kind: StrongHashKind;
  /** Full digest length: 32 for BLAKE2b-256, 16 for MD4. */
  readonly digestLength: number;
  digest(data: Uint8Array, start: number, length: number): Uint8Array;
}

const shared = new Map<StrongHashKind, Promise<StrongHasher>>();

/**
 * Returns the strong hasher of the given kind (unkeyed BLAKE2b with digest length 32, or MD4).
 * One instance per kind is shared: each `digest` call is synchronous and self-contained
 * (init, update, digest), so sharing is safe and avoids a WASM instance per file.
 */
export function createStrongHasher(kind: StrongHashKind): Promise<StrongHasher> {
  let hasher = shared.get(kind);
  if (!hasher) {
    hasher = instantiate(kind);
    shared.set(kind, hasher);
    hasher.catch(() => shared.delete(kind));
  }
  return hasher;
}

/**
 * Loads one algorithm's build of hash-wasm on first use. hash-wasm's index decodes every
 * algorithm's WASM (about 50 ms at start-up); its per-algorithm files hold one each.
 */
async function loadSingle(name: 'blake2b' | 'md4'): Promise<Pick<typeof import('hash-wasm'), 'createBLAKE2b' | 'createMD4'>> {
  const module = (await import(`hash-wasm/dist/${name}.umd.min.js`)) as { default: Pick<typeof import('hash-wasm'), 'createBLAKE2b' | 'createMD4'> };
  return module.default;
}

async function instantiate(kind: StrongHashKind): Promise<StrongHasher> {
  const hasher = kind === 'blake2' ? await (await loadSingle('blake2b')).createBLAKE2b(256) : await (await loadSingle('md4')).createMD4();
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
