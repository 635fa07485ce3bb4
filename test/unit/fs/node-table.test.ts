import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NodeTable } from '../../../src/fs/kernel/node-table.js';

test('a node keeps one id while the kernel holds it, and its path is rebuilt from parents', () => {
  const table = new NodeTable();
  const dir = table.remember(1, 'home', Buffer.from('home'));
  const file = table.remember(dir, 'r\u00e9sum\u00e9', Buffer.from([0x72, 0xe9]));
  assert.equal(table.remember(dir, 'r\u00e9sum\u00e9', Buffer.from([0x72, 0xe9])), file, 'a second lookup gives the same id');
  assert.deepEqual(table.pathOf(file), ['home', 'r\u00e9sum\u00e9']);
  assert.deepEqual(table.pathOf(1), []);
  table.forget(file, 1);
  assert.deepEqual(table.pathOf(file), ['home', 'r\u00e9sum\u00e9'], 'one lookup still held');
  table.forget(file, 1);
  assert.equal(table.pathOf(file), undefined, 'gone once every lookup is forgotten');
  assert.equal(table.size, 1);
  const again = table.remember(dir, 'r\u00e9sum\u00e9', Buffer.from([0x72, 0xe9]));
  assert.notEqual(again, file, 'a forgotten id is never reused for another node');
});

test('the oldest nodes are offered for eviction with their exact name bytes', () => {
  const table = new NodeTable();
  const ids = Array.from({ length: 10 }, (_, i) => table.remember(1, `f${i}`, Buffer.from([i, 0xff])));
  const oldest = table.oldest(3);
  assert.deepEqual(oldest.map((o) => [...o.raw]), [[0, 0xff], [1, 0xff], [2, 0xff]]);
  for (const id of ids.slice(0, 3)) table.forget(id, 1);
  assert.equal(table.size, 7);
  assert.deepEqual(table.oldest(1).map((o) => [...o.raw]), [[3, 0xff]]);
});
