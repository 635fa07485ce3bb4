import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalog } from '../../../src/catalog/catalog.js';
import { childKey, pathKey } from '../../../src/catalog/path-key.js';
import { emptyStats } from '../../../src/backup/events.js';
import { Packer } from '../../../src/backup/packer.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import type { EntryMeta } from '../../../src/model/entry.js';
import { runPush } from '../../../src/backup/push.js';
import { restore } from '../../../src/maint/restore.js';
import { createBackupView } from '../../../src/view/backup-view-setup.js';
import { GridTreeReader } from '../../../src/view/tree-reader.js';
import { ChainVersionReader } from '../../../src/view/version-reader.js';

test('packer: members are copied into reused pack buffers; every pack holds exactly its members at their offsets', async () => {
  const base = await mkdtemp(join(tmpdir(), 'timefs-packer-'));
  const catalog = await Catalog.open(base);
  try {
    const store = new MemoryStore();
    const stats = emptyStats();
    const packer = new Packer(store, catalog, stats, 100, 5);
    const contents = new Map<string, Buffer>();
    const scratch = Buffer.alloc(300);
    for (let i = 0; i < 40; i++) {
      // Sizes around the pack size, one larger than a whole pack; the caller reuses its buffer.
      const size = i === 17 ? 250 : 56 + ((i * 37) % 40);
      const content = scratch.subarray(0, size).fill(0x41 + (i % 26));
      const key = childKey(pathKey([]), Buffer.from(`f${i}`));
      contents.set(key.toString('hex'), Buffer.from(content));
      const meta: EntryMeta = { type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: '1', size };
      await packer.add(key, content, meta, { size: String(size), mtimeNs: '1', ctimeNs: '1', ino: String(i), dev: '1' } as never);
    }
    await packer.flush();
    let members = 0;
    for await (const [key, record] of catalog.paths()) {
      const want = contents.get(key.toString('hex'))!;
      const got = await store.getRange(record.cap, record.meta.pack!.offset, record.meta.size);
      assert.deepEqual(Buffer.from(got), want, `member ${key.toString()} reads back from its pack`);
      members++;
    }
    assert.equal(members, 40);
    assert.ok(stats.uploads >= 40 * 56 / 100 && stats.uploads <= 40, `${stats.uploads} packs`);
    assert.equal(stats.bytesUploaded, [...contents.values()].reduce((n, c) => n + c.length, 0), 'packs hold no padding between members');
  } finally {
    await catalog.close();
    await rm(base, { recursive: true, force: true });
  }
});

test('push packs a symlink target longer than a LIT cap: the view reads it, restore writes the exact bytes, an unchanged link keeps its place', async () => {
  const base = await mkdtemp(join(tmpdir(), 'timefs-packlink-'));
  try {
    const src = join(base, 'src');
    const state = join(base, 'state');
    await mkdir(src);
    // 0xff and 0xfe are not UTF-8: the target must come back as the same bytes, not as text.
    const longTarget = Buffer.concat([Buffer.from('/far/away/'), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from('x'.repeat(70))]);
    await writeFile(join(src, 'small.txt'), 'hello');
    await symlink(longTarget, Buffer.from(join(src, 'long-link')));
    await symlink('short', join(src, 'short-link'));
    const store = new MemoryStore();
    const snapshotsCap = await store.mkdirMutable();
    const push = async (now: number) => {
      const catalog = await Catalog.open(state);
      try {
        return await runPush({ store, catalog, snapshotsCap, stateDir: state }, { paths: [src], now: () => now });
      } finally {
        await catalog.close();
      }
    };
    const first = await push(1_700_000_000_000);
    assert.equal(first.stats.uploads, 1, 'one pack: the small file and the long target; the short target is a LIT cap');
    const edgesOf = async (name: string) => {
      let cap = (await store.list(snapshotsCap)).get(name)!.cap;
      for (const part of src.split('/').filter(Boolean)) cap = (await store.list(cap)).get(part)!.cap;
      return store.list(cap);
    };
    const edges = await edgesOf(first.snapshot!);
    const long = edges.get('long-link')!;
    const longMeta = (long.metadata as { timefs: EntryMeta }).timefs;
    assert.equal(longMeta.type, 'symlink');
    assert.equal(longMeta.storage, 'packed');
    assert.equal(longMeta.size, longTarget.length);
    assert.equal(long.cap, edges.get('small.txt')!.cap, 'the same pack as the small file');
    assert.deepEqual(Buffer.from(await store.getRange(long.cap, longMeta.pack!.offset, longMeta.size)), longTarget);
    assert.ok(edges.get('short-link')!.cap.startsWith('URI:LIT:'));

    // The view (mount, serve) reads the target out of the pack.
    const { view } = createBackupView(store, snapshotsCap, { zone: 'utc' });
    const at = [first.snapshot!, ...src.split('/').filter(Boolean)];
    assert.deepEqual(Buffer.from(await view.readlink([...at, 'long-link'])), longTarget);
    assert.equal(Buffer.from(await view.readlink([...at, 'short-link'])).toString(), 'short');
    assert.equal((await view.getattr([...at, 'long-link'])).size, longTarget.length);

    // Restore cuts it out of the pack's run, like a packed file.
    const target = join(base, 'out');
    const report = await restore({ store, trees: new GridTreeReader(store), versions: new ChainVersionReader(store) }, { snapshot: first.snapshot!, rootCap: (await store.list(snapshotsCap)).get(first.snapshot!)!.cap, path: src }, target);
    assert.equal(report.symlinks, 2);
    assert.deepEqual(report.damaged, []);
    assert.deepEqual(await readlink(join(target, 'long-link'), { encoding: 'buffer' }), longTarget);
    assert.equal(await readlink(join(target, 'short-link')), 'short');

    // An unchanged link costs nothing and keeps its pack and offset.
    const second = await push(1_700_000_100_000);
    assert.equal(second.stats.uploads, 0);
    const again = (await edgesOf(second.snapshot!)).get('long-link')!;
    assert.equal(again.cap, long.cap);
    assert.deepEqual((again.metadata as { timefs: EntryMeta }).timefs.pack, longMeta.pack);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});
