import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signatureOf } from '../../../src/delta/index.js';
import { forgetSnapshots } from '../../../src/maint/forget.js';
import { chooseBlockLength, STRONG_LEN } from '../../../src/model/signature-params.js';
import { rebase } from '../../../src/maint/rebase.js';
import { PENDING_NAME } from '../../../src/maint/snapshot-swap.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import type { Store } from '../../../src/store/store.js';
import { GridSnapshotCatalogue } from '../../../src/view/snapshot-catalogue.js';
import { GridTreeReader } from '../../../src/view/tree-reader.js';
import { addSnapshot, assertAllReadable, buildForwardChain, buildTree, makeRepo, pseudoRandom, type Expected, type FixtureRepo } from '../../helpers/maint-fixtures.js';

/** Versions of a file: each one edits a few places of the previous one. */
function evolve(seed: number, count: number, size: number): Uint8Array[] {
  const out = [pseudoRandom(size, seed)];
  for (let i = 1; i < count; i++) {
    const next = Buffer.from(out[i - 1]!);
    next.set(pseudoRandom(64, seed * 100 + i), (i * 997) % (size - 64));
    out.push(i % 4 === 0 ? Buffer.concat([next, pseudoRandom(100, i)]) : next);
  }
  return out;
}


/** A repository with `count` snapshots of three evolving files plus an unchanged one. */
async function history(store: Store, count: number): Promise<{ repo: FixtureRepo; expected: Expected[] }> {
  const repo = await makeRepo(store);
  const files = { 'a.bin': evolve(1, count, 6000), 'b.bin': evolve(2, count, 9000), 'c.txt': evolve(3, count, 3000) };
  const chains = Object.fromEntries(await Promise.all(Object.entries(files).map(async ([name, v]) => [name, await buildForwardChain(store, v)] as const)));
  const expected: Expected[] = [];
  for (let i = 0; i < count; i++) {
    const time = new Date(Date.UTC(2009, 0, 9 + i, 1, 49)).toISOString().replace('.000', '');
    const docs: Record<string, { type: 'linked'; cap: string; meta: (typeof chains)[string][number]['meta'] }> = {};
    for (const [name, chain] of Object.entries(chains)) {
      const v = chain[i]!;
      docs[name] = { type: 'linked', cap: v.cap, meta: v.meta };
      expected.push({ snapshot: time, path: `home/me/${name}`, data: v.data });
    }
    const rootCap = await buildTree(store, {
      home: { type: 'dir', children: { me: { type: 'dir', children: { ...docs, 'same.txt': { type: 'file', data: Buffer.from('unchanged '.repeat(10)) } } } } },
    });
    await addSnapshot(store, repo, time, rootCap);
  }
  return { repo, expected };
}

/** A store that fails every call after `budget` writes, like a process killed mid-way. */
class DyingStore extends MemoryStore {
  constructor(public budget: number) { super(); }
  private spend(): void {
    if (this.budget-- <= 0) throw new Error('killed');
  }
  override async putImmutable(...args: Parameters<MemoryStore['putImmutable']>) { this.spend(); return super.putImmutable(...args); }
  override async mkdirImmutable(...args: Parameters<MemoryStore['mkdirImmutable']>) { this.spend(); return super.mkdirImmutable(...args); }
  override async mkdirMutable(...args: Parameters<MemoryStore['mkdirMutable']>) { this.spend(); return super.mkdirMutable(...args); }
  override async link(...args: Parameters<MemoryStore['link']>) { this.spend(); return super.link(...args); }
  override async unlink(...args: Parameters<MemoryStore['unlink']>) { this.spend(); return super.unlink(...args); }
}

