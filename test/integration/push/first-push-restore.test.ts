// The first push of a real-looking tree and its full restore, on the real grid: the restored tree
// is identical (contents, names, modes, mtimes, links, specials), and the web requests each step
// sends are exactly what the design promises (counted at the web API, per kind).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { link, mkdir, mkdtemp, readdir, readFile, lstat, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runPush } from '../../../src/backup/push.js';
import { Catalog } from '../../../src/catalog/catalog.js';
import { restore } from '../../../src/maint/restore.js';
import { restoreTrees } from '../../../src/maint/restore-trees.js';
import { requestTally } from '../../../src/store/tahoe/http.js';
import { GridTreeReader } from '../../../src/view/tree-reader.js';
import { ChainVersionReader } from '../../../src/view/version-reader.js';
import { defaultGridConfig, nodeDir, tahoeCommand } from '../../../scripts/grid/local-grid.js';
import { compareTrees } from '../../helpers/tree-compare.js';
import { generateTree } from '../../helpers/tree-gen.js';
import { buildIndexText } from '../../../src/tree-index/index-build.js';
import { findIndexDir, IndexReader, listIndexLinks } from '../../../src/tree-index/index-store.js';
import { gridChildLister } from '../../../src/tree-index/index-update.js';
import { freshRepo } from './push-fixture.js';

function resetTally(): void {
  for (const k of Object.keys(requestTally)) delete requestTally[k];
}

async function contentHashes(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: Buffer, rel: string): Promise<void> => {
    for (const name of await readdir(dir, { encoding: 'buffer' })) {
      const path = Buffer.concat([dir, Buffer.from('/'), name]);
      const key = `${rel}/${name.toString('base64')}`;
      const info = await lstat(path);
      if (info.isDirectory()) await walk(path, key);
      else if (info.isFile()) out.set(key, createHash('sha256').update(await readFile(path)).digest('hex'));
    }
  };
  await walk(Buffer.from(root), '');
  return out;
}

async function pushAndRestore(src: string, fresh: Awaited<ReturnType<typeof freshRepo>>, now: number, listings: 'index' | 'tree') {
  const catalog = await Catalog.open(fresh.state);
  resetTally();
  const pushed = await runPush({ store: fresh.store, catalog, snapshotsCap: fresh.snapshotsCap, stateDir: fresh.state, repoRootCap: fresh.rootCap }, { paths: [src], now: () => now });
  await catalog.close();
  const pushRequests = { ...requestTally };
  const snapshot = (await fresh.store.list(fresh.snapshotsCap)).get(pushed.snapshot!)!;
  const { report, restoreRequests, target, listedFrom } = await restoreFrom(fresh, { name: pushed.snapshot!, cap: snapshot.readCap }, src, listings);
  assert.equal(listedFrom, listings);
  return { pushed, pushRequests, report, restoreRequests, target, rootCap: snapshot.readCap };
}

/** Restores `src` of a snapshot, listing its directories from its metadata index or from the grid. */
async function restoreFrom(fresh: Awaited<ReturnType<typeof freshRepo>>, snapshot: { name: string; cap: string }, src: string, listings: 'index' | 'tree') {
  const target = join(fresh.base, `restored-${listings}-${snapshot.name}`);
  // Opening the repository finds index/ (repo-options.ts): not counted as part of the restore.
  const indexDir = await findIndexDir(fresh.store, fresh.rootCap);
  resetTally();
  const opened = listings === 'index' ? await restoreTrees(fresh.store, indexDir, snapshot) : { trees: new GridTreeReader(fresh.store), listedFrom: 'tree' as const };
  const report = await restore(
    { store: fresh.store, trees: opened.trees, ...('index' in opened && opened.index ? { index: opened.index } : {}), versions: new ChainVersionReader(fresh.store) },
    { snapshot: snapshot.name, rootCap: snapshot.cap, path: src },
    target,
  );
  return { report, restoreRequests: { ...requestTally }, target, listedFrom: opened.listedFrom };
}

