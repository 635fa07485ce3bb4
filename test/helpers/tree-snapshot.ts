// Test-only: snapshots a real local directory into a Store as timefs/1 (immutable dirs with EntryMeta
// edges; changed files as real rdiff chains against their earlier versions), so the mount can be
// tested before and independently of `timefs push`.
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import type { EntryMeta, EntryType } from '../../src/model/entry.js';
import { edgeNamesFor } from '../../src/model/names.js';
import type { Store } from '../../src/store/store.js';
import { blake2bHex } from '../../src/model/blake2b-pool.js';
import { addSnapshot, chainFile, type Node } from './view-fixture.js';

/** Remembers file versions between snapshots so changed files become chains. */
export class TreeSnapshotter {
  private readonly versions = new Map<string, Uint8Array[]>();
  /** First link of each hard-linked inode in the snapshot being made. */
  private hardLinks = new Map<string, Node>();

  constructor(private readonly store: Store, private readonly snapshotsCap: string) {}

  /** Snapshots `sourceDir` (its contents appear at the snapshot root) under the name `time`. */
  async snapshot(sourceDir: string, time: string): Promise<void> {
    this.hardLinks = new Map();
    const root = await this.directory(Buffer.from(sourceDir), '');
    await addSnapshot(this.store, this.snapshotsCap, time, root);
  }

  private async directory(dir: Buffer, rel: string): Promise<Node> {
    const raws = (await readdir(dir, { encoding: 'buffer' })).sort(Buffer.compare);
    const names = edgeNamesFor(raws);
    const children: Record<string, { cap: string; metadata: Record<string, unknown> }> = {};
    for (const [i, raw] of raws.entries()) {
      const edge = names[i] as { name: string; rawName?: string };
      const path = Buffer.concat([dir, Buffer.from('/'), raw]);
      const node = await this.entry(path, `${rel}/${raw.toString('latin1')}`);
      if (edge.rawName) node.meta = { ...node.meta, rawName: edge.rawName };
      children[edge.name] = { cap: node.cap, metadata: { timefs: node.meta } };
    }
    const info = await lstat(dir, { bigint: true });
    return { cap: await this.store.mkdirImmutable(children), meta: metaOf(info, 'dir', 0) };
  }

  private async entry(path: Buffer, rel: string): Promise<Node> {
    const info = await lstat(path, { bigint: true });
    if (info.isDirectory()) return this.directory(path, rel);
    if (info.isSymbolicLink()) {
      const target = await readlink(path, { encoding: 'buffer' });
      return { cap: await this.store.putImmutable(new Uint8Array(target)), meta: metaOf(info, 'symlink', target.length) };
    }
    if (!info.isFile()) {
      const type: EntryType = info.isFIFO() ? 'fifo' : info.isSocket() ? 'socket' : info.isCharacterDevice() ? 'chardev' : 'blockdev';
      const meta = metaOf(info, type, 0);
      if (type === 'chardev' || type === 'blockdev') meta.rdev = Number(info.rdev);
      return { cap: await this.store.putImmutable(new Uint8Array(0)), meta };
    }
    const content = new Uint8Array(await readFile(path));
    const link = info.nlink > 1n ? { dev: Number(info.dev), ino: Number(info.ino) } : undefined;
    const linkKey = link ? `${link.dev}:${link.ino}` : undefined;
    const hash = await blake2bHex(content);
    const earlier = this.versions.get(rel) ?? [];
    let node: Node;
    const shared = linkKey ? this.hardLinks.get(linkKey) : undefined;
    if (shared) {
      node = { cap: shared.cap, meta: { ...shared.meta, ...metaOf(info, 'file', content.length) } };
    } else if (earlier.length > 0 && Buffer.compare(earlier[earlier.length - 1] as Uint8Array, content) !== 0) {
      const chain = await chainFile(this.store, [...earlier, content], { blockLength: 64 });
      node = { cap: chain.cap, meta: { ...metaOf(info, 'file', content.length), storage: 'chain', chain: earlier.length } };
    } else if (earlier.length > 1) {
      const chain = await chainFile(this.store, earlier, { blockLength: 64 });
      node = { cap: chain.cap, meta: { ...metaOf(info, 'file', content.length), storage: 'chain', chain: earlier.length - 1 } };
    } else {
      node = { cap: await this.store.putImmutable(content), meta: { ...metaOf(info, 'file', content.length), storage: 'whole' } };
    }
    if (linkKey && !shared) this.hardLinks.set(linkKey, node);
    node.meta.hash = hash;
    if (link) node.meta.link = link;
    if (earlier.length === 0 || Buffer.compare(earlier[earlier.length - 1] as Uint8Array, content) !== 0) this.versions.set(rel, [...earlier, content]);
    return node;
  }
}

function metaOf(info: { mode: bigint; uid: bigint; gid: bigint; mtimeNs: bigint }, type: EntryType, size: number): EntryMeta {
  return { type, mode: Number(info.mode & 0o7777n), uid: Number(info.uid), gid: Number(info.gid), mtime: info.mtimeNs.toString(), size };
}
