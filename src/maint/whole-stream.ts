/**
 * Whole reads for restore, faster than range reads when every byte is wanted: a file stored whole
 * in one streamed GET (the fastest way Tahoe serves it), and a short chain rebuilt in memory. Size
 * and recorded hash are checked, as the view's chain reader does.
 */
import { releaseHasher, takeHasher } from '../model/blake2b-pool.js';
import type { EntryMeta } from '../model/entry.js';
import { TimefsError } from '../model/errors.js';
import { patchBytes } from '../delta/index.js';
import type { CallOptions, Store } from '../store/store.js';
import type { TreeEntry } from '../view/entry-decode.js';
import { DEFAULT_CHUNK, type VersionPlace, type VersionReader, type WholeReadOptions } from '../view/version-reader.js';
import { readChainParts, verifyContent } from './version-bytes.js';

/**
 * The content of the whole-stored file `cap`, in chunks; after the last one the size and hash
 * are compared with `meta`.
 * @throws TimefsError `integrity` naming `where` (after the last chunk) on a mismatch
 */
export async function* readWholeVerified(store: Store, cap: string, meta: EntryMeta, where: string, options?: CallOptions): AsyncIterable<Uint8Array> {
  const hasher = meta.hash === undefined ? undefined : await takeHasher();
  let size = 0;
  for await (const chunk of store.getStream(cap, options)) {
    size += chunk.length;
    hasher?.update(chunk);
    yield chunk;
  }
  const hint = 'the stored data is damaged; run `timefs check --read-data` and restore it from another snapshot';
  if (size !== meta.size) throw new TimefsError('integrity', `${where}: read ${size} bytes, ${meta.size} recorded`, { hint });
  const actual = hasher?.digest('hex');
  if (hasher) releaseHasher(hasher);
  if (actual !== undefined && actual !== meta.hash) {
    throw new TimefsError('integrity', `${where}: content hash ${actual.slice(0, 16)}… does not match the recorded ${meta.hash!.slice(0, 16)}…`, { hint });
  }
}

/** Chains whose base and result fit under this size are rebuilt in memory by {@link readChainInMemory}. */
export const IN_MEMORY_CHAIN_BYTES = 512 * 1024 * 1024;

/**
 * The content of the chained version `cap`, rebuilt in memory: the base in one streamed GET, the
 * deltas applied in order, the result checked against `meta` before the first chunk is yielded.
 * Faster than range reads through the chain when the whole file is wanted (restore), at the cost
 * of about twice the file size in memory; callers keep it to files below {@link IN_MEMORY_CHAIN_BYTES}
 * and `fallback` (range reads) is used when the base is larger.
 * @throws TimefsError `integrity` naming `where`
 */
export async function* readChainInMemory(store: Store, cap: string, meta: EntryMeta, where: string, fallback: () => AsyncIterable<Uint8Array>, options?: CallOptions): AsyncIterable<Uint8Array> {
  const parts = await readChainParts(store, cap, where, options);
  if ((await store.size(parts.base, options)) > IN_MEMORY_CHAIN_BYTES) {
    yield* fallback();
    return;
  }
  // The deltas are fetched together, while the base streams in: not one round trip after another.
  const deltas = Promise.all(parts.deltas.map((deltaCap) => store.get(deltaCap, options)));
  deltas.catch(() => {}); // awaited below, after the base
  const chunks: Uint8Array[] = [];
  for await (const chunk of store.getStream(parts.base, options)) chunks.push(chunk);
  let bytes: Uint8Array = Buffer.concat(chunks);
  chunks.length = 0;
  for (const delta of await deltas) bytes = await patchBytes(bytes, delta);
  await verifyContent(bytes, meta, where);
  const slice = 8 * 1024 * 1024;
  for (let i = 0; i < bytes.length; i += slice) yield bytes.subarray(i, i + slice);
}

/**
 * Every byte of the version `entry` points to, the fastest way: files up to 16 MiB whole in one
 * GET and short chains in memory, larger ones through `versions` (16 MiB ranges, a few in
 * flight). Always hash checked.
 */
export function readWholeVersion(store: Store, versions: VersionReader, entry: TreeEntry, place: VersionPlace, options: WholeReadOptions = {}): AsyncIterable<Uint8Array> {
  const label = `${place.path} in snapshot ${place.snapshot}`;
  const storage = entry.meta.storage ?? 'whole';
  const ranged = () => versions.readVerified(entry, place, options);
  // Up to one chunk, a single GET is one request anyway; larger files go in large ranges, a few in
  // flight, which is as fast as one GET on loopback and about twice as fast on a remote grid.
  if (entry.meta.size > DEFAULT_CHUNK) return ranged();
  if (storage === 'whole') return readWholeVerified(store, entry.cap, entry.meta, label, options);
  if (storage === 'chain' && entry.meta.size <= IN_MEMORY_CHAIN_BYTES && (entry.meta.chain ?? Infinity) <= 4) {
    return readChainInMemory(store, entry.cap, entry.meta, label, ranged, options);
  }
  return ranged();
}
