/**
 * `npm run bench:maint`: rebase and restore against plain Tahoe reads on the same grid, same run.
 *
 * Fixture: a BENCH_MIB (default 256) MiB file with 16 versions (each rewrites four 256 KiB
 * regions of the previous one), stored as push stores it — version 0 whole, version i as a
 * forward chain of i deltas — in 16 snapshots that also hold BENCH_SMALL (default 200) small
 * files. Versions are generated one at a time, so memory stays at a few copies of the file.
 *
 * Measures (ratios are reference time / timefs time: 1.0 = as fast as plain Tahoe):
 * - read of the oldest and the newest version (timefs chain reader, hash checked) before and
 *   after rebase, against `tahoe get` of the same bytes stored whole;
 * - rebase: time, throughput (bytes of all versions processed per second), bytes moved;
 * - whole-tree restore of an old snapshot (version 4) against `tahoe cp -r` of a directory
 *   holding the same bytes stored whole.
 * Env: BENCH_MIB, BENCH_SMALL, BENCH_OLD (snapshot index to restore, default 4).
 */
import { spawnSync } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { deltaOf, signatureOf } from '../src/delta/index.js';
import { rebase } from '../src/maint/rebase.js';
import { restore } from '../src/maint/restore.js';
import { blake2bHex } from '../src/model/blake2b-pool.js';
import { REPO_LAYOUT, VERSION_NODE, type EntryMeta } from '../src/model/entry.js';
import type { NewChild } from '../src/store/store.js';
import { TahoeStore } from '../src/store/tahoe/tahoe-store.js';
import { GridSnapshotCatalogue } from '../src/view/snapshot-catalogue.js';
import { GridTreeReader } from '../src/view/tree-reader.js';
import { ChainVersionReader } from '../src/view/version-reader.js';
import { defaultGridConfig, nodeDir, startGrid, tahoeCommand } from './grid/local-grid.js';

const MiB = 1 << 20;
const SIZE = Number(process.env.BENCH_MIB ?? 256) * MiB;
const VERSIONS = 16;
const SMALL = Number(process.env.BENCH_SMALL ?? 200);
const OLD = Number(process.env.BENCH_OLD ?? 4);

const config = defaultGridConfig();
const nodeUrl = await startGrid(config);
const store = new TahoeStore({ nodeUrl });
const work = mkdtempSync(join(tmpdir(), 'timefs-bench-maint-'));
const log = (line: string): void => void process.stderr.write(`bench:maint: ${line}\n`);

// A fresh salt per run: no upload is shortened by convergence with an earlier run's objects.
const SALT = randomBytes(8);

function keystream(seed: number, length: number): Buffer {
  const key = Buffer.alloc(16);
  key.writeUInt32BE(seed);
  SALT.copy(key, 8);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]);
}

