// push and rebase take turns on one repository: after a rebase the next push still stores a delta
// (against the signature rebase kept with the newest version), and every version stays readable.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createTestRepo, testNodeUrl } from '../../helpers/grid.js';
import { assertCapsQuiet } from '../../helpers/cli.js';

const home = mkdtempSync(join(tmpdir(), 'timefs-push-rebase-'));
after(() => rmSync(home, { recursive: true, force: true }));

function timefs(args: string[]): { code: number | null; stdout: Buffer; stderr: string } {
  const env = { ...process.env, XDG_CACHE_HOME: join(home, 'cache'), XDG_STATE_HOME: join(home, 'state'), HOME: home };
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args], { env, maxBuffer: 1 << 26 });
  assertCapsQuiet(args, r.stdout, r.stderr);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

interface PushSummary {
  deltas: number;
  bytesUploaded: number;
}

function summaryOf(stdout: Buffer): PushSummary {
  const lines = stdout.toString().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  const summary = lines.find((event) => event.event === 'summary');
  assert.ok(summary, 'push printed a summary');
  return summary as unknown as PushSummary;
}

function overwrite(path: string, offset: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  writeSync(fd, bytes, 0, bytes.length, offset);
  closeSync(fd);
}

describe('push after rebase (real grid, CLI)', () => {
  it('stores a delta against the rebased version, and every version reads back', async () => {
    const repo = await createTestRepo();
    const repoArgs = ['--repo', repo.rootCap, '--node-url', testNodeUrl()];
    const data = join(home, 'data');
    const file = join(data, 'big.bin');
    mkdirSync(data);
    writeFileSync(file, randomBytes(2_000_000));
    const versions: string[] = [];
    const push = () => {
      const r = timefs(['push', '--json', data, ...repoArgs]);
      assert.equal(r.code, 0, r.stderr);
      versions.push(join(home, `v${versions.length}`));
      copyFileSync(file, versions.at(-1)!);
      return summaryOf(r.stdout);
    };

    push();
    for (let i = 1; i <= 3; i++) {
      overwrite(file, i * 300_000, randomBytes(100));
      assert.equal(push().deltas, 1);
    }
    const rebased = timefs(['rebase', '--json', ...repoArgs]);
    assert.equal(rebased.code, 0, rebased.stderr);
    assert.equal((JSON.parse(rebased.stdout.toString()) as { rebased: number }).rebased, 1);

    overwrite(file, 1_500_000, randomBytes(100));
    const afterRebase = push();
    assert.equal(afterRebase.deltas, 1, 'the first push after a rebase stores a delta');
    assert.ok(afterRebase.bytesUploaded < 200_000, `uploaded ${afterRebase.bytesUploaded} bytes for a 100-byte edit`);

    const again = timefs(['rebase', '--json', ...repoArgs]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout.toString()) as { rebased: number }).rebased, 1, 'the new forward delta is rebased');

    const list = timefs(['snapshots', '--json', ...repoArgs]);
    const parsed = JSON.parse(list.stdout.toString()) as Array<{ name: string }> | { snapshots: Array<{ name: string }> };
    const names = (Array.isArray(parsed) ? parsed : parsed.snapshots).map((s) => s.name);
    assert.equal(names.length, versions.length);
    names.forEach((name, i) => {
      const cat = timefs(['cat', name, file, ...repoArgs]);
      assert.equal(cat.code, 0, cat.stderr);
      assert.ok(cat.stdout.equals(readFileSync(versions[i]!)), `version ${i} (${name}) reads back`);
    });
  });
});
