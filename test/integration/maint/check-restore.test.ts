import assert from 'node:assert/strict';
import { lstat, mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkRepository } from '../../../src/maint/check.js';
import { forgetSnapshots } from '../../../src/maint/forget.js';
import { renewLeases } from '../../../src/maint/renew.js';
import { restore } from '../../../src/maint/restore.js';
import { isTimefsError } from '../../../src/model/errors.js';
import type { Store } from '../../../src/store/store.js';
import { GridSnapshotCatalogue } from '../../../src/view/snapshot-catalogue.js';
import { GridTreeReader } from '../../../src/view/tree-reader.js';
import { ChainVersionReader } from '../../../src/view/version-reader.js';
import { addSnapshot, baseMeta, buildForwardChain, buildTree, makeRepo, pseudoRandom } from '../../helpers/maint-fixtures.js';
import { fabricatedChkCap, gridStore } from './maint-grid.js';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function roots(store: Store, snapshotsCap: string) {
  return (await new GridSnapshotCatalogue(store, snapshotsCap).list()).map((s) => ({ name: s.name, cap: s.cap }));
}

describe('check on the real grid', () => {
  it('passes a clean repository, finds a linked object without shares and a version that does not match its hash', async () => {
    const store = gridStore();
    const repo = await makeRepo(store);
    const chain = await buildForwardChain(store, [pseudoRandom(30_000, 1), pseudoRandom(30_000, 2), pseudoRandom(31_000, 3)]);
    for (const [i, v] of chain.entries()) {
      await addSnapshot(store, repo, `2009-01-0${i + 1}T00:00:00Z`, await buildTree(store, { docs: { type: 'dir', children: { 'f.bin': { type: 'linked', cap: v.cap, meta: v.meta } } } }));
    }
    const versions = new ChainVersionReader(store);
    const clean = await checkRepository(store, await roots(store, repo.snapshotsCap), { readDataPercent: 100, versions });
    assert.deepEqual(clean.damaged, []);
    assert.deepEqual(clean.unhealthy, []);
    assert.equal(clean.versionsRead, 3);

    // A snapshot linking a file whose shares do not exist (Tahoe: HEAD fine, GET 410).
    const ghost = fabricatedChkCap(5000);
    const bad = pseudoRandom(20_000, 7);
    const badCap = await store.putImmutable(bad);
    await addSnapshot(store, repo, '2009-01-04T00:00:00Z', await buildTree(store, {
      docs: { type: 'dir', children: {
        'ghost.bin': { type: 'linked', cap: ghost, meta: baseMeta('file', { size: 5000, hash: 'cd'.repeat(32), storage: 'whole' }) },
        'bad.bin': { type: 'linked', cap: badCap, meta: baseMeta('file', { size: bad.length, hash: 'ab'.repeat(32), storage: 'whole' }) },
      } },
    }));
    const report = await checkRepository(store, await roots(store, repo.snapshotsCap));
    assert.equal(report.damaged.length, 1);
    assert.equal(report.damaged[0]!.problem, 'missing');
    assert.match(report.damaged[0]!.path, /^2009-01-04T00:00:00Z\/docs\/ghost\.bin$/);
    assert.deepEqual(report.damaged[0]!.snapshots, ['2009-01-04T00:00:00Z']);

    const deep = await checkRepository(store, await roots(store, repo.snapshotsCap), { readDataPercent: 100, versions });
    const problems = deep.damaged.map((d) => `${d.path.split('/').pop()} ${d.problem}`).sort();
    assert.deepEqual(problems, ['bad.bin content', 'ghost.bin missing']);
  });
});

