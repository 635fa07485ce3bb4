/**
 * Signatures stored as a chain (an optional, compatible extension of the version node).
 *
 * A version node of a file stored as a chain needs the signature of its version so the next push
 * can delta against the grid alone. Storing the whole signature with every version costs
 * `size / block × 36` bytes each time, more than the delta itself for sparse edits. So a node
 * that continues a chain stores instead `sigbase` (the full signature its chain's first node held
 * as `sig`, shared with it) and `s001…sNNN`: rdiff deltas turning each signature into the next.
 * Applying them in order gives this version's signature, byte-identical to `rdiff signature`.
 * A node that starts a chain keeps the plain `sig` of DESIGN.md §2. Readers of content never
 * need either; tools that want a signature and find no `sig` may also recompute it.
 */
import { deltaOf, patchBytes, signatureOf } from '../delta/index.js';
import type { ChainInfo } from '../catalog/records.js';
import { VERSION_NODE } from '../model/entry.js';
import type { Store } from '../store/store.js';

/** Child names of the signature chain in a version node. */
export const SIGNATURE_CHAIN = {
  base: VERSION_NODE.signatureBase,
  deltaName: VERSION_NODE.signatureDeltaName,
} as const;

/** Block length for deltas between signatures: four 36-byte entries. */
const SIG_DELTA_BLOCK = 4 * 36;

/** The full signature of the last version of `chain`, rebuilt from the grid. */
export async function loadChainSignature(store: Store, chain: ChainInfo): Promise<Uint8Array> {
  let sig = await store.get(chain.sig.cap);
  for (const d of chain.sigDeltas ?? []) sig = await patchBytes(sig, await store.get(d.cap));
  return sig;
}

/** The rdiff delta from signature `previous` to signature `next`. */
export async function signatureDelta(previous: Uint8Array, next: Uint8Array): Promise<Uint8Array> {
  return deltaOf(await signatureOf(previous, { blockLength: SIG_DELTA_BLOCK }), next);
}