describe('rebase (MemoryStore)', () => {
  it('turns forward chains into reverse ones; every version of every snapshot reads back', async () => {
    const store = new MemoryStore();
    const { repo, expected } = await history(store, 12);
    const dry = await rebase(store, repo, { dryRun: true });
    assert.equal(dry.rebased, 3);
    assert.equal(dry.snapshots.length, 0);
    assert.equal(dry.before.max, 11);

    const report = await rebase(store, repo);
    assert.equal(report.rebased, 3);
    assert.equal(report.before.max, 11);
    assert.equal(report.after.max, 1);
    assert.ok(report.after.total < report.before.total);
    assert.equal(report.snapshots.length, 12 - 1, 'the oldest snapshot links whole files only and is untouched');
    assert.ok(report.downloaded > 0 && report.uploaded > 0);
    await assertAllReadable(store, repo, expected);
    assert.equal((await store.list(repo.rootCap)).has(PENDING_NAME), false);

    // The newest snapshot now links whole versions: version nodes with no deltas, whose signature
    // (with push's block length) lets the next push store a delta; a rerun has nothing to do.
    const newest = (await new GridSnapshotCatalogue(store, repo.snapshotsCap).list()).at(-1)!;
    const entry = await new GridTreeReader(store).lookup(newest.cap, 'home/me/a.bin');
    assert.equal(entry.meta.storage, 'chain');
    assert.equal(entry.meta.chain, 0);
    const node = await store.list(entry.cap);
    assert.deepEqual([...node.keys()].sort(), ['base', 'sig']);
    const content = await store.get(node.get('base')!.cap);
    const expectedSig = await signatureOf(content, { blockLength: chooseBlockLength(content.length), strongLength: STRONG_LEN });
    assert.deepEqual(await store.get(node.get('sig')!.cap), expectedSig);
    const again = await rebase(store, repo);
    assert.equal(again.rebased, 0);
    assert.equal(again.snapshots.length, 0);
  });

  it('--max-chain leaves short chains alone', async () => {
    const store = new MemoryStore();
    const { repo } = await history(store, 5);
    assert.equal((await rebase(store, repo, { maxChain: 4, dryRun: true })).rebased, 0);
    assert.equal((await rebase(store, repo, { maxChain: 3, dryRun: true })).rebased, 3);
  });

  it('killed after any number of writes, every snapshot stays readable and a rerun completes', async () => {
    const reference = new DyingStore(Number.MAX_SAFE_INTEGER);
    const built = await history(reference, 6);
    const before = reference.budget;
    await rebase(reference, built.repo);
    const writes = before - reference.budget;
    assert.ok(writes > 10);
    for (let budget = 0; budget <= writes; budget += 1) {
      const store = new DyingStore(Number.MAX_SAFE_INTEGER);
      const { repo, expected } = await history(store, 6);
      store.budget = budget;
      await assert.rejects(rebase(store, repo), /killed/).catch(() => undefined);
      store.budget = Number.MAX_SAFE_INTEGER;
      // Every snapshot is in snapshots/ or, mid-swap, recorded in rebase-pending/.
      const listed = await store.list(repo.snapshotsCap);
      const pending = (await store.list(repo.rootCap)).get(PENDING_NAME);
      const pendingNames = pending ? new Set((await store.list(pending.cap)).keys()) : new Set<string>();
      for (const name of new Set(expected.map((e) => e.snapshot))) assert.ok(listed.has(name) || pendingNames.has(name), `budget ${budget}: ${name} kept`);
      const rerun = await rebase(store, repo);
      assert.equal(rerun.after.max <= 1, true, `budget ${budget}: rerun finished the work`);
      await assertAllReadable(store, repo, expected);
      assert.equal((await rebase(store, repo)).rebased, 0, `budget ${budget}: nothing left after the rerun`);
    }
  });

  it('leaves a damaged chain as it was and rebases the others', async () => {
    const store = new MemoryStore();
    const { repo, expected } = await history(store, 4);
    const bad = await buildForwardChain(store, evolve(9, 3, 4000));
    const wrong = { ...bad[2]!.meta, hash: 'ee'.repeat(32) };
    await addSnapshot(store, repo, '2009-02-01T00:00:00Z', await buildTree(store, { 'bad.bin': { type: 'linked', cap: bad[2]!.cap, meta: wrong } }));
    await addSnapshot(store, repo, '2009-02-02T00:00:00Z', await buildTree(store, { 'bad.bin': { type: 'linked', cap: bad[1]!.cap, meta: bad[1]!.meta } }));
    const report = await rebase(store, repo);
    assert.equal(report.skipped.length, 1);
    assert.match(report.skipped[0]!.path, /bad\.bin$/);
    assert.equal(report.rebased, 3);
    await assertAllReadable(store, repo, expected);
    const snap = (await new GridSnapshotCatalogue(store, repo.snapshotsCap).list()).find((s) => s.name === '2009-02-02T00:00:00Z')!;
    const entry = await new GridTreeReader(store).lookup(snap.cap, 'bad.bin');
    assert.equal(entry.cap, bad[1]!.cap, 'the damaged family is untouched');
  });

  it('forget completes the swaps an interrupted rebase left pending before it unlinks anything', async () => {
    const store = new DyingStore(Number.MAX_SAFE_INTEGER);
    const { repo } = await history(store, 4);
    // Let the rebase record its swaps and die on the first swap's unlink.
    const probe = new DyingStore(Number.MAX_SAFE_INTEGER);
    const probeRepo = (await history(probe, 4)).repo;
    const start = probe.budget;
    await rebase(probe, probeRepo, { dryRun: false });
    assert.ok(start - probe.budget > 0);
    let budget = 0;
    for (; budget < start - probe.budget; budget++) {
      const trial = new DyingStore(Number.MAX_SAFE_INTEGER);
      const t = await history(trial, 4);
      trial.budget = budget;
      await rebase(trial, t.repo).catch(() => undefined);
      trial.budget = Number.MAX_SAFE_INTEGER;
      if ((await trial.list(t.repo.rootCap)).has(PENDING_NAME)) break;
    }
    store.budget = budget;
    await rebase(store, repo).catch(() => undefined);
    store.budget = Number.MAX_SAFE_INTEGER;
    assert.ok((await store.list(repo.rootCap)).has(PENDING_NAME), 'a swap is pending');
    const report = await forgetSnapshots(store, repo.snapshotsCap, { last: 1 }, { rootCap: repo.rootCap });
    assert.equal(report.resumed.length, 3);
    assert.equal(report.removed.length, 3);
    assert.equal((await store.list(repo.rootCap)).has(PENDING_NAME), false);
    assert.deepEqual([...(await store.list(repo.snapshotsCap)).keys()], ['2009-01-12T01:49:00Z']);
  });
});
