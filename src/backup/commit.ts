/**
 * Stage 3 of a push: build the snapshot's directories bottom-up from the pending entries (a
 * pre-order walk, so one open directory per depth is in memory), reuse every directory whose body
 * was made before (no request), and return the root cap. A directory is created as soon as its
 * last child is known, while the walk goes on: creations across the whole tree overlap, up to
 * {@link DIR_CONCURRENCY} in flight, and a parent waits only for its own children.
 */
import { createHash } from 'node:crypto';
import PQueue from 'p-queue';
import type { Catalog } from '../catalog/catalog.js';
import { displayPath, isBelow, keyComponents } from '../catalog/path-key.js';
import type { PendingEntry } from '../catalog/records.js';
import type { EntryMeta } from '../model/entry.js';
import { TimefsError } from '../model/errors.js';
import { edgeNamesFor } from '../model/names.js';
import type { NewChild, Store } from '../store/store.js';
import type { PushEvents, PushStats } from './events.js';

/** Directory creations in flight at once during a commit. */
export const DIR_CONCURRENCY = 16;
/** Closed directories waiting for a slot before the walk pauses (bounds memory). */
const MAX_WAITING_DIRS = 64;

interface OpenDir {
  key: Buffer;
  meta: EntryMeta;
  names: Buffer[];
  children: Array<{ cap: string | Promise<string>; meta: EntryMeta }>;
}

/** Told the body of every directory of the new tree, made or reused (e.g. to index it without listing it). */
export type DirectorySink = (cap: string, children: Record<string, NewChild>) => void | Promise<void>;

/** Builds the tree of the pending snapshot; returns the cap of its root (`/`). */
export async function buildSnapshotTree(store: Store, catalog: Catalog, stats: PushStats, events: PushEvents = {}, onDirectory?: DirectorySink): Promise<string> {
  const stack: OpenDir[] = [];
  let emptyCap: string | undefined;
  let rootCap: Promise<string> | undefined;
  const queue = new PQueue({ concurrency: DIR_CONCURRENCY });
  let failure: unknown;

  const close = (): void => {
    const dir = stack.pop()!;
    const made = (async () => {
      const children = await Promise.all(dir.children.map(async (c) => ({ cap: await c.cap, meta: c.meta })));
      // Children were queued before their parent, so waiting here never holds a slot.
      return queue.add(() => makeDir(store, catalog, { ...dir, children }, stats, onDirectory));
    })();
    made.catch((err: unknown) => { failure ??= err; });
    const parent = stack.at(-1);
    if (parent) {
      parent.names.push(lastName(dir.key));
      parent.children.push({ cap: made, meta: dir.meta });
    } else rootCap = made;
  };

  for await (const [key, entry] of catalog.pending()) {
    if (failure !== undefined) break;
    if (queue.size > MAX_WAITING_DIRS) await queue.onSizeLessThan(MAX_WAITING_DIRS / 2);
    while (stack.length > 0 && !isBelow(key, stack.at(-1)!.key)) close();
    if (entry.meta.type === 'dir' && entry.cap === undefined) {
      if (stack.length === 0 && key.length !== 0) throw new TimefsError('internal', `pending snapshot has no root above ${displayPath(key)}`);
      stack.push({ key, meta: entry.meta, names: [], children: [] });
      continue;
    }
    const parent = stack.at(-1);
    if (!parent) throw new TimefsError('internal', `pending entry ${displayPath(key)} has no parent directory`);
    const resolved = await resolveEntry(catalog, key, entry, async () => (emptyCap ??= await store.putImmutable(new Uint8Array(0))));
    if (resolved === undefined) {
      stats.warnings++;
      events.onWarning?.({ path: displayPath(key), reason: 'hard link whose other name could not be read; left out' });
      continue;
    }
    parent.names.push(lastName(key));
    parent.children.push(resolved);
  }
  while (stack.length > 0) close();
  if (rootCap === undefined) {
    await queue.onIdle();
    if (failure !== undefined) throw failure;
    throw new TimefsError('internal', 'the pending snapshot is empty');
  }
  const cap = await rootCap;
  await queue.onIdle();
  return cap;
}

async function resolveEntry(catalog: Catalog, key: Buffer, entry: PendingEntry, emptyCap: () => Promise<string>): Promise<{ cap: string; meta: EntryMeta } | undefined> {
  if (entry.linkOf !== undefined) {
    const first = await catalog.getPending(Buffer.from(entry.linkOf, 'hex'));
    if (first?.cap === undefined) return undefined;
    const { hash, storage, chain, pack, sig, size } = first.meta;
    return { cap: first.cap, meta: { ...entry.meta, size, ...defined({ hash, storage, chain, pack, sig }) } };
  }
  if (entry.cap !== undefined) return { cap: entry.cap, meta: entry.meta };
  if (entry.meta.type === 'file' || entry.meta.type === 'symlink') {
    throw new TimefsError('internal', `${displayPath(key)} is still waiting for its upload`);
  }
  return { cap: await emptyCap(), meta: entry.meta };
}

/** The body of an immutable directory: escaped edge names, caps and canonical `timefs` metadata. */
export function directoryBody(names: readonly Buffer[], entries: ReadonlyArray<{ cap: string; meta: EntryMeta }>): Record<string, NewChild> {
  const edges = edgeNamesFor(names);
  const children: Record<string, NewChild> = {};
  edges.forEach((edge, i) => {
    const child = entries[i]!;
    const meta: EntryMeta = { ...child.meta };
    delete meta.rawName;
    if (edge.rawName !== undefined) meta.rawName = edge.rawName;
    children[edge.name] = { cap: child.cap, metadata: { timefs: canonical(meta) } };
  });
  return children;
}

async function makeDir(store: Store, catalog: Catalog, dir: { names: Buffer[]; children: Array<{ cap: string; meta: EntryMeta }> }, stats: PushStats, onDirectory?: DirectorySink): Promise<string> {
  const children = directoryBody(dir.names, dir.children);
  const hash = bodyHash(children);
  const known = await catalog.getDir(hash);
  if (known !== undefined) {
    stats.dirsReused++;
    await onDirectory?.(known, children);
    return known;
  }
  const cap = await store.mkdirImmutable(children);
  stats.dirsCreated++;
  await catalog.write([{ put: 'dirs', key: hash, value: cap }]);
  await onDirectory?.(cap, children);
  return cap;
}

/** A stable hash of a directory body: sorted names, caps and canonical metadata. */
export function bodyHash(children: Record<string, NewChild>): Buffer {
  const h = createHash('sha256');
  for (const name of Object.keys(children).sort()) {
    const child = children[name]!;
    h.update(JSON.stringify([name, child.cap, child.metadata ?? {}]));
    h.update('\n');
  }
  return h.digest();
}

/** `meta` with its keys in a fixed order, so equal entries give equal directory bodies. */
export function canonical(meta: EntryMeta): EntryMeta {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(meta).sort()) {
    const v = (meta as unknown as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = v && typeof v === 'object' && !Array.isArray(v) ? sortObject(v as Record<string, unknown>) : v;
  }
  return out as unknown as EntryMeta;
}

function sortObject(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}

function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function lastName(key: Buffer): Buffer {
  return keyComponents(key).at(-1) ?? Buffer.alloc(0);
}
