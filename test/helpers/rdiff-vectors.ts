import { join, resolve } from 'node:path';

/**
 * The byte-exact vectors made by the real rdiff 2.3.2 (copied from shared/research/rdiff-vectors,
 * with their SHA256SUMS). TIMEFS_RDIFF_VECTORS points elsewhere, e.g. at a regenerated set.
 */
export const RDIFF_VECTORS = resolve(
  process.env.TIMEFS_RDIFF_VECTORS ?? join(import.meta.dirname, '..', 'fixtures', 'rdiff-vectors'),
);
