import assert from 'node:assert/strict';
import { lstat, mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { restore } from '../../../src/maint/restore.js';
import { isTimefsError } from '../../../src/model/errors.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { GridTreeReader } from '../../../src/view/tree-reader.js';
import { ChainVersionReader } from '../../../src/view/version-reader.js';
import { buildForwardChain, buildTree, pseudoRandom, type TreeSpec } from '../../helpers/maint-fixtures.js';

const dirs: string[] = [];
async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'timefs-restore-'));
  dirs.push(dir);
  return dir;
}
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function sources(store: MemoryStore) {
  return { store, trees: new GridTreeReader(store), versions: new ChainVersionReader(store) };
}

describe('restore (MemoryStore, local disk)', () => {
  it('round-trips bytes, modes, mtimes (ns), symlinks, hard links, fifos, sockets and raw names', async () => {
    const store = new MemoryStore();
    const sparse = new Uint8Array(3 * 1024 * 1024);
    sparse.set(pseudoRandom(5000, 1), 100);
    sparse.set(pseudoRandom(7000, 2), 2 * 1024 * 1024 + 10);
    const chain = await buildForwardChain(store, [pseudoRandom(20000, 3), pseudoRandom(20000, 4), pseudoRandom(21000, 5)]);
    const rawName = Buffer.from([0x66, 0xff, 0xfe, 0x2e, 0x74, 0x78, 0x74]); // "f\xff\xfe.txt"
    const spec: TreeSpec = {
      home: {
        type: 'dir', mode: 0o750, mtime: '1231465740987654321',
        children: {
          'a.txt': { type: 'file', data: Buffer.from('hello world\n'), mode: 0o640, mtime: '1231465740111111111', link: { dev: 5, ino: 77 } },
          'b.txt': { type: 'file', data: Buffer.from('hello world\n'), mode: 0o640, mtime: '1231465740111111111', link: { dev: 5, ino: 77 } },
          'sparse.img': { type: 'file', data: sparse, mode: 0o600, mtime: '1231465740222222222' },
          'chained.bin': { type: 'linked', cap: chain[2]!.cap, meta: { ...chain[2]!.meta, mode: 0o604, mtime: '1231465740333333333' } },
          link: { type: 'symlink', target: '../outside/../../etc/passwd' },
          pipe: { type: 'fifo', mode: 0o620 },
          sock: { type: 'socket', mode: 0o755 },
          'f\uFFFD\uFFFD.txt\u2063timefs-raw-0123456789abcdef': { type: 'file', data: Buffer.from('raw'), rawName },
          'setuid-tool': { type: 'file', data: Buffer.from('#!/bin/sh\n'), mode: 0o4755, uid: 1234, gid: 2345 },
          null: { type: 'chardev', mode: 0o666, rdev: (1 << 8) | 3 },
        },
      },
    };
    const rootCap = await buildTree(store, spec);
    const target = join(await scratch(), 'out');
    const report = await restore(sources(store), { snapshot: 'S', rootCap, path: '' }, target, { verify: true });
    const home = join(target, 'home');
    assert.equal(report.files, 5);
    assert.equal(report.hardlinks, 1);
    assert.equal(report.symlinks, 1);
    const root = process.getuid?.() === 0;
    assert.equal(report.specials, root ? 3 : 2);
    assert.equal(report.warnings.length, root ? 0 : 1, 'device nodes need root; without it a warning');
    assert.equal(report.verified, 5);
    assert.ok(report.exactTimes);

    assert.equal(await readFile(join(home, 'a.txt'), 'utf8'), 'hello world\n');
    const [a, b] = [await stat(join(home, 'a.txt')), await stat(join(home, 'b.txt'))];
    assert.equal(a.ino, b.ino, 'hard link restored as one inode');
    assert.equal(a.nlink, 2);
    assert.equal(a.mode & 0o7777, 0o640);
    assert.deepEqual(new Uint8Array(await readFile(join(home, 'sparse.img'))), sparse);
    const sparseStat = await stat(join(home, 'sparse.img'));
    assert.ok(sparseStat.blocks * 512 < 1024 * 1024, `sparse file uses ${sparseStat.blocks * 512} bytes on disk`);
    assert.deepEqual(new Uint8Array(await readFile(join(home, 'chained.bin'))), chain[2]!.data);
    assert.equal((await stat(join(home, 'chained.bin'))).mode & 0o7777, 0o604);
    const tool = await stat(join(home, 'setuid-tool'));
    assert.equal(tool.mode & 0o7777, 0o4755, 'setuid bit survives the chown');
    if (root) {
      assert.deepEqual([tool.uid, tool.gid], [1234, 2345], 'owners restored as root');
      const dev = await lstat(join(home, 'null'));
      assert.ok(dev.isCharacterDevice());
      assert.equal(dev.rdev, (1 << 8) | 3);
    } else {
      assert.equal(tool.uid, process.getuid?.(), 'owners left alone without root');
    }
    assert.equal(await readlink(join(home, 'link')), '../outside/../../etc/passwd');
    assert.ok((await lstat(join(home, 'pipe'))).isFIFO());
    assert.equal((await lstat(join(home, 'pipe'))).mode & 0o777, 0o620);
    assert.ok((await lstat(join(home, 'sock'))).isSocket());
    const names = await readdir(home, { encoding: 'buffer' });
    assert.ok(names.some((n) => n.equals(rawName)), 'raw non-UTF-8 name restored byte for byte');
    assert.equal(await readFile(Buffer.concat([Buffer.from(`${home}/`), rawName]), 'utf8'), 'raw');

    const ns = async (p: string) => (await lstat(p, { bigint: true })).mtimeNs;
    assert.equal(await ns(join(home, 'a.txt')), 1231465740111111111n);
    assert.equal(await ns(join(home, 'sparse.img')), 1231465740222222222n);
    assert.equal(await ns(join(home, 'link')), 1231465740000000002n);
    assert.equal(await ns(home), 1231465740987654321n, 'directory mtime set after its contents');
    assert.equal((await stat(home)).mode & 0o7777, 0o750);
  });

  it('restores one path of a snapshot, file or directory', async () => {
    const store = new MemoryStore();
    const rootCap = await buildTree(store, { etc: { type: 'dir', children: { hosts: { type: 'file', data: Buffer.from('127.0.0.1 localhost\n') } } } });
    const one = await scratch();
    await restore(sources(store), { snapshot: 'S', rootCap, path: 'etc/hosts' }, one);
    assert.deepEqual(await readdir(one), ['hosts']);
    const dir = await scratch();
    await restore(sources(store), { snapshot: 'S', rootCap, path: '/etc' }, dir);
    assert.equal(await readFile(join(dir, 'hosts'), 'utf8'), '127.0.0.1 localhost\n');
  });

  it('never overwrites what is already in the target', async () => {
    const store = new MemoryStore();
    const rootCap = await buildTree(store, { 'x.txt': { type: 'file', data: Buffer.from('new') } });
    const target = await scratch();
    await restore(sources(store), { snapshot: 'S', rootCap, path: '' }, target);
    await assert.rejects(restore(sources(store), { snapshot: 'S', rootCap, path: '' }, target), (e) => isTimefsError(e, 'io') && /already exists/.test(e.message));
  });

  const tampered: [string, TreeSpec][] = [
    ['a ".." name', { '..': { type: 'file', data: Buffer.from('escape') } }],
    ['a "." name', { '.': { type: 'dir', children: {} } }],
    ['a raw name with "/"', { x: { type: 'file', data: Buffer.from('escape'), rawName: Buffer.from('../../etc/evil') } }],
    ['an absolute raw name', { y: { type: 'file', data: Buffer.from('escape'), rawName: Buffer.from('/tmp/evil') } }],
    ['a raw ".."', { z: { type: 'dir', children: {}, rawName: Buffer.from('..') } }],
    ['two entries with the same raw name (symlink then directory)', {
      d: { type: 'symlink', target: '/tmp' },
      e: { type: 'dir', rawName: Buffer.from('d'), children: { evil: { type: 'file', data: Buffer.from('escape') } } },
    }],
  ];
  for (const [what, spec] of tampered) {
    it(`refuses ${what} with repo.tampered and writes nothing outside the target`, async () => {
      const store = new MemoryStore();
      const rootCap = await buildTree(store, { sub: { type: 'dir', children: spec } });
      const base = await scratch();
      const target = join(base, 'a', 'b');
      await assert.rejects(restore(sources(store), { snapshot: 'S', rootCap, path: '' }, target), (e) => isTimefsError(e, 'repo.tampered'));
      assert.deepEqual(await readdir(base), ['a']);
      assert.deepEqual(await readdir(join(base, 'a')), ['b']);
    });
  }
});

