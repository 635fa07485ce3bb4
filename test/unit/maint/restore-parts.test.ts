import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { splitDevice } from '../../../src/maint/local-attrs.js';
import { NameSet, safeComponent } from '../../../src/maint/restore-names.js';
import { HOLE_BLOCK, SparseWriter } from '../../../src/maint/sparse-writer.js';
import { isTimefsError } from '../../../src/model/errors.js';

describe('restore names', () => {
  const good = ['a', '.hidden', '..x', 'x..', 'caf\u00e9', ' ', '...'];
  for (const name of good) it(`accepts ${JSON.stringify(name)}`, () => assert.equal(safeComponent(Buffer.from(name), '/').toString(), name));
  it('accepts non-UTF-8 bytes', () => assert.deepEqual(safeComponent(Buffer.from([0xff, 0xfe]), '/'), Buffer.from([0xff, 0xfe])));
  const bad = ['', '.', '..', 'a/b', '/abs', '../x', 'nul\0byte'];
  for (const name of bad) {
    it(`refuses ${JSON.stringify(name)}`, () => assert.throws(() => safeComponent(Buffer.from(name), '/d'), (e) => isTimefsError(e, 'repo.tampered')));
  }
  it('refuses the same name twice in one directory', () => {
    const names = new NameSet('/d');
    names.add(Buffer.from('x'));
    names.add(Buffer.from('y'));
    assert.throws(() => names.add(Buffer.from('x')), (e) => isTimefsError(e, 'repo.tampered'));
  });
});

describe('sparse writer', () => {
  const cases: { name: string; parts: number[][]; size: number; maxAllocated: number }[] = [
    // [offset, length, byte] runs of non-zero data; everything else zero; chunked writes.
    { name: 'data at both ends, a hole in the middle', parts: [[0, 100, 1], [1_000_000, 5000, 2]], size: 1_005_000, maxAllocated: 64 * 1024 },
    { name: 'trailing zeros become a trailing hole', parts: [[0, 10, 3]], size: 2_000_000, maxAllocated: 64 * 1024 },
    { name: 'all zeros', parts: [], size: 300_000, maxAllocated: 8 * 1024 },
    { name: 'no zeros', parts: [[0, 50_000, 7]], size: 50_000, maxAllocated: 200 * 1024 },
    { name: 'zero run not block-aligned is written', parts: [[0, 4097, 1], [8191, 2, 1]], size: 8193, maxAllocated: 64 * 1024 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'timefs-sparse-'));
      try {
        const data = Buffer.alloc(c.size);
        for (const [offset, length, byte] of c.parts) data.fill(byte!, offset!, offset! + length!);
        const path = join(dir, 'f');
        const handle = await open(path, 'wx');
        const writer = new SparseWriter(handle);
        for (let i = 0; i < data.length; i += 12_345) await writer.write(data.subarray(i, i + 12_345)); // odd chunking on purpose
        assert.equal(await writer.finish(), c.size);
        await handle.close();
        assert.ok((await readFile(path)).equals(data));
        const st = await stat(path);
        assert.equal(st.size, c.size);
        assert.ok(st.blocks * 512 <= c.maxAllocated, `${st.blocks * 512} bytes allocated`);
        assert.ok(writer.written <= c.size && writer.written % 1 === 0);
        if (c.parts.length === 0) assert.equal(writer.written, 0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
  it('uses 4 KiB blocks', () => assert.equal(HOLE_BLOCK, 4096));
});

describe('device numbers', () => {
  const table: [number, number, number][] = [[(1 << 8) | 3, 1, 3], [(8 << 8) | 1, 8, 1], [0xfff12, 0xfff, 0x12], [(259 << 8) | 0, 259, 0]];
  for (const [rdev, major, minor] of table) it(`${rdev} is ${major}:${minor}`, () => assert.deepEqual(splitDevice(rdev), { major, minor }));
  it('minor numbers above 255 use the high bits', () => {
    const rdev = (0x12345 & 0xff) | (8 << 8) | ((0x12345 & ~0xff) << 12);
    assert.deepEqual(splitDevice(rdev), { major: 8, minor: 0x12345 });
  });
});