describe('renew and forget on the real grid', () => {
  it('renews every reachable object, then forget unlinks by policy', async () => {
    const store = gridStore();
    const repo = await makeRepo(store);
    const times = ['2009-01-01T10:00:00Z', '2009-01-01T12:00:00Z', '2009-01-02T10:00:00Z'];
    for (const [i, t] of times.entries()) {
      await addSnapshot(store, repo, t, await buildTree(store, { [`f${i}`]: { type: 'file', data: pseudoRandom(2000, i + 1) } }));
    }
    const report = await renewLeases(store, repo.rootCap);
    // root, timefs.json, snapshots/, 3 snapshot roots, 3 files
    assert.equal(report.objects, 9);
    assert.equal(report.directories, 5);
    assert.deepEqual(report.unrecoverable, []);
    const forgot = await forgetSnapshots(store, repo.snapshotsCap, { daily: 1 });
    assert.deepEqual(forgot.removed.sort(), ['2009-01-01T10:00:00Z', '2009-01-01T12:00:00Z']);
    assert.deepEqual([...(await store.list(repo.snapshotsCap)).keys()], ['2009-01-02T10:00:00Z']);
    assert.equal((await renewLeases(store, repo.rootCap)).objects, 5, 'forgotten snapshots are no longer renewed');
  });
});

describe('restore on the real grid', () => {
  it('round-trips content and metadata, and refuses tampered names', async () => {
    const store = gridStore();
    const sparse = new Uint8Array(600_000);
    sparse.set(pseudoRandom(3000, 4), 500_000);
    const chain = await buildForwardChain(store, [pseudoRandom(50_000, 8), pseudoRandom(50_000, 9)]);
    const raw = Buffer.from([0x6e, 0xe9, 0x2e, 0x74, 0x78, 0x74]); // "n\xe9.txt" (Latin-1)
    const rootCap = await buildTree(store, {
      home: { type: 'dir', mode: 0o711, mtime: '1231465740555555555', children: {
        'x.bin': { type: 'linked', cap: chain[1]!.cap, meta: { ...chain[1]!.meta, mtime: '1231465740444444444', mode: 0o640 } },
        'hole.img': { type: 'file', data: sparse },
        'h1': { type: 'file', data: Buffer.from('linked twice, once stored\n'), link: { dev: 1, ino: 9 } },
        'h2': { type: 'file', data: Buffer.from('linked twice, once stored\n'), link: { dev: 1, ino: 9 } },
        'n\uFFFD.txt\u2063timefs-raw-aaaaaaaaaaaaaaaa': { type: 'file', data: Buffer.from('latin-1 name'), rawName: raw },
        ln: { type: 'symlink', target: 'x.bin' },
        fifo: { type: 'fifo' },
      } },
    });
    const sources = { store, trees: new GridTreeReader(store), versions: new ChainVersionReader(store) };
    const target = await mkdtemp(join(tmpdir(), 'timefs-restore-grid-'));
    dirs.push(target);
    const report = await restore(sources, { snapshot: 'S', rootCap, path: '' }, join(target, 'out'), { verify: true });
    assert.equal(report.verified, 4);
    const home = join(target, 'out', 'home');
    assert.deepEqual(new Uint8Array(await readFile(join(home, 'x.bin'))), chain[1]!.data);
    assert.deepEqual(new Uint8Array(await readFile(join(home, 'hole.img'))), sparse);
    assert.ok((await stat(join(home, 'hole.img'))).blocks * 512 < 100_000);
    assert.equal((await stat(join(home, 'h1'))).ino, (await stat(join(home, 'h2'))).ino);
    assert.equal(await readlink(join(home, 'ln')), 'x.bin');
    assert.ok((await lstat(join(home, 'fifo'))).isFIFO());
    assert.ok((await readdir(home, { encoding: 'buffer' })).some((n) => n.equals(raw)));
    assert.equal((await lstat(join(home, 'x.bin'), { bigint: true })).mtimeNs, 1231465740444444444n);
    assert.equal((await stat(join(home, 'x.bin'))).mode & 0o7777, 0o640);
    assert.equal((await lstat(home, { bigint: true })).mtimeNs, 1231465740555555555n);
    assert.equal((await stat(home)).mode & 0o7777, 0o711);

    const evil = await buildTree(store, { etc: { type: 'dir', children: { x: { type: 'file', data: Buffer.from('evil'), rawName: Buffer.from('../../../tmp/evil') } } } });
    const evilTarget = await mkdtemp(join(tmpdir(), 'timefs-restore-evil-'));
    dirs.push(evilTarget);
    await assert.rejects(restore(sources, { snapshot: 'S', rootCap: evil, path: '' }, join(evilTarget, 'inner')), (e) => isTimefsError(e, 'repo.tampered'));
    assert.deepEqual(await readdir(evilTarget), ['inner']);
  });
});