describe('restore of damaged data (MemoryStore)', () => {
  it('leaves out and reports a whole file that does not match its hash', async () => {
    const store = new MemoryStore();
    const cap = await store.putImmutable(pseudoRandom(5000, 1));
    const rootCap = await buildTree(store, {
      'bad.bin': { type: 'linked', cap, meta: { type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: '0', size: 5000, hash: 'aa'.repeat(32), storage: 'whole' } },
      'good.txt': { type: 'file', data: Buffer.from('fine') },
    });
    const target = await scratch();
    const report = await restore(sources(store), { snapshot: 'S', rootCap, path: '' }, target);
    assert.equal(report.damaged.length, 1);
    assert.match(report.damaged[0]!, /^\/bad\.bin: .*does not match/);
    assert.deepEqual(await readdir(target), ['good.txt'], 'the damaged file is left out, the rest restored');
  });
});

describe('restore of a looping tree (MemoryStore)', () => {
  it('refuses a mutable directory linked into itself', async () => {
    const store = new MemoryStore();
    const loop = await store.mkdirMutable();
    const dirMeta = { timefs: { type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: '0', size: 0 } };
    await store.link(loop, 'again', loop, dirMeta);
    // Tahoe refuses mutable children in immutable directories, so the loop hangs off a mutable root.
    const root = await store.mkdirMutable({ start: { cap: loop, metadata: dirMeta } });
    const target = await scratch();
    await assert.rejects(restore(sources(store), { snapshot: 'S', rootCap: root, path: '' }, target), (e) => isTimefsError(e, 'repo.tampered') && /contains itself/.test(e.message));
  });
});
