import assert from 'node:assert/strict';
import { lstat, mkdtemp, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ByteBudget } from '../../../src/maint/byte-budget.js';
import { findInIndex } from '../../../src/maint/restore-index-walk.js';
import { restore } from '../../../src/maint/restore.js';
import { dataRuns } from '../../../src/maint/sparse-writer.js';
import { isTimefsError } from '../../../src/model/errors.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { buildIndexText } from '../../../src/tree-index/index-build.js';
import { gridChildLister } from '../../../src/tree-index/index-update.js';
import { GridTreeReader } from '../../../src/view/tree-reader.js';
import { ChainVersionReader } from '../../../src/view/version-reader.js';
import { buildTree, pseudoRandom, type TreeSpec } from '../../helpers/maint-fixtures.js';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function indexed(spec: TreeSpec) {
  const store = new MemoryStore();
  const rootCap = await buildTree(store, spec);
  const index = new Uint8Array(Buffer.from(await buildIndexText(rootCap, gridChildLister(store))));
  return { store, rootCap, index };
}

const spec: TreeSpec = {
  home: {
    type: 'dir', mode: 0o750, mtime: '1231465740987654321',
    children: {
      docs: { type: 'dir', mode: 0o700, mtime: '1231465740000000001', children: { 'a.txt': { type: 'file', data: Buffer.from('alpha\n'), mode: 0o640, mtime: '1231465740111111111' } } },
      'b.bin': { type: 'file', data: pseudoRandom(70_000, 9), mode: 0o600, mtime: '1231465740222222222', link: { dev: 1, ino: 2 } },
      'c.bin': { type: 'file', data: pseudoRandom(70_000, 9), mode: 0o600, mtime: '1231465740222222222', link: { dev: 1, ino: 2 } },
      link: { type: 'symlink', target: 'docs/a.txt' },
      empty: { type: 'dir', children: {} },
    },
  },
  other: { type: 'dir', children: { 'z.txt': { type: 'file', data: Buffer.from('zeta') } } },
};

describe('restore from a metadata index (MemoryStore, local disk)', () => {
  it('restores a subtree from the index text alone: no directory is listed', async () => {
    const { store, rootCap, index } = await indexed(spec);
    const listed: string[] = [];
    const trees = new GridTreeReader(store);
    const counting = { list: async (cap: string, where?: string) => { listed.push(cap); return trees.list(cap, where); }, lookup: trees.lookup.bind(trees) };
    const target = await mkdtemp(join(tmpdir(), 'timefs-restore-index-'));
    dirs.push(target);
    const report = await restore({ store, trees: counting, index, versions: new ChainVersionReader(store) }, { snapshot: 'S', rootCap, path: 'home' }, target);
    assert.deepEqual(listed, []);
    assert.equal(report.files, 2);
    assert.equal(report.hardlinks, 1);
    assert.equal(report.dirs, 2);
    assert.equal(await readFile(join(target, 'docs', 'a.txt'), 'utf8'), 'alpha\n');
    assert.equal(await readlink(join(target, 'link')), 'docs/a.txt');
    assert.equal((await stat(join(target, 'b.bin'))).ino, (await stat(join(target, 'c.bin'))).ino);
    assert.equal((await stat(join(target, 'docs'))).mode & 0o7777, 0o700);
    assert.equal((await lstat(join(target, 'docs', 'a.txt'), { bigint: true })).mtimeNs, 1231465740111111111n);
    await assert.rejects(stat(join(target, 'z.txt')), 'nothing outside the subtree');
  });

  it('finds entries by path as the tree lookup does, and names what is missing', async () => {
    const { rootCap, index } = await indexed(spec);
    assert.equal(findInIndex(index, rootCap, 'home/docs/a.txt').entry.meta.size, 6);
    assert.equal(findInIndex(index, rootCap, '').path, '');
    assert.throws(() => findInIndex(index, rootCap, 'home/nope'), (e) => isTimefsError(e, 'path.not-found') && /home\/nope/.test(e.message));
    assert.throws(() => findInIndex(index, rootCap, 'home/b.bin/x'), (e) => isTimefsError(e, 'path.not-found') && /not a directory/.test(e.message));
    // "other/z.txt" follows home's subtree: the search for a child of "home" stops at its end.
    assert.throws(() => findInIndex(index, rootCap, 'home/z.txt'), (e) => isTimefsError(e, 'path.not-found'));
  });

  it('refuses a tampered index: ".." as a name, a line outside its directory', async () => {
    const { store, rootCap, index } = await indexed(spec);
    const text = Buffer.from(index).toString('utf8');
    const sources = (t: string) => ({ store, trees: new GridTreeReader(store), index: new Uint8Array(Buffer.from(t)), versions: new ChainVersionReader(store) });
    const dotdot = text.replace('"other/z.txt"', '"other/.."');
    const target = await mkdtemp(join(tmpdir(), 'timefs-restore-index-'));
    dirs.push(target);
    await assert.rejects(restore(sources(dotdot), { snapshot: 'S', rootCap, path: '' }, join(target, 'a')), (e) => isTimefsError(e, 'repo.tampered'));
    const orphan = text.replace('"other/z.txt"', '"nowhere/z.txt"');
    await assert.rejects(restore(sources(orphan), { snapshot: 'S', rootCap, path: '' }, join(target, 'b')), (e) => isTimefsError(e, 'repo.bad-format'));
  });
});

describe('byte budget', () => {
  it('lets requests through first come first served while they fit, and one oversized alone', async () => {
    const budget = new ByteBudget(10);
    const order: string[] = [];
    await budget.acquire(6);
    const b = budget.acquire(6).then(() => order.push('b'));
    const c = budget.acquire(1).then(() => order.push('c'));
    await new Promise((r) => setImmediate(r));
    assert.equal(order.length, 0, 'c waits behind b even though it would fit');
    budget.release(6);
    await Promise.all([b, c]);
    assert.deepEqual(order, ['b', 'c']);
    assert.equal(budget.inUse, 7);
    const big = budget.acquire(50).then(() => order.push('big'));
    budget.release(7);
    await big;
    assert.equal(budget.inUse, 50);
  });
});

describe('data runs of a sparse write', () => {
  it('merges non-zero blocks and keeps a non-zero tail', () => {
    const bytes = new Uint8Array(4096 * 4 + 10);
    bytes[5] = 1;
    bytes[4096 + 7] = 1;
    bytes[4096 * 3] = 1;
    bytes[4096 * 4 + 9] = 1;
    assert.deepEqual(dataRuns(bytes), [[0, 8192], [12288, 16394]]);
    assert.deepEqual(dataRuns(new Uint8Array(5000)), []);
  });
});