test('first push and restore of a generated tree (2,500 entries) on the grid: identical tree, few requests', async () => {
  const fresh = await freshRepo();
  const src = join(fresh.base, 'tree');
  await mkdir(src);
  const made = generateTree(src, { entries: 2500, seed: 17 });
  const { pushed, pushRequests, report, restoreRequests, target, rootCap } = await pushAndRestore(src, fresh, 1_700_000_000_000, 'index');
  assert.equal(pushed.stats.warnings, 0);
  assert.deepEqual(await compareTrees(src, target), [], 'names, types, modes, owners, sizes, mtimes, symlink targets, hard links');
  assert.deepEqual(await contentHashes(target), await contentHashes(src), 'contents');
  assert.equal(report.damaged.length, 0);
  assert.equal(report.specials, made.fifos);
  assert.equal(report.hardlinks, made.hardlinks);
  // The metadata index push stored (from the bodies it wrote, not by listing them again) is the one a walk of the grid gives.
  const links = await listIndexLinks(fresh.store, await findIndexDir(fresh.store, fresh.rootCap));
  const stored = await new IndexReader(fresh.store).load(links.get(pushed.snapshot!)!);
  assert.equal(stored.text, await buildIndexText(rootCap, gridChildLister(fresh.store)));

  // Push: one object per pack and per new large file (none per symlink: targets are LIT caps made
  // locally), one mkdir per directory (the source's ancestors included), one link of the snapshot.
  const ancestors = src.split('/').length; // '/', then each component of src
  assert.equal(pushRequests['POST mkdir-immutable'], made.dirs + ancestors + 1, 'one per directory, and the metadata index node');
  assert.equal(pushRequests['PUT uri'], pushed.stats.uploads + 1, 'every object is one PUT (and one more for the index text)');
  const perFile = Object.values(pushRequests).reduce((a, b) => a + b, 0) / (made.files + made.symlinks + made.hardlinks + made.fifos);
  assert.ok(perFile <= 0.12, `push requests per file ${perFile.toFixed(3)} (${JSON.stringify(pushRequests)})`);
  // Restore: no listing per directory (the metadata index describes them all: listing index/ and
  // the index node, one GET of the index text), each pack read once, no request per small file.
  assert.equal(restoreRequests['GET json'], 2, 'index/ and the index node, not one listing per directory');
  const reads = (restoreRequests['GET range'] ?? 0) + (restoreRequests['GET uri/CAP'] ?? 0);
  assert.ok(reads <= (pushRequests['PUT uri'] ?? 0) + made.largeFiles, `content reads ${reads} for ${pushRequests['PUT uri']} objects (${JSON.stringify(restoreRequests)})`);
  await rm(fresh.base, { recursive: true, force: true });
});

