/**
 * Streaming a file stored whole in one GET (the fastest way Tahoe serves it), with its size and
 * recorded hash checked at the end, like the view's chain reader does for chains.
 */
import { createBLAKE2b } from 'hash-wasm';
import type { EntryMeta } from '../model/entry.js';
import { TimefsError } from '../model/errors.js';
import type { CallOptions, Store } from '../store/store.js';

/**
 * The content of the whole-stored file `cap`, in chunks; after the last one the size and hash
 * are compared with `meta`.
 * @throws TimefsError `integrity` naming `where` (after the last chunk) on a mismatch
 */
export async function* readWholeVerified(store: Store, cap: string, meta: EntryMeta, where: string, options?: CallOptions): AsyncIterable<Uint8Array> {
  const hasher = meta.hash === undefined ? undefined : await createBLAKE2b(256);
  hasher?.init();
  let size = 0;
  for await (const chunk of store.getStream(cap, options)) {
    size += chunk.length;
    hasher?.update(chunk);
    yield chunk;
  }
  const hint = 'the stored data is damaged; run `timefs check --read-data` and restore it from another snapshot';
  if (size !== meta.size) throw new TimefsError('integrity', `${where}: read ${size} bytes, ${meta.size} recorded`, { hint });
  const actual = hasher?.digest('hex');
  if (actual !== undefined && actual !== meta.hash) {
    throw new TimefsError('integrity', `${where}: content hash ${actual.slice(0, 16)}… does not match the recorded ${meta.hash!.slice(0, 16)}…`, { hint });
  }
}
