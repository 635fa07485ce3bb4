/**
 * The catalog is a cache: when it knows nothing of a pushed path, fill the per-path records from
 * the snapshot push's parent rule picks for it (src/model/source.ts). The grid keeps no ctime,
 * inode or device, so every rebuilt fingerprint is marked unknown: the next scan reads each file again, but an unchanged file matches its stored hash and
 * costs no upload, and a changed one gets a delta against the signature in its version node.
 */
import type { Catalog } from '../catalog/catalog.js';
import { childKey, displayPath } from '../catalog/path-key.js';
import type { ChainInfo, PathRecord } from '../catalog/records.js';
import { VERSION_NODE, type EntryMeta, type VersionPartMeta } from '../model/entry.js';
import { rawNameBytes } from '../model/names.js';
import { ListingWindow } from '../store/listing-window.js';
import type { DirEntry, NewChild, Store } from '../store/store.js';
import { bodyHash } from './commit.js';
import { SIGNATURE_CHAIN } from './signature-chain.js';

/** Work of the rebuild walk: a directory to list, or a chained file's version node to read. */
type RebuildItem = { dirCap: string; dirKey: Buffer } | { value: PathRecord; key: Buffer };

/**
 * Writes catalog records for the state of `path` (absolute, e.g. `/home/me/docs`) in the snapshot
 * tree `rootCap`: every file and symlink at or below it, and the directory bodies (so unchanged
 * directories are reused). Paths for which `skip` says true are left alone (the catalog already
 * knows them from a push of their own). Returns the number of records written. Listings and
 * version nodes are read breadth first through one bounded window (store/listing-window.ts).
 */
export async function rebuildCatalogAt(store: Store, catalog: Catalog, rootCap: string, path: string, skip: (path: string) => boolean = () => false, concurrency = 8): Promise<number> {
  let count = 0;
  const record = async (entry: DirEntry, meta: EntryMeta, key: Buffer): Promise<void> => {
    if (skip(displayPath(key))) return;
    if (meta.type === 'dir') return window.add({ dirCap: entry.readCap, dirKey: key }, `d:${key.toString('hex')}`);
    if (meta.type !== 'file' && meta.type !== 'symlink') return;
    const clean: EntryMeta = { ...meta };
    delete clean.rawName;
    const value: PathRecord = {
      fp: { size: meta.size, mtimeNs: meta.mtime, ctimeNs: 'unknown', ino: 'unknown', dev: 'unknown' },
      meta: clean,
      cap: entry.readCap,
    };
    if (meta.type === 'file' && meta.storage === 'chain') return window.add({ value, key }, `v:${key.toString('hex')}`);
    await catalog.writeBuffered({ put: 'paths', key, value });
    count++;
  };
  const visit = async (item: RebuildItem): Promise<void> => {
    if ('value' in item) {
      const chain = await readVersionNode(store, item.value.cap);
      if (chain) item.value.chain = chain;
      await catalog.writeBuffered({ put: 'paths', key: item.key, value: item.value });
      count++;
      return;
    }
    const listing = await store.list(item.dirCap);
    const body: Record<string, NewChild> = {};
    for (const entry of listing.values()) {
      body[entry.name] = { cap: entry.readCap, metadata: entry.metadata };
      const meta = (entry.metadata as { timefs?: EntryMeta }).timefs;
      if (meta) await record(entry, meta, childKey(item.dirKey, rawNameBytes(entry.name, meta.rawName)));
    }
    await catalog.writeBuffered({ put: 'dirs', key: bodyHash(body), value: item.dirCap });
  };
  const window: ListingWindow<RebuildItem> = new ListingWindow(visit, { concurrency });
  const components = path.split('/').filter((c) => c.length > 0).map((c) => Buffer.from(c));
  if (components.length === 0) window.add({ dirCap: rootCap, dirKey: Buffer.alloc(0) }, 'd:');
  else {
    let dirCap = rootCap;
    let key: Buffer = Buffer.alloc(0);
    for (const [i, component] of components.entries()) {
      const found = await findChild(store, dirCap, component);
      if (!found) break;
      key = childKey(key, component);
      if (i === components.length - 1) await record(found.entry, found.meta, key);
      else if (found.meta.type === 'dir') dirCap = found.entry.readCap;
      else break;
    }
  }
  await window.done();
  await catalog.flush();
  return count;
}

/** The entry of `dirCap` whose raw name is `name`, with its metadata. */
async function findChild(store: Store, dirCap: string, name: Buffer): Promise<{ entry: DirEntry; meta: EntryMeta } | undefined> {
  for (const entry of (await store.list(dirCap)).values()) {
    const meta = (entry.metadata as { timefs?: EntryMeta }).timefs;
    if (meta && Buffer.from(rawNameBytes(entry.name, meta.rawName)).equals(name)) return { entry, meta };
  }
  return undefined;
}

async function readVersionNode(store: Store, nodeCap: string): Promise<ChainInfo | undefined> {
  const parts = await store.list(nodeCap);
  const part = (name: string) => {
    const e = parts.get(name);
    if (!e) return undefined;
    const size = (e.metadata as Partial<VersionPartMeta>).timefs?.size ?? e.size ?? 0;
    return { cap: e.readCap, size };
  };
  const base = part(VERSION_NODE.base);
  const sig = part(VERSION_NODE.signature) ?? part(SIGNATURE_CHAIN.base);
  if (!base || !sig) return undefined;
  const series = (name: (i: number) => string) => {
    const out = [];
    for (let i = 1; part(name(i)); i++) out.push(part(name(i))!);
    return out;
  };
  const deltas = series(VERSION_NODE.deltaName);
  const sigDeltas = parts.has(VERSION_NODE.signature) ? [] : series(SIGNATURE_CHAIN.deltaName);
  const header = await store.getRange(sig.cap, 0, 12);
  const blockLength = header.length >= 8 ? Buffer.from(header).readUInt32BE(4) : 0;
  return { base, deltas, sig, blockLength, ...(sigDeltas.length > 0 ? { sigDeltas } : {}) };
}
