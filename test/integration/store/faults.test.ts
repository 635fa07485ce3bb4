import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isTimefsError } from '../../../src/model/errors.js';
import { TahoeStore } from '../../../src/store/tahoe/tahoe-store.js';
import { startPrivateGrid, type PrivateGrid } from '../../helpers/grid.js';
import { patternBytes } from '../../helpers/store-contract.js';
import { assertCapsQuiet } from '../../helpers/cli.js';

// Faults are injected into a private grid (.grids/faults, ports 47020+) so that engineers
// sharing the main test grid never see its nodes stop under them.
describe('TahoeStore under faults (private grid)', { timeout: 300_000 }, () => {
  let grid: PrivateGrid;
  let store: TahoeStore;
  let data: Uint8Array;
  let cap: string;
  let dir: string;

  before(async () => {
    grid = await startPrivateGrid('faults', 20);
    store = new TahoeStore({ nodeUrl: grid.nodeUrl, timeoutMs: 20_000, retries: 2, retryDelayMs: 100 });
    data = patternBytes(3 * 1024 * 1024 + 5, 77);
    cap = await store.putImmutable(data);
    dir = await store.mkdirImmutable({ f: { cap, metadata: { timefs: { size: data.length } } } });
  });

  after(async () => {
    await grid?.stop();
  });

  it('one storage node stopped: reads, ranges and listings still work; an upload is "unhappy"', async () => {
    await grid.stopStorageNode(2);
    try {
      assert.deepEqual(await store.get(cap), data);
      assert.deepEqual(await store.getRange(cap, 1024 * 1024 - 3, 10), data.subarray(1024 * 1024 - 3, 1024 * 1024 + 7));
      assert.equal((await store.list(dir)).get('f')?.cap, cap);
      const health = await store.check(cap);
      assert.equal(health.healthy, false);
      assert.equal(health.recoverable, true);
      await assert.rejects(store.putImmutable(patternBytes(5000, 78)), (err) => isTimefsError(err, 'grid.unhappy'));
    } finally {
      await grid.startStorageNode(2);
    }
    assert.equal((await store.check(cap)).healthy, true);
  });

  it('all storage nodes stopped: typed errors, no hang', async () => {
    for (const i of [1, 2, 3]) await grid.stopStorageNode(i);
    try {
      await assert.rejects(store.get(cap), (err) => isTimefsError(err, 'grid.gone', 'grid.timeout'));
      await assert.rejects(store.getRange(cap, 0, 100), (err) => isTimefsError(err, 'grid.gone', 'grid.timeout'));
      await assert.rejects(store.list(dir), (err) => isTimefsError(err, 'grid.gone', 'grid.timeout'));
      await assert.rejects(store.putImmutable(patternBytes(5000, 79)), (err) => isTimefsError(err, 'grid.unhappy', 'grid.timeout'));
    } finally {
      for (const i of [1, 2, 3]) await grid.startStorageNode(i);
    }
    assert.deepEqual(await store.getRange(cap, 0, 100), data.subarray(0, 100));
  });

  it('client node stopped: "unreachable" naming the URL, in the API and the CLI', async () => {
    await grid.stopClient();
    try {
      await assert.rejects(store.get(cap), (err) => isTimefsError(err, 'grid.unreachable') && (err as Error).message.includes(grid.nodeUrl));
      const nodeDir = mkdtempSync(join(tmpdir(), 'timefs-node-'));
      mkdirSync(join(nodeDir, 'private'));
      writeFileSync(join(nodeDir, 'node.url'), grid.nodeUrl);
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', 'init', '--repo', 'faulty:', '--node-directory', nodeDir], { encoding: 'utf8' });
      assertCapsQuiet(['init'], r.stdout, r.stderr);
      assert.equal(r.status, 1, r.stderr);
      assert.ok(r.stderr.includes(`cannot connect to the Tahoe node at ${grid.nodeUrl}`), r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      await grid.startClient();
    }
  });

  it('a read started while the client node is down succeeds once it is back (refused connections are retried)', async () => {
    const patient = new TahoeStore({ nodeUrl: grid.nodeUrl, retries: 9, retryDelayMs: 200 });
    await grid.stopClient();
    const reading = patient.getRange(cap, 2 * 1024 * 1024, 4096);
    await grid.startClient();
    assert.deepEqual(await reading, data.subarray(2 * 1024 * 1024, 2 * 1024 * 1024 + 4096));
  });
});
