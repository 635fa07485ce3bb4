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

/** Defaults: 64 KiB small files, deltas up to half the file, chains of at most 32 deltas. */
export const DEFAULT_POLICY: StoragePolicy = { smallFileBytes: 64 * 1024, maxDeltaRatio: 0.5, maxChain: 32 };

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

/**
 * rdiff block length for a file of `size` bytes. A chain stores one full signature (at its
 * start, `size / block × 36` bytes) and then only signature deltas, so the block length is
 * chosen for small deltas: every edited spot costs about one block of literal data. 4 KiB for
 * files from 16 MiB to 4 GiB (signature 0.9 % of the file, once per chain); √size, at least
 * 1 KiB, below that; above 4 GiB it grows so a signature stays under 36 MiB in memory.
 */
export function chooseBlockLength(size: number): number {
  const MiB = 1024 * 1024;
  if (size <= 16 * MiB) return Math.min(4096, Math.max(1024, 2 ** Math.round(Math.log2(Math.sqrt(Math.max(size, 1))))));
  return Math.max(4096, 2 ** Math.ceil(Math.log2(size / MiB)));
}

/** Strong-sum length in signatures: full BLAKE2b (32 bytes), rdiff 2.3.2's default. */
export const STRONG_LEN = 32;
