import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalog } from '../../../src/catalog/catalog.js';
import { childKey, pathKey } from '../../../src/catalog/path-key.js';
import { emptyStats } from '../../../src/backup/events.js';
import { Packer } from '../../../src/backup/packer.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import type { EntryMeta } from '../../../src/model/entry.js';

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
