import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chown, link, lstat, mkdir, readlink, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Catalog } from '../../../src/catalog/catalog.js';
import { freshRepo, fileContent, pushOnce, snapshotList, walkSnapshot } from './push-fixture.js';

const b = (s: string) => Buffer.from(s, 'latin1');

test('push (grid): every entry type, metadata and byte-exact names survive; every object is reachable from the root', async () => {
  const { store, rootCap, snapshotsCap, base, src, state } = await freshRepo();
  await mkdir(src);
  const names = {
    nonUtf8: Buffer.from([0x66, 0xff, 0xfe, 0x2e, 0x74]),
    nfd: Buffer.from('cafe\u0301', 'utf8'),
    nfc: Buffer.from('caf\u00e9', 'utf8'),
    newline: Buffer.from('line\nbreak'),
    long: Buffer.alloc(255, 0x6c),
  };
  const srcB = Buffer.from(src);
  const at = (name: Buffer) => Buffer.concat([srcB, b('/'), name]);
  for (const [label, name] of Object.entries(names)) await writeFile(at(name), `content of ${label}`);
  await writeFile(join(src, 'big.bin'), createHash('sha512').update('x').digest().toString('hex').repeat(2100));
  await writeFile(join(src, 'empty'), '');
  await symlink('nowhere/at/all', join(src, 'dangling'));
  await symlink('big.bin', join(src, 'good-link'));
  await link(join(src, 'big.bin'), join(src, 'big-hardlink'));
  execFileSync('mkfifo', [join(src, 'fifo')]);
  execFileSync('mknod', [join(src, 'null-dev'), 'c', '1', '3']);
  const server = createServer();
  await new Promise<void>((r) => server.listen(join(src, 'sock'), r));
  let deep = src;
  for (let i = 0; i < 100; i++) deep = join(deep, `d${i}`);
  await mkdir(deep, { recursive: true });
  await writeFile(join(deep, 'bottom.txt'), 'deep down');
  await chown(join(src, 'empty'), 1234, 5678);
  await utimes(join(src, 'empty'), 1_234_567_890.123456, 1_234_567_890.123456);

  try {
    const result = await pushOnce(store, snapshotsCap, state, { paths: [src] });
    assert.equal(result.stats.warnings, 0);
    const [snap] = await snapshotList(store, snapshotsCap);
    const tree = await walkSnapshot(store, snap!.cap);
    const expectPaths = [
      ...Object.values(names).map((n) => at(n)), at(b('big.bin')), at(b('empty')), at(b('dangling')), at(b('good-link')),
      at(b('big-hardlink')), at(b('fifo')), at(b('null-dev')), at(b('sock')), Buffer.from(join(deep, 'bottom.txt')),
    ];
    for (const p of expectPaths) {
      const entry = tree.get(p.toString('latin1'));
      assert.ok(entry, `missing ${p.toString()}`);
      const st = await lstat(p, { bigint: true });
      assert.equal(entry.meta.mode, Number(st.mode & 0o7777n), `mode of ${p}`);
      assert.equal(entry.meta.uid, Number(st.uid));
      assert.equal(entry.meta.gid, Number(st.gid));
      assert.equal(entry.meta.mtime, st.mtimeNs.toString(), `mtime ns of ${p}`);
      if (st.isFile()) assert.deepEqual(await fileContent(store, entry), await import('node:fs/promises').then((fs) => fs.readFile(p)));
      if (st.isSymbolicLink()) assert.deepEqual(Buffer.from(await store.get(entry.cap)), await readlink(p, { encoding: 'buffer' }));
    }
    const t = (name: string) => tree.get(at(b(name)).toString('latin1'))!.meta;
    assert.equal(t('fifo').type, 'fifo');
    assert.equal(t('sock').type, 'socket');
    assert.equal(t('null-dev').type, 'chardev');
    assert.equal(t('null-dev').rdev, Number((await lstat(join(src, 'null-dev'))).rdev));
    assert.equal(t('empty').uid, 1234);
    assert.equal(t('empty').mtime, (await lstat(join(src, 'empty'), { bigint: true })).mtimeNs.toString());
    assert.equal(tree.get(at(b('big-hardlink')).toString('latin1'))!.cap, tree.get(at(b('big.bin')).toString('latin1'))!.cap);
    assert.deepEqual(t('big-hardlink').link, t('big.bin').link);
    assert.ok(tree.get(at(names.nfd).toString('latin1'))!.meta.rawName, 'the NFD name is stored escaped');
    assert.ok(tree.get(at(names.nonUtf8).toString('latin1'))!.meta.rawName);
    assert.equal(tree.get(at(names.nfc).toString('latin1'))!.meta.rawName, undefined);

    // A second version of the big file (above the 256 KiB pack threshold): its chain starts, {base, d001, sig}.
    const bigPath = join(src, 'big.bin');
    const fs = await import('node:fs/promises');
    const handle = await fs.open(bigPath, 'r+');
    await handle.write(Buffer.from('edited in place'), 0, 15, 5000);
    await handle.close();
    await utimes(bigPath, 1_600_000_000, 1_600_000_000);
    const second = await pushOnce(store, snapshotsCap, state, { paths: [src] });
    assert.equal(second.stats.deltas, 1);

    // Reachability: every cap the catalog recorded (contents, bases, deltas, signatures, version nodes) is found by walking directory edges from the root.
    const reachable = new Set<string>();
    const visit = async (dirCap: string): Promise<void> => {
      for (const entry of (await store.list(dirCap)).values()) {
        if (reachable.has(entry.readCap)) continue;
        reachable.add(entry.readCap);
        if (entry.kind === 'dir') await visit(entry.cap);
      }
    };
    await visit(rootCap);
    const catalog = await Catalog.open(state);
    const needed = new Set<string>();
    for await (const [, rec] of catalog.paths()) {
      needed.add(rec.cap);
      if (rec.chain) for (const c of [rec.chain.base, rec.chain.sig, ...rec.chain.deltas, ...(rec.chain.sigDeltas ?? [])]) needed.add(c.cap);
    }
    await catalog.close();
    assert.ok(needed.size >= 4, `only ${needed.size} caps recorded`);
    for (const cap of needed) if (!cap.startsWith('URI:LIT:')) assert.ok(reachable.has(cap), 'an object a snapshot needs is not reachable from the root');
  } finally {
    server.close();
    await rm(base, { recursive: true, force: true });
  }
});
