import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { childStates, listerSide, pathStates, type DirectoryLister } from '../../../src/view/path-states.js';
import { versionRows } from '../../../src/view/path-versions.js';
import { diffTrees, type DiffChange } from '../../../src/view/tree-diff.js';
import { searchSnapshots } from '../../../src/view/tree-search.js';
import { GridTreeReader } from '../../../src/view/tree-reader.js';
import { dir, symlink, wholeFile, type Node } from '../../helpers/view-fixture.js';

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
const segs = (p: string): Uint8Array[] => p.split('/').map(bytes);

/** A lister that counts listings, over a MemoryStore. */
function countingLister(store: MemoryStore): DirectoryLister & { calls: number } {
  const reader = new GridTreeReader(store);
  const lister = { calls: 0, list: (cap: string) => { lister.calls++; return reader.list(cap); } };
  return lister;
}

async function history(store: MemoryStore): Promise<Array<{ name: string; cap: string }>> {
  const a1 = await wholeFile(store, bytes('one\n'));
  const a2 = await wholeFile(store, bytes('two\n'));
  const big = await dir(store, Object.fromEntries(await Promise.all(Array.from({ length: 20 }, async (_, i) => [`f${i}.txt`, await wholeFile(store, bytes(`f${i}`))] as [string, Node]))));
  const trees: Array<Record<string, Node>> = [
    { 'a.txt': a1, shared: big },
    { 'a.txt': { ...a1, meta: { ...a1.meta, mode: 0o600 } }, shared: big },
    { shared: big },
    { 'a.txt': a2, shared: big, l: await symlink(store, 'a.txt') },
    { 'a.txt': await dir(store, { 'x.txt': a1 }), shared: big },
  ];
  const out = [];
  for (const [i, children] of trees.entries()) out.push({ name: `2009-01-0${i + 1}T00:00:00Z`, cap: (await dir(store, { home: await dir(store, children) })).cap });
  return out;
}

describe('history functions over a directory lister', () => {
  it('versionRows: new, metadata-only, deleted, back, type change', async () => {
    const store = new MemoryStore();
    const snapshots = await history(store);
    const rows = versionRows(await pathStates(countingLister(store), snapshots, segs('home/a.txt')));
    assert.deepEqual(rows.map((r) => [r.change, r.first, r.last, r.snapshots, r.version, r.deletedIn]), [
      ['new', '2009-01-01T00:00:00Z', '2009-01-01T00:00:00Z', 1, 1, undefined],
      ['metadata', '2009-01-02T00:00:00Z', '2009-01-02T00:00:00Z', 1, 1, '2009-01-03T00:00:00Z'],
      ['back', '2009-01-04T00:00:00Z', '2009-01-04T00:00:00Z', 1, 2, undefined],
      ['type', '2009-01-05T00:00:00Z', '2009-01-05T00:00:00Z', 1, 3, undefined],
    ]);
  });

  it('childStates: every name a directory ever had', async () => {
    const store = new MemoryStore();
    const snapshots = await history(store);
    const lister = countingLister(store);
    const children = await childStates(lister, await pathStates(lister, snapshots, segs('home')));
    assert.deepEqual(children.map((c) => Buffer.from(c.rawName).toString()), ['a.txt', 'l', 'shared']);
    assert.equal(children.find((c) => Buffer.from(c.rawName).toString() === 'l')?.states.filter((s) => s.entry).length, 1);
  });

  it('diffTrees skips equal subtrees by cap and classifies changes', async () => {
    const store = new MemoryStore();
    const snapshots = await history(store);
    const lister = countingLister(store);
    const side = listerSide(lister);
    const root = (i: number) => ({ rawName: new Uint8Array(0), meta: { type: 'dir' as const, mode: 0o755, uid: 0, gid: 0, mtime: '0', size: 0 }, key: snapshots[i]!.cap });
    const run = async (a: number, b: number): Promise<string[]> => {
      const out: string[] = [];
      for await (const c of diffTrees(root(a), root(b), { before: side, after: side })) out.push(`${c.kind} ${c.path.map((p) => Buffer.from(p).toString()).join('/')}`);
      return out;
    };
    lister.calls = 0;
    assert.deepEqual(await run(0, 1), ['metadata home/a.txt']);
    assert.equal(lister.calls, 4, 'roots and home listed; the shared directory never');
    assert.deepEqual(await run(1, 2), ['removed home/a.txt']);
    assert.deepEqual(await run(2, 3), ['added home/a.txt', 'added home/l']);
    assert.deepEqual(await run(3, 4), ['type home/a.txt', 'added home/a.txt/x.txt', 'removed home/l']);
    assert.deepEqual(await run(0, 0), []);
    const changes: DiffChange[] = [];
    for await (const c of diffTrees(root(0), root(3), { before: side, after: side })) changes.push(c);
    assert.equal(changes[0]?.kind, 'modified');
  });

  it('searchSnapshots groups matches by path into runs and walks each directory once', async () => {
    const store = new MemoryStore();
    const snapshots = await history(store);
    const lister = countingLister(store);
    const found = await searchSnapshots(lister, snapshots, (_path, e) => Buffer.from(e.rawName).toString().endsWith('.txt'));
    const shown = found.map((m) => [m.path.map((p) => Buffer.from(p).toString()).join('/'), m.runs.map((r) => `${r.first.slice(8, 10)}-${r.last.slice(8, 10)}:${r.versions}`).join(',')]);
    assert.deepEqual(shown.slice(0, 2), [['home/a.txt', '01-02:1,04-05:2'], ['home/a.txt/x.txt', '05-05:1']]);
    assert.equal(shown.filter(([p]) => p!.startsWith('home/shared/')).length, 20);
    assert.ok(shown.every(([p, r]) => !p!.startsWith('home/shared/') || r === '01-05:1'));
    // five roots, five home directories, the shared directory once, and a.txt/ once
    assert.equal(lister.calls, 12);
  });
});
