/**
 * Storage policy (pure): how a file version is stored and with which rdiff block size.
 */

/** Tunables of the policy; {@link DEFAULT_POLICY} is what `push` uses unless flags say otherwise. */
export interface StoragePolicy {
  /** Files up to this size are stored as plain whole objects (no version node, no signature). */
  smallFileBytes: number;
  /** A delta larger than this share of the new file's size means "heavily changed": store whole. */
  maxDeltaRatio: number;
  /** A chain with this many deltas starts over with a whole copy. */
  maxChain: number;
}

/**
 * Defaults: files up to 256 KiB are packed, deltas up to half the file, chains of at most 32
 * deltas. The pack threshold weighs the grid's cost per object (≈ 8.5 ms of the client node's CPU,
 * the time it moves ≈ 440 KB at its 52 MB/s; 160–200 ms of wall time on a loaded 2-core machine)
 * against storing a changed packed file whole again: below ~256 KiB one object costs more than
 * the bytes, and a delta would need three (delta, signature, version node).
 */
export const DEFAULT_POLICY: StoragePolicy = { smallFileBytes: 256 * 1024, maxDeltaRatio: 0.5, maxChain: 32 };

/** What the previous version offers to delta against. */
export interface PreviousVersion {
  /** Number of deltas in its chain (0 when stored whole in a version node). */
  chainLength: number;
  /** True when a signature for it is stored (in a version node). */
  hasSignature: boolean;
}

/** Where a version goes: plain whole object, a fresh version node, or a delta on the chain. */
export type StorageChoice = 'whole' | 'new-chain' | 'delta';

/** Whether to even compute a delta: only when a signature exists and the chain may grow. */
export function shouldTryDelta(size: number, previous: PreviousVersion | undefined, policy: StoragePolicy): boolean {
  if (previous === undefined || !previous.hasSignature) return false;
  if (size <= policy.smallFileBytes) return false;
  return previous.chainLength < policy.maxChain;
}

/** The storage for a new version of `size` bytes, given the delta size when one was computed. */
export function chooseStorage(size: number, previous: PreviousVersion | undefined, deltaBytes: number | undefined, policy: StoragePolicy): StorageChoice {
  if (size <= policy.smallFileBytes) return 'whole';
  if (!shouldTryDelta(size, previous, policy) || deltaBytes === undefined) return 'new-chain';
  if (deltaBytes > size * policy.maxDeltaRatio) return 'new-chain';
  return 'delta';
}
