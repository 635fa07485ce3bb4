import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { SpillSink } from '../../../src/store/spill-sink.js';
import { DirectoryStash } from '../../../src/tree-index/directory-stash.js';
import { buildIndexText, indexEntries, previousIndex, writeIndexEntries } from '../../../src/tree-index/index-build.js';
import { headerLine } from '../../../src/tree-index/index-format.js';
import { IndexReader, storeIndex } from '../../../src/tree-index/index-store.js';
import { gridChildLister, Indexer } from '../../../src/tree-index/index-update.js';
import { dir, wholeFile, type Node } from '../../helpers/view-fixture.js';

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

/** A tree of `width` directories of `width` files each, one of them changed by `salt`. */
async function tree(store: MemoryStore, width: number, salt: string): Promise<Node> {
  const top: Record<string, Node> = {};
  for (let d = 0; d < width; d++) {
    const files: Record<string, Node> = {};
    for (let f = 0; f < width; f++) files[`f${f}.txt`] = await wholeFile(store, bytes(d === 0 && f === 0 ? salt : `${d}/${f}`));
    top[`d${String(d).padStart(2, '0')}`] = await dir(store, files);
  }
  return dir(store, { home: await dir(store, top) });
}

describe('index text written through a spool', () => {
  it('streamed entry lines, a spooled store and the in-memory text give the same index node', async () => {
    const store = new MemoryStore();
    const root = await tree(store, 12, 'one');
    const list = gridChildLister(store);
    const text = await buildIndexText(root.cap, list);
    const spool = await mkdtemp(join(tmpdir(), 'timefs-index-spool-'));
    try {
      const entries = new SpillSink(spool, 0); // spills at the first byte
      const count = await writeIndexEntries(root.cap, list, (chunk) => entries.write(chunk));
      await entries.finish();
      assert.ok(entries.path !== undefined, 'the entry lines went to a file');
      assert.equal(headerLine({ root: root.cap, entries: count }) + Buffer.concat(await arrayOf(entries.chunks())).toString('utf8'), text);
      const fromSpool = await storeIndex(store, root.cap, { header: headerLine({ root: root.cap, entries: count }), entries });
      const fromText = await storeIndex(store, root.cap, text);
      assert.deepEqual(fromSpool, fromText, 'same node, size and hash');
      await entries.discard();
      assert.deepEqual(await readdir(spool), []);
    } finally {
      await rm(spool, { recursive: true, force: true });
    }
  });

  it('an indexer with a spool stores the same indexes, deltas included, and copies unchanged directories by byte range', async () => {
    const store = new MemoryStore();
    const first = await tree(store, 12, 'one');
    const second = await tree(store, 12, 'two');
    const spool = await mkdtemp(join(tmpdir(), 'timefs-index-spool-'));
    try {
      const plain = new Indexer(store, await store.mkdirMutable());
      const spooled = new Indexer(store, await store.mkdirMutable(), {}, spool);
      for (const indexer of [plain, spooled]) {
        await indexer.index({ name: 'a', cap: first.cap });
        await indexer.index({ name: 'b', cap: second.cap }, { name: 'a', cap: first.cap });
      }
      const a = (await plain.currentLinks()).get('b')!;
      const b = (await spooled.currentLinks()).get('b')!;
      assert.equal(a.chain, 1, 'the second index is a delta');
      assert.deepEqual({ ...a, name: '' }, { ...b, name: '' });
      const loaded = await new IndexReader(store).loadBytes(b);
      assert.equal(Buffer.from(loaded.bytes).toString('utf8'), await buildIndexText(second.cap, gridChildLister(store)));
      const previous = previousIndex(indexEntries(loaded.bytes));
      const listed: string[] = [];
      const again = await buildIndexText(second.cap, async (cap) => { listed.push(cap); return gridChildLister(store)(cap); }, previous);
      assert.equal(again, Buffer.from(loaded.bytes).toString('utf8'));
      assert.equal(listed.length, 1, 'only the root is listed: home is copied from the previous index');
    } finally {
      await rm(spool, { recursive: true, force: true });
    }
  });

  it('a directory stash lists what was added, answers undefined for the rest, and removes its file', async () => {
    const spool = await mkdtemp(join(tmpdir(), 'timefs-index-stash-'));
    try {
      const stash = new DirectoryStash(join(spool, 'sub', 'index-dirs'));
      const children = [{ name: 'a\u00e9', cap: 'URI:LIT:mfqq', meta: { type: 'file' as const, mode: 0o644, size: 1, mtime: '1', uid: 0, gid: 0 } }];
      await Promise.all([stash.add('URI:DIR2-CHK:one', children), stash.add('URI:DIR2-CHK:two', [])]);
      assert.deepEqual(await stash.list('URI:DIR2-CHK:one'), children);
      assert.deepEqual(await stash.list('URI:DIR2-CHK:two'), []);
      assert.equal(await stash.list('URI:DIR2-CHK:three'), undefined);
      await stash.discard();
      assert.deepEqual(await readdir(join(spool, 'sub')), []);
    } finally {
      await rm(spool, { recursive: true, force: true });
    }
  });
});

async function arrayOf<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
