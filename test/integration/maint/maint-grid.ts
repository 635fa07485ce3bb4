/**
 * Shared set-up of the maintenance integration tests: a TahoeStore on the test grid (started by
 * scripts/run-tests.mjs, URL in TIMEFS_TEST_NODE_URL) and a history of evolving files stored as
 * forward chains in many snapshots, with the bytes every version must read back as.
 */
import { randomBytes } from 'node:crypto';
import { TahoeStore } from '../../../src/store/tahoe/tahoe-store.js';
import { testNodeUrl } from '../../helpers/grid.js';
import type { Store } from '../../../src/store/store.js';
import { addSnapshot, buildForwardChain, buildTree, makeRepo, pseudoRandom, type Expected, type FixtureRepo, type TreeSpec } from '../../helpers/maint-fixtures.js';

export { assertAllReadable, type Expected } from '../../helpers/maint-fixtures.js';

/** The node URL of the test grid (started if needed). */
export const nodeUrl = testNodeUrl();

/** A store on the test grid. */
export function gridStore(): TahoeStore {
  return new TahoeStore({ nodeUrl });
}

/** Versions of a file: each edits a few places of the previous one, some also grow it. */
export function evolve(seed: number, count: number, size: number): Uint8Array[] {
  const out = [pseudoRandom(size, seed)];
  for (let i = 1; i < count; i++) {
    const next = Buffer.from(out[i - 1]!);
    next.set(pseudoRandom(200, seed * 1000 + i), (i * 7919) % (size - 200));
    out.push(i % 5 === 0 ? Buffer.concat([next, pseudoRandom(500, seed + i)]) : next);
  }
  return out;
}

/** One version some snapshot must show. */

/** `count` snapshots of the evolving `files` (name → seed and size) plus an unchanged file. */
export async function buildHistory(store: Store, count: number, files: Record<string, { seed: number; size: number }>): Promise<{ repo: FixtureRepo; expected: Expected[] }> {
  const repo = await makeRepo(store);
  const chains = new Map<string, Awaited<ReturnType<typeof buildForwardChain>>>();
  for (const [name, f] of Object.entries(files)) chains.set(name, await buildForwardChain(store, evolve(f.seed, count, f.size)));
  const expected: Expected[] = [];
  for (let i = 0; i < count; i++) {
    const time = new Date(Date.UTC(2009, 0, 9, 1, 49) + i * 86_400_000).toISOString().replace('.000', '');
    const docs: TreeSpec = { 'same.txt': { type: 'file', data: Buffer.from('unchanged in every snapshot\n'.repeat(4)) } };
    for (const [name, chain] of chains) {
      docs[name] = { type: 'linked', cap: chain[i]!.cap, meta: chain[i]!.meta };
      expected.push({ snapshot: time, path: `home/me/${name}`, data: chain[i]!.data });
    }
    await addSnapshot(store, repo, time, await buildTree(store, { home: { type: 'dir', children: { me: { type: 'dir', children: docs } } } }));
  }
  return { repo, expected };
}

/** A well-formed CHK cap whose shares exist nowhere (RFC 4648 base32, lowercase, unpadded). */
export function fabricatedChkCap(size: number): string {
  const b32 = (bytes: Buffer): string => {
    const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
    let bits = 0;
    let value = 0;
    let out = '';
    for (const byte of bytes) {
      value = (value << 8) | byte;
      bits += 8;
      while (bits >= 5) {
        out += alphabet[(value >>> (bits - 5)) & 31];
        bits -= 5;
      }
    }
    if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
    return out;
  };
  return `URI:CHK:${b32(randomBytes(16))}:${b32(randomBytes(32))}:2:3:${size}`;
}
