import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { openRepo, resolveNode } from '../../../src/cli/repo-options.js';
import { isTimefsError } from '../../../src/model/errors.js';
import { readAliases } from '../../../src/store/tahoe/node-directory.js';
import { testNodeUrl, testStore } from '../../helpers/grid.js';
import { assertCapsQuiet } from '../../helpers/cli.js';

function timefs(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  assertCapsQuiet(args, r.stdout, r.stderr);
  return r;
}

/** A throw-away Tahoe node directory pointing at the test grid, like ~/.tahoe of a client. */
function nodeDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'timefs-nodedir-'));
  writeFileSync(join(dir, 'node.url'), `${testNodeUrl()}\n`);
  return dir;
}

describe('repositories by alias, node-directory discovery, timefs init', () => {
  let isolated: Record<string, string>;

  before(() => {
    const home = mkdtempSync(join(tmpdir(), 'timefs-home-'));
    // Keep the user's own configuration and caches out of these tests.
    isolated = { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_CACHE_HOME: join(home, '.cache'), XDG_STATE_HOME: join(home, '.state'), TIMEFS_REPO: '', TIMEFS_NODE_URL: '', TIMEFS_NODE_DIRECTORY: '' };
  });

  it('init creates the alias (0600 aliases file), a second init is a clear no-op, and no cap is printed', () => {
    const nodeDir = nodeDirectory();
    const first = timefs(['init', '--repo', 'backups:', '--node-directory', nodeDir], isolated);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /Initialised timefs repository backups:/);
    const aliasesFile = join(nodeDir, 'private', 'aliases');
    assert.equal(statSync(aliasesFile).mode & 0o777, 0o600);
    assert.match(readFileSync(aliasesFile, 'utf8'), /^backups: URI:DIR2:[a-z2-7]+:[a-z2-7]+\n$/);
    const second = timefs(['init', '--repo', 'backups:', '--node-directory', nodeDir, '--json'], isolated);
    assert.equal(second.status, 0, second.stderr);
    const result = JSON.parse(second.stdout) as { created: boolean; aliasCreated: boolean; repoId: string };
    assert.equal(result.created, false);
    assert.equal(result.aliasCreated, false);
    const third = timefs(['init', '--repo', 'backups:', '--node-directory', nodeDir], isolated);
    assert.match(third.stdout, /already a timefs repository.*nothing changed/);
    for (const run of [first, second, third]) assert.doesNotMatch(run.stdout + run.stderr, /URI:DIR2:[a-z2-7]{10}/);
    assert.equal(readFileSync(aliasesFile, 'utf8').split('\n').filter(Boolean).length, 1, 'the alias is added once');
  });

  it('init refuses a non-empty directory that is not a timefs repository', async () => {
    const store = await testStore();
    const nodeDir = nodeDirectory();
    const other = await store.mkdirMutable({ 'notes.txt': { cap: await store.putImmutable(new TextEncoder().encode('x'.repeat(80))) } });
    mkdirSync(join(nodeDir, 'private'));
    writeFileSync(join(nodeDir, 'private', 'aliases'), `# mine\nother: ${other}\n`);
    const r = timefs(['init', '--repo', 'other:', '--node-directory', nodeDir], isolated);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not empty and is not a timefs repository/);
    assert.equal((await store.list(other)).size, 1, 'nothing was added');
  });

  it('openRepo resolves alias: and alias:path through private/aliases and node.url', async () => {
    const store = await testStore();
    const nodeDir = nodeDirectory();
    const inner = await store.mkdirMutable();
    const top = await store.mkdirMutable({ 'sub dir': { cap: await store.mkdirMutable({ repo: { cap: inner } }) } });
    mkdirSync(join(nodeDir, 'private'));
    writeFileSync(join(nodeDir, 'private', 'aliases'), `top: ${top}\n`);
    const init = timefs(['init', '--repo', 'top:sub dir/repo', '--node-directory', nodeDir], isolated);
    assert.equal(init.status, 0, init.stderr);
    assert.equal((await readAliases(nodeDir)).get('top'), top);
    const saved = { ...process.env };
    Object.assign(process.env, isolated);
    try {
      const repo = await openRepo({ repo: 'top:sub dir/repo', nodeDirectory: nodeDir });
      assert.equal(repo.rootCap, inner);
      assert.equal(repo.nodeUrl, testNodeUrl());
      assert.equal(repo.readOnly, false);
      assert.match(repo.stateDir, new RegExp(`${repo.repoId}$`));
      assert.ok(repo.cacheDir.startsWith(isolated.XDG_CACHE_HOME as string));
      const ro = await openRepo({ repo: await store.readOnlyCap(inner), nodeUrl: testNodeUrl() });
      assert.equal(ro.readOnly, true);
      assert.equal(ro.repoId, repo.repoId);
      assert.equal((await ro.store.list(ro.snapshotsCap)).size, 0);
      // Opened before, so the layout is remembered: `early` returns the same handle before the grid answers, validated after.
      const early = await openRepo({ repo: 'top:sub dir/repo', nodeDirectory: nodeDir }, { early: true });
      assert.deepEqual([early.snapshotsCap, early.repoId, early.stateDir, early.readOnly], [repo.snapshotsCap, repo.repoId, repo.stateDir, false]);
      await early.validated;
      // A remembered layout the grid contradicts: the handle's validation fails, naming the repository's layout.
      const layoutFile = readdirSync(join(isolated.XDG_CACHE_HOME as string, 'timefs')).find((f) => f.startsWith('layout-') && JSON.parse(readFileSync(join(isolated.XDG_CACHE_HOME as string, 'timefs', f), 'utf8')).snapshotsCap === repo.snapshotsCap)!;
      const layoutPath = join(isolated.XDG_CACHE_HOME as string, 'timefs', layoutFile);
      writeFileSync(layoutPath, JSON.stringify({ ...JSON.parse(readFileSync(layoutPath, 'utf8')), snapshotsCap: await store.mkdirMutable() }));
      const misled = await openRepo({ repo: 'top:sub dir/repo', nodeDirectory: nodeDir }, { early: true });
      await assert.rejects(misled.validated, (err) => isTimefsError(err, 'repo.bad-format') && /not laid out as when it was last opened/.test((err as Error).message));
      assert.equal((await openRepo({ repo: 'top:sub dir/repo', nodeDirectory: nodeDir }, { early: true })).snapshotsCap, repo.snapshotsCap, 'the layout the grid gave is remembered again');
      await assert.rejects(openRepo({ repo: 'nosuch:', nodeDirectory: nodeDir }), (err) => isTimefsError(err, 'repo.bad-name') && /timefs init --repo nosuch:/.test((err as { hint?: string }).hint ?? ''));
      await assert.rejects(openRepo({ repo: 'top:sub dir/missing', nodeDirectory: nodeDir }), (err) => isTimefsError(err, 'repo.bad-name'));
      await assert.rejects(openRepo({ repo: 'top:', nodeDirectory: nodeDir }), (err) => isTimefsError(err, 'repo.not-initialised'));
      await assert.rejects(openRepo({ nodeDirectory: nodeDir }), (err) => isTimefsError(err, 'usage'));
    } finally {
      process.env = saved;
    }
  });

  it('node URL precedence: --node-url, then TIMEFS_NODE_URL, then <node-directory>/node.url, then 127.0.0.1:3456', async () => {
    const nodeDir = nodeDirectory();
    const saved = { ...process.env };
    Object.assign(process.env, isolated);
    try {
      assert.equal((await resolveNode({ nodeDirectory: join(nodeDir, 'none') })).nodeUrl, 'http://127.0.0.1:3456/');
      assert.equal((await resolveNode({ nodeDirectory: nodeDir })).nodeUrl, testNodeUrl());
      process.env.TIMEFS_NODE_DIRECTORY = nodeDir;
      assert.equal((await resolveNode({})).nodeUrl, testNodeUrl(), 'TIMEFS_NODE_DIRECTORY is used');
      process.env.TIMEFS_NODE_URL = 'http://127.0.0.1:1111';
      assert.equal((await resolveNode({ nodeDirectory: nodeDir })).nodeUrl, 'http://127.0.0.1:1111/');
      assert.equal((await resolveNode({ nodeDirectory: nodeDir, nodeUrl: 'http://127.0.0.1:2222/' })).nodeUrl, 'http://127.0.0.1:2222/');
      await assert.rejects(resolveNode({ nodeUrl: 'not a url' }), (err) => isTimefsError(err, 'config'));
    } finally {
      process.env = saved;
    }
  });

  it('the repository can come from TIMEFS_REPO or ~/.config/timefs/config.json', async () => {
    const nodeDir = nodeDirectory();
    assert.equal(timefs(['init', '--repo', 'cfg:', '--node-directory', nodeDir], isolated).status, 0);
    const configDir = join(isolated.XDG_CONFIG_HOME as string, 'timefs');
    mkdirSync(configDir, { recursive: true });
    writeFileSync(join(configDir, 'config.json'), JSON.stringify({ repo: 'cfg:' }));
    const viaConfig = timefs(['init', '--node-directory', nodeDir, '--json'], isolated);
    assert.equal(viaConfig.status, 0, viaConfig.stderr);
    assert.equal((JSON.parse(viaConfig.stdout) as { repo: string }).repo, 'cfg:');
    const viaEnv = timefs(['init', '--json'], { ...isolated, TIMEFS_REPO: 'cfg:', TIMEFS_NODE_DIRECTORY: nodeDir });
    assert.equal(viaEnv.status, 0, viaEnv.stderr);
    assert.equal((JSON.parse(viaEnv.stdout) as { created: boolean }).created, false);
  });
});