test('first push of a small tree sends exactly the requests the design promises; stock tahoe + rdiff recover its files', async () => {
  const fresh = await freshRepo();
  const src = join(fresh.base, 'small');
  await mkdir(join(src, 'a', 'b'), { recursive: true });
  for (let i = 0; i < 10; i++) await writeFile(join(src, i < 5 ? 'a' : 'a/b', `s${i}`), `small ${i}\n`.repeat(i + 1));
  const big = Buffer.alloc(300_000);
  for (let i = 0; i < big.length; i += 32) createHash('sha256').update(String(i)).digest().copy(big, i);
  await writeFile(join(src, 'big.bin'), big);
  await writeFile(join(src, 'a', 'big2.bin'), big.subarray(0, 100_000));
  await writeFile(join(src, 'empty'), '');
  await symlink('s1', join(src, 'a', 'short-link'));
  await symlink('../a/../a/s2', join(src, 'a', 'b', 'short2'));
  await symlink(`/${'long/'.repeat(14)}target`, join(src, 'long-link'));
  await link(join(src, 'a', 's0'), join(src, 'hard'));
  execFileSync('mkfifo', [join(src, 'fifo')]);
  for (const f of ['big.bin', 'a/big2.bin']) await utimes(join(src, f), 1_600_000_000, 1_600_000_000);
  const { pushed, pushRequests, restoreRequests, target, rootCap } = await pushAndRestore(src, fresh, 1_700_000_100_000, 'tree');
  assert.deepEqual(await compareTrees(src, target), []);
  assert.deepEqual(await contentHashes(target), await contentHashes(src));
  const dirs = src.split('/').length + 2; // '/', the components of src, then a and a/b
  // The metadata index costs a fixed handful per push, never a listing per directory: finding
  // index/ (2 listings of the root, before and after making it), index/ itself on a repository's
  // first push (mkdir), the index text (1 PUT), its node (1 mkdir-immutable), linking index/ and
  // the index (2; the link is tried before index/ is listed, and a new name needs no listing).
  assert.deepEqual(pushRequests, {
    // the repository's snapshots/ (the catalog is new: is there a snapshot to rebuild it from?)
    'GET json': 1 + 2,
    // one pack (10 small files, the 100 KB one and the long symlink's 76-byte target: a target
    // too long for a LIT cap is a pack member, not an object of its own), one object for the
    // large file, and the index text
    'PUT uri': 2 + 1,
    'POST mkdir-immutable': dirs + 1,
    'POST mkdir': 1,
    // linking the snapshot into snapshots/
    'POST set_children': 1 + 2,
  });
  assert.equal(pushed.stats.uploads, 2);
  assert.deepEqual(restoreRequests, {
    'GET json': dirs,
    // the pack and the large file (each one run); the long symlink's target comes out of the
    // pack's run, so no request of its own
    'GET range': 2,
  });
  // The same restore listing from the snapshot's metadata index: index/ and the index node
  // instead of every directory, and the index text.
  const viaIndex = await restoreFrom(fresh, { name: pushed.snapshot!, cap: rootCap }, src, 'index');
  assert.equal(viaIndex.listedFrom, 'index');
  assert.deepEqual(await compareTrees(src, viaIndex.target), []);
  assert.deepEqual(await contentHashes(viaIndex.target), await contentHashes(src));
  assert.deepEqual(viaIndex.restoreRequests, { 'GET json': 2, 'GET range': 2, 'GET uri/CAP': 1 });

  // Stock tools: a new large file is bytes [0, size) of its object, as format.md §4 says for packed.
  const tahoe = tahoeCommand();
  const node = nodeDir(defaultGridConfig(), 'client');
  const listing = JSON.parse(execFileSync(tahoe, ['-d', node, 'ls', '--json', `${rootCap}/${src.slice(1)}`], { encoding: 'utf8' })) as [string, { children: Record<string, [string, { ro_uri: string; metadata: { timefs: { size: number; pack?: { offset: number } } } }]> }];
  const bigEdge = listing[1].children['big.bin']![1];
  const whole = execFileSync(tahoe, ['-d', node, 'get', bigEdge.ro_uri, '-'], { maxBuffer: 1 << 24 });
  const offset = bigEdge.metadata.timefs.pack!.offset;
  assert.deepEqual(whole.subarray(offset, offset + bigEdge.metadata.timefs.size), big);
  // A long symlink target is cut out of its pack the same way (format.md §2 and §4).
  const linkEdge = listing[1].children['long-link']![1];
  assert.equal((linkEdge.metadata.timefs as { storage?: string }).storage, 'packed');
  const linkPack = execFileSync(tahoe, ['-d', node, 'get', linkEdge.ro_uri, '-'], { maxBuffer: 1 << 24 });
  const linkAt = linkEdge.metadata.timefs.pack!.offset;
  assert.equal(linkPack.subarray(linkAt, linkAt + linkEdge.metadata.timefs.size).toString(), `/${'long/'.repeat(14)}target`);

  // Change it: the chain starts on that object as its base; `rdiff patch` rebuilds the new version.
  big.write('an edit', 150_000);
  await writeFile(join(src, 'big.bin'), big);
  await utimes(join(src, 'big.bin'), 1_600_000_100, 1_600_000_100);
  const catalog = await Catalog.open(fresh.state);
  const second = await runPush({ store: fresh.store, catalog, snapshotsCap: fresh.snapshotsCap, stateDir: fresh.state }, { paths: [src], now: () => 1_700_000_200_000 });
  await catalog.close();
  assert.equal(second.stats.deltas, 1);
  const root2 = (await fresh.store.list(fresh.snapshotsCap)).get(second.snapshot!)!.readCap;
  const work = await mkdtemp(join(tmpdir(), 'timefs-stock-'));
  const F = `${root2}/${src.slice(1)}/big.bin`;
  assert.deepEqual(execFileSync(tahoe, ['-d', node, 'ls', F], { encoding: 'utf8' }).split('\n').filter(Boolean).sort(), ['base', 'd001', 'sig']);
  // (to stdout: `tahoe get PATH FILE` would echo the path, cap included)
  await writeFile(join(work, 'v.bin'), execFileSync(tahoe, ['-d', node, 'get', `${F}/base`, '-'], { maxBuffer: 1 << 24 }));
  await writeFile(join(work, 'd001.delta'), execFileSync(tahoe, ['-d', node, 'get', `${F}/d001`, '-'], { maxBuffer: 1 << 24 }));
  execFileSync('rdiff', ['patch', join(work, 'v.bin'), join(work, 'd001.delta'), join(work, 'v.next')]);
  assert.deepEqual(await readFile(join(work, 'v.next')), big);
  await rm(work, { recursive: true, force: true });
  await rm(fresh.base, { recursive: true, force: true });
});
