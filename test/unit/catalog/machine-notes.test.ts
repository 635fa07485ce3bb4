import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readMachineNotes, updateMachineNotes } from '../../../src/catalog/machine-notes.js';
import { parseNodeStatus } from '../../../src/store/tahoe/node-status.js';
import { readEncoding, readIntroducerFurl } from '../../../src/store/tahoe/node-directory.js';

const base = await mkdtemp(join(tmpdir(), 'timefs-notes-'));
after(() => rm(base, { recursive: true, force: true }));

describe('machine notes (state dir)', () => {
  it('are empty at first, merge updates, and live in a 0700 directory as a 0600 file', async () => {
    const state = join(base, 'state', 'timefs', 'repo1');
    assert.deepEqual(await readMachineNotes(state), {});
    await updateMachineNotes(state, { keyPrintedAt: '2026-12-05T00:00:00Z', writeKeyPrintedAt: '2026-12-04T00:00:00Z' });
    await updateMachineNotes(state, { leasesRenewedAt: '2026-12-06T00:00:00Z' });
    assert.deepEqual(await readMachineNotes(state), { keyPrintedAt: '2026-12-05T00:00:00Z', writeKeyPrintedAt: '2026-12-04T00:00:00Z', leasesRenewedAt: '2026-12-06T00:00:00Z' });
    assert.equal((await stat(state)).mode & 0o777, 0o700);
    assert.equal((await stat(join(state, 'notes.json'))).mode & 0o777, 0o600);
  });

  it('a damaged notes file counts as none and is replaced by the next update', async () => {
    const state = join(base, 'damaged');
    await mkdir(state);
    await writeFile(join(state, 'notes.json'), '{not json');
    assert.deepEqual(await readMachineNotes(state), {});
    await updateMachineNotes(state, { keyPrintedAt: 'x' });
    assert.deepEqual(JSON.parse(await readFile(join(state, 'notes.json'), 'utf8')), { keyPrintedAt: 'x' });
  });
});

describe('node directory: introducer and encoding', () => {
  it('reads the fURL from private/introducers.yaml, else from tahoe.cfg, and the encoding from tahoe.cfg', async () => {
    const node = join(base, 'node');
    await mkdir(join(node, 'private'), { recursive: true });
    assert.equal(await readIntroducerFurl(node), undefined);
    assert.equal(await readEncoding(node), undefined);
    await writeFile(join(node, 'tahoe.cfg'), '[client]\nintroducer.furl = pb://old@tcp:h:1/x\nshares.needed = 3\nshares.happy = 7\nshares.total = 10\n');
    assert.equal(await readIntroducerFurl(node), 'pb://old@tcp:h:1/x');
    assert.deepEqual(await readEncoding(node), { needed: 3, happy: 7, total: 10 });
    await writeFile(join(node, 'private', 'introducers.yaml'), 'introducers:\n  default:\n    furl: pb://new@tcp:127.0.0.1:47000/abc\n');
    assert.equal(await readIntroducerFurl(node), 'pb://new@tcp:127.0.0.1:47000/abc');
  });

  it("parses the welcome page's JSON: introducer statuses and servers, connected or not", () => {
    const status = parseNodeStatus(JSON.stringify({
      introducers: { statuses: ['Connected to tcp:127.0.0.1:47000 via tcp'] },
      servers: [{ nickname: 'storage1', connection_status: 'connected' }, { nodeid: 'v0-x', connection_status: 'Trying to connect' }],
    }));
    assert.deepEqual(status.introducers, ['Connected to tcp:127.0.0.1:47000 via tcp']);
    assert.deepEqual(status.servers.map((s) => [s.nickname, s.connected]), [['storage1', true], ['v0-x', false]]);
    assert.throws(() => parseNodeStatus('<html>'), /not JSON/);
  });
});
