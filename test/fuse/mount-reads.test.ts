// Reading through real mounts over the real grid: random ranges of a version at chain depth 20,
// eight concurrent readers, a hash mismatch giving EIO plus a log line, and grid faults (one
// storage node down: reads work; all down: EIO within the timeout), the last on a private grid.
import assert from 'node:assert/strict';
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TahoeStore } from '../../src/store/tahoe/tahoe-store.js';
import { editedVersions } from '../helpers/view-suite.js';
import { addSnapshot, chainFile, dir, memoryRepo, wholeFile, type Node } from '../helpers/view-fixture.js';
import { startPrivateGrid } from '../helpers/grid.js';
import { mountForTest, type TestMount } from '../helpers/mount-harness.js';

const nodeUrl = process.env.TIMEFS_TEST_NODE_URL ?? 'http://127.0.0.1:47006/';
const TIME = '2011-03-04T05:06:07Z';
/** A cap with more than the six characters `redactCap` keeps: a secret. */
const WHOLE_CAP = /URI:[A-Z0-9-]+:[A-Za-z0-9:_-]{7,}/;

/** Deterministic ranges: odd offsets and lengths, some across 128 KiB segments and 1 MiB blocks, some past the end. */
function ranges(size: number, count: number): Array<[number, number]> {
  const out: Array<[number, number]> = [[0, 1], [size - 1, 1], [size - 3, 4097], [size + 5, 100], [131071, 3], [(1 << 20) - 7, 4099 * 3]];
  let x = 12345;
  while (out.length < count) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const offset = x % (size + 1000);
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out.push([offset, 1 + (x % 300_001)]);
  }
  return out;
}

describe('reading through the mount (real grid)', () => {
  const store = new TahoeStore({ nodeUrl });
  let snapshotsCap: string;
  let versions: Uint8Array[];
  let deep: Uint8Array;
  const files: Record<string, Uint8Array> = {};
  let mount: TestMount;

  before(async () => {
    ({ snapshotsCap } = await memoryRepo(store));
    versions = editedVersions(7, 21, 2_600_000);
    deep = versions[20] as Uint8Array;
    const children: Record<string, Node> = { 'deep.bin': await chainFile(store, versions) };
    for (let i = 0; i < 4; i++) {
      files[`whole-${i}.bin`] = editedVersions(100 + i, 1, 700_000 + i * 1013)[0] as Uint8Array;
      children[`whole-${i}.bin`] = await wholeFile(store, files[`whole-${i}.bin`] as Uint8Array);
    }
    const damaged = await wholeFile(store, new Uint8Array(Buffer.from('these bytes were tampered with\n'.repeat(10))));
    children['damaged.txt'] = { cap: damaged.cap, meta: { ...damaged.meta, hash: 'ab'.repeat(32) } };
    await addSnapshot(store, snapshotsCap, TIME, await dir(store, children));
    mount = await mountForTest(store, snapshotsCap, {}, { timeoutMs: 8_000 });
  });

  after(async () => {
    await mount?.close();
  });

  it('serves random ranges of a version at chain depth 20 byte for byte', async () => {
    const path = join(mount.mountPoint, TIME, 'deep.bin');
    assert.equal((await stat(path)).size, deep.length);
    const handle = await open(path);
    try {
      for (const [offset, length] of ranges(deep.length, 60)) {
        const buf = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buf, 0, length, offset);
        const want = deep.subarray(Math.min(offset, deep.length), Math.min(offset + length, deep.length));
        assert.equal(bytesRead, want.length, `length at ${offset}+${length}`);
        assert.ok(buf.subarray(0, bytesRead).equals(want), `bytes at ${offset}+${length}`);
      }
    } finally {
      await handle.close();
    }
  });

  it('serves a file read from its start from one in-order flow of its chain, not from range reads', async () => {
    // Files from 1 MiB on get a flow in this mount (32 MiB by default).
    const flowing = await mountForTest(store, snapshotsCap, { sequentialMinBytes: 1 << 20 }, { timeoutMs: 8_000 });
    try {
      const read = await readFile(join(flowing.mountPoint, TIME, 'deep.bin'));
      assert.equal(Buffer.compare(read, deep), 0, 'byte for byte at chain depth 20');
      assert.equal(flowing.blockStats.requests, 0, 'no range request went through the block cache');
    } finally {
      await flowing.close();
    }
  });

  it('serves eight concurrent readers', async () => {
    const names = ['deep.bin', 'whole-0.bin', 'whole-1.bin', 'deep.bin', 'whole-2.bin', 'whole-3.bin', 'whole-0.bin', 'deep.bin'];
    const results = await Promise.all(names.map((name) => readFile(join(mount.mountPoint, TIME, name))));
    for (const [i, name] of names.entries()) {
      const want = name === 'deep.bin' ? deep : files[name] as Uint8Array;
      assert.ok(results[i]?.equals(want), name);
    }
  });

  it('fails a sequential read of damaged content with EIO and logs path and snapshot', async () => {
    await assert.rejects(readFile(join(mount.mountPoint, TIME, 'damaged.txt')), { code: 'EIO' });
    await assert.rejects(readFile(join(mount.mountPoint, TIME, 'damaged.txt')), { code: 'EIO' }, 'and again: no bad bytes were cached');
    assert.ok(mount.logs.some((l) => l.includes('/damaged.txt') && l.includes(TIME)), mount.logs.join('\n'));
    for (const line of mount.logs) assert.doesNotMatch(line, WHOLE_CAP);
  });

  it('reads with one storage node down and gives EIO within the timeout with all down', async () => {
    // a grid of its own, so stopping nodes does not disturb other tests on the shared one
    const own = await startPrivateGrid('mount-faults', 40);
    const ownStore = new TahoeStore({ nodeUrl: own.nodeUrl });
    const repo = await memoryRepo(ownStore);
    const children: Record<string, Node> = {};
    for (const name of Object.keys(files)) children[name] = await wholeFile(ownStore, files[name] as Uint8Array);
    await addSnapshot(ownStore, repo.snapshotsCap, TIME, await dir(ownStore, children));
    const fresh = await mountForTest(ownStore, repo.snapshotsCap, {}, { timeoutMs: 5_000 });
    try {
      // the listing is loaded while the grid is healthy; no content is cached yet
      const dirPath = join(fresh.mountPoint, TIME);
      for (const name of Object.keys(files)) await stat(join(dirPath, name));
      await own.stopStorageNode(1);
      assert.ok((await readFile(join(dirPath, 'whole-1.bin'))).equals(files['whole-1.bin'] as Uint8Array));
      await own.stopStorageNode(2);
      await own.stopStorageNode(3);
      const started = Date.now();
      await assert.rejects(readFile(join(dirPath, 'whole-2.bin')), { code: 'EIO' });
      assert.ok(Date.now() - started < 30_000, 'EIO came within the timeout');
      for (const line of fresh.logs) assert.doesNotMatch(line, WHOLE_CAP);
    } finally {
      await fresh.close();
      await own.stop();
    }
  });
});
