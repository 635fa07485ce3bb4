import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTimefsError } from '../../../src/model/errors.js';
import { MemoryStore } from '../../../src/store/memory-store.js';

test('memory store: convergent caps, LIT for tiny files, clamped ranges', async () => {
  const store = new MemoryStore();
  const big = new Uint8Array(1000).map((_, i) => i % 251);
  const a = await store.putImmutable(big);
  const b = await store.putImmutable({ stream: (async function* () { yield big.slice(0, 500); yield big.slice(500); })(), size: 1000 });
  assert.equal(a, b);
  assert.match(await store.putImmutable(new Uint8Array(55)), /^URI:LIT:/);
  assert.deepEqual(await store.getRange(a, 990, 100), big.slice(990));
  assert.equal((await store.getRange(a, 5000, 10)).length, 0);
});

test('memory store: link refuses to replace, names are NFC', async () => {
  const store = new MemoryStore();
  const root = await store.mkdirMutable();
  const file = await store.putImmutable(new Uint8Array([1, 2, 3]));
  await store.link(root, 'e\u0301', file, { timefs: { type: 'file' } });
  await assert.rejects(store.link(root, '\u00e9', file), (err) => isTimefsError(err, 'grid.conflict'));
  const listing = await store.list(root);
  assert.deepEqual([...listing.keys()], ['\u00e9']);
  await assert.rejects(store.link(root, 'a/b', file), (err) => isTimefsError(err, 'usage'));
});
