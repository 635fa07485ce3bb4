import assert from 'node:assert/strict';
import { test } from 'node:test';
import { edgeNameFor } from '../../../src/model/names.js';
import { nameForBytes, shownName, TreeCache } from '../../../src/view/tree-cache.js';
import { ForwardingStore } from '../../../src/store/forwarding-store.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import type { CallOptions, DirEntry } from '../../../src/store/store.js';
import { inodeFor, entryInodeKey, ROOT_INO } from '../../../src/view/inode-numbers.js';
import type { EntryMeta } from '../../../src/model/entry.js';

test('listing keys are the exact text of UTF-8 names, else the escaped edge name; a kernel lookup of the bytes finds the same key', () => {
  const table: Array<[Buffer, 'raw' | 'edge']> = [
    [Buffer.from('plain.txt'), 'raw'],
    [Buffer.from('cafe\u0301.txt'), 'raw'], // not NFC: escaped on the grid, exact again in the mount
    [Buffer.from([0x66, 0xff, 0x2e, 0x74]), 'edge'], // not UTF-8
  ];
  for (const [raw, expected] of table) {
    const edge = edgeNameFor(raw);
    const shown = shownName(edge.name, edge.rawName);
    assert.equal(shown, expected === 'raw' ? raw.toString('utf8') : edge.name, raw.toString('hex'));
    assert.equal(nameForBytes(raw), shown, raw.toString('hex'));
  }
});

test('hard links share an inode within a snapshot, nothing else does', () => {
  const file: EntryMeta = { type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: '0', size: 1 };
  const linked: EntryMeta = { ...file, link: { dev: 2049, ino: 77 } };
  const a = inodeFor(entryInodeKey('s1', ['a'], linked));
  assert.equal(a, inodeFor(entryInodeKey('s1', ['d', 'b'], linked)));
  assert.notEqual(a, inodeFor(entryInodeKey('s2', ['a'], linked)));
  assert.notEqual(inodeFor(entryInodeKey('s1', ['a'], file)), inodeFor(entryInodeKey('s1', ['b'], file)));
  for (const key of ['', 'x', 's1\0a']) assert.ok(inodeFor(key) > ROOT_INO && inodeFor(key) <= Number.MAX_SAFE_INTEGER);
  const many = new Set(Array.from({ length: 100_000 }, (_, i) => inodeFor(`s1\0dir/file-${i}`)));
  assert.equal(many.size, 100_000, '53-bit numbers: no collision among 100,000 paths');
  assert.ok([...many].some((ino) => ino > 0xffffffff), 'numbers use more than 32 bits');
});

/** A tree of immutable directories in a MemoryStore: `spec` maps a directory to its subdirectories. */
async function dirTree(store: MemoryStore, spec: Record<string, string[]>, name: string): Promise<string> {
  // A file named after the directory keeps every directory's cap distinct.
  const kids: Record<string, { cap: string; metadata: Record<string, unknown> }> = { [`${name}.txt`]: { cap: await store.putImmutable(Buffer.from(name)), metadata: {} } };
  for (const child of spec[name] ?? []) kids[child] = { cap: await dirTree(store, spec, child), metadata: { timefs: { type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: '0', size: 0 } } };
  return store.mkdirImmutable(kids);
}

test('prefetch follows only-child directories without spending levels, and a deeper request deepens a queued one', async () => {
  const store = new MemoryStore();
  // root → home → me (a path prefix), then me fans out to a, b; each has one more level below.
  const spec = { root: ['home'], home: ['me'], me: ['a', 'b'], a: ['a1', 'a2'], b: ['b1'], a1: ['a11'], b1: ['b11'] };
  const rootCap = await dirTree(store, spec, 'root');
  const names = new Map<string, string>();
  const listed: string[] = [];
  const counting = new class extends ForwardingStore {
    override async list(dirCap: string, options?: CallOptions): Promise<Map<string, DirEntry>> {
      const listing = await super.list(dirCap, options);
      listed.push(names.get(dirCap) ?? 'root');
      for (const [name, entry] of listing) names.set(entry.readCap, name);
      return listing;
    }
  }(store);
  const settled = async (): Promise<void> => {
    for (let before = -1; before !== listed.length;) {
      before = listed.length;
      await new Promise((done) => setTimeout(done, 20));
    }
  };
  const trees = new TreeCache(counting);
  // A readdir of root asks for one level below its children, as the mount does (two levels).
  trees.prefetchChildren(await trees.list(rootCap), 1);
  await settled();
  assert.deepEqual(listed.sort(), ['a', 'a1', 'a2', 'b', 'b1', 'b11', 'home', 'me', 'root'], 'home, me, b1 and b11 are only children: they cost no level; a11 is beyond two levels');

  const deeper = new TreeCache(counting);
  listed.length = 0;
  const meCap = [...names].find(([, name]) => name === 'me')![0];
  deeper.prefetch(meCap, 0);
  deeper.prefetch(meCap, 1); // arrives while me is queued or in flight
  await settled();
  assert.deepEqual(listed.sort(), ['a', 'b', 'me']);
});
