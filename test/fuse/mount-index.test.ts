// The mount reading snapshot metadata indexes (docs/format.md §5, docs/mount.md) on the real grid
// through real FUSE mounts: a cold walk of an indexed snapshot lists no directory on the grid, its
// names, attributes and contents equal those of a mount that reads the trees, history/ shows the
// same versions, merged latest/ views read their members' indexes, and a damaged or stale index
// falls back to the trees.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runPush } from '../../src/backup/push.js';
import { Catalog } from '../../src/catalog/catalog.js';
import { initRepository } from '../../src/store/repository.js';
import { requestTally } from '../../src/store/tahoe/http.js';
import type { TahoeStore } from '../../src/store/tahoe/tahoe-store.js';
import { findIndexDir, IndexReader, listIndexLinks, writeIndex } from '../../src/tree-index/index-store.js';
import { GridSnapshotCatalogue } from '../../src/view/snapshot-catalogue.js';
import { testStore } from '../helpers/grid.js';
import { mountForTest, run, type TestMount } from '../helpers/mount-harness.js';

/** Directories of the pushed tree below the source root, the root included. */
const DIRS = ['', 'a', 'a/b', 'a/b/c', 'd', 'd/e', 'd/e/f', 'g'];
const NOT_UTF8 = Buffer.from([0x6e, 0xe9, 0x2e, 0x74, 0x78, 0x74]); // "né.txt" in Latin-1