function tahoe(args: string[]): void {
  const r = spawnSync(tahoeCommand(), ['--node-directory', nodeDir(config, 'client'), ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`tahoe ${args[0]} failed: ${r.stderr.slice(-300)}`);
}

async function seconds(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

function meta(type: EntryMeta['type'], extra: Partial<EntryMeta>): EntryMeta {
  return { type, mode: type === 'dir' ? 0o755 : 0o644, uid: 1000, gid: 1000, mtime: '1231465740000000000', size: 0, ...extra };
}

// ---- fixture -------------------------------------------------------------------------------
log(`${SIZE / MiB} MiB x ${VERSIONS} versions, ${SMALL} small files, grid at ${nodeUrl}`);
const small: Record<string, NewChild> = {};
for (let i = 0; i < SMALL; i++) {
  const data = keystream(10_000 + i, 16 * 1024);
  small[`f${String(i).padStart(4, '0')}.dat`] = { cap: await store.putImmutable(data), metadata: { timefs: meta('file', { size: data.length, hash: await blake2bHex(data), storage: 'whole' }) } };
}
const smallDir = await store.mkdirImmutable(small);
const smallEdge: NewChild = { cap: smallDir, metadata: { timefs: meta('dir', {}) } };

const snapshotsCap = await store.mkdirMutable();
const rootCap = await store.mkdirMutable({ [REPO_LAYOUT.snapshots]: { cap: snapshotsCap } });
const t0 = performance.now();
let current = keystream(1, SIZE);
const baseCap = await store.putImmutable(current);
const hashes: string[] = [await blake2bHex(current)];
const deltas: string[] = [];
let newestWholeCap = '';
let oldWholeCap = '';
for (let v = 0; v < VERSIONS; v++) {
  if (v > 0) {
    const previousSig = await signatureOf(current);
    const next = Buffer.from(current);
    for (let r = 0; r < 4; r++) keystream(v * 10 + r, 256 * 1024).copy(next, ((v * 7 + r * 13) % 64) * (SIZE / 64));
    deltas.push(await store.putImmutable(await deltaOf(previousSig, next)));
    current = next;
    hashes.push(await blake2bHex(current));
  }
  let fileEdge: NewChild;
  if (v === 0) fileEdge = { cap: baseCap, metadata: { timefs: meta('file', { size: SIZE, hash: hashes[0]!, storage: 'whole' }) } };
  else {
    const sig = await signatureOf(current);
    const node: Record<string, NewChild> = {
      [VERSION_NODE.base]: { cap: baseCap, metadata: { timefs: { role: 'base', size: SIZE } } },
      [VERSION_NODE.signature]: { cap: await store.putImmutable(sig), metadata: { timefs: { role: 'sig', size: sig.length } } },
    };
    deltas.forEach((cap, i) => { node[VERSION_NODE.deltaName(i + 1)] = { cap, metadata: { timefs: { role: 'delta', size: 0 } } }; });
    fileEdge = { cap: await store.mkdirImmutable(node), metadata: { timefs: meta('file', { size: SIZE, hash: hashes[v]!, storage: 'chain', chain: v }) } };
  }
  // References for `tahoe get` / `tahoe cp -r`: the same bytes stored whole.
  if (v === OLD) oldWholeCap = await store.putImmutable(current);
  if (v === VERSIONS - 1) newestWholeCap = await store.putImmutable(current);
  const me = await store.mkdirImmutable({ 'big.bin': fileEdge, small: smallEdge });
  const root = await store.mkdirImmutable({ home: { cap: await store.mkdirImmutable({ me: { cap: me, metadata: { timefs: meta('dir', {}) } } }), metadata: { timefs: meta('dir', {}) } } });
  const time = new Date(Date.UTC(2009, 0, 9 + v)).toISOString().replace('.000', '');
  await store.link(snapshotsCap, time, root, { timefs: { time, host: 'bench', paths: ['/home'], stats: {} } });
}
log(`fixture built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// ---- measurements --------------------------------------------------------------------------
const trees = new GridTreeReader(store);
async function readVersion(index: number): Promise<number> {
  const snapshot = (await new GridSnapshotCatalogue(store, snapshotsCap).list())[index]!;
  const entry = await trees.lookup(snapshot.cap, 'home/me/big.bin');
  const reader = new ChainVersionReader(store); // fresh: no cached deltas
  return seconds(async () => {
    let n = 0;
    for await (const chunk of reader.readVerified(entry, { path: '/home/me/big.bin', snapshot: snapshot.name })) n += chunk.length;
    if (n !== SIZE) throw new Error(`read ${n} bytes`);
  });
}
const tahoeGet = (cap: string) => seconds(() => tahoe(['get', cap, join(work, 'get.bin')]));

const refNewest = await tahoeGet(newestWholeCap);
const refOldest = await tahoeGet(baseCap);
const before = { oldest: await readVersion(0), newest: await readVersion(VERSIONS - 1) };
let report: Awaited<ReturnType<typeof rebase>> | undefined;
const rebaseTime = await seconds(async () => { report = await rebase(store, { rootCap, snapshotsCap }); });
const after = { oldest: await readVersion(0), newest: await readVersion(VERSIONS - 1) };

const oldSnapshot = (await new GridSnapshotCatalogue(store, snapshotsCap).list())[OLD]!;
const restoreTime = await seconds(() => restore(
  { store, trees: new GridTreeReader(store), versions: new ChainVersionReader(store) },
  { snapshot: oldSnapshot.name, rootCap: oldSnapshot.cap, path: '' },
  join(work, 'restore'),
));
const refTree = await store.mkdirImmutable({ 'big.bin': { cap: oldWholeCap }, small: { cap: smallDir } });
const refRestore = await seconds(() => tahoe(['cp', '-r', refTree, join(work, 'cp-r')]));

const mibs = (s: number) => `${(SIZE / MiB / s).toFixed(1)} MiB/s`;
const ratio = (ref: number, ours: number) => (ref / ours).toFixed(2);
const r = report!;
console.log(`\nbench:maint — ${SIZE / MiB} MiB file, ${VERSIONS} versions, grid at ${nodeUrl}`);
console.log(`reference tahoe get (whole): newest ${refNewest.toFixed(2)} s (${mibs(refNewest)}), oldest ${refOldest.toFixed(2)} s (${mibs(refOldest)})`);
console.log('read (timefs chain reader, hash checked)   time      rate         ratio vs tahoe get');
const row = (label: string, s: number, ref: number) => console.log(`  ${label.padEnd(40)} ${s.toFixed(2).padStart(6)} s  ${mibs(s).padStart(12)}  ${ratio(ref, s)}`);
row(`oldest, before rebase (whole)`, before.oldest, refOldest);
row(`newest, before rebase (chain ${VERSIONS - 1})`, before.newest, refNewest);
row(`oldest, after rebase (1 reverse delta)`, after.oldest, refOldest);
row(`newest, after rebase (whole)`, after.newest, refNewest);
console.log(`rebase: ${rebaseTime.toFixed(1)} s for ${VERSIONS} versions (${((VERSIONS * SIZE) / MiB / rebaseTime).toFixed(1)} MiB/s of versions), downloaded ${(r.downloaded / MiB).toFixed(1)} MiB, uploaded ${(r.uploaded / MiB).toFixed(1)} MiB, chain longest ${r.before.max} -> ${r.after.max}, total ${r.before.total} -> ${r.after.total}`);
console.log(`restore of snapshot ${OLD} (${SIZE / MiB} MiB + ${SMALL} x 16 KiB): ${restoreTime.toFixed(2)} s; tahoe cp -r of the same bytes stored whole: ${refRestore.toFixed(2)} s; ratio ${ratio(refRestore, restoreTime)}`);
rmSync(work, { recursive: true, force: true });
