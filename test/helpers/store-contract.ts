/**
 * The behaviour every {@link Store} must share, run against MemoryStore (unit) and TahoeStore on
 * the real grid (integration), so the memory double can be trusted in other unit tests.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTimefsError } from '../../src/model/errors.js';
import { initRepository, openRepository } from '../../src/store/repository.js';
import type { Store } from '../../src/store/store.js';
import { noise } from './noise.js';

/** Deterministic bytes that differ per call site (seeded), so caps never collide by accident. */
export function patternBytes(size: number, seed = 1): Uint8Array {
  return noise(size, (seed * 2654435761) >>> 0);
}

const rejectsWith = (code: Parameters<typeof isTimefsError>[1]) => (err: unknown) => {
  assert.ok(isTimefsError(err, code), `expected a TimefsError ${code}, got ${(err as Error)?.constructor?.name} ${(err as { code?: string }).code}`);
  assert.ok(!/URI:[A-Z0-9-]+:[a-z2-7]{20}/.test((err as Error).message), 'error messages must not show a whole cap');
  return true;
};

/** Register the shared Store behaviour tests under `describe(name)`. */
export function storeContract(name: string, makeStore: () => Promise<Store> | Store): void {
  describe(`${name}: Store contract`, () => {
    it('round-trips small files, LIT caps up to 55 bytes, CHK above, convergently', async () => {
      const store = await makeStore();
      for (const size of [0, 1, 55, 56, 1000]) {
        const data = patternBytes(size, size + 7);
        const cap = await store.putImmutable(data);
        assert.match(cap, size <= 55 ? /^URI:LIT:/ : /^URI:CHK:/, `size ${size}`);
        assert.equal(await store.size(cap), size);
        assert.deepEqual(await store.get(cap), data, `size ${size}`);
        assert.equal(await store.putImmutable(data), cap, 'same bytes, same cap');
      }
    });

    it('uploads from a stream of chunks with the same cap as from bytes', async () => {
      const store = await makeStore();
      const data = patternBytes(70_000, 3);
      const stream = (async function* () {
        for (let i = 0; i < data.length; i += 9000) yield data.slice(i, i + 9000);
      })();
      assert.equal(await store.putImmutable({ stream, size: data.length }), await store.putImmutable(data));
    });

    it('reads clamped ranges: first byte, last byte, past the end, empty', async () => {
      const store = await makeStore();
      const data = patternBytes(5000, 11);
      const cap = await store.putImmutable(data);
      assert.deepEqual(await store.getRange(cap, 0, 1), data.slice(0, 1));
      assert.deepEqual(await store.getRange(cap, 4999, 1), data.slice(4999));
      assert.deepEqual(await store.getRange(cap, 4990, 100), data.slice(4990));
      assert.equal((await store.getRange(cap, 5000, 10)).length, 0);
      assert.equal((await store.getRange(cap, 9000, 10)).length, 0);
      assert.equal((await store.getRange(cap, 10, 0)).length, 0);
      const lit = await store.putImmutable(data.slice(0, 20));
      assert.deepEqual(await store.getRange(lit, 5, 10), data.slice(5, 15));
    });

    it('streams a whole file in order', async () => {
      const store = await makeStore();
      const data = patternBytes(300_000, 5);
      const cap = await store.putImmutable(data);
      const parts: Uint8Array[] = [];
      for await (const chunk of store.getStream(cap)) parts.push(chunk);
      assert.deepEqual(new Uint8Array(Buffer.concat(parts)), data);
    });

    it('keeps per-edge metadata of immutable directories verbatim, with convergent caps', async () => {
      const store = await makeStore();
      const file = await store.putImmutable(patternBytes(100, 21));
      const meta = { timefs: { type: 'file', mode: 420, uid: 1000, gid: 1000, mtime: '1234567890123456789', size: 100, nested: { a: [1, 2], b: null } } };
      const children = { 'a.txt': { cap: file, metadata: meta }, empty: { cap: await store.mkdirImmutable({}) } };
      const dir = await store.mkdirImmutable(children);
      assert.match(dir, /^URI:DIR2-(CHK|LIT):/);
      assert.equal(await store.mkdirImmutable(children), dir, 'same children, same cap');
      const listing = await store.list(dir);
      assert.deepEqual([...listing.keys()].sort(), ['a.txt', 'empty']);
      const entry = listing.get('a.txt');
      assert.equal(entry?.kind, 'file');
      assert.equal(entry?.cap, file);
      assert.equal(entry?.size, 100);
      assert.equal(entry?.mutable, false);
      assert.deepEqual(entry?.metadata, meta);
      assert.equal(listing.get('empty')?.kind, 'dir');
    });

    it('gives Unicode names back NFC and refuses names with "/"', async () => {
      const store = await makeStore();
      const file = await store.putImmutable(patternBytes(60, 31));
      const nfd = 'cafe\u0301 \u00c5ngstro\u0308m';
      const dir = await store.mkdirImmutable({ [nfd]: { cap: file } });
      assert.deepEqual([...(await store.list(dir)).keys()], [nfd.normalize('NFC')]);
      const root = await store.mkdirMutable();
      await store.link(root, 'nai\u0308ve', file);
      assert.deepEqual([...(await store.list(root)).keys()], ['na\u00efve']);
      await assert.rejects(store.link(root, 'a/b', file), rejectsWith('usage'));
      await assert.rejects(store.mkdirImmutable({ 'x/y': { cap: file } }), rejectsWith('usage'));
      await assert.rejects(store.link(root, '', file), rejectsWith('usage'));
    });

    it('links without replacing: a conflict is an error and the old child stays', async () => {
      const store = await makeStore();
      const root = await store.mkdirMutable();
      const first = await store.putImmutable(patternBytes(80, 41));
      const second = await store.putImmutable(patternBytes(80, 42));
      await store.link(root, 'name', first, { timefs: { n: 1 } });
      await assert.rejects(store.link(root, 'name', second), rejectsWith('grid.conflict'));
      const entry = (await store.list(root)).get('name');
      assert.equal(entry?.cap, first);
      assert.deepEqual((entry?.metadata as { timefs?: unknown }).timefs, { n: 1 });
    });

    it('links mutable directories with their write cap and unlinks children', async () => {
      const store = await makeStore();
      const root = await store.mkdirMutable();
      const sub = await store.mkdirMutable();
      await store.link(root, 'sub', sub);
      const entry = (await store.list(root)).get('sub');
      assert.equal(entry?.kind, 'dir');
      assert.equal(entry?.mutable, true);
      assert.equal(entry?.cap, sub);
      assert.equal(entry?.readCap, await store.readOnlyCap(sub));
      await store.unlink(root, 'sub');
      assert.equal((await store.list(root)).size, 0);
      await assert.rejects(store.unlink(root, 'sub'), rejectsWith('grid.not-found'));
    });

    it('read-only caps list but cannot be written', async () => {
      const store = await makeStore();
      const root = await store.mkdirMutable();
      const file = await store.putImmutable(patternBytes(90, 51));
      await store.link(root, 'f', file);
      const ro = await store.readOnlyCap(root);
      assert.match(ro, /^URI:DIR2-RO:/);
      assert.equal(await store.readOnlyCap(ro), ro);
      assert.equal((await store.list(ro)).get('f')?.cap, file);
      await assert.rejects(store.link(ro, 'g', file), rejectsWith('grid.not-writeable'));
    });

    it('mkdirMutable with children, check, and a deep-check that reaches every object', async () => {
      const store = await makeStore();
      const a = await store.putImmutable(patternBytes(200, 61));
      const lit = await store.putImmutable(patternBytes(10, 62));
      const inner = await store.mkdirImmutable({ a: { cap: a } });
      const root = await store.mkdirMutable({ inner: { cap: inner }, lit: { cap: lit, metadata: { k: 'v' } } });
      assert.deepEqual((await store.list(root)).get('lit')?.metadata.k, 'v');
      const health = await store.check(a, { addLease: true });
      assert.equal(health.healthy, true);
      assert.equal(health.recoverable, true);
      assert.equal((await store.check(lit)).literal, true);
      const seen: string[] = [];
      await store.deepCheck(root, (e) => {
        if (e.type !== 'stats') {
          seen.push(e.path.join('/'));
          assert.equal(e.healthy, true, `healthy ${e.path.join('/')}`);
        }
      }, { addLease: true });
      assert.deepEqual(seen.sort(), ['', 'inner', 'inner/a', 'lit']);
    });

    it('repository layout: init, second init is a no-op, non-empty refused, open validates', async () => {
      const store = await makeStore();
      const created = await initRepository(store, undefined);
      assert.equal(created.created, true);
      const opened = await openRepository(store, created.rootCap);
      assert.equal(opened.readOnly, false);
      assert.equal(opened.snapshotsCap, created.snapshotsCap);
      assert.equal(opened.config.format, 'timefs/1');
      assert.equal((await store.list(opened.snapshotsCap)).size, 0);

      const empty = await store.mkdirMutable();
      const first = await initRepository(store, empty);
      const again = await initRepository(store, empty);
      assert.equal(first.created, true);
      assert.equal(again.created, false);
      assert.equal(again.snapshotsCap, first.snapshotsCap);
      assert.equal(again.repoId, first.repoId);
      assert.doesNotMatch(first.repoId, /URI/);

      const ro = await openRepository(store, first.readCap);
      assert.equal(ro.readOnly, true);
      assert.equal(ro.repoId, first.repoId, 'the id is the same through the read cap');

      const other = await store.mkdirMutable({ 'notes.txt': { cap: await store.putImmutable(patternBytes(70, 71)) } });
      await assert.rejects(initRepository(store, other), rejectsWith('repo.not-empty'));
      await assert.rejects(openRepository(store, other), rejectsWith('repo.not-initialised'));

      const wrongFormat = await store.mkdirMutable({
        'timefs.json': { cap: await store.putImmutable(new TextEncoder().encode('{"format":"timefs/99","created":"2020-01-01T00:00:00Z"}')) },
        snapshots: { cap: await store.mkdirMutable() },
      });
      await assert.rejects(openRepository(store, wrongFormat), rejectsWith('repo.bad-format'));
    });
  });
}
