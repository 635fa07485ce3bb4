/**
 * The catalog is a cache: when it is empty, fill the per-path records from the latest snapshot in
 * the grid. The grid keeps no ctime, inode or device, so every rebuilt fingerprint is marked
 * unknown: the next scan reads each file again, but an unchanged file matches its stored hash and
 * costs no upload, and a changed one gets a delta against the signature in its version node.
 */
import type { Catalog } from '../catalog/catalog.js';
import { childKey } from '../catalog/path-key.js';
import type { ChainInfo, PathRecord } from '../catalog/records.js';
import { VERSION_NODE, type EntryMeta, type SnapshotMeta, type VersionPartMeta } from '../model/entry.js';
import { rawNameBytes } from '../model/names.js';
import { ListingWindow } from '../store/listing-window.js';
import type { NewChild, Store } from '../store/store.js';
import { bodyHash } from './commit.js';
import { SIGNATURE_CHAIN } from './signature-chain.js';

/** The newest snapshot in `snapshots/`, by name (names are ISO times). */
export async function latestSnapshot(store: Store, snapshotsCap: string): Promise<{ name: string; cap: string; meta?: SnapshotMeta['timefs'] } | undefined> {
  const children = await store.list(snapshotsCap);
  let best: { name: string; cap: string; meta?: SnapshotMeta['timefs'] } | undefined;
  for (const entry of children.values()) {
    if (entry.kind !== 'dir') continue;
    const time = (entry.metadata as Partial<SnapshotMeta>).timefs?.time ?? entry.name;
    if (best === undefined || time > (best.meta?.time ?? best.name)) {
      best = { name: entry.name, cap: entry.readCap };
      const meta = (entry.metadata as Partial<SnapshotMeta>).timefs;
      if (meta) best.meta = meta;
    }
  }
  return best;
}

/** Work of the rebuild walk: a directory to list, or a chained file's version node to read. */
type RebuildItem = { dirCap: string; dirKey: Buffer } | { record: PathRecord; key: Buffer };

/**
 * Walks the snapshot tree `rootCap` breadth first (listings and version nodes share one bounded
 * window) and writes a record per file and symlink; returns the count.
 */
export async function rebuildCatalog(store: Store, catalog: Catalog, rootCap: string, concurrency = 8): Promise<number> {
  let count = 0;
  const visit = async (item: RebuildItem): Promise<void> => {
    if ('record' in item) {
      const chain = await readVersionNode(store, item.record.cap);
      if (chain) item.record.chain = chain;
      await catalog.writeBuffered({ put: 'paths', key: item.key, value: item.record });
      count++;
      return;
    }
    const listing = await store.list(item.dirCap);
    const body: Record<string, NewChild> = {};
    for (const entry of listing.values()) {
      body[entry.name] = { cap: entry.readCap, metadata: entry.metadata };
      const meta = (entry.metadata as { timefs?: EntryMeta }).timefs;
      if (!meta) continue;
      const key = childKey(item.dirKey, rawNameBytes(entry.name, meta.rawName));
      if (meta.type === 'dir') {
        window.add({ dirCap: entry.readCap, dirKey: key }, `d:${key.toString('hex')}`);
        continue;
      }
      if (meta.type !== 'file' && meta.type !== 'symlink') continue;
      const clean: EntryMeta = { ...meta };
      delete clean.rawName;
      const record: PathRecord = {
        fp: { size: meta.size, mtimeNs: meta.mtime, ctimeNs: 'unknown', ino: 'unknown', dev: 'unknown' },
        meta: clean,
        cap: entry.readCap,
      };
      if (meta.type === 'file' && meta.storage === 'chain') {
        window.add({ record, key }, `v:${key.toString('hex')}`);
        continue;
      }
      await catalog.writeBuffered({ put: 'paths', key, value: record });
      count++;
    }
    await catalog.writeBuffered({ put: 'dirs', key: bodyHash(body), value: item.dirCap });
  };
  const window: ListingWindow<RebuildItem> = new ListingWindow(visit, { concurrency });
  window.add({ dirCap: rootCap, dirKey: Buffer.alloc(0) }, 'd:');
  await window.done();
  await catalog.flush();
  return count;
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
