import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, symlink, link, rm, utimes, lutimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalog } from '../../../src/catalog/catalog.js';
import { runPush } from '../../../src/backup/push.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import type { EntryMeta } from '../../../src/model/entry.js';

async function setup() {
  const base = await mkdtemp(join(tmpdir(), 'timefs-push-'));
  const src = join(base, 'src');
  const state = join(base, 'state');
  await mkdir(src);
  const store = new MemoryStore();
  const snapshotsCap = await store.mkdirMutable();
  /** One push of `src` with the catalog opened and closed around it, as the CLI does. */
  const push = async (opts: Record<string, unknown> = {}) => {
    const catalog = await Catalog.open(state);
    try {
      return await runPush({ store, catalog, snapshotsCap, stateDir: state }, { paths: [src], ...opts });
    } finally {
      await catalog.close();
    }
  };
  return { base, src, state, store, snapshotsCap, push };
}

async function walk(store: MemoryStore, cap: string, prefix = ''): Promise<Map<string, { cap: string; meta: EntryMeta }>> {
  const out = new Map<string, { cap: string; meta: EntryMeta }>();
  for (const [name, entry] of await store.list(cap)) {
    const meta = (entry.metadata as { timefs: EntryMeta }).timefs;
    out.set(prefix + name, { cap: entry.cap, meta });
    if (meta.type === 'dir') for (const [k, v] of await walk(store, entry.cap, `${prefix}${name}/`)) out.set(k, v);
  }
  return out;
}

