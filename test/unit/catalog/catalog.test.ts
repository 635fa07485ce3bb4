import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalog } from '../../../src/catalog/catalog.js';
import { childKey, displayPath, isBelow, keyComponents, keyToPath, pathKey, pathToKey } from '../../../src/catalog/path-key.js';
import { isTimefsError } from '../../../src/model/errors.js';

test('path keys sort as a pre-order walk and round-trip raw bytes', () => {
  const paths = ['/a', '/a b', '/a/b', '/a/b/c', '/a-b', '/', '/a/\xff'].map((p) => Buffer.from(p, 'latin1'));
  const keys = paths.map(pathToKey).sort(Buffer.compare).map((k) => keyToPath(k).toString('latin1'));
  assert.deepEqual(keys, ['/', '/a', '/a/b', '/a/b/c', '/a/\xff', '/a b', '/a-b']);
  const raw = [Buffer.from([0xff, 0x0a]), Buffer.from('x')];
  assert.deepEqual(keyComponents(pathKey(raw)), raw);
  assert.ok(isBelow(childKey(pathKey(raw), Buffer.from('y')), pathKey(raw)));
  assert.ok(!isBelow(pathKey([Buffer.from('ab')]), pathKey([Buffer.from('a')])));
  assert.ok(isBelow(pathKey([Buffer.from('a')]), Buffer.alloc(0)));
  assert.equal(displayPath(Buffer.alloc(0)), '/');
});

test('catalog: queue survives reopening; acks are atomic with results; lock refuses a second opener', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'timefs-cat-'));
  let catalog = await Catalog.open(dir);
  const fp = { size: 1, mtimeNs: '1', ctimeNs: '1', ino: '1', dev: '1' };
  const keys = ['/x/a', '/x/b', '/x/c'].map((p) => pathToKey(Buffer.from(p)));
  for (const key of keys) await catalog.write([{ put: 'queue', key, value: { kind: 'file', fp } }, { put: 'pending', key, value: { meta: { type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: '1', size: 1 } } }]);
  await assert.rejects(Catalog.open(dir), (err) => isTimefsError(err, 'catalog.locked'));
  await catalog.close();
  catalog = await Catalog.open(dir);
  assert.equal(await catalog.queueLength(), 3);
  await catalog.write([{ put: 'pending', key: keys[1]!, value: { meta: { type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: '1', size: 1 }, cap: 'URI:LIT:x' } }, { del: 'queue', key: keys[1]! }]);
  const left = [];
  for await (const [key] of catalog.queued()) left.push(keyToPath(key).toString());
  assert.deepEqual(left, ['/x/a', '/x/c']);
  assert.equal((await catalog.getPending(keys[1]!))?.cap, 'URI:LIT:x');
  await catalog.putSession({ name: 'n', startNs: '1', paths: ['/x'], host: 'h', phase: 'uploading', stats: {} });
  await catalog.close();
  catalog = await Catalog.open(dir);
  assert.equal((await catalog.getSession())?.phase, 'uploading');
  await catalog.clearPending();
  assert.equal(await catalog.queueLength(), 0);
  await catalog.logSnapshot({ name: '2009-01-09T01:49:00Z', rootCap: 'URI:DIR2-CHK:x', paths: [], stats: {} });
  await catalog.logSnapshot({ name: '2009-01-10T01:49:00Z', rootCap: 'URI:DIR2-CHK:y', paths: [], stats: {} });
  assert.equal((await catalog.lastSnapshot())?.name, '2009-01-10T01:49:00Z');
  await catalog.close();
  await rm(dir, { recursive: true, force: true });
});
