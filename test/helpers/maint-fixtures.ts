/**
 * Builds timefs/1 snapshot trees directly through a Store (src/model/entry.ts), for the
 * maintenance tests: files stored whole or as forward rdiff chains, symlinks, special files,
 * raw names, hard links, and snapshots linked into `snapshots/`.
 */
import assert from 'node:assert/strict';
import { deltaOf, signatureOf } from '../../src/delta/index.js';
import { REPO_LAYOUT, VERSION_NODE, type EntryMeta, type SnapshotMeta } from '../../src/model/entry.js';
import type { NewChild, Store } from '../../src/store/store.js';
import { blake2bHex } from '../../src/model/blake2b-pool.js';
import { GridSnapshotCatalogue } from '../../src/view/snapshot-catalogue.js';
import { GridTreeReader } from '../../src/view/tree-reader.js';
import { ChainVersionReader } from '../../src/view/version-reader.js';

/** A tree to build: names map to entries; `rawName` gives exact bytes for escaped names. */
export type TreeSpec = Record<string, EntrySpec>;

/** One entry of a {@link TreeSpec}. */
export type EntrySpec =
  | { type: 'dir'; children: TreeSpec; mode?: number; mtime?: string; rawName?: Uint8Array }
  | { type: 'file'; data: Uint8Array; mode?: number; mtime?: string; rawName?: Uint8Array; uid?: number; gid?: number; link?: { dev: number; ino: number } }
  | { type: 'linked'; cap: string; meta: EntryMeta }
  | { type: 'symlink'; target: string; mtime?: string }
  | { type: 'fifo' | 'socket' | 'chardev' | 'blockdev'; mode?: number; mtime?: string; rdev?: number };

/** A repository made of two mutable directories, like `timefs init` makes. */
export interface FixtureRepo {
  rootCap: string;
  snapshotsCap: string;
}

/** A new repository layout in `store`. */
export async function makeRepo(store: Store): Promise<FixtureRepo> {
  const snapshotsCap = await store.mkdirMutable();
  const config = await store.putImmutable(Buffer.from(JSON.stringify({ format: 'timefs/1', created: new Date().toISOString() })));
  const rootCap = await store.mkdirMutable({ [REPO_LAYOUT.config]: { cap: config }, [REPO_LAYOUT.snapshots]: { cap: snapshotsCap } });
  return { rootCap, snapshotsCap };
}

/** Default attributes for an entry. */
export function baseMeta(type: EntryMeta['type'], extra: Partial<EntryMeta> = {}): EntryMeta {
  return { type, mode: type === 'dir' ? 0o755 : 0o644, uid: 1000, gid: 1000, mtime: '1231465740123456789', size: 0, ...extra };
}

/** Builds an immutable tree from `spec` and returns its cap. */
export async function buildTree(store: Store, spec: TreeSpec): Promise<string> {
  const children: Record<string, NewChild> = {};
  for (const [name, entry] of Object.entries(spec)) {
    children[name] = await buildEntry(store, entry);
  }
  return store.mkdirImmutable(children);
}

async function buildEntry(store: Store, entry: EntrySpec): Promise<NewChild> {
  const raw = 'rawName' in entry && entry.rawName ? { rawName: Buffer.from(entry.rawName).toString('base64') } : {};
  switch (entry.type) {
    case 'dir': {
      const cap = await buildTree(store, entry.children);
      return { cap, metadata: { timefs: baseMeta('dir', { mode: entry.mode ?? 0o755, mtime: entry.mtime ?? '1231465740000000001', ...raw }) } };
    }
    case 'file': {
      const cap = await store.putImmutable(entry.data);
      const meta = baseMeta('file', {
        size: entry.data.length, hash: await blake2bHex(entry.data), storage: 'whole',
        mode: entry.mode ?? 0o644, mtime: entry.mtime ?? '1231465740123456789', ...raw,
      });
      if (entry.uid !== undefined) meta.uid = entry.uid;
      if (entry.gid !== undefined) meta.gid = entry.gid;
      if (entry.link) meta.link = entry.link;
      return { cap, metadata: { timefs: meta } };
    }
    case 'linked':
      return { cap: entry.cap, metadata: { timefs: entry.meta } };
    case 'symlink': {
      const cap = await store.putImmutable(Buffer.from(entry.target));
      return { cap, metadata: { timefs: baseMeta('symlink', { mode: 0o777, size: Buffer.byteLength(entry.target), mtime: entry.mtime ?? '1231465740000000002' }) } };
    }
    default: {
      const cap = await store.putImmutable(new Uint8Array(0));
      const meta = baseMeta(entry.type, { mode: entry.mode ?? 0o600, mtime: entry.mtime ?? '1231465740000000003' });
      if (entry.rdev !== undefined) meta.rdev = entry.rdev;
      return { cap, metadata: { timefs: meta } };
    }
  }
}

