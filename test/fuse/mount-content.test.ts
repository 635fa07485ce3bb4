// Real mounts over the real grid: three snapshots of a changing tree (edits, inserts, truncations,
// appends, deletions, renames, chmod, symlinks, hard links, a fifo, a non-NFC name) must show,
// snapshot by snapshot, exactly the saved copy of the source at that time, metadata included.
import assert from 'node:assert/strict';
import { appendFile, chmod, link, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, stat, symlink, truncate, unlink, writeFile, utimes, lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TahoeStore } from '../../src/store/tahoe/tahoe-store.js';
import { mountForTest, run, type TestMount } from '../helpers/mount-harness.js';
import { compareTrees } from '../helpers/tree-compare.js';
import { TreeSnapshotter } from '../helpers/tree-snapshot.js';
import { memoryRepo } from '../helpers/view-fixture.js';

const nodeUrl = process.env.TIMEFS_TEST_NODE_URL ?? 'http://127.0.0.1:47006/';
const TIMES = ['2009-01-09T01:49:00Z', '2009-01-09T23:10:00Z', '2009-01-12T08:00:00Z'];
const NON_NFC = 'cafe\u0301.txt';

function bytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; out[i] = x >>> 24; }
  return out;
}

describe('timefs mount over the real grid: snapshot contents', () => {
  const store = new TahoeStore({ nodeUrl });
  let work: string;
  let mount: TestMount;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'timefs-src-'));
    const src = join(work, 'src');
    const { snapshotsCap } = await memoryRepo(store);
    const snapshotter = new TreeSnapshotter(store, snapshotsCap);
    // state 1
    await mkdir(join(src, 'home/me/docs'), { recursive: true });
    await writeFile(join(src, 'home/me/docs/report.txt'), 'first line\nsecond line\n');
    await writeFile(join(src, 'home/me/big.bin'), bytes(300_000, 1));
    await writeFile(join(src, 'home/me/notes.md'), bytes(5_000, 2));
    await writeFile(join(src, 'home/me/gone.txt'), 'to be deleted\n');
    await writeFile(join(src, 'home/me/old-name.txt'), 'to be renamed\n');
    await writeFile(join(src, `home/me/${NON_NFC}`), 'non-NFC name\n');
    await writeFile(join(src, 'home/me/empty'), '');
    await symlink('docs/report.txt', join(src, 'home/me/link-to-report'));
    await writeFile(join(src, 'home/me/hard-a'), 'shared inode\n');
    await link(join(src, 'home/me/hard-a'), join(src, 'home/me/docs/hard-b'));
    await run('mkfifo', [join(src, 'home/me/pipe')]);
    await chmod(join(src, 'home/me/notes.md'), 0o600);
    await utimes(join(src, 'home/me/docs/report.txt'), 1231465740.123, 1231465740.123);
    const save = async (i: number): Promise<void> => {
      await run('cp', ['-a', src, join(work, `saved-${i}`)]);
      await snapshotter.snapshot(src, TIMES[i] as string);
    };
    await save(0);
    // state 2: insert, append, edit in the middle, delete, rename, chmod
    await writeFile(join(src, 'home/me/docs/report.txt'), 'first line\ninserted line\nsecond line\n');
    await appendFile(join(src, 'home/me/big.bin'), bytes(70_000, 3));
    const notes = await readFile(join(src, 'home/me/notes.md'));
    notes.set(bytes(100, 4), 2_000);
    await writeFile(join(src, 'home/me/notes.md'), notes);
    await unlink(join(src, 'home/me/gone.txt'));
    await rename(join(src, 'home/me/old-name.txt'), join(src, 'home/me/new-name.txt'));
    await chmod(join(src, 'home/me/big.bin'), 0o640);
    await save(1);
    // state 3: truncate, new directory, replaced symlink
    await truncate(join(src, 'home/me/big.bin'), 123_457);
    await truncate(join(src, 'home/me/notes.md'), 10);
    await mkdir(join(src, 'home/me/new-dir'));
    await writeFile(join(src, 'home/me/new-dir/fresh.txt'), 'fresh\n');
    await unlink(join(src, 'home/me/link-to-report'));
    await symlink('../../etc/elsewhere', join(src, 'home/me/link-to-report'));
    await save(2);
    mount = await mountForTest(store, snapshotsCap);
  });

  after(async () => {
    await mount?.close();
    await rm(work, { recursive: true, force: true });
  });

  for (const [i, time] of TIMES.entries()) {
    it(`snapshot ${i + 1} (${time}) matches the saved source: diff -r and metadata`, async () => {
      const saved = join(work, `saved-${i}`);
      const shown = join(mount.mountPoint, time);
      const diff = await run('diff', ['-r', '--no-dereference', saved, shown]).then(() => '', (err: { stdout?: string }) => err.stdout ?? String(err));
      // GNU diff reports any two fifos as "File A is a fifo while file B is a fifo"; the walker checks their type.
      assert.deepEqual(diff.split('\n').filter((l) => l && !/ is a fifo while file .* is a fifo$/.test(l)), []);
      assert.deepEqual(await compareTrees(saved, shown), []);
    });
  }

  it('shows latest, history, day names and snapshots at the top level', async () => {
    const names = await readdir(mount.mountPoint);
    assert.deepEqual(names.sort(), ['2009-01-09', '2009-01-12', ...TIMES, 'history', 'latest'].sort());
    assert.equal(await readlink(join(mount.mountPoint, 'latest')), TIMES[2]);
    assert.equal(await readlink(join(mount.mountPoint, '2009-01-09')), TIMES[1]);
    // a day without a snapshot resolves to the newest earlier one, though it is not listed
    assert.equal(await readlink(join(mount.mountPoint, '2009-01-11')), TIMES[1]);
    assert.equal((await readFile(join(mount.mountPoint, '2009-01-11/home/me/new-name.txt'), 'utf8')), 'to be renamed\n');
    await assert.rejects(stat(join(mount.mountPoint, '2009-01-08')), { code: 'ENOENT' });
  });

  it('lists one history entry per distinct version of a file', async () => {
    const dir = join(mount.mountPoint, 'history/home/me');
    assert.deepEqual(await readdir(join(dir, 'big.bin')), TIMES);
    assert.deepEqual(await readdir(join(dir, 'docs/report.txt')), TIMES.slice(0, 2));
    assert.deepEqual(await readdir(join(dir, 'gone.txt')), TIMES.slice(0, 1));
    assert.deepEqual(await readdir(join(dir, 'empty')), TIMES.slice(0, 1));
    assert.ok((await readdir(dir)).includes('new-name.txt'));
    const first = await readFile(join(dir, 'big.bin', TIMES[0] as string));
    assert.ok(first.equals(bytes(300_000, 1)));
    assert.equal((await readFile(join(dir, 'docs/report.txt', TIMES[1] as string), 'utf8')), 'first line\ninserted line\nsecond line\n');
  });

  it('keeps exact non-NFC names', async () => {
    const names = await readdir(join(mount.mountPoint, TIMES[0] as string, 'home/me'), { encoding: 'buffer' });
    assert.ok(names.some((n) => n.equals(Buffer.from(NON_NFC))));
  });

  it('refuses every change with EROFS', async () => {
    const root = join(mount.mountPoint, TIMES[2] as string, 'home/me');
    const attempts: Array<[string, () => Promise<unknown>]> = [
      ['write', () => writeFile(join(root, 'docs/report.txt'), 'x')],
      ['create', () => writeFile(join(root, 'brand-new'), 'x')],
      ['append', () => appendFile(join(root, 'notes.md'), 'x')],
      ['unlink', () => unlink(join(root, 'notes.md'))],
      ['rename', () => rename(join(root, 'notes.md'), join(root, 'other.md'))],
      ['mkdir', () => mkdir(join(root, 'nd'))],
      ['rmdir', () => rm(join(root, 'new-dir'), { recursive: true })],
      ['chmod', () => chmod(join(root, 'notes.md'), 0o777)],
      ['truncate', () => truncate(join(root, 'notes.md'), 0)],
      ['symlink', () => symlink('x', join(root, 'sl'))],
      ['link', () => link(join(root, 'notes.md'), join(root, 'hl'))],
      ['utimes', () => utimes(join(root, 'notes.md'), 1, 1)],
      ['top-level mkdir', () => mkdir(join(mount.mountPoint, 'x'))],
    ];
    for (const [label, attempt] of attempts) await assert.rejects(attempt(), { code: 'EROFS' }, label);
    assert.equal((await lstat(join(root, 'notes.md'))).size, 10);
  });

  it('never logs a cap', () => {
    for (const line of mount.logs) assert.doesNotMatch(line, /URI:[A-Z0-9-]+:[A-Za-z0-9:_-]{7,}/);
  });
});
