import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRepository } from '../../../src/maint/check.js';
import { parseDuration } from '../../../src/maint/duration.js';
import { forgetSnapshots } from '../../../src/maint/forget.js';
import { renewLeases } from '../../../src/maint/renew.js';
import { parseRestoreSpec } from '../../../src/maint/restore-spec.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { GridSnapshotCatalogue } from '../../../src/view/snapshot-catalogue.js';
import { ChainVersionReader } from '../../../src/view/version-reader.js';
import { addSnapshot, baseMeta, buildForwardChain, buildTree, makeRepo, pseudoRandom } from '../../helpers/maint-fixtures.js';
import { ForwardingStore } from '../../../src/store/forwarding-store.js';
import type { CallOptions, HealthReport } from '../../../src/store/store.js';

async function roots(store: MemoryStore, snapshotsCap: string) {
  return (await new GridSnapshotCatalogue(store, snapshotsCap).list()).map((s) => ({ name: s.name, cap: s.cap }));
}

describe('check (MemoryStore)', () => {
  it('passes a clean repository, checking each shared object once', async () => {
    const store = new MemoryStore();
    const repo = await makeRepo(store);
    const chain = await buildForwardChain(store, [pseudoRandom(5000, 1), pseudoRandom(5000, 2), pseudoRandom(5000, 3)]);
    for (const [i, v] of chain.entries()) {
      const root = await buildTree(store, { docs: { type: 'dir', children: { 'f.bin': { type: 'linked', cap: v.cap, meta: v.meta }, shared: { type: 'file', data: pseudoRandom(4000, 9) } } } });
      await addSnapshot(store, repo, `2009-01-0${i + 1}T00:00:00Z`, root);
    }
    const report = await checkRepository(store, await roots(store, repo.snapshotsCap), { readDataPercent: 100, versions: new ChainVersionReader(store) });
    assert.deepEqual(report.damaged, []);
    assert.deepEqual(report.unhealthy, []);
    assert.equal(report.snapshots, 3);
    assert.equal(report.versions, 4, 'three versions of f.bin plus the shared file');
    assert.equal(report.versionsRead, 4);
    // 3 roots + 3 docs dirs + v0 (also the base) + 2 version nodes + d001 + d002 + 2 sigs + shared.
    assert.equal(report.objects, 14);
    assert.equal(report.checked, 14);
  });

  it('reports a missing delta with the file and every snapshot that needs it', async () => {
    const store = new MemoryStore();
    const repo = await makeRepo(store);
    const chain = await buildForwardChain(store, [pseudoRandom(5000, 1), pseudoRandom(5000, 2), pseudoRandom(5000, 3)]);
    for (const [i, v] of chain.entries()) {
      const root = await buildTree(store, { 'f.bin': { type: 'linked', cap: v.cap, meta: v.meta } });
      await addSnapshot(store, repo, `2009-01-0${i + 1}T00:00:00Z`, root);
    }
    const d001 = (await store.list(chain[2]!.cap)).get('d001')!.cap;
    store.forget(d001);
    const report = await checkRepository(store, await roots(store, repo.snapshotsCap));
    assert.equal(report.damaged.length, 1);
    const [damage] = report.damaged;
    assert.equal(damage!.problem, 'missing');
    assert.equal(damage!.kind, 'version-part');
    assert.match(damage!.path, /f\.bin#d001$/);
    assert.deepEqual(damage!.snapshots, ['2009-01-02T00:00:00Z', '2009-01-03T00:00:00Z']);
  });

  it('--read-data finds a version whose content does not match its hash', async () => {
    const store = new MemoryStore();
    const repo = await makeRepo(store);
    const good = pseudoRandom(3000, 5);
    const cap = await store.putImmutable(good);
    const wrongHash = 'ab'.repeat(32);
    const root = await buildTree(store, { 'bad.bin': { type: 'linked', cap, meta: baseMeta('file', { size: good.length, hash: wrongHash, storage: 'whole' }) } });
    await addSnapshot(store, repo, '2010-01-01T00:00:00Z', root);
    const roots1 = await roots(store, repo.snapshotsCap);
    assert.deepEqual((await checkRepository(store, roots1)).damaged, [], 'without read-data the objects are all there');
    const report = await checkRepository(store, roots1, { readDataPercent: 100, versions: new ChainVersionReader(store) });
    assert.equal(report.damaged.length, 1);
    assert.equal(report.damaged[0]!.problem, 'content');
    assert.match(report.damaged[0]!.path, /bad\.bin$/);
    assert.deepEqual(report.damaged[0]!.snapshots, ['2010-01-01T00:00:00Z']);
  });

  it('--read-data-subset reads about the share asked for', async () => {
    const store = new MemoryStore();
    const repo = await makeRepo(store);
    const files: Record<string, { type: 'file'; data: Uint8Array }> = {};
    for (let i = 0; i < 40; i++) files[`f${i}`] = { type: 'file', data: pseudoRandom(100, i + 1) };
    await addSnapshot(store, repo, '2010-01-01T00:00:00Z', await buildTree(store, files));
    let n = 0;
    const random = () => ((n++ * 37) % 100) / 100; // deterministic, uniform over 0..0.99
    const report = await checkRepository(store, await roots(store, repo.snapshotsCap), { readDataPercent: 25, versions: new ChainVersionReader(store), random });
    assert.equal(report.versions, 40);
    assert.equal(report.versionsRead, 10);
  });
});

describe('forget (MemoryStore)', () => {
  it('unlinks what the policy does not keep; a dry run changes nothing', async () => {
    const store = new MemoryStore();
    const repo = await makeRepo(store);
    const root = await buildTree(store, { a: { type: 'file', data: Buffer.from('x') } });
    const times = ['2009-01-01T10:00:00Z', '2009-01-01T12:00:00Z', '2009-01-02T10:00:00Z', '2009-01-03T10:00:00Z', '2009-01-03T11:00:00Z'];
    for (const t of times) await addSnapshot(store, repo, t, root);
    const now = new Date('2009-02-01T00:00:00Z');
    const dry = await forgetSnapshots(store, repo.snapshotsCap, { daily: 2 }, { dryRun: true, now });
    assert.deepEqual(dry.removed, []);
    assert.equal((await store.list(repo.snapshotsCap)).size, 5);
    const report = await forgetSnapshots(store, repo.snapshotsCap, { daily: 2, within: parseDuration('1h') }, { now });
    assert.deepEqual(report.removed.sort(), ['2009-01-01T10:00:00Z', '2009-01-01T12:00:00Z', '2009-01-03T10:00:00Z']);
    assert.deepEqual([...(await store.list(repo.snapshotsCap)).keys()].sort(), ['2009-01-02T10:00:00Z', '2009-01-03T11:00:00Z']);
    const kept = report.decisions.find((d) => d.snapshot.name === '2009-01-03T11:00:00Z');
    assert.deepEqual(kept?.reasons, ['within 1h', 'daily snapshot']);
  });
});

describe('renew (MemoryStore)', () => {
  it('reaches every object from the root and counts the unreachable', async () => {
    const store = new MemoryStore();
    const repo = await makeRepo(store);
    const fileCap = await store.putImmutable(pseudoRandom(1000, 3));
    const root = await buildTree(store, { a: { type: 'linked', cap: fileCap, meta: baseMeta('file', { size: 1000, storage: 'whole' }) } });
    await addSnapshot(store, repo, '2009-01-01T00:00:00Z', root);
    const events: string[] = [];
    const report = await renewLeases(store, repo.rootCap, { onObject: (_r, e) => events.push(e.path.join('/')) });
    assert.equal(report.objects, 5, 'root, timefs.json, snapshots/, snapshot root, file');
    assert.equal(report.directories, 3);
    assert.deepEqual(report.unrecoverable, []);
    assert.ok(events.includes('snapshots/2009-01-01T00:00:00Z/a'));
    store.forget(fileCap);
    const damaged = await renewLeases(store, repo.rootCap);
    assert.deepEqual(damaged.unrecoverable, ['/snapshots/2009-01-01T00:00:00Z/a']);
  });

  it('reaches the same objects through the listing window as through one deep-check, shared ones once', async () => {
    const store = new MemoryStore();
    const repo = await makeRepo(store);
    const shared = await store.putImmutable(pseudoRandom(1000, 4));
    const lost = await store.putImmutable(pseudoRandom(1000, 5));
    for (const [i, time] of ['2009-01-01T00:00:00Z', '2009-01-02T00:00:00Z'].entries()) {
      await addSnapshot(store, repo, time, await buildTree(store, {
        same: { type: 'linked', cap: shared, meta: baseMeta('file', { size: 1000, storage: 'whole' }) },
        [`own${i}`]: { type: 'file', data: pseudoRandom(900, 10 + i) },
        ...(i === 1 ? { lost: { type: 'linked', cap: lost, meta: baseMeta('file', { size: 1000, storage: 'whole' }) } } : {}),
      }));
    }
    store.forget(lost);
    const leased: string[] = [];
    const counting = new class extends ForwardingStore {
      override check(cap: string, options?: CallOptions & { addLease?: boolean }): Promise<HealthReport> {
        if (options?.addLease) leased.push(cap);
        return super.check(cap, options);
      }
    }(store);
    const windowed = await renewLeases(counting, repo.rootCap, { walk: 'window', listings: 2, leases: 3 });
    assert.equal(new Set(leased).size, leased.length, 'no object is leased twice');
    assert.equal(leased.length, windowed.objects, 'every object reached is leased');
    const deep = await renewLeases(store, repo.rootCap, { walk: 'deep-check' });
    assert.deepEqual(windowed, deep);
    assert.deepEqual(windowed.unrecoverable, ['/snapshots/2009-01-02T00:00:00Z/lost']);
    assert.equal(windowed.files, 1 + 1 + 2 + 1, 'timefs.json, the shared file once, each own file, the lost one');
  });
});

describe('restore specs', () => {
  const table: [string, string, string][] = [
    ['latest', 'latest', ''],
    ['latest:/home/me', 'latest', '/home/me'],
    ['2009-01-09', '2009-01-09', ''],
    ['2009-01-09:home/me/a.txt', '2009-01-09', 'home/me/a.txt'],
    ['2009-01-09T01:49:00Z', '2009-01-09T01:49:00Z', ''],
    ['2009-01-09T01:49:00Z:/etc/hosts', '2009-01-09T01:49:00Z', '/etc/hosts'],
    ['2009-01-09T01:49:00+02:00:/a:b', '2009-01-09T01:49:00+02:00', '/a:b'],
    ['2009-01-09T01:49Z:x', '2009-01-09T01:49Z', 'x'],
  ];
  for (const [spec, snapshot, path] of table) {
    it(spec, () => assert.deepEqual(parseRestoreSpec(spec), { snapshot, path }));
  }
});

describe('check: a directory without shares', () => {
  it('is reported once, as missing, with the snapshots below which it sits', async () => {
    const store = new MemoryStore();
    const repo = await makeRepo(store);
    const inner = await buildTree(store, { 'x.bin': { type: 'file', data: pseudoRandom(3000, 1) } });
    const root = await buildTree(store, { sub: { type: 'linked', cap: inner, meta: baseMeta('dir') } });
    await addSnapshot(store, repo, '2011-01-01T00:00:00Z', root);
    await addSnapshot(store, repo, '2011-01-02T00:00:00Z', root);
    store.forget(inner);
    const report = await checkRepository(store, await roots(store, repo.snapshotsCap));
    assert.equal(report.damaged.length, 1);
    assert.equal(report.damaged[0]!.problem, 'missing');
    assert.equal(report.damaged[0]!.kind, 'dir');
    assert.deepEqual(report.damaged[0]!.snapshots, ['2011-01-01T00:00:00Z', '2011-01-02T00:00:00Z']);
  });
});
