import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { buildIndexText, indexEntries, previousIndex } from '../../../src/tree-index/index-build.js';
import { parseRecord, splitIndex } from '../../../src/tree-index/index-format.js';
import { gridChildLister } from '../../../src/tree-index/index-update.js';
import { gridLister } from '../../../src/view/history-source.js';
import { IndexedLister } from '../../../src/view/indexed-lister.js';
import { IndexTimeline } from '../../../src/tree-index/index-timeline.js';
import { dir, wholeFile, type Node } from '../../helpers/view-fixture.js';

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

async function tree(store: MemoryStore, changed: string): Promise<{ root: Node; shared: Node }> {
  const shared = await dir(store, { 'x.txt': await wholeFile(store, bytes('x')), 'y.txt': await wholeFile(store, bytes('y')) });
  const latin = await wholeFile(store, bytes('latin'), { rawName: Buffer.from([0x61, 0xe9]).toString('base64') });
  const root = await dir(store, { home: await dir(store, { shared, 'c.txt': await wholeFile(store, bytes(changed)), 'a\u2063timefs-raw-0123456789abcdef': latin, 'a.b': await wholeFile(store, bytes('dot')) }) });
  return { root, shared };
}

describe('index text and the indexed lister', () => {
  it('the index holds every edge verbatim, in pre-order, and lists like the grid', async () => {
    const store = new MemoryStore();
    const { root } = await tree(store, 'one');
    const text = await buildIndexText(root.cap, gridChildLister(store));
    const { header, lines } = splitIndex(text);
    assert.equal(header.root, root.cap);
    assert.deepEqual(lines.map((l) => parseRecord(l).path.join('/')), ['home', 'home/a.b', 'home/a\u2063timefs-raw-0123456789abcdef', 'home/c.txt', 'home/shared', 'home/shared/x.txt', 'home/shared/y.txt']);
    const lister = new IndexedLister(gridLister(store));
    lister.register({ header, lines });
    const grid = gridLister(store);
    for (const cap of [root.cap, ...lines.map(parseRecord).filter((r) => r.meta.type === 'dir').map((r) => r.cap)]) {
      const a = await lister.list(cap);
      const b = await grid.list(cap);
      assert.deepEqual(a.map((e) => [Buffer.from(e.rawName).toString('hex'), e.cap, e.meta.size]), b.map((e) => [Buffer.from(e.rawName).toString('hex'), e.cap, e.meta.size]));
    }
    assert.equal(lister.stats.fromGrid, 0);
  });

  it('building against the previous index copies unchanged directories without listing them', async () => {
    const store = new MemoryStore();
    const first = await tree(store, 'one');
    const second = await tree(store, 'two');
    const old = await buildIndexText(first.root.cap, gridChildLister(store));
    const listed: string[] = [];
    const base = gridChildLister(store);
    const text = await buildIndexText(second.root.cap, async (cap) => { listed.push(cap); return base(cap); }, previousIndex(indexEntries(old)));
    assert.equal(text, await buildIndexText(second.root.cap, gridChildLister(store)), 'same text as a full build');
    assert.ok(!listed.includes(second.shared.cap), 'the shared directory was copied, not listed');
    assert.equal(listed.length, 2);
    // Two indexes in one lister: the shared subtree is registered once, both trees list right.
    const lister = new IndexedLister(gridLister(store));
    lister.register(splitIndex(old));
    lister.register(splitIndex(text));
    const grid = gridLister(store);
    for (const cap of [first.root.cap, second.root.cap, second.shared.cap]) {
      const home = cap === second.shared.cap ? cap : (await grid.list(cap))[0]!.cap;
      for (const c of [cap, home]) assert.deepEqual((await lister.list(c)).map((e) => e.cap), (await grid.list(c)).map((e) => e.cap));
    }
    assert.equal(lister.stats.fromGrid, 0);
  });

  it('finds a child by exact name bytes without decoding the listing, and defers to it for escaped names', async () => {
    const store = new MemoryStore();
    const { root } = await tree(store, 'one');
    const text = await buildIndexText(root.cap, gridChildLister(store));
    const { header, lines } = splitIndex(text);
    const timeline = new IndexTimeline(() => false);
    const lister = new IndexedLister(gridLister(store));
    lister.addListings(timeline.reset(header, lines));
    const home = lister.child(root.cap, bytes('home'));
    assert.ok(home && home.meta.type === 'dir');
    const grid = await gridLister(store).list(home.cap);
    assert.equal(lister.child(home.cap, bytes('c.txt'))?.cap, grid.find((e) => e.name === 'c.txt')!.cap);
    assert.equal(lister.child(home.cap, bytes('a.b'))?.cap, grid.find((e) => e.name === 'a.b')!.cap);
    // home holds an escaped name: a miss there is not final, and the latin-1 name needs the listing.
    assert.equal(lister.child(home.cap, bytes('nope')), undefined);
    assert.equal(lister.child(home.cap, new Uint8Array([0x61, 0xe9])), undefined);
    assert.equal(lister.child(root.cap, bytes('nope')), null, 'no escaped name in the root: a miss is final');
    const latin = (await lister.list(home.cap)).find((e) => Buffer.from(e.rawName).equals(Buffer.from([0x61, 0xe9])));
    assert.equal(latin?.cap, grid.find((e) => e.meta.rawName !== undefined)!.cap);
    assert.equal(lister.child(home.cap, bytes('c.txt')), undefined, 'a decoded listing is used as it is');
  });
});

