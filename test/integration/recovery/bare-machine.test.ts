// Disaster recovery end to end on the real grid: back up with an alias, take the recovery sheet
// (`timefs key --json`), then on a "bare machine" — a second Tahoe client node created here with
// `tahoe create-client` from the sheet's introducer fURL, an empty HOME (no ~/.tahoe), empty
// XDG state and cache, no aliases — list, restore and mount from the read cap alone, and finally
// go on backing up from there with the write cap, as deltas.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFile, chmod, cp, link, mkdir, mkdtemp, readdir, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { defaultGridConfig, nodeDir, tahoeCommand } from '../../../scripts/grid/local-grid.js';
import { readNodeStatus } from '../../../src/store/tahoe/node-status.js';
import { assertCapsQuiet, runTimefs, TIMEFS_CLI, type CliRun } from '../../helpers/cli.js';
import { testNodeUrl } from '../../helpers/grid.js';
import { compareTrees } from '../../helpers/tree-compare.js';

/** Port offset of the bare machine's client web API (private grids use 20, 40, 60). */
const BARE_PORT_OFFSET = 90;

interface Sheet {
  readCap: string;
  writeCap?: string;
  introducer: string | null;
  repoId: string;
  encoding: { needed: number; happy: number; total: number } | null;
}

describe('disaster recovery: a bare machine restores from the recovery sheet alone (real grid)', () => {
  let work: string;
  let src: string;
  let homeEnv: NodeJS.ProcessEnv;
  let bareEnv: NodeJS.ProcessEnv;
  let bareNode: string;
  let bareProcess: ChildProcess | undefined;
  let sheet: Sheet;

  const onHome = (args: string[]): CliRun => runTimefs(args, { env: homeEnv });
  const onBare = (args: string[]): CliRun => runTimefs([...args, '--node-directory', bareNode], { env: bareEnv });

  before(async () => {
    const nodeUrl = testNodeUrl();
    work = await mkdtemp(join(tmpdir(), 'timefs-bare-'));
    // The machine that backs up: a client node directory like ~/.tahoe, on the shared grid.
    const homeNode = join(work, 'home', '.tahoe');
    await mkdir(join(homeNode, 'private'), { recursive: true });
    const gridClient = nodeDir(defaultGridConfig(), 'client');
    await cp(join(gridClient, 'tahoe.cfg'), join(homeNode, 'tahoe.cfg'));
    await cp(join(gridClient, 'private', 'introducers.yaml'), join(homeNode, 'private', 'introducers.yaml'));
    await writeFile(join(homeNode, 'node.url'), nodeUrl);
    homeEnv = {
      PATH: process.env.PATH,
      HOME: join(work, 'home'),
      XDG_STATE_HOME: join(work, 'home', 'state'),
      XDG_CACHE_HOME: join(work, 'home', 'cache'),
      XDG_CONFIG_HOME: join(work, 'home', 'config'),
    };
    src = join(work, 'data');
    await makeTree(src);
  });

  after(async () => {
    if (bareProcess && bareProcess.exitCode === null) {
      const exited = new Promise((done) => bareProcess!.once('exit', done));
      bareProcess.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000)]);
    }
    await rm(work, { recursive: true, force: true });
  });

  it('init warns that the cap is the only key; doctor asks for a sheet until `timefs key` ran', () => {
    const init = onHome(['init', '--repo', 'backups:']);
    assert.equal(init.status, 0, init.stderr);
    assert.match(init.stdout, /the repository cap is the only key/);
    assert.match(init.stdout, /timefs key --repo backups:/);
    const push = onHome(['push', '--repo', 'backups:', src]);
    assert.equal(push.status, 0, push.stderr);

    const before = onHome(['doctor', '--repo', 'backups:', '--json']);
    assert.equal(before.status, 3, before.stdout + before.stderr);
    const findings = (JSON.parse(before.stdout) as { findings: Array<{ check: string; status: string }> }).findings;
    assert.deepEqual(findings.filter((f) => f.status !== 'ok').map((f) => f.check), ['recovery-sheet']);

    const plain = onHome(['key', '--repo', 'backups:', '--json']);
    assert.equal(plain.status, 0, plain.stderr);
    assert.equal((JSON.parse(plain.stdout) as Sheet).writeCap, undefined, 'no write cap unless asked');
    const full = onHome(['key', '--repo', 'backups:', '--json', '--write']);
    assert.equal(full.status, 0, full.stderr);
    assert.match(full.stderr, /WARNING: the write cap follows/);
    sheet = JSON.parse(full.stdout) as Sheet;
    assert.match(sheet.readCap, /^URI:DIR2-RO:/);
    assert.match(sheet.writeCap ?? '', /^URI:DIR2:/);
    assert.match(sheet.introducer ?? '', /^pb:\/\//);
    assert.equal(sheet.readCap, (JSON.parse(plain.stdout) as Sheet).readCap);
    const aliases = readFileSync(join(work, 'home', '.tahoe', 'private', 'aliases'), 'utf8');
    assert.ok(aliases.includes(sheet.writeCap!), 'the sheet holds the cap the alias names');

    const text = onHome(['key', '--repo', 'backups:', '--qr']);
    assert.equal(text.status, 0, text.stderr);
    assert.ok(text.stdout.includes(`timefs restore latest --repo ${sheet.readCap} --target /`));
    assert.ok(!text.stdout.includes(sheet.writeCap!), 'the text sheet has no write cap unless asked');
    assert.match(text.stdout, /▀/, 'with a QR code');

    const afterKey = onHome(['doctor', '--repo', 'backups:']);
    assert.equal(afterKey.status, 0, afterKey.stdout);
    assert.match(afterKey.stdout, /ok +recovery-sheet +a recovery sheet was printed on .*; one with the write cap on /);
    const renew = onHome(['renew', '--repo', 'backups:']);
    assert.equal(renew.status, 0, renew.stderr);
    assert.match(onHome(['doctor', '--repo', 'backups:']).stdout, /leases last renewed from this machine/);

    const deadNode = onHome(['doctor', '--repo', 'backups:', '--node-url', 'http://127.0.0.1:9/']);
    assert.equal(deadNode.status, 1);
    assert.match(deadNode.stdout, /FAIL {2}node +the Tahoe client node at http:\/\/127\.0\.0\.1:9\/ does not answer/);
  });

  it('a second client node, made from the sheet, joins the grid', async () => {
    assert.ok(sheet, 'needs the sheet from the previous test');
    bareNode = join(work, 'bare-node');
    const port = defaultGridConfig().portBase + BARE_PORT_OFFSET;
    const encoding = sheet.encoding ? [`--shares-needed=${sheet.encoding.needed}`, `--shares-happy=${sheet.encoding.happy}`, `--shares-total=${sheet.encoding.total}`] : [];
    const created = spawnSync(tahoeCommand(), ['create-client', '--nickname=bare', `--introducer=${sheet.introducer}`, `--webport=tcp:${port}:interface=127.0.0.1`, ...encoding, bareNode], { encoding: 'utf8' });
    assert.equal(created.status, 0, created.stderr);
    bareProcess = spawn(tahoeCommand(), ['run', '--allow-stdin-close', bareNode], { stdio: 'ignore' });
    const bareUrl = `http://127.0.0.1:${port}/`;
    const deadline = Date.now() + 90_000;
    for (;;) {
      const status = await readNodeStatus(bareUrl, { timeoutMs: 3000 }).catch(() => undefined);
      if (status && status.servers.filter((s) => s.connected).length >= (sheet.encoding?.total ?? 3)) break;
      assert.ok(Date.now() < deadline, 'the bare node saw the storage servers within 90 s');
      assert.equal(bareProcess.exitCode, null, 'tahoe run of the bare node keeps running');
      await sleep(300);
    }
    const bareHome = join(work, 'bare-home');
    for (const dir of ['', 'state', 'cache', 'config']) await mkdir(join(bareHome, dir), { recursive: true });
    bareEnv = { PATH: process.env.PATH, HOME: bareHome, XDG_STATE_HOME: join(bareHome, 'state'), XDG_CACHE_HOME: join(bareHome, 'cache'), XDG_CONFIG_HOME: join(bareHome, 'config') };
    assert.equal(existsSync(join(bareHome, '.tahoe')), false);
    assert.equal(existsSync(join(bareNode, 'private', 'aliases')), false, 'no aliases on the bare machine');
    const doctor = onBare(['doctor', '--repo', sheet.readCap, '--json']);
    const findings = (JSON.parse(doctor.stdout) as { findings: Array<{ check: string; status: string }> }).findings;
    assert.deepEqual(findings.filter((f) => ['node', 'servers', 'repository'].includes(f.check)).map((f) => f.status), ['ok', 'ok', 'ok'], doctor.stdout);
  });

  it('lists, restores and mounts from the read cap alone: the tree equals the source', async () => {
    assert.ok(bareEnv, 'needs the bare node from the previous test');
    const list = onBare(['snapshots', '--repo', sheet.readCap, '--json']);
    assert.equal(list.status, 0, list.stderr);
    assert.equal((JSON.parse(list.stdout) as unknown[]).length, 1);

    const target = join(work, 'restored');
    const restore = onBare(['restore', 'latest', '--repo', sheet.readCap, '--target', target]);
    assert.equal(restore.status, 0, restore.stderr);
    const restored = join(target, src);
    assert.deepEqual(await compareTrees(src, restored), []);
    const diff = spawnSync('diff', ['-r', '--no-dereference', src, restored], { encoding: 'utf8' });
    assert.equal(diff.status, 0, diff.stdout);

    const mountPoint = join(work, 'mnt');
    await mkdir(mountPoint);
    const child = spawn(process.execPath, [...TIMEFS_CLI, 'mount', mountPoint, '--repo', sheet.readCap, '--node-directory', bareNode, '--json'], { env: bareEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      const deadline = Date.now() + 60_000;
      while (!stdout.includes('\n')) {
        assert.equal(child.exitCode, null, `mount exited: ${stderr}`);
        assert.ok(Date.now() < deadline, 'mounted within 60 s');
        await sleep(100);
      }
      const shown = join(mountPoint, 'latest', src.slice(1));
      assert.deepEqual(await compareTrees(src, shown), []);
      const mountDiff = spawnSync('diff', ['-r', '--no-dereference', src, shown], { encoding: 'utf8' });
      assert.equal(mountDiff.status, 0, mountDiff.stdout);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
    assertCapsQuiet(['mount'], stdout, stderr);
    assert.deepEqual(await readdir(join(bareEnv.XDG_STATE_HOME!)), [], 'reading wrote no local state');

    // The restored copy replaces the original, as after `restore --target /` on the new machine.
    await rm(src, { recursive: true });
    await rename(restored, src);
  });

  it('goes on backing up from the new machine with the write cap: catalog rebuilt, only the change uploaded, as a delta', async () => {
    assert.ok(bareEnv, 'needs the bare node');
    const add = spawnSync(tahoeCommand(), ['--node-directory', bareNode, 'add-alias', 'backups', sheet.writeCap!], { encoding: 'utf8' });
    assert.equal(add.status, 0, add.stderr);
    await appendFile(join(src, 'big.bin'), 'one more line at the end\n');
    await writeFile(join(src, 'docs', 'new.txt'), 'written on the new machine\n');
    await sleep(1100); // snapshot names have one-second precision
    const push = onBare(['push', '--repo', 'backups:', '--json', src]);
    assert.equal(push.status, 0, push.stderr);
    const summary = JSON.parse(push.stdout.trim().split('\n').at(-1)!) as Record<string, number | null>;
    assert.ok((summary.rebuilt ?? 0) > 0, `the catalog was rebuilt from the grid: ${JSON.stringify(summary)}`);
    assert.equal(summary.deltas, 1, 'the edited file is stored as a delta');
    assert.equal(summary.newFiles, 1);
    assert.equal(summary.wholeFiles, 1, 'the new file is stored whole; no unchanged file is stored again');
    assert.equal(summary.unchangedFiles! + summary.changedFiles!, 5, 'the restored files were checked against the grid');
    assert.ok((summary.bytesUploaded ?? Infinity) < 64 * 1024, `only the change is uploaded (${summary.bytesUploaded} bytes of a ${TREE_BYTES}-byte tree)`);

    const list = JSON.parse(onBare(['snapshots', '--repo', sheet.readCap, '--json']).stdout) as unknown[];
    assert.equal(list.length, 2, 'the history goes on in the same repository');
    const again = join(work, 'restored-again');
    const restore = onBare(['restore', 'latest', '--repo', sheet.readCap, '--target', again]);
    assert.equal(restore.status, 0, restore.stderr);
    assert.deepEqual(await compareTrees(src, join(again, src)), []);
    assert.equal(spawnSync('diff', ['-r', '--no-dereference', src, join(again, src)]).status, 0);
  });
});

const TREE_BYTES = 3 * 1024 * 1024;

/** Names, modes, nanosecond mtimes, symlinks and hard links worth getting back. */
async function makeTree(root: string): Promise<void> {
  await mkdir(join(root, 'docs', 'empty'), { recursive: true });
  await mkdir(join(root, 'private'), { mode: 0o700 });
  await writeFile(join(root, 'big.bin'), randomBytes(TREE_BYTES));
  await writeFile(join(root, 'docs', 'résumé é.txt'), 'naïve café\n'.repeat(500));
  await writeFile(join(root, 'docs', 'empty.txt'), '');
  await writeFile(join(root, 'run.sh'), '#!/bin/sh\necho hi\n');
  await chmod(join(root, 'run.sh'), 0o755);
  await writeFile(join(root, 'private', 'secret.txt'), 'only me\n');
  await chmod(join(root, 'private', 'secret.txt'), 0o600);
  await link(join(root, 'docs', 'résumé é.txt'), join(root, 'hardlink.txt'));
  await symlink('docs/résumé é.txt', join(root, 'link'));
  await symlink('/nonexistent/target', join(root, 'dangling'));
  await utimes(join(root, 'run.sh'), 1_231_465_740.123456, 1_231_465_740.123456);
  await utimes(join(root, 'docs', 'empty'), 1_500_000_000, 1_500_000_000);
  await utimes(join(root, 'docs'), 1_600_000_000.5, 1_600_000_000.5);
}