/** One version of a forward chain: the child to link and its attributes. */
export interface ChainVersion {
  cap: string;
  meta: EntryMeta;
  data: Uint8Array;
}

/**
 * Stores `versions` as push does with forward chains: version 0 whole, version i (≥1) as a
 * version node {base: v0, d001…d00i, sig}. Returns one child per version.
 */
export async function buildForwardChain(store: Store, versions: readonly Uint8Array[], extra: Partial<EntryMeta> = {}): Promise<ChainVersion[]> {
  const first = versions[0]!;
  const baseCap = await store.putImmutable(first);
  const out: ChainVersion[] = [{ cap: baseCap, data: first, meta: baseMeta('file', { size: first.length, hash: await blake2bHex(first), storage: 'whole', ...extra }) }];
  const deltas: string[] = [];
  let previousSig = await signatureOf(first);
  for (let i = 1; i < versions.length; i++) {
    const data = versions[i]!;
    const delta = await deltaOf(previousSig, data);
    deltas.push(await store.putImmutable(delta));
    previousSig = await signatureOf(data);
    const sigCap = await store.putImmutable(previousSig);
    const node: Record<string, NewChild> = {
      [VERSION_NODE.base]: { cap: baseCap, metadata: { timefs: { role: 'base', size: first.length } } },
      [VERSION_NODE.signature]: { cap: sigCap, metadata: { timefs: { role: 'sig', size: previousSig.length } } },
    };
    deltas.forEach((cap, j) => {
      node[VERSION_NODE.deltaName(j + 1)] = { cap, metadata: { timefs: { role: 'delta', size: 0 } } };
    });
    const cap = await store.mkdirImmutable(node);
    out.push({ cap, data, meta: baseMeta('file', { size: data.length, hash: await blake2bHex(data), storage: 'chain', chain: i, ...extra }) });
  }
  return out;
}

/** Links a snapshot root into `snapshots/` under its time. */
export async function addSnapshot(store: Store, repo: FixtureRepo, time: string, rootCap: string, source: { host?: string; paths?: string[] } = {}): Promise<void> {
  const meta: SnapshotMeta = { timefs: { time, host: source.host ?? 'testhost', paths: source.paths ?? ['/home'], stats: {} } };
  await store.link(repo.snapshotsCap, time, rootCap, meta as unknown as Record<string, unknown>);
}

/** Deterministic pseudo-random bytes. */
export function pseudoRandom(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** One version a test expects to read back. */
export interface Expected {
  snapshot: string;
  path: string;
  data: Uint8Array;
}

/** Reads every expected version through the read model and compares it byte for byte. */
export async function assertAllReadable(store: Store, repo: FixtureRepo, expected: readonly Expected[]): Promise<void> {
  const snapshots = new Map((await new GridSnapshotCatalogue(store, repo.snapshotsCap).list()).map((s) => [s.name, s]));
  const trees = new GridTreeReader(store);
  const reader = new ChainVersionReader(store);
  for (const e of expected) {
    const snap = snapshots.get(e.snapshot);
    assert.ok(snap, `snapshot ${e.snapshot} is listed`);
    const entry = await trees.lookup(snap.cap, e.path);
    const parts: Uint8Array[] = [];
    for await (const chunk of reader.readVerified(entry, { path: e.path, snapshot: e.snapshot })) parts.push(chunk);
    assert.ok(Buffer.concat(parts).equals(e.data), `${e.snapshot}/${e.path} reads back byte-identical`);
  }
}
