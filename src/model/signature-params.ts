/**
 * The rdiff signature parameters timefs uses for stored versions: one rule shared by push (which
 * deltas against the signature) and rebase (which stores the signature of the version it rebuilds).
 */

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
