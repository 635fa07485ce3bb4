/**
 * Whole-version reads for maintenance: the full content of one file version, whatever its
 * storage (whole, chain, packed), rebuilt in memory and checked against its recorded hash.
 * The mount reads ranges through the view's chain reader instead; maintenance needs every byte.
 */
import { createBLAKE2b } from 'hash-wasm';
import { VERSION_NODE, type EntryMeta } from '../model/entry.js';
import { TimefsError } from '../model/errors.js';
import { patchBytes } from '../delta/index.js';
import type { CallOptions, Store } from '../store/store.js';

/** Applies an rdiff delta to a basis (librsync `rdiff patch`). */
export type Patcher = (basis: Uint8Array, delta: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/** The parts of a version node, in reading order. */
export interface ChainParts {
  base: string;
  deltas: string[];
  sig?: string;
  /** Size of the signature, when the listing knows it. */
  sigSize?: number;
}

/** A rebuilt version and what reading it cost. */
export interface VersionBytes {
  bytes: Uint8Array;
  /** Bytes fetched from the grid. */
  downloaded: number;
}

/** Lists a version node into its base, deltas (d001, d002, … in order) and signature. */
export async function readChainParts(store: Store, nodeCap: string, where: string, options?: CallOptions): Promise<ChainParts> {
  const children = await store.list(nodeCap, options);
  const base = children.get(VERSION_NODE.base)?.readCap;
  if (!base) throw new TimefsError('repo.bad-format', `${where}: version node has no "${VERSION_NODE.base}"`);
  const deltas: string[] = [];
  for (let i = 1; children.has(VERSION_NODE.deltaName(i)); i++) deltas.push(children.get(VERSION_NODE.deltaName(i))!.readCap);
  const parts: ChainParts = { base, deltas };
  const sig = children.get(VERSION_NODE.signature);
  if (sig) parts.sig = sig.readCap;
  if (sig?.size !== undefined) parts.sigSize = sig.size;
  return parts;
}

/** BLAKE2b-256 (lowercase hex) of `bytes`. */
export async function contentHash(bytes: Uint8Array): Promise<string> {
  const hasher = await createBLAKE2b(256);
  hasher.init();
  hasher.update(bytes);
  return hasher.digest('hex');
}

/**
 * The full content of the version `cap` with attributes `meta`. Checks the size, and the hash
 * when one is recorded.
 * @throws TimefsError `integrity` naming `where` when the content does not match
 */
export async function readVersionBytes(store: Store, cap: string, meta: EntryMeta, where: string, options?: CallOptions, patch: Patcher = patchBytes): Promise<VersionBytes> {
  const storage = meta.storage ?? 'whole';
  let bytes: Uint8Array;
  let downloaded = 0;
  if (storage === 'packed') {
    bytes = await store.getRange(cap, meta.pack?.offset ?? 0, meta.size, options);
    downloaded = bytes.length;
  } else if (storage === 'chain') {
    const parts = await readChainParts(store, cap, where, options);
    bytes = await store.get(parts.base, options);
    downloaded += bytes.length;
    for (const deltaCap of parts.deltas) {
      const delta = await store.get(deltaCap, options);
      downloaded += delta.length;
      bytes = await patch(bytes, delta);
    }
  } else {
    bytes = await store.get(cap, options);
    downloaded = bytes.length;
  }
  await verifyContent(bytes, meta, where);
  return { bytes, downloaded };
}

/** Checks size and recorded hash of a rebuilt version. */
export async function verifyContent(bytes: Uint8Array, meta: EntryMeta, where: string): Promise<void> {
  if (bytes.length !== meta.size) {
    throw new TimefsError('integrity', `${where}: rebuilt ${bytes.length} bytes, but ${meta.size} were recorded`, {
      hint: 'the stored data is damaged; run `timefs check --read-data`',
    });
  }
  if (meta.hash === undefined) return;
  const actual = await contentHash(bytes);
  if (actual !== meta.hash) {
    throw new TimefsError('integrity', `${where}: content hash ${actual.slice(0, 16)}… does not match the recorded ${meta.hash.slice(0, 16)}…`, {
      hint: 'the stored data is damaged; run `timefs check --read-data`',
    });
  }
}
