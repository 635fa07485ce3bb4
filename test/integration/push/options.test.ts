import { pushOptionsSuite } from '../../helpers/push-suite.js';
import { TahoeStore } from '../../../src/store/tahoe/tahoe-store.js';
import { nodeUrl } from './push-fixture.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestRepo } from '../../helpers/grid.js';
import { assertCapsQuiet } from '../../helpers/cli.js';

pushOptionsSuite('push (grid)', async () => new TahoeStore({ nodeUrl: nodeUrl() }));


test('push CLI (grid): --exclude-file with --dry-run --json counts what would be stored', async () => {
  const repo = await createTestRepo();
  const base = await mkdtemp(join(tmpdir(), 'timefs-push-cli-'));
  const src = join(base, 'src');
  await mkdir(join(src, 'build'), { recursive: true });
  for (const f of ['a.c', 'b.o', 'build/out', 'notes.txt']) await writeFile(join(src, f), f);
  await writeFile(join(base, 'excludes'), '# build products\n*.o\n\nbuild\n');
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, '../../../src/cli/run.ts'), 'push', '--repo', repo.rootCap, '--exclude-file', join(base, 'excludes'), '--dry-run', '--json', src],
      { encoding: 'utf8', env: { ...process.env, XDG_STATE_HOME: join(base, 'xdg'), XDG_CACHE_HOME: join(base, 'xdg'), TIMEFS_NODE_URL: repo.nodeUrl } });
    assertCapsQuiet(['push'], r.stdout, r.stderr);
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    assert.equal(summary.event, 'summary');
    assert.equal(summary.snapshot, null);
    assert.equal(summary.newFiles, 2, 'a.c and notes.txt');
    assert.equal((await repo.store.list(repo.snapshotsCap)).size, 0, 'a dry run makes no snapshot');
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});
