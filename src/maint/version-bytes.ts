/**
 * Helpers for maintenance work on whole versions: the parts of a version node in reading order,
 * and the content hash (BLAKE2b-256) and size checks every rebuilt version must pass.
 */
import { blake2bHex } from '../model/blake2b-pool.js';
import { VERSION_NODE, type EntryMeta } from '../model/entry.js';
import { TimefsError } from '../model/errors.js';
import type { CallOptions, Store } from '../store/store.js';

/** The parts of a version node, in reading order. */
export interface ChainParts {
  base: string;
  deltas: string[];
  sig?: string;
  /** Size of the signature, when the listing knows it. */
  sigSize?: number;
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

/** Checks size and recorded hash of a rebuilt version. */
export async function verifyContent(bytes: Uint8Array, meta: EntryMeta, where: string): Promise<void> {
  if (bytes.length !== meta.size) {
    throw new TimefsError('integrity', `${where}: rebuilt ${bytes.length} bytes, but ${meta.size} were recorded`, {
      hint: 'the stored data is damaged; run `timefs check --read-data`',
    });
  }
  if (meta.hash === undefined) return;
  const actual = await blake2bHex(bytes);
  if (actual !== meta.hash) {
    throw new TimefsError('integrity', `${where}: content hash ${actual.slice(0, 16)}… does not match the recorded ${meta.hash.slice(0, 16)}…`, {
      hint: 'the stored data is damaged; run `timefs check --read-data`',
    });
  }
}
