// Several sources and hosts in one repository, end to end through the CLI and a real mount: two
// sources on one host, the same path from two hosts, merged latest/day views, hosts/<host>/,
// exact names showing one source, forget per source, rebase and check across sources.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestRepo, type TestRepo } from '../helpers/grid.js';
import { mountForTest, run, type TestMount } from '../helpers/mount-harness.js';
import { assertCapsQuiet } from '../helpers/cli.js';

const CLI = ['--import', 'tsx', 'src/cli/run.ts'];

function big(seed: string): Buffer {
  const out = Buffer.alloc(600_000);
  for (let i = 0; i < out.length; i += 32) createHash('sha256').update(`${seed}${i}`).digest().copy(out, i);
  return out;
}

interface Run { code: number | null; stdout: Buffer; stderr: string }

describe('several sources and hosts in one repository (CLI and a real mount)', () => {
  let repo: TestRepo;
  let work: string;
  let base: string;
  let mount: TestMount;
  const names: Record<string, string> = {};
  const bigA = big('a');

  /** Runs the CLI; `machine` picks the state directory (each machine has its own catalog). */
  const timefs = (args: string[], machine = 'laptop'): Promise<Run> => new Promise((resolve, reject) => {
    const env = { ...process.env, TIMEFS_NODE_URL: repo.nodeUrl, TIMEFS_REPO: repo.rootCap, XDG_STATE_HOME: join(work, `state-${machine}`), XDG_CACHE_HOME: join(work, 'cache'), HOME: work };
    const child = spawn(process.execPath, [...CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        assertCapsQuiet(args, Buffer.concat(out), err);
        resolve({ code, stdout: Buffer.concat(out), stderr: err });
      } catch (leak) {
        reject(leak);
      }
    });
  });
  const push = async (key: string, path: string, host: string, machine = host): Promise<Record<string, unknown>> => {
    const r = await timefs(['push', '--json', '--host', host, path], machine);
    assert.equal(r.code, 0, r.stderr);
    const summary = r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.event === 'summary')!;
    names[key] = summary.snapshot as string;
    await new Promise((done) => setTimeout(done, 1100)); // snapshot names have one-second precision
    return summary;
  };

  before(async () => {
    repo = await createTestRepo();
    work = await mkdtemp(join(tmpdir(), 'timefs-sources-'));
    base = join(work, 'src');
    await mkdir(join(base, 'a'), { recursive: true });
    await mkdir(join(base, 'b'), { recursive: true });
    await writeFile(join(base, 'a/big.bin'), bigA);
    await writeFile(join(base, 'a/note.txt'), 'laptop note\n');
    await writeFile(join(base, 'b/other.txt'), 'bee\n');
    await push('a1', join(base, 'a'), 'laptop');
    await push('b1', join(base, 'b'), 'laptop');
    bigA.write('edited', 250_000);
    await writeFile(join(base, 'a/big.bin'), bigA);
    const a2 = await push('a2', join(base, 'a'), 'laptop');
    assert.equal(a2.deltas, 1, "A's second push stored a delta for its changed large file");
    assert.equal(a2.parent, names.a1);
    // A second machine backs up the same path, with its own (empty) state.
    await writeFile(join(base, 'a/note.txt'), 'desktop note\n');
    const d1 = await push('d1', join(base, 'a'), 'desktop');
    assert.equal(d1.parent, names.a2, 'a new host continues the newest snapshot of the same paths');
    assert.equal(d1.wholeFiles, 1, 'only the changed note is stored; big.bin is known from the grid');
    mount = await mountForTest(repo.store, repo.snapshotsCap);
  });

  after(async () => {
    await mount?.close();
    await rm(work, { recursive: true, force: true });
  });

  const at = (...parts: string[]) => join(mount.mountPoint, ...parts, base.slice(1));

  it('the mount: latest and the day merge both sources, newer host wins; exact names show one source', async () => {
    const top = await readdir(mount.mountPoint);
    assert.ok(top.includes('hosts'), 'two hosts: hosts/ is shown');
    assert.deepEqual((await readdir(at('latest'))).sort(), ['a', 'b']);
    assert.equal(await readFile(join(at('latest'), 'a/note.txt'), 'utf8'), 'desktop note\n', 'the newer host wins');
    assert.deepEqual(await readFile(join(at('latest'), 'a/big.bin')), bigA);
    assert.equal(await readFile(join(at('latest'), 'b/other.txt'), 'utf8'), 'bee\n');
    const day = top.filter((n) => /^\d{4}-\d{2}-\d{2}$/.test(n)).at(-1)!;
    assert.deepEqual((await readdir(at(day))).sort(), ['a', 'b']);
    assert.deepEqual(await readdir(at(names.a1!)), ['a']);
    assert.deepEqual(await readdir(at(names.b1!)), ['b']);
    await run('diff', ['-r', join(base, 'a'), join(at('latest'), 'a')]);
  });

  it('hosts/<host>/ holds each host\'s own latest, days and snapshots', async () => {
    assert.deepEqual((await readdir(join(mount.mountPoint, 'hosts'))).sort(), ['desktop', 'laptop']);
    assert.equal(await readFile(join(at('hosts', 'laptop', 'latest'), 'a/note.txt'), 'utf8'), 'laptop note\n');
    assert.deepEqual((await readdir(at('hosts', 'laptop', 'latest'))).sort(), ['a', 'b']);
    assert.equal(await readlink(join(mount.mountPoint, 'hosts', 'desktop', 'latest')), names.d1, 'one source: a link to the snapshot, as before');
    assert.equal(await readFile(join(at('hosts', 'desktop', 'latest'), 'a/note.txt'), 'utf8'), 'desktop note\n');
    const laptopTop = await readdir(join(mount.mountPoint, 'hosts', 'laptop'));
    assert.ok(laptopTop.includes(names.a1!) && !laptopTop.includes(names.d1!));
  });

  it('history/ lists the versions from every source that backed the path up', async () => {
    const versions = await readdir(join(mount.mountPoint, 'history', base.slice(1), 'a', 'note.txt'));
    assert.deepEqual(versions, [names.a1, names.d1], 'B\'s snapshots do not interrupt A\'s history');
  });

  it('ls, cat, restore and snapshots: merged by default, one host with --host', async () => {
    const ls = await timefs(['ls', 'latest', base]);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout.toString(), / a\n[^]* b\n$/);
    const cat = await timefs(['cat', 'latest', join(base, 'a/note.txt')]);
    assert.equal(cat.stdout.toString(), 'desktop note\n');
    const catHost = await timefs(['cat', '--host', 'laptop', 'latest', join(base, 'a/note.txt')]);
    assert.equal(catHost.stdout.toString(), 'laptop note\n');
    const exact = await timefs(['ls', names.b1!, base, '--json']);
    assert.deepEqual((JSON.parse(exact.stdout.toString()) as { entries: { name: string }[] }).entries.map((e) => e.name), ['b']);
    const diff = await timefs(['diff', names.b1!, 'latest', base, '--json']);
    assert.equal(diff.code, 0, diff.stderr);
    const changes = (JSON.parse(diff.stdout.toString()) as { changes: { kind: string; path: string }[] }).changes;
    assert.deepEqual(changes.filter((c) => c.kind === 'added').map((c) => c.path), [`${base}/a`, `${base}/a/big.bin`, `${base}/a/note.txt`], 'diff sees the merged latest');
    const target = join(work, 'restored');
    const restore = await timefs(['restore', `latest:${base}`, '--target', target]);
    assert.equal(restore.code, 0, restore.stderr);
    await run('diff', ['-r', base, target]);
    const table = await timefs(['snapshots']);
    assert.match(table.stdout.toString(), new RegExp(`^laptop:${base}/a \\(2 snapshots\\)$`, 'm'));
    assert.match(table.stdout.toString(), new RegExp(`^desktop:${base}/a \\(1 snapshot\\)$`, 'm'));
    const filtered = await timefs(['snapshots', '--json', '--host', 'laptop', '--path', join(base, 'b/other.txt')]);
    const list = JSON.parse(filtered.stdout.toString()) as { name: string; source: string }[];
    assert.deepEqual(list.map((s) => [s.name, s.source]), [[names.b1, `laptop:${base}/b`]]);
  });

  it('forget keeps every source; rebase and check work across sources; reads stay exact', async () => {
    const dry = await timefs(['forget', '--keep-last', '1', '--dry-run', '--json']);
    const plan = JSON.parse(dry.stdout.toString()) as { groups: { group: string }[]; remove: string[] };
    assert.equal(plan.groups.length, 3);
    assert.deepEqual(plan.remove, [names.a1]);
    const rebase = await timefs(['rebase', '--json']);
    assert.equal(rebase.code, 0, rebase.stderr);
    const check = await timefs(['check', '--read-data']);
    assert.equal(check.code, 0, check.stdout.toString() + check.stderr);
    const cat = await timefs(['cat', names.a2!, join(base, 'a/big.bin')]);
    assert.deepEqual(cat.stdout, bigA);
    const first = await timefs(['cat', names.a1!, join(base, 'a/big.bin')]);
    assert.deepEqual(first.stdout, big('a'));
  });
});
