// Mount lifecycle with real mounts: a mount point in use is refused, a busy mount point is reported
// at unmount (and the mount stays usable), a stale mount left by a kill -9 is cleared at the next
// mount, and SIGTERM unmounts a mounting process cleanly.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mountSource } from '../../src/fs/mounter.js';
import { mountPointState } from '../../src/fs/mount-point.js';
import { TahoeStore } from '../../src/store/tahoe/tahoe-store.js';
import { createBackupView } from '../../src/view/backup-view-setup.js';
import { addSnapshot, dir, memoryRepo, wholeFile } from '../helpers/view-fixture.js';

const nodeUrl = process.env.TIMEFS_TEST_NODE_URL ?? 'http://127.0.0.1:47006/';
const TIME = '2010-05-01T12:00:00Z';

function startChild(mountPoint: string, snapshotsCap: string, autoUnmount = true): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/mount-child.ts', mountPoint], {
    env: { ...process.env, TIMEFS_TEST_NODE_URL: nodeUrl, TIMEFS_CHILD_SNAPSHOTS: snapshotsCap, TIMEFS_CHILD_AUTO_UNMOUNT: autoUnmount ? '1' : '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((done, fail) => {
    let err = '';
    child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
    child.stdout?.once('data', (d: Buffer) => (d.toString().startsWith('mounted') ? done(child) : fail(new Error(d.toString()))));
    child.once('exit', (code) => fail(new Error(`child exited ${code}: ${err}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((done) => child.once('exit', (code) => done(code)));
}

describe('mount lifecycle (real mounts, real grid)', () => {
  const store = new TahoeStore({ nodeUrl });
  let snapshotsCap: string;
  let mountPoint: string;

  before(async () => {
    ({ snapshotsCap } = await memoryRepo(store));
    const file = await wholeFile(store, new Uint8Array(Buffer.from('hello from the grid\n')));
    await addSnapshot(store, snapshotsCap, TIME, await dir(store, { 'hello.txt': file }));
    mountPoint = await mkdtemp(join(tmpdir(), 'timefs-life-'));
  });

  after(async () => {
    await rm(mountPoint, { recursive: true, force: true });
  });

  it('refuses a mount point that is already mounted, and reports a busy one at unmount', async () => {
    const { view } = createBackupView(store, snapshotsCap, { zone: 'utc' });
    const mounted = await mountSource(view, mountPoint);
    try {
      await assert.rejects(mountSource(view, mountPoint), { code: 'fs.mount-busy' });
      const handle = await open(join(mountPoint, TIME, 'hello.txt'));
      try {
        await assert.rejects(mounted.unmount(), { code: 'fs.mount-busy' });
        assert.equal((await handle.readFile('utf8')), 'hello from the grid\n');
      } finally {
        await handle.close();
      }
    } finally {
      await mounted.unmount();
    }
    assert.equal(await mountPointState(mountPoint), 'ready');
  });

  it('kill -9 of the mounting process leaves no mount point giving ENOTCONN within 2 s, and a new mount works there (fault 8)', async () => {
    const child = await startChild(mountPoint, snapshotsCap);
    assert.equal(await mountPointState(mountPoint), 'mounted');
    child.kill('SIGKILL');
    await exited(child);
    const deadline = Date.now() + 2000;
    let state = await mountPointState(mountPoint);
    while (state !== 'ready' && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 50));
      state = await mountPointState(mountPoint);
    }
    assert.equal(state, 'ready', 'the watcher unmounted it');
    // what a service manager's restart does next
    const again = await startChild(mountPoint, snapshotsCap);
    assert.deepEqual(await readdir(join(mountPoint, TIME)), ['hello.txt']);
    again.kill('SIGTERM');
    await exited(again);
    assert.equal(await mountPointState(mountPoint), 'ready');
  });

  it('clears a stale mount left by a killed process at the next mount (no watcher, or the watcher killed too)', async () => {
    const child = await startChild(mountPoint, snapshotsCap, false);
    child.kill('SIGKILL');
    await exited(child);
    assert.equal(await mountPointState(mountPoint), 'stale');
    await assert.rejects(stat(join(mountPoint, TIME)), { code: 'ENOTCONN' });
    const logs: string[] = [];
    const { view } = createBackupView(store, snapshotsCap, { zone: 'utc' });
    const mounted = await mountSource(view, mountPoint, { log: (l) => logs.push(l) });
    try {
      assert.match(logs.join('\n'), /stale mount/);
      assert.deepEqual(await readdir(join(mountPoint, TIME)), ['hello.txt']);
    } finally {
      await mounted.unmount();
    }
  });

  it('unmounts cleanly on SIGTERM', async () => {
    const child = await startChild(mountPoint, snapshotsCap);
    const out: string[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d.toString()));
    assert.equal(await mountPointState(mountPoint), 'mounted');
    child.kill('SIGTERM');
    const code = await Promise.race([exited(child), new Promise((done) => setTimeout(() => done('still running'), 10_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
    assert.equal(code, 0, 'the process ends by itself once unmounted');
    assert.match(out.join(''), /unmounted/);
    assert.equal(await mountPointState(mountPoint), 'ready');
  });
});
