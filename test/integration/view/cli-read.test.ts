import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { blake2bHex } from '../../../src/model/blake2b-pool.js';
import { createTestRepo, testNodeUrl } from '../../helpers/grid.js';
import { addSnapshot, chainFile, dir, symlink, wholeFile } from '../../helpers/view-fixture.js';
import { editedVersions } from '../../helpers/view-suite.js';
import { spawnTimefs, type CliBytesRun } from '../../helpers/cli.js';


// Caches and state of the CLI go to a private directory, not the user's home.
const home = mkdtempSync(join(tmpdir(), 'timefs-cli-read-'));
after(() => rmSync(home, { recursive: true, force: true }));

/** Runs the CLI from source; the repository cap goes in argv only, never into assertion messages. */
function timefs(args: string[], options: { closeStdoutEarly?: boolean } = {}): Promise<CliBytesRun> {
  return spawnTimefs(args, { ...options, env: { ...process.env, XDG_CACHE_HOME: join(home, 'cache'), XDG_STATE_HOME: join(home, 'state'), HOME: home } });
}

describe('timefs snapshots | ls | cat against the real grid', () => {
  let repoArgs: string[];
  let versions: Uint8Array[];
  const hello = new Uint8Array(Buffer.from('hello from the grid\n'));
  const raw = new Uint8Array([0x6e, 0xe9, 0x2e, 0x74, 0x78, 0x74]); // "n\xe9.txt" (Latin-1, not UTF-8)

  before(async () => {
    const repo = await createTestRepo();
    const { store } = repo;
    repoArgs = ['--repo', repo.rootCap, '--node-url', testNodeUrl()];
    versions = editedVersions(5, 21, 400_000);
    const helloNode = await wholeFile(store, hello);
    const me = await dir(store, {
      'hello.txt': helloNode,
      'chain.bin': await chainFile(store, versions, { blockLength: 1024 }),
      'damaged.bin': await wholeFile(store, versions[3] as Uint8Array, { hash: await blake2bHex(hello) }),
      'latin1_escaped': { ...helloNode, meta: { ...helloNode.meta, rawName: Buffer.from(raw).toString('base64') } },
      'link': await symlink(store, 'hello.txt'),
    });
    const old = await dir(store, { home: await dir(store, { me: await dir(store, { 'hello.txt': helloNode }) }) });
    await addSnapshot(store, repo.snapshotsCap, '2009-01-09T01:49:00Z', old);
    await addSnapshot(store, repo.snapshotsCap, '2009-01-12T08:00:00Z', await dir(store, { home: await dir(store, { me }) }), { parent: '2009-01-09T01:49:00Z' });
  });

  it('snapshots --json lists both snapshots with metadata and no caps', async () => {
    const r = await timefs(['snapshots', '--json', ...repoArgs]);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout.toString()) as Array<{ name: string; host: string; parent?: string }>;
    assert.deepEqual(list.map((s) => s.name), ['2009-01-09T01:49:00Z', '2009-01-12T08:00:00Z']);
    assert.equal(list[1]?.parent, '2009-01-09T01:49:00Z');
    assert.ok(!r.stdout.includes('URI:'));
    const table = await timefs(['snapshots', ...repoArgs]);
    assert.match(table.stdout.toString(), /^\S+:\S+ \(2 snapshots\)\n {2}TIME\s+STATS\n/);
  });

  it('ls shows an ls -l listing with exact names and symlink targets', async () => {
    const r = await timefs(['ls', 'latest', '/home/me', '--utc', ...repoArgs]);
    assert.equal(r.code, 0, r.stderr);
    const text = r.stdout.toString('latin1');
    assert.match(text, /^-rw-r--r-- 1000 1000 +20 2009-01-09 01:49:00 hello\.txt$/m);
    assert.match(text, /^lrwxrwxrwx .* link -> hello\.txt$/m);
    assert.match(text, / 'n'\$'\\351''\.txt'$/m, 'the Latin-1 name is quoted as GNU ls quotes it');
    assert.ok(!text.includes('URI:'));
  });

  it('ls accepts a day with no snapshot (as of its end) and --json', async () => {
    const r = await timefs(['ls', '2009-01-11', 'home/me', '--json', '--utc', ...repoArgs]);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout.toString()) as { snapshot: string; entries: Array<{ name: string }> };
    assert.equal(json.snapshot, '2009-01-09T01:49:00Z');
    assert.deepEqual(json.entries.map((e) => e.name), ['hello.txt']);
  });

  it('cat rebuilds a chain of depth 20 byte for byte', async () => {
    const r = await timefs(['cat', 'latest', '/home/me/chain.bin', ...repoArgs]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(Buffer.compare(r.stdout, versions[versions.length - 1] as Uint8Array), 0);
  });

  it('cat exits quietly when the reader closes the pipe early', async () => {
    const r = await timefs(['cat', 'latest', '/home/me/chain.bin', ...repoArgs], { closeStdoutEarly: true });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
  });

  it('cat fails with exit 1 on a hash mismatch, names path and snapshot, and writes nothing', async () => {
    const r = await timefs(['cat', 'latest', 'home/me/damaged.bin', ...repoArgs]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout.length, 0);
    assert.match(r.stderr, /\/home\/me\/damaged\.bin in snapshot 2009-01-12T08:00:00Z/);
    assert.doesNotMatch(r.stderr, /URI:[A-Z0-9-]+:[A-Za-z0-9]{10}/);
  });

  it('reports missing snapshots, paths and directories clearly', async () => {
    const noSnap = await timefs(['cat', '2001-01-01', 'x', ...repoArgs]);
    assert.equal(noSnap.code, 1);
    assert.match(noSnap.stderr, /no snapshot as of "2001-01-01"/);
    const noPath = await timefs(['ls', 'latest', '/home/me/nope', ...repoArgs]);
    assert.equal(noPath.code, 1);
    assert.match(noPath.stderr, /no \/home\/me\/nope in this snapshot/);
    const isDir = await timefs(['cat', 'latest', '/home', ...repoArgs]);
    assert.equal(isDir.code, 2);
    assert.match(isDir.stderr, /is a directory/);
  });
});