describe('the mount reads snapshot metadata indexes (real grid, real FUSE)', () => {
  let store: TahoeStore;
  let rootCap: string;
  let snapshotsCap: string;
  let base: string;
  let list: Array<{ name: string; cap: string }>;
  const src = (): string => join(base, 'src');
  /** The source root's components inside a snapshot (push stores absolute paths). */
  const srcParts = (): string[] => src().split('/').filter(Boolean);
  const mounts: TestMount[] = [];

  const push = async (i: number): Promise<void> => {
    const catalog = await Catalog.open(join(base, 'state'));
    try {
      await runPush({ store, catalog, snapshotsCap, stateDir: join(base, 'state'), repoRootCap: rootCap }, { paths: [src()], now: () => Date.UTC(2010, 4, 1 + i) });
    } finally {
      await catalog.close();
    }
  };
  const mount = async (withIndex: boolean): Promise<TestMount> => {
    const m = await mountForTest(store, snapshotsCap, withIndex ? { repoRootCap: rootCap } : { useIndex: false });
    mounts.push(m);
    return m;
  };
  const listings = (): number => requestTally['GET json'] ?? 0;
  /** Every path below `dir` with its type, size, mode, mtime and link target, as exact bytes. */
  const walk = async (dir: string): Promise<Buffer> => {
    const { stdout } = await run('find', [dir, '-printf', '%P\\0%y %s %m %T@ %l\\0'], { encoding: 'buffer', maxBuffer: 1 << 24 });
    return stdout;
  };
  const contents = async (dir: string): Promise<string> => {
    const { stdout } = await run('sh', ['-c', 'cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum', 'sh', dir], { maxBuffer: 1 << 24 });
    return stdout;
  };

  before(async () => {
    store = await testStore();
    rootCap = (await initRepository(store, await store.mkdirMutable())).rootCap;
    snapshotsCap = (await store.list(rootCap)).get('snapshots')!.cap;
    base = await mkdtemp(join(tmpdir(), 'timefs-mount-index-'));
    for (const d of DIRS) {
      await mkdir(join(src(), d), { recursive: true });
      for (let f = 0; f < 3; f++) await writeFile(join(src(), d, `f${f}.txt`), `${d} file ${f}\n`);
    }
    await writeFile(Buffer.concat([Buffer.from(`${join(src(), 'g')}/`), NOT_UTF8]), 'latin-1 name\n');
    await symlink('../a/f0.txt', join(src(), 'g', 'link'));
    for (let i = 0; i < 3; i++) {
      await writeFile(join(src(), 'a/b/note.txt'), `note version ${i}\n`);
      if (i === 1) await unlink(join(src(), 'd/gone.txt'));
      else await writeFile(join(src(), 'd/gone.txt'), 'the same content each time it exists\n');
      await push(i);
    }
    list = (await new GridSnapshotCatalogue(store, snapshotsCap).list()).map((s) => ({ name: s.name, cap: s.cap }));
    assert.equal(list.length, 3);
  });
  after(async () => {
    for (const m of mounts) await m.close();
    await rm(base, { recursive: true, force: true });
  });

  it('a cold walk of an indexed snapshot lists no directory on the grid and shows exactly what the trees show', async () => {
    const indexed = await mount(true);
    const trees = await mount(false);
    const snapshot = list[2]!.name;
    let before = listings();
    const fromIndex = await walk(join(indexed.mountPoint, snapshot));
    const indexedRequests = listings() - before;
    before = listings();
    const fromTrees = await walk(join(trees.mountPoint, snapshot));
    const treeRequests = listings() - before;
    assert.ok(fromIndex.equals(fromTrees), 'names, types, sizes, modes, mtimes and link targets are identical');
    assert.ok(fromIndex.includes(NOT_UTF8), 'the non-UTF-8 name is shown as its exact bytes');
    const dirCount = srcParts().length + DIRS.length; // the snapshot root, the source path's parents, the tree
    assert.equal(indexed.listingStats.fromGrid, 0, 'no snapshot directory was listed on the grid');
    assert.equal(indexed.listingStats.fromIndex, dirCount, 'each directory was answered once, from the index');
    assert.equal(trees.listingStats.fromGrid, dirCount);
    // The index mount's listing requests: snapshots/, the root, index/ and the index node.
    assert.ok(indexedRequests <= 4, `${indexedRequests} listing requests with the index`);
    assert.ok(treeRequests >= dirCount, `${treeRequests} listing requests from the trees`);
    assert.equal(await contents(join(indexed.mountPoint, snapshot)), await contents(join(trees.mountPoint, snapshot)));
  });

  it('history/ shows the same versions from the indexes as from the trees, without listing the trees', async () => {
    const indexed = await mount(true);
    const trees = await mount(false);
    const note = ['history', ...srcParts(), 'a', 'b', 'note.txt'];
    const gone = ['history', ...srcParts(), 'd', 'gone.txt'];
    const dir = ['history', ...srcParts(), 'd'];
    const ls = async (m: TestMount, parts: string[]): Promise<string> => (await run('ls', ['-la', '--time-style=+%s', join(m.mountPoint, ...parts)])).stdout.replace(/^total.*\n/, '').replace(/^.* \.\.?\n/gm, '');
    for (const parts of [note, gone, dir]) assert.equal(await ls(indexed, parts), await ls(trees, parts), parts.join('/'));
    assert.equal((await ls(indexed, note)).trim().split('\n').length, 3, 'three versions of the note');
    assert.equal((await ls(indexed, gone)).trim().split('\n').length, 2, 'deleted and back: the run starts again');
    assert.equal(indexed.listingStats.fromGrid, 0, 'every snapshot directory came from an index');
    assert.ok(trees.listingStats.fromGrid > 0);
    const version = (await ls(indexed, note)).trim().split('\n')[0]!.split(' ').at(-1)!;
    assert.equal((await run('cat', [join(indexed.mountPoint, ...note, version)])).stdout, 'note version 0\n');
  });

  it('a merged latest/ (two sources) reads its members from their indexes and shows what the trees show', async () => {
    await mkdir(join(base, 'other', 'deep'), { recursive: true });
    await writeFile(join(base, 'other', 'deep', 'x.txt'), 'another source\n');
    const catalog = await Catalog.open(join(base, 'state'));
    try {
      await runPush({ store, catalog, snapshotsCap, stateDir: join(base, 'state'), repoRootCap: rootCap }, { paths: [join(base, 'other')], now: () => Date.UTC(2010, 4, 9) });
    } finally {
      await catalog.close();
    }
    const indexed = await mount(true);
    const trees = await mount(false);
    const fromIndex = await walk(join(indexed.mountPoint, 'latest'));
    assert.ok(fromIndex.equals(await walk(join(trees.mountPoint, 'latest'))));
    assert.ok(fromIndex.includes('x.txt') && fromIndex.includes('note.txt'), 'both sources are in latest/');
    assert.equal(indexed.listingStats.fromGrid, 0, 'both members answered from their indexes');
    assert.ok(trees.listingStats.fromGrid > 0);
  });

  it('a damaged or stale index is ignored: the trees answer for that snapshot and a notice says why', async () => {
    const dir = (await findIndexDir(store, rootCap))!;
    const links = await listIndexLinks(store, dir);
    // Damaged: the second snapshot's link names the first one's node, so its text fails the hash.
    const second = (await store.list(dir)).get(list[1]!.name)!;
    await store.unlink(dir, list[1]!.name);
    await store.link(dir, list[1]!.name, links.get(list[0]!.name)!.cap, second.metadata);
    // Stale: the third snapshot's link describes another root (the first snapshot's tree).
    const first = await new IndexReader(store).load(links.get(list[0]!.name)!);
    await writeIndex(store, dir, list[2]!.name, list[0]!.cap, first.text);
    const indexed = await mount(true);
    const trees = await mount(false);
    for (const s of [list[1]!.name, list[2]!.name]) {
      assert.ok((await walk(join(indexed.mountPoint, s))).equals(await walk(join(trees.mountPoint, s))), s);
    }
    assert.ok(indexed.listingStats.fromGrid > 0, 'the trees answered');
    assert.ok(indexed.logs.some((l) => l.includes(list[1]!.name) && /hash/.test(l)), indexed.logs.join('\n'));
    assert.ok(indexed.logs.some((l) => l.includes(list[2]!.name) && /stale/.test(l)), indexed.logs.join('\n'));
    assert.ok(indexed.logs.every((l) => !/URI:[A-Z0-9-]+:[A-Za-z0-9:_-]{7,}/.test(l)), 'no cap in a notice');
    const note = ['history', ...srcParts(), 'a', 'b', 'note.txt'];
    assert.deepEqual((await run('ls', [join(indexed.mountPoint, ...note)])).stdout, (await run('ls', [join(trees.mountPoint, ...note)])).stdout);
  });
});
