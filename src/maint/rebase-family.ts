/**
 * Rebasing one family of versions: rebuild the newest version, upload it whole (as a version node
 * `{base, sig}` with no deltas, so the next push can delta against its signature from the grid
 * alone), and turn every older version into one reverse delta from it (as rdiff-backup keeps its
 * increments). Every
 * version is checked against its recorded hash when rebuilt, and every new delta is applied once
 * and checked again, before anything is swapped in.
 */
import { deltaOf, patchBytes, signatureOf } from '../delta/index.js';
import { VERSION_NODE } from '../model/entry.js';
import { chooseBlockLength, STRONG_LEN } from '../model/signature-params.js';
import type { CallOptions, NewChild, Store } from '../store/store.js';
import { extendsChain, type ChainFamily, type ChainMember } from './rebase-plan.js';
import { verifyContent } from './version-bytes.js';

/** What a version node becomes. */
export interface Replacement {
  cap: string;
  storage: 'whole' | 'chain';
  /** Number of deltas when `storage` is `chain`. */
  chain?: number;
}

/** Rebases `family` and returns, for each member's old cap, what replaces it. */
export async function rebaseFamily(store: Store, family: ChainFamily, options: CallOptions = {}): Promise<Map<string, Replacement>> {
  const deltas = new Map<string, Uint8Array>();
  const getDelta = async (cap: string): Promise<Uint8Array> => {
    let delta = deltas.get(cap);
    if (!delta) {
      delta = await store.get(cap, options);
      deltas.set(cap, delta);
    }
    return delta;
  };
  const base = await store.get(family.base, options);
  const rebuild = async (member: ChainMember, from?: { parts: ChainMember['parts']; bytes: Uint8Array }): Promise<Uint8Array> => {
    let bytes = base;
    let start = 0;
    if (from && extendsChain(from.parts, member.parts)) {
      bytes = from.bytes;
      start = from.parts.deltas.length;
    }
    for (const cap of member.parts.deltas.slice(start)) bytes = await patchBytes(bytes, await getDelta(cap));
    await verifyContent(bytes, member.meta, member.path);
    return bytes;
  };

  const newest = await rebuild(family.newest);
  const newestCap = await store.putImmutable(newest, options);
  const newestSig = await signatureOf(newest, { blockLength: chooseBlockLength(newest.length), strongLength: STRONG_LEN });
  const newestNode: Replacement = {
    cap: await store.mkdirImmutable({
      [VERSION_NODE.base]: { cap: newestCap, metadata: { timefs: { role: 'base', size: newest.length } } },
      [VERSION_NODE.signature]: { cap: await store.putImmutable(newestSig, options), metadata: { timefs: { role: 'sig', size: newestSig.length } } },
    }, options),
    storage: 'chain',
    chain: 0,
  };
  const out = new Map<string, Replacement>([[family.newest.cap, newestNode]]);

  let previous: { parts: ChainMember['parts']; bytes: Uint8Array } | undefined;
  for (const member of family.members) {
    if (member === family.newest) {
      previous = { parts: member.parts, bytes: newest };
      continue;
    }
    const bytes = await rebuild(member, previous);
    previous = { parts: member.parts, bytes };
    if (member.meta.hash !== undefined && member.meta.hash === family.newest.meta.hash) {
      out.set(member.cap, newestNode);
      continue;
    }
    const delta = await deltaOf(newestSig, bytes);
    await verifyContent(await patchBytes(newest, delta), member.meta, `${member.path} (reverse delta)`);
    const deltaCap = await store.putImmutable(delta, options);
    const sig = member.parts.sig !== undefined ? { cap: member.parts.sig, size: member.parts.sigSize ?? 0 } : await uploadSignature(store, bytes, options);
    const node: Record<string, NewChild> = {
      [VERSION_NODE.base]: { cap: newestCap, metadata: { timefs: { role: 'base', size: newest.length } } },
      [VERSION_NODE.deltaName(1)]: { cap: deltaCap, metadata: { timefs: { role: 'delta', size: delta.length } } },
      [VERSION_NODE.signature]: { cap: sig.cap, metadata: { timefs: { role: 'sig', size: sig.size } } },
    };
    out.set(member.cap, { cap: await store.mkdirImmutable(node, options), storage: 'chain', chain: 1 });
  }
  return out;
}

async function uploadSignature(store: Store, bytes: Uint8Array, options: CallOptions): Promise<{ cap: string; size: number }> {
  const signature = await signatureOf(bytes);
  return { cap: await store.putImmutable(signature, options), size: signature.length };
}
