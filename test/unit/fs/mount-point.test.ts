import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { mountPointState, mountedPoints } from '../../../src/fs/mount-point.js';
import { parseByteSize } from '../../../src/cli/byte-size-option.js';

test('mount point states: missing, ready, not empty, not a directory, mounted', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'timefs-mp-'));
  try {
    assert.equal(await mountPointState(join(dir, 'nope')), 'missing');
    assert.equal(await mountPointState(dir), 'ready');
    await writeFile(join(dir, 'f'), 'x');
    assert.equal(await mountPointState(dir), 'not-empty');
    assert.equal(await mountPointState(join(dir, 'f')), 'not-a-directory');
    assert.equal(await mountPointState('/proc'), 'mounted');
    assert.ok((await mountedPoints()).has('/'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('--cache-size accepts sizes with units and refuses tiny or malformed ones', () => {
  const table: Array<[string, number | undefined]> = [
    ['256M', 256 << 20], ['1G', 1 << 30], ['512MiB', 512 << 20], ['16777216', 16 << 20], ['64m', 64 << 20],
    ['1M', undefined], ['lots', undefined], ['-5G', undefined], ['1.5G', undefined],
  ];
  for (const [text, bytes] of table) {
    if (bytes === undefined) assert.throws(() => parseByteSize(text), { code: 'usage' }, text);
    else assert.equal(parseByteSize(text), bytes, text);
  }
});
