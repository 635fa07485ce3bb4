// `timefs find --snapshot latest` searches the merged view of every source (docs/format.md,
// "Several sources"), while an exact snapshot name searches that snapshot alone (real grid).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testNodeUrl } from '../../helpers/grid.js';
import { assertCapsQuiet } from '../../helpers/cli.js';
import { TahoeStore } from '../../../src/store/tahoe/tahoe-store.js';

const home = mkdtempSync(join(tmpdir(), 'timefs-find-merged-'));
after(() => rmSync(home, { recursive: true, force: true }));
let repoArgs: string[] = [];

function timefs(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const env = { ...process.env, XDG_CACHE_HOME: join(home, 'cache'), XDG_STATE_HOME: join(home, 'state'), HOME: home };
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args, ...repoArgs], { env, encoding: 'utf8' });
  assertCapsQuiet(args, r.stdout, r.stderr);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function found(...args: string[]): string[] {
  const r = timefs('find', '*.txt', '--json', ...args);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { matches: Array<{ path: string }> }).matches.map((m) => m.path.slice(home.length));
}

describe('find --snapshot over several sources (real grid)', () => {
  before(async () => {
    repoArgs = ['--repo', await new TahoeStore({ nodeUrl: testNodeUrl() }).mkdirMutable(), '--node-url', testNodeUrl()];
    assert.equal(timefs('init').code, 0);
    for (const source of ['a', 'b']) {
      mkdirSync(join(home, source));
      writeFileSync(join(home, source, `${source}.txt`), `${source}\n`);
      const r = timefs('push', join(home, source));
      assert.equal(r.code, 0, r.stderr);
      spawnSync('sleep', ['1.1']);
    }
  });

  it('latest is the merged view of both sources; the newest snapshot by name holds only its own', () => {
    assert.deepEqual(found('--snapshot', 'latest'), ['/a/a.txt', '/b/b.txt']);
    const names = (JSON.parse(timefs('snapshots', '--json').stdout) as Array<{ name: string }>).map((s) => s.name);
    assert.deepEqual(found('--snapshot', names.at(-1)!), ['/b/b.txt']);
    assert.deepEqual(found(), ['/a/a.txt', '/b/b.txt']);
  });
});
