// Test-only: builds timefs/1 snapshot trees by hand through any Store (MemoryStore or the real grid),
// so the read model can be tested without push. Chains use the real rdiff engine.
import type { EntryMeta, SnapshotMeta } from '../../src/model/entry.js';
import { REPO_LAYOUT, VERSION_NODE } from '../../src/model/entry.js';
import { deltaOf, signatureOf } from '../../src/delta/index.js';
import type { Store } from '../../src/store/store.js';
import { blake2bHex } from '../../src/model/blake2b-pool.js';

/** A child ready to be put into a directory. */
export interface Node {
  cap: string;
  meta: EntryMeta;
}

/** Default attributes plus `extra`. */
export function meta(type: EntryMeta['type'], extra: Partial<EntryMeta> = {}): EntryMeta {
  return { type, mode: type === 'dir' ? 0o755 : 0o644, uid: 1000, gid: 1000, mtime: '1231465740123456789', size: 0, ...extra };
}

/** A file stored whole. */
export async function wholeFile(store: Store, content: Uint8Array, extra: Partial<EntryMeta> = {}): Promise<Node> {
  const cap = await store.putImmutable(content);
  return { cap, meta: meta('file', { size: content.length, hash: await blake2bHex(content), storage: 'whole', ...extra }) };
}

/** A file stored as bytes [prefix.length, +content.length) of a pack object. */
export async function packedFile(store: Store, content: Uint8Array, prefix: Uint8Array, suffix: Uint8Array): Promise<Node> {
  const pack = new Uint8Array(Buffer.concat([prefix, content, suffix]));
  const cap = await store.putImmutable(pack);
  return { cap, meta: meta('file', { size: content.length, hash: await blake2bHex(content), storage: 'packed', pack: { offset: prefix.length } }) };
}

/**
 * A file stored as a chain: `versions[0]` is the base, each later version a real rdiff delta
 * against the one before; the node's content is the last version.
 */
export async function chainFile(store: Store, versions: readonly Uint8Array[], options: { blockLength?: number; extra?: Partial<EntryMeta> } = {}): Promise<Node & { deltas: Uint8Array[] }> {
  const base = versions[0] as Uint8Array;
  const children: Record<string, { cap: string; metadata: Record<string, unknown> }> = {
    [VERSION_NODE.base]: { cap: await store.putImmutable(base), metadata: { timefs: { role: 'base', size: base.length } } },
  };
  const deltas: Uint8Array[] = [];
  for (let i = 1; i < versions.length; i++) {
    const sig = await signatureOf(versions[i - 1] as Uint8Array, options.blockLength ? { blockLength: options.blockLength } : {});
    const delta = await deltaOf(sig, versions[i] as Uint8Array);
    deltas.push(delta);
    children[VERSION_NODE.deltaName(i)] = { cap: await store.putImmutable(delta), metadata: { timefs: { role: 'delta', size: delta.length } } };
  }
  const last = versions[versions.length - 1] as Uint8Array;
  const sig = await signatureOf(last);
  children[VERSION_NODE.signature] = { cap: await store.putImmutable(sig), metadata: { timefs: { role: 'sig', size: sig.length } } };
  const cap = await store.mkdirImmutable(children);
  return {
    cap, deltas,
    meta: meta('file', { size: last.length, hash: await blake2bHex(last), storage: 'chain', chain: versions.length - 1, ...options.extra }),
  };
}

/** A symlink (its target stored as the child's content). */
export async function symlink(store: Store, target: string): Promise<Node> {
  const bytes = new Uint8Array(Buffer.from(target));
  return { cap: await store.putImmutable(bytes), meta: meta('symlink', { mode: 0o777, size: bytes.length }) };
}

/** An immutable directory of the given children (edge name → node). */
export async function dir(store: Store, children: Record<string, Node>, extra: Partial<EntryMeta> = {}): Promise<Node> {
  const entries = Object.fromEntries(Object.entries(children).map(([name, node]) => [name, { cap: node.cap, metadata: { timefs: node.meta } }]));
  return { cap: await store.mkdirImmutable(entries), meta: meta('dir', extra) };
}

/** A repository layout on a MemoryStore: a mutable root with a mutable `snapshots/`. */
export async function memoryRepo(store: Store): Promise<{ rootCap: string; snapshotsCap: string }> {
  const snapshotsCap = await store.mkdirMutable();
  const rootCap = await store.mkdirMutable({ [REPO_LAYOUT.snapshots]: { cap: snapshotsCap } });
  return { rootCap, snapshotsCap };
}

/** Links a snapshot root into `snapshots/` under its exact time, with snapshot edge metadata. */
export async function addSnapshot(store: Store, snapshotsCap: string, time: string, root: Node, extra: Partial<SnapshotMeta['timefs']> = {}): Promise<void> {
  const metadata: SnapshotMeta = { timefs: { time, host: 'testhost', paths: ['/home/me'], stats: { files: 3, bytes: 1234 }, ...extra } };
  await store.link(snapshotsCap, time, root.cap, metadata as unknown as Record<string, unknown>);
}
