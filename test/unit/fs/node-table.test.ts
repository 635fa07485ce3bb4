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

test('eviction offers the least recently used nodes first, with their exact name bytes, and moves them to the back', () => {
  const table = new NodeTable();
  const ids = Array.from({ length: 10 }, (_, i) => table.remember(1, `f${i}`, Buffer.from([i, 0xff])));
  table.pathOf(ids[0]!); // a request on f0: recently used now
  table.remember(1, 'f1', Buffer.from([1, 0xff])); // a second lookup of f1
  const first = table.evictionCandidates(3);
  assert.deepEqual(first.map((o) => [...o.raw]), [[2, 0xff], [3, 0xff], [4, 0xff]]);
  // the kernel kept them (in use): the next round asks for others instead of the same ones
  assert.deepEqual(table.evictionCandidates(3).map((o) => [...o.raw]), [[5, 0xff], [6, 0xff], [7, 0xff]]);
  for (const id of ids.slice(5, 8)) table.forget(id, 1);
  assert.equal(table.size, 7);
  assert.deepEqual(table.evictionCandidates(1).map((o) => [...o.raw]), [[8, 0xff]]);
});

test('a name looked up in two forms (raw bytes and escaped text) is two nodes, each with its own bytes', () => {
  const table = new NodeTable();
  const raw = table.remember(1, 'caf_escaped', Buffer.from([0x63, 0xe9]));
  const escaped = table.remember(1, 'caf_escaped', Buffer.from('caf_escaped'));
  assert.notEqual(raw, escaped);
  assert.deepEqual(table.pathOf(raw), ['caf_escaped']);
  assert.deepEqual(table.evictionCandidates(2).map((o) => Buffer.from(o.raw).toString('latin1')).sort(), ['caf_escaped', 'c\xe9']);
  assert.deepEqual([...table.counts().values()], [1, 1]);
});
