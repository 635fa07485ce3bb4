// Real mounts over the real grid: snapshots pushed while mounted appear after the refresh period,
// `latest` follows them, and names that are not UTF-8 come back as their exact bytes (kernel
// backend), or under their stable escaped name where fuse-native cannot carry bytes.
import assert from 'node:assert/strict';
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { edgeNameFor } from '../../src/model/names.js';
import { TahoeStore } from '../../src/store/tahoe/tahoe-store.js';
import { mountForTest, type TestMount } from '../helpers/mount-harness.js';
import { addSnapshot, dir, memoryRepo, wholeFile, type Node } from '../helpers/view-fixture.js';

const nodeUrl = process.env.TIMEFS_TEST_NODE_URL ?? 'http://127.0.0.1:47006/';
const FIRST = '2012-02-02T10:00:00Z';
const SECOND = '2012-02-03T10:00:00Z';
const LATIN1_NAME = Buffer.from([0x72, 0xe9, 0x73, 0x75, 0x6d, 0xe9, 0x2e, 0x74, 0x78, 0x74]); // "résumé.txt" in Latin-1

describe('mount updates and names (real grid)', () => {
  const store = new TahoeStore({ nodeUrl });
  let snapshotsCap: string;
  let mount: TestMount;
  const escaped = edgeNameFor(LATIN1_NAME);

  before(async () => {
    ({ snapshotsCap } = await memoryRepo(store));
    const file = await wholeFile(store, new Uint8Array(Buffer.from('latin-1 named file\n')), escaped.rawName ? { rawName: escaped.rawName } : {});
    await addSnapshot(store, snapshotsCap, FIRST, await dir(store, { [escaped.name]: file }));
    mount = await mountForTest(store, snapshotsCap, { refreshMs: 1_000 });
  });

  after(async () => {
    await mount?.close();
  });

  it('shows a non-UTF-8 name as its exact bytes, content intact', async () => {
    assert.ok(escaped.rawName, 'the name needs escaping on the grid');
    assert.equal(mount.mounted.backend, 'kernel');
    const dirPath = join(mount.mountPoint, FIRST);
    const names = await readdir(dirPath, { encoding: 'buffer' });
    assert.deepEqual(names, [LATIN1_NAME]);
    const filePath = Buffer.concat([Buffer.from(`${dirPath}/`), LATIN1_NAME]);
    assert.equal(await readFile(filePath, 'utf8'), 'latin-1 named file\n');
    assert.equal((await stat(filePath)).size, 'latin-1 named file\n'.length);
  });

  it('shows it under its escaped name through fuse-native, which carries only UTF-8', async () => {
    const fallback = await mountForTest(store, snapshotsCap, {}, { backend: 'libfuse' });
    try {
      assert.equal(fallback.mounted.backend, 'libfuse');
      assert.deepEqual(await readdir(join(fallback.mountPoint, FIRST)), [escaped.name]);
      assert.equal(await readFile(join(fallback.mountPoint, FIRST, escaped.name), 'utf8'), 'latin-1 named file\n');
    } finally {
      await fallback.close();
    }
  });

  it('keeps its node table bounded: past maxNodes the kernel is asked to drop the oldest names', async () => {
    const files: Record<string, Node> = {};
    for (let d = 0; d < 4; d++) {
      const children: Record<string, Node> = {};
      for (let f = 0; f < 50; f++) children[`f${f}.txt`] = await wholeFile(store, new Uint8Array(Buffer.from(`file ${d}/${f}\n`)));
      files[`d${d}`] = await dir(store, children);
    }
    const { snapshotsCap: cap } = await memoryRepo(store);
    await addSnapshot(store, cap, FIRST, await dir(store, files));
    const small = await mountForTest(store, cap, {}, { maxNodes: 40 });
    try {
      for (let round = 0; round < 2; round++) {
        for (let d = 0; d < 4; d++) {
          for (let f = 0; f < 50; f++) {
            assert.equal(await readFile(join(small.mountPoint, FIRST, `d${d}`, `f${f}.txt`), 'utf8'), `file ${d}/${f}\n`);
          }
        }
      }
      await new Promise((done) => setTimeout(done, 200));
      const count = small.mounted.nodeCount() ?? Infinity;
      assert.ok(count <= 80, `the kernel holds ${count} nodes after 400 lookups of 205 names`);
    } finally {
      await small.close();
    }
  });

  it('shows a snapshot pushed while mounted once the list refreshes', async () => {
    assert.equal(await readlink(join(mount.mountPoint, 'latest')), FIRST);
    const file = await wholeFile(store, new Uint8Array(Buffer.from('second\n')));
    await addSnapshot(store, snapshotsCap, SECOND, await dir(store, { 'new.txt': file }));
    await new Promise((done) => setTimeout(done, 1_200));
    assert.ok((await readdir(mount.mountPoint)).includes(SECOND));
    assert.equal(await readlink(join(mount.mountPoint, 'latest')), SECOND);
    assert.equal(await readFile(join(mount.mountPoint, 'latest', 'new.txt'), 'utf8'), 'second\n');
  });
});
