// Shared setup for push integration tests: a fresh repository-like pair of mutable directories on
// the shared test grid, a temporary source tree and state directory, and helpers to walk snapshots.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPush, type PushOptions, type PushResult } from '../../../src/backup/push.js';
import type { PushEvents } from '../../../src/backup/events.js';
import { Catalog } from '../../../src/catalog/catalog.js';
import type { EntryMeta } from '../../../src/model/entry.js';
import { rawNameBytes } from '../../../src/model/names.js';
import type { Store } from '../../../src/store/store.js';
import { TahoeStore } from '../../../src/store/tahoe/tahoe-store.js';

/** The node URL of the shared test grid (set by scripts/run-tests.mjs). */
export function nodeUrl(): string {
  const url = process.env.TIMEFS_TEST_NODE_URL;
  if (!url) throw new Error('TIMEFS_TEST_NODE_URL is not set: run through scripts/run-tests.mjs');
  return url;
}

/** A counting wrapper: how many immutable uploads went through. */
export class CountingStore {
  uploads = 0;
  constructor(readonly inner: Store) {}
  wrap(): Store {
    return new Proxy(this.inner, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop === 'putImmutable') return (...args: unknown[]) => { this.uploads++; return (value as (...a: unknown[]) => unknown).apply(target, args); };
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
}

/** A fresh test repository: root + snapshots directories, a source dir and a state dir. */
export async function freshRepo(): Promise<{ store: TahoeStore; rootCap: string; snapshotsCap: string; base: string; src: string; state: string }> {
  const store = new TahoeStore({ nodeUrl: nodeUrl() });
  const snapshotsCap = await store.mkdirMutable();
  const rootCap = await store.mkdirMutable({ snapshots: { cap: snapshotsCap } });
  const base = await mkdtemp(join(tmpdir(), 'timefs-push-it-'));
  return { store, rootCap, snapshotsCap, base, src: join(base, 'src'), state: join(base, 'state') };
}

/** Runs one push with its own catalog session. */
export async function pushOnce(store: Store, snapshotsCap: string, state: string, options: PushOptions, events: PushEvents = {}): Promise<PushResult> {
  const catalog = await Catalog.open(state);
  try {
    return await runPush({ store, catalog, snapshotsCap, stateDir: state }, options, events);
  } finally {
    await catalog.close();
  }
}

/** One entry of a walked snapshot: its raw path (bytes, latin1 string), cap and metadata. */
export interface WalkedEntry {
  cap: string;
  meta: EntryMeta;
}

/** Every entry below `cap`, keyed by the raw path bytes as a latin1 string (`/tmp/x/\xff`). */
export async function walkSnapshot(store: Store, cap: string, prefix = ''): Promise<Map<string, WalkedEntry>> {
  const out = new Map<string, WalkedEntry>();
  for (const [name, entry] of await store.list(cap)) {
    const meta = (entry.metadata as { timefs: EntryMeta }).timefs;
    const path = `${prefix}/${rawNameBytes(name, meta.rawName).toString('latin1')}`;
    out.set(path, { cap: entry.readCap, meta });
    if (meta.type === 'dir') for (const [k, v] of await walkSnapshot(store, entry.readCap, path)) out.set(k, v);
  }
  return out;
}

/** The snapshots, oldest first. */
export async function snapshotList(store: Store, snapshotsCap: string): Promise<Array<{ name: string; cap: string }>> {
  // By time, not by string: `…:05.250Z` (a second push in the same second) sorts before `…:05Z` as text.
  return [...(await store.list(snapshotsCap)).values()].map((e) => ({ name: e.name, cap: e.readCap }))
    .sort((a, b) => Date.parse(a.name) - Date.parse(b.name) || (a.name < b.name ? -1 : 1));
}

/** The full content of a file entry, rebuilt from its storage (whole or chain). */
export async function fileContent(store: Store, entry: WalkedEntry): Promise<Buffer> {
  if (entry.meta.storage === 'packed') return Buffer.from(await store.getRange(entry.cap, entry.meta.pack!.offset, entry.meta.size));
  if (entry.meta.storage !== 'chain') return Buffer.from(await store.get(entry.cap));
  const { patchBytes } = await import('../../../src/delta/index.js');
  const node = await store.list(entry.cap);
  let data = Buffer.from(await store.get(node.get('base')!.readCap));
  for (let i = 1; i <= (entry.meta.chain ?? 0); i++) {
    data = Buffer.from(await patchBytes(data, await store.get(node.get(`d${String(i).padStart(3, '0')}`)!.readCap)));
  }
  return data;
}
