// End to end through the CLI: `timefs push` makes snapshots of a changing tree, then `timefs mount`
// — given only the repository's read-only cap, no catalog — shows each one exactly as it was.
// Shared by the loopback grid's test and the latency grid's test.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFile, chmod, mkdir, mkdtemp, readdir, rename, rm, symlink, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertCapsQuiet } from './cli.js';
import { createTestRepo } from './grid.js';
import { run } from './mount-harness.js';
import { compareTrees } from './tree-compare.js';

const CLI = ['--import', 'tsx', 'src/cli/run.ts'];

/** Push three snapshots of a changing tree with the CLI, mount the read cap, `diff -r` each one. */
export function describePushThenMount(title: string, nodeUrl: () => string | undefined = () => undefined): void {
  describe(title, () => {
    let work: string;
    let src: string;
    let env: NodeJS.ProcessEnv;
    let readCap: string;
    const pushed: Array<{ saved: string; name: string }> = [];

    before(async () => {
      const repo = await createTestRepo(nodeUrl());
      readCap = repo.readCap;
      work = await mkdtemp(join(tmpdir(), 'timefs-push-mount-'));
      src = join(work, 'src');
      env = { ...process.env, TIMEFS_NODE_URL: repo.nodeUrl, TIMEFS_REPO: repo.rootCap, XDG_STATE_HOME: join(work, 'state'), XDG_CACHE_HOME: join(work, 'cache') };
      const push = async (): Promise<void> => {
        const before = new Set(await snapshotNames());
        const output = await run(process.execPath, [...CLI, 'push', src], { env });
        assertCapsQuiet(['push'], output.stdout, output.stderr);
        const name = (await snapshotNames()).find((n) => !before.has(n));
        assert.ok(name, 'push made a snapshot');
        const saved = join(work, `saved-${pushed.length}`);
        await run('cp', ['-a', src, saved]);
        pushed.push({ saved, name });
      };
      const snapshotNames = async (): Promise<string[]> => {
        const { stdout, stderr } = await run(process.execPath, [...CLI, 'snapshots', '--json'], { env });
        assertCapsQuiet(['snapshots'], stdout, stderr);
        const parsed = JSON.parse(stdout) as Array<{ name: string }> | { snapshots: Array<{ name: string }> };
        return (Array.isArray(parsed) ? parsed : parsed.snapshots).map((s) => s.name);
      };
      await mkdir(join(src, 'docs'), { recursive: true });
      await writeFile(join(src, 'docs/a.txt'), 'alpha\n'.repeat(2000));
      await writeFile(join(src, 'big.bin'), Buffer.alloc(400_000, 7));
      await writeFile(join(src, 'gone.txt'), 'bye\n');
      await symlink('docs/a.txt', join(src, 'link'));
      await push();
      await new Promise((done) => setTimeout(done, 1100)); // snapshot names have one-second precision
      await appendFile(join(src, 'docs/a.txt'), 'appended\n');
      await writeFile(join(src, 'big.bin'), Buffer.concat([Buffer.alloc(1000, 1), Buffer.alloc(400_000, 7)]));
      await unlink(join(src, 'gone.txt'));
      await rename(join(src, 'docs/a.txt'), join(src, 'docs/b.txt'));
      await chmod(join(src, 'big.bin'), 0o600);
      await push();
      await new Promise((done) => setTimeout(done, 1100));
      await truncate(join(src, 'big.bin'), 5000);
      await writeFile(join(src, 'new.txt'), 'new\n');
      await push();
    });

    after(async () => {
      await rm(work, { recursive: true, force: true });
    });

    it('shows every pushed snapshot exactly, mounted from the read cap alone', async () => {
      const mountPoint = join(work, 'mnt');
      await mkdir(mountPoint);
      const mountEnv = { ...env, TIMEFS_REPO: readCap, XDG_STATE_HOME: join(work, 'other-state') };
      const child = spawn(process.execPath, [...CLI, 'mount', mountPoint, '--json'], { env: mountEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
      try {
        const line = await new Promise<string>((done, fail) => {
          child.stdout.once('data', (d: Buffer) => done(d.toString()));
          void exited.then((code) => fail(new Error(`mount exited ${code}: ${stderr}`)));
        });
        assert.equal((JSON.parse(line) as { snapshots: number }).snapshots, 3);
        const top = await readdir(mountPoint);
        for (const { saved, name } of pushed) {
          assert.ok(top.includes(name), name);
          const shown = join(mountPoint, name, src.slice(1));
          await run('diff', ['-r', '--no-dereference', saved, shown]);
          assert.deepEqual(await compareTrees(saved, shown), [], name);
        }
      } finally {
        child.kill('SIGTERM');
      }
      assert.equal(await exited, 0);
      assert.match(stderr, /unmounted/);
      assertCapsQuiet(['mount'], stderr);
    });
  });
}