async function latestRoot(store: MemoryStore, snapshotsCap: string): Promise<string> {
  const names = [...(await store.list(snapshotsCap)).values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  return names.at(-1)!.cap;
}

test('push (memory store): files, dirs, symlinks, hard links; second push reuses everything', async () => {
  const { base, src, state, store, snapshotsCap } = await setup();
  await writeFile(join(src, 'small.txt'), 'hello world');
  await writeFile(join(src, 'big.bin'), Buffer.alloc(300_000, 7));
  await mkdir(join(src, 'sub'));
  await writeFile(join(src, 'sub', 'a'), 'aaa');
  await symlink('does-not-exist', join(src, 'dangling'));
  await link(join(src, 'small.txt'), join(src, 'hard'));
  for (const f of ['small.txt', 'big.bin', 'sub/a']) await utimes(join(src, f), 1_500_000_000, 1_500_000_000);
  await lutimes(join(src, 'dangling'), 1_500_000_000, 1_500_000_000);
  let catalog = await Catalog.open(state);
  const first = await runPush({ store, catalog, snapshotsCap, stateDir: state }, { paths: [src], now: () => 1_000_000_000_000 });
  await catalog.close();
  assert.ok(first.snapshot);
  assert.equal(first.stats.newFiles, 3);
  const tree = await walk(store, await latestRoot(store, snapshotsCap));
  const rel = src.slice(1);
  const small = tree.get(`${rel}/small.txt`)!;
  assert.equal(small.meta.storage, 'packed');
  assert.equal(Buffer.from(await store.getRange(small.cap, small.meta.pack!.offset, small.meta.size)).toString(), 'hello world');
  const sub = tree.get(`${rel}/sub/a`)!;
  assert.equal(sub.cap, small.cap, 'small files share one pack object');
  assert.equal(Buffer.from(await store.getRange(sub.cap, sub.meta.pack!.offset, sub.meta.size)).toString(), 'aaa');
  const big = tree.get(`${rel}/big.bin`)!;
  // A new large file is one object: its content, then its signature (no version node yet).
  assert.equal(big.meta.storage, 'packed');
  assert.deepEqual(big.meta.pack, { offset: 0 });
  assert.deepEqual(Buffer.from(await store.getRange(big.cap, 0, big.meta.size)), Buffer.alloc(300_000, 7));
  const { signatureOf } = await import('../../../src/delta/index.js');
  const { chooseBlockLength } = await import('../../../src/model/signature-params.js');
  assert.equal(big.meta.sig!.offset, 300_000);
  assert.deepEqual(Buffer.from(await store.getRange(big.cap, big.meta.sig!.offset, big.meta.sig!.size)), Buffer.from(await signatureOf(Buffer.alloc(300_000, 7), { blockLength: chooseBlockLength(300_000), strongLength: 32 })));
  assert.equal(await store.size(big.cap), big.meta.sig!.offset + big.meta.sig!.size, 'nothing else in the object');
  assert.equal(tree.get(`${rel}/hard`)!.cap, small.cap);
  assert.deepEqual(tree.get(`${rel}/hard`)!.meta.link, small.meta.link);
  assert.equal(Buffer.from(await store.get(tree.get(`${rel}/dangling`)!.cap)).toString(), 'does-not-exist');

  const uploadsBefore = store.uploads;
  catalog = await Catalog.open(state);
  const second = await runPush({ store, catalog, snapshotsCap, stateDir: state }, { paths: [src], now: () => 1_000_000_005_000 });
  await catalog.close();
  assert.equal(second.stats.unchangedFiles, 3);
  assert.equal(store.uploads, uploadsBefore, 'no upload for an unchanged tree');
  assert.equal((await store.list(snapshotsCap)).size, 2);
  const tree2 = await walk(store, await latestRoot(store, snapshotsCap));
  const mine = (t: typeof tree) => [...t.entries()].filter(([k]) => k.startsWith(`${rel}/`));
  assert.deepEqual(mine(tree2), mine(tree), 'same tree below the source, same caps');
  catalog = await Catalog.open(state);
  const rehash = await runPush({ store, catalog, snapshotsCap, stateDir: state }, { paths: [src], rehash: true, now: () => 1_000_000_010_000 });
  await catalog.close();
  assert.equal(rehash.stats.bytesRead > 0, true);
  assert.equal(store.uploads, uploadsBefore, '--rehash of unchanged content uploads nothing');
  const tree3 = await walk(store, await latestRoot(store, snapshotsCap));
  assert.deepEqual(mine(tree3), mine(tree), 'rehash keeps packed and chained entries exactly');
  await rm(base, { recursive: true, force: true });
});


test('push (memory store): a changed large file becomes a delta on its chain; --max-chain starts over; rehash uploads nothing', async () => {
  const { base, src, state, store, snapshotsCap, push } = await setup();
  const { patchBytes } = await import('../../../src/delta/index.js');
  const { createHash } = await import('node:crypto');
  const file = join(src, 'data.bin');
  const content = Buffer.alloc(2_000_000);
  for (let i = 0; i < content.length; i += 32) createHash('sha256').update(String(i)).digest().copy(content, i);
  const versions: Buffer[] = [];
  for (let v = 0; v < 4; v++) {
    if (v > 0) content.write(`edit ${v}`, 100_000 * v);
    versions.push(Buffer.from(content));
    await writeFile(file, content);
    await utimes(file, 1_500_000_000 + v, 1_500_000_000 + v);
    await push({ policy: { maxChain: 2 }, now: () => 1_600_000_000_000 + v * 1000 });
  }
  const root = await latestRoot(store, snapshotsCap);
  const entry = (await walk(store, root)).get(`${src.slice(1)}/data.bin`)!;
  assert.equal(entry.meta.storage, 'packed', 'the fourth version starts over as one object with its signature (max 2 deltas)');
  assert.ok(entry.meta.sig);
  const snaps0 = [...(await store.list(snapshotsCap)).values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  const second = (await walk(store, snaps0[1]!.cap)).get(`${src.slice(1)}/data.bin`)!;
  assert.equal(second.meta.chain, 1, 'the first change starts the chain on the packed first version');
  assert.deepEqual([...(await store.list(second.cap)).keys()].sort(), ['base', 'd001', 'sig']);
  // The third snapshot has a chain of two deltas that rebuilds the third version.
  const snaps = [...(await store.list(snapshotsCap)).values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  const third = (await walk(store, snaps[2]!.cap)).get(`${src.slice(1)}/data.bin`)!;
  assert.equal(third.meta.chain, 2);
  const node = await store.list(third.cap);
  let data = Buffer.from(await store.get(node.get('base')!.cap));
  for (const d of ['d001', 'd002']) data = Buffer.from(await patchBytes(data, await store.get(node.get(d)!.cap)));
  assert.deepEqual(data, versions[2]);
  assert.deepEqual([...node.keys()].sort(), ['base', 'd001', 'd002', 's001', 'sigbase']);
  // The signature chain rebuilds exactly what rdiff signature gives for that version.
  const { signatureOf } = await import('../../../src/delta/index.js');
  const { chooseBlockLength } = await import('../../../src/model/signature-params.js');
  let sig = Buffer.from(await store.get(node.get('sigbase')!.cap));
  for (const d of ['s001']) sig = Buffer.from(await patchBytes(sig, await store.get(node.get(d)!.cap)));
  assert.deepEqual(sig, Buffer.from(await signatureOf(versions[2]!, { blockLength: chooseBlockLength(versions[2]!.length), strongLength: 32 })));
  assert.ok(node.get('s001')!.size! < 2_000, 'a signature delta is small');
  assert.ok(node.get('d001')!.size! < 20_000, 'a small edit makes a small delta');
  const uploads = store.uploads;
  const again = await push({ rehash: true, now: () => 1_700_000_000_000 });
  assert.equal(again.stats.changedFiles, 1);
  assert.equal(store.uploads, uploads, '--rehash of unchanged content uploads nothing');
  await rm(base, { recursive: true, force: true });
});

test('push (memory store): unchanged subtrees are reused whole; a hard link into one still gets its cap', async () => {
  const { base, src, state, store, snapshotsCap, push } = await setup();
  await mkdir(join(src, 'a'));
  await mkdir(join(src, 'b'));
  await writeFile(join(src, 'a', 'x'), 'shared content');
  await link(join(src, 'a', 'x'), join(src, 'b', 'y'));
  await writeFile(join(src, 'b', 'other'), 'v1');
  for (const f of ['a/x', 'b/other']) await utimes(join(src, f), 1_500_000_000, 1_500_000_000);
  const pushAt = (now: number) => push({ now: () => now });
  await pushAt(1_600_000_000_000);
  await writeFile(join(src, 'b', 'other'), 'v2');
  await utimes(join(src, 'b', 'other'), 1_500_000_100, 1_500_000_100);
  const second = await pushAt(1_600_000_010_000);
  assert.ok(second.stats.dirsReused >= 1, `a/ is reused without being written out ${JSON.stringify(second.stats)}`);
  const tree = await walk(store, await latestRoot(store, snapshotsCap));
  const rel = src.slice(1);
  assert.equal(tree.get(`${rel}/b/y`)!.cap, tree.get(`${rel}/a/x`)!.cap);
  assert.deepEqual(tree.get(`${rel}/b/y`)!.meta.link, tree.get(`${rel}/a/x`)!.meta.link);
  const y = tree.get(`${rel}/b/y`)!;
  assert.equal(Buffer.from(await store.getRange(y.cap, y.meta.pack!.offset, y.meta.size)).toString(), 'shared content');
  const other = tree.get(`${rel}/b/other`)!;
  assert.equal(Buffer.from(await store.getRange(other.cap, other.meta.pack!.offset, other.meta.size)).toString(), 'v2');
  await rm(base, { recursive: true, force: true });
});

test('push (memory store): when maintenance replaced or removed the last snapshot, the catalog is rebuilt from the grid', async () => {
  const { base, src, state, store, snapshotsCap, push } = await setup();
  await writeFile(join(src, 'f.bin'), Buffer.alloc(100_000, 3));
  await utimes(join(src, 'f.bin'), 1_500_000_000, 1_500_000_000);
  const pushAt = (now: number) => push({ now: () => now });
  const first = await pushAt(1_600_000_000_000);
  assert.equal((await pushAt(1_600_000_001_000)).rebuilt, undefined, 'an intact catalog is used as is');
  // As `rebase` does: the same name now points at another tree.
  const other = await store.mkdirImmutable({ marker: { cap: await store.putImmutable(new Uint8Array(0)) } });
  await store.unlink(snapshotsCap, first.snapshot!);
  const [latest] = [...(await store.list(snapshotsCap)).values()];
  await store.unlink(snapshotsCap, latest!.name);
  await store.link(snapshotsCap, latest!.name, other, latest!.metadata);
  const third = await pushAt(1_600_000_002_000);
  assert.equal(third.rebuilt, 0, 'rebuilt from the (replaced) latest snapshot');
  assert.equal(third.stats.newFiles, 1, 'nothing of the old chains is trusted');
  await rm(base, { recursive: true, force: true });
});

test('push (memory store): a push killed after its snapshot was linked, logged and its pending entries cleared is finished by the next one', async () => {
  const { base, src, state, store, snapshotsCap, push } = await setup();
  await writeFile(join(src, 'a.txt'), 'first');
  const first = await push({ now: () => 1_000_000_000_000 });
  // What such a kill leaves: the session record alone (commit logs, clears, then ends the session).
  let catalog = await Catalog.open(state);
  await catalog.putSession({ name: first.snapshot!, startNs: '1000000000000000000', paths: [src], host: 'h', phase: 'uploading', stats: {} });
  await catalog.close();
  await writeFile(join(src, 'a.txt'), 'second');
  const second = await push({ now: () => 1_000_000_060_000 });
  assert.equal(second.resumed, undefined, 'nothing was left to commit');
  assert.ok(second.snapshot && second.snapshot !== first.snapshot);
  catalog = await Catalog.open(state);
  assert.equal(await catalog.getSession(), undefined);
  await catalog.close();
  assert.equal((await store.list(snapshotsCap)).size, 2);
  await rm(base, { recursive: true, force: true });
});

test('push (memory store): with a catalog that made the last snapshot, the scan runs while snapshots/ is listed and the repository validated; nothing is written before both answer', async () => {
  const { base, src, state, store, snapshotsCap, push } = await setup();
  await writeFile(join(src, 'a.txt'), 'first version');
  const first = await push({ now: () => 1_600_000_000_000 });
  await writeFile(join(src, 'a.txt'), 'second version, edited after the first push');
  await writeFile(join(src, 'big.bin'), Buffer.alloc(300_000, 9));
  const catalog = await Catalog.open(state);
  let released = false;
  let writesBefore = 0;
  let scannedBefore = false;
  let release!: () => void;
  const answered = new Promise<void>((done) => { release = () => { released = true; done(); }; });
  // Holds the snapshots/ listing (and the validation) until the scan has written its pending entries.
  const gated = Object.assign(Object.create(store) as MemoryStore, {
    list: async (cap: string) => {
      if (cap === snapshotsCap && !released) {
        for (let waited = 0; waited < 5000 && !scannedBefore; waited += 10) {
          for await (const _ of catalog.pending()) { scannedBefore = true; break; }
          await new Promise((r) => setTimeout(r, 10));
        }
        release();
      }
      return store.list(cap);
    },
    putImmutable: async (...args: Parameters<MemoryStore['putImmutable']>) => { if (!released) writesBefore++; return store.putImmutable(...args); },
    mkdirImmutable: async (...args: Parameters<MemoryStore['mkdirImmutable']>) => { if (!released) writesBefore++; return store.mkdirImmutable(...args); },
    link: async (...args: Parameters<MemoryStore['link']>) => { if (!released) writesBefore++; return store.link(...args); },
  });
  try {
    const second = await runPush({ store: gated, catalog, snapshotsCap, stateDir: state, validated: answered }, { paths: [src], now: () => 1_600_000_001_000 });
    assert.ok(scannedBefore, 'the scan finished before snapshots/ was listed');
    assert.equal(writesBefore, 0, 'nothing was written to the grid before the listing and the validation answered');
    assert.equal(second.stats.changedFiles + second.stats.newFiles, 2);
    assert.equal(second.parent, first.snapshot, 'the parent comes from the listing that arrived after the scan');
    const tree = await walk(store, await latestRoot(store, snapshotsCap));
    const rel = src.slice(1);
    const a = tree.get(`${rel}/a.txt`)!;
    assert.equal(Buffer.from(await store.getRange(a.cap, a.meta.pack?.offset ?? 0, a.meta.size)).toString(), 'second version, edited after the first push');
  } finally {
    await catalog.close();
    await rm(base, { recursive: true, force: true });
  }
});
