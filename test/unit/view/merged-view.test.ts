import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { createBackupView } from '../../../src/view/backup-view-setup.js';
import { membersAsOf } from '../../../src/view/merged-tree.js';
import { openSnapshotView } from '../../../src/view/snapshot-view.js';
import { GridTreeReader } from '../../../src/view/tree-reader.js';
import { addSnapshot, buildTree, makeRepo, type TreeSpec } from '../../helpers/maint-fixtures.js';

const text = (s: string) => ({ type: 'file' as const, data: Buffer.from(s) });
const dir = (children: TreeSpec) => ({ type: 'dir' as const, children });

/** A repository with: /x (old: y/{f1,f2}, z), then /x/y (f1 edited, f2 deleted), then /w by another host. */
async function repo() {
  const store = new MemoryStore();
  const r = await makeRepo(store);
  const x = await buildTree(store, { x: dir({ y: dir({ f1: text('one'), f2: text('two') }), z: text('zed') }) });
  await addSnapshot(store, r, '2009-01-01T10:00:00Z', x, { host: 'laptop', paths: ['/x'] });
  const y = await buildTree(store, { x: dir({ y: dir({ f1: text('ONE') }) }) });
  await addSnapshot(store, r, '2009-01-02T10:00:00Z', y, { host: 'laptop', paths: ['/x/y'] });
  const w = await buildTree(store, { w: dir({ g: text('gee') }) });
  await addSnapshot(store, r, '2009-01-03T10:00:00Z', w, { host: 'desktop', paths: ['/w'] });
  return { store, ...r };
}

async function names(store: MemoryStore, snapshotsCap: string, spec: string, path: string, host?: string): Promise<string[]> {
  const { target, store: merging } = await openSnapshotView(store, snapshotsCap, spec, { utc: true, ...(host ? { host } : {}) });
  const trees = new GridTreeReader(merging);
  const found = await trees.lookup(target.cap, path);
  return (await trees.list(found.cap)).map((e) => e.name);
}

async function cat(store: MemoryStore, snapshotsCap: string, spec: string, path: string): Promise<string> {
  const { target, store: merging } = await openSnapshotView(store, snapshotsCap, spec, { utc: true });
  const entry = await new GridTreeReader(merging).lookup(target.cap, path);
  return Buffer.from(await store.get(entry.cap)).toString();
}

describe('merged views of several sources', () => {
  it('membersAsOf: the newest of each source, without one whose paths newer members cover', () => {
    const s = (name: string, host: string, ...paths: string[]) => ({ name, timeMs: Date.parse(name), cap: name, host, paths });
    const list = [s('2009-01-01T00:00:00Z', 'h', '/x/y'), s('2009-01-02T00:00:00Z', 'h', '/x'), s('2009-01-03T00:00:00Z', 'h', '/x/y'), s('2009-01-04T00:00:00Z', 'h', '/a')];
    assert.deepEqual(membersAsOf(list, Infinity).map((m) => m.name), ['2009-01-04T00:00:00Z', '2009-01-03T00:00:00Z', '2009-01-02T00:00:00Z']);
    assert.deepEqual(membersAsOf(list, Date.parse('2009-01-02T00:00:00Z')).map((m) => m.name), ['2009-01-02T00:00:00Z'], '/x covers the older /x/y');
  });

  it('latest merges: /x/y from the newer snapshot, the rest of /x from the older, /w from the other host; a deleted file is absent', async () => {
    const { store, snapshotsCap } = await repo();
    assert.deepEqual(await names(store, snapshotsCap, 'latest', '/'), ['w', 'x']);
    assert.deepEqual(await names(store, snapshotsCap, 'latest', '/x'), ['y', 'z']);
    assert.deepEqual(await names(store, snapshotsCap, 'latest', '/x/y'), ['f1'], 'f2 was deleted in the newer /x/y');
    assert.equal(await cat(store, snapshotsCap, 'latest', '/x/y/f1'), 'ONE');
    assert.equal(await cat(store, snapshotsCap, 'latest', '/x/z'), 'zed');
    assert.equal(await cat(store, snapshotsCap, 'latest', '/w/g'), 'gee');
  });

  it('days merge as of their end; exact names show one snapshot; --host restricts', async () => {
    const { store, snapshotsCap } = await repo();
    assert.deepEqual(await names(store, snapshotsCap, '2009-01-02', '/'), ['x']);
    assert.deepEqual(await names(store, snapshotsCap, '2009-01-02', '/x/y'), ['f1']);
    assert.equal(await cat(store, snapshotsCap, '2009-01-01', '/x/y/f1'), 'one');
    assert.deepEqual(await names(store, snapshotsCap, '2009-01-02T10:00:00Z', '/x'), ['y'], 'the exact snapshot alone');
    assert.deepEqual(await names(store, snapshotsCap, 'latest', '/', 'laptop'), ['x']);
    assert.deepEqual(await names(store, snapshotsCap, 'latest', '/', 'desktop'), ['w']);
    const single = await openSnapshotView(store, snapshotsCap, 'latest', { host: 'desktop' });
    assert.equal(single.target.merged, false);
    assert.equal(single.target.name, '2009-01-03T10:00:00Z');
  });

  it('the mount: merged latest and days are directories, hosts/<host>/ holds each host, history skips other sources', async () => {
    const { store, snapshotsCap } = await repo();
    const { view } = createBackupView(store, snapshotsCap, { zone: 'utc' });
    const ls = async (...path: string[]) => (await view.readdir(path)).map((c) => c.name).sort();
    assert.deepEqual(await ls(), ['2009-01-01', '2009-01-01T10:00:00Z', '2009-01-02', '2009-01-02T10:00:00Z', '2009-01-03', '2009-01-03T10:00:00Z', 'history', 'hosts', 'latest']);
    assert.equal((await view.getattr(['latest'])).type, 'dir');
    assert.equal((await view.getattr(['latest'])).stable, false);
    assert.deepEqual(await ls('latest', 'x', 'y'), ['f1']);
    assert.deepEqual(await ls('2009-01-02', 'x'), ['y', 'z']);
    assert.equal((await view.getattr(['2009-01-01'])).type, 'symlink', 'one snapshot as of that day: a link to it, as before');
    assert.deepEqual(await ls('hosts'), ['desktop', 'laptop']);
    assert.deepEqual(await ls('hosts', 'desktop'), ['2009-01-03', '2009-01-03T10:00:00Z', 'history', 'latest']);
    assert.equal((await view.getattr(['hosts', 'desktop', 'latest'])).type, 'symlink');
    assert.deepEqual(await ls('hosts', 'laptop', 'latest', 'x'), ['y', 'z']);
    const file = await view.open(['latest', 'x', 'y', 'f1']);
    assert.equal(Buffer.from(await file.read(0, 10)).toString(), 'ONE');
    file.close();
    assert.deepEqual(await ls('history', 'x', 'z'), ['2009-01-01T10:00:00Z'], 'snapshots of /x/y and /w say nothing about /x/z');
    assert.deepEqual(await ls('history', 'x', 'y', 'f1'), ['2009-01-01T10:00:00Z', '2009-01-02T10:00:00Z']);
  });
});
