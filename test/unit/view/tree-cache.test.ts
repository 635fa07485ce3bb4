import assert from 'node:assert/strict';
import { test } from 'node:test';
import { edgeNameFor } from '../../../src/model/names.js';
import { nameForBytes, shownName } from '../../../src/view/tree-cache.js';
import { inodeFor, entryInodeKey, ROOT_INO } from '../../../src/view/inode-numbers.js';
import type { EntryMeta } from '../../../src/model/entry.js';

test('listing keys are the exact text of UTF-8 names, else the escaped edge name; a kernel lookup of the bytes finds the same key', () => {
  const table: Array<[Buffer, 'raw' | 'edge']> = [
    [Buffer.from('plain.txt'), 'raw'],
    [Buffer.from('cafe\u0301.txt'), 'raw'], // not NFC: escaped on the grid, exact again in the mount
    [Buffer.from([0x66, 0xff, 0x2e, 0x74]), 'edge'], // not UTF-8
  ];
  for (const [raw, expected] of table) {
    const edge = edgeNameFor(raw);
    const shown = shownName(edge.name, edge.rawName);
    assert.equal(shown, expected === 'raw' ? raw.toString('utf8') : edge.name, raw.toString('hex'));
    assert.equal(nameForBytes(raw), shown, raw.toString('hex'));
  }
});

test('hard links share an inode within a snapshot, nothing else does', () => {
  const file: EntryMeta = { type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: '0', size: 1 };
  const linked: EntryMeta = { ...file, link: { dev: 2049, ino: 77 } };
  const a = inodeFor(entryInodeKey('s1', ['a'], linked));
  assert.equal(a, inodeFor(entryInodeKey('s1', ['d', 'b'], linked)));
  assert.notEqual(a, inodeFor(entryInodeKey('s2', ['a'], linked)));
  assert.notEqual(inodeFor(entryInodeKey('s1', ['a'], file)), inodeFor(entryInodeKey('s1', ['b'], file)));
  for (const key of ['', 'x', 's1\0a']) assert.ok(inodeFor(key) > ROOT_INO && inodeFor(key) <= Number.MAX_SAFE_INTEGER);
  const many = new Set(Array.from({ length: 100_000 }, (_, i) => inodeFor(`s1\0dir/file-${i}`)));
  assert.equal(many.size, 100_000, '53-bit numbers: no collision among 100,000 paths');
  assert.ok([...many].some((ino) => ino > 0xffffffff), 'numbers use more than 32 bits');
});
