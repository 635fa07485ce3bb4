// Test-only: the read-model suite, run against MemoryStore (test/unit/view) and the real grid
// (test/integration/view) with the same assertions.
import assert from 'node:assert/strict';
import { describe, it, before } from 'node:test';
import { isTimefsError } from '../../src/model/errors.js';
import type { Store } from '../../src/store/store.js';
import { GridSnapshotCatalogue, GridTreeReader, ChainVersionReader, type TreeEntry } from '../../src/view/index.js';
import { addSnapshot, chainFile, dir, packedFile, symlink, wholeFile, type Node } from './view-fixture.js';
import { rng } from './delta-encoder.js';

/** What a suite needs: a store and an empty `snapshots/` directory in it. */
export interface ViewSetup {
  store: Store;
  snapshotsCap: string;
}

/** A sequence of versions of one file: seeded random overwrites, inserts, deletes, appends and truncations. */
export function editedVersions(seed: number, count: number, baseSize: number): Uint8Array[] {
  const r = rng(seed);
  let current = Buffer.from(r.bytes(baseSize));
  const out: Uint8Array[] = [new Uint8Array(current)];
  for (let i = 1; i < count; i++) {
    const kind = r.int(6);
    const at = r.int(current.length + 1);
    const n = 1 + r.int(3000);
    if (kind === 0) current = Buffer.concat([current.subarray(0, at), Buffer.from(r.bytes(n)), current.subarray(at)]);
    else if (kind === 1) current = Buffer.concat([current.subarray(0, at), current.subarray(Math.min(current.length, at + n))]);
    else if (kind === 2) current = Buffer.concat([current, Buffer.from(r.bytes(n))]);
    else if (kind === 3 && current.length > 10_000) current = current.subarray(0, current.length - r.int(5000));
    else {
      current = Buffer.from(current);
      for (let k = 0; k < 5; k++) current.set(r.bytes(64).subarray(0, Math.max(0, current.length - (at % Math.max(1, current.length)))), at % Math.max(1, current.length));
    }
    out.push(new Uint8Array(current));
  }
  return out;
}

/** A store wrapper that counts what is fetched. */
export function countingStore(inner: Store): Store & { rangeBytes: number; wholeGets: number } {
  const counts = { rangeBytes: 0, wholeGets: 0 };
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'rangeBytes' || prop === 'wholeGets') return counts[prop];
      if (prop === 'getRange') {
        return async (cap: string, start: number, length: number) => {
          const bytes = await target.getRange(cap, start, length);
          counts.rangeBytes += bytes.length;
          return bytes;
        };
      }
      if (prop === 'get') {
        return async (cap: string) => {
          counts.wholeGets++;
          return target.get(cap);
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as Store & { rangeBytes: number; wholeGets: number };
}

async function collect(iterable: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of iterable) parts.push(part);
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * Defines the read-model tests.
 * @param setup makes a fresh store and `snapshots/` directory
 * @param sizes base size of the deep chain and its depth (the grid run uses segment-crossing sizes)
 */
export function defineViewSuite(setup: () => Promise<ViewSetup>, sizes: { chainBase: number; chainDepth: number; reads: number }): void {
  let s: ViewSetup;
  const contents = {
    hello: new Uint8Array(Buffer.from('hello, world\n')),
    big: new Uint8Array(Buffer.from(rng(9).bytes(300_000))),
    packed: new Uint8Array(Buffer.from('packed content of a small file\n')),
  };
  const rawName = new Uint8Array([0x66, 0x6f, 0xff, 0x6f]); // "fo\xffo": not UTF-8
  let versions: Uint8Array[];
  let chain: Node;
  let badHash: Node;

  before(async () => {
    s = await setup();
    const { store } = s;
    versions = editedVersions(42, sizes.chainDepth + 1, sizes.chainBase);
    chain = await chainFile(store, versions, { blockLength: 512 });
    badHash = await wholeFile(store, contents.big, { hash: 'ab'.repeat(32) });
    const docs = await dir(store, {
      'hello.txt': await wholeFile(store, contents.hello),
      'big.bin': await wholeFile(store, contents.big),
      'chain.bin': chain,
      'packed.txt': await packedFile(store, contents.packed, new Uint8Array(100).fill(1), new Uint8Array(50).fill(2)),
      'empty': await wholeFile(store, new Uint8Array(0)),
      'link': await symlink(store, '../elsewhere/target'),
      'dangling': await symlink(store, 'nowhere'),
      'fo_escaped': { ...(await wholeFile(store, contents.hello)), meta: { ...(await wholeFile(store, contents.hello)).meta, rawName: Buffer.from(rawName).toString('base64') } },
      'damaged.bin': badHash,
      'fifo': { cap: await store.putImmutable(new Uint8Array(0)), meta: { type: 'fifo', mode: 0o600, uid: 0, gid: 0, mtime: '0', size: 0 } },
    });
    const root1 = await dir(store, { home: await dir(store, { me: await dir(store, { 'hello.txt': await wholeFile(store, contents.hello) }) }) });
    const root2 = await dir(store, { home: await dir(store, { me: docs }) });
    await addSnapshot(store, s.snapshotsCap, '2009-01-09T01:49:00Z', root1);
    await addSnapshot(store, s.snapshotsCap, '2009-01-09T23:10:00Z', root1, { parent: '2009-01-09T01:49:00Z' });
    await addSnapshot(store, s.snapshotsCap, '2009-01-12T08:00:00Z', root2, { parent: '2009-01-09T23:10:00Z', host: 'other' });
  });

  describe('SnapshotCatalogue', () => {
    it('lists snapshots oldest first with their edge metadata', async () => {
      const list = await new GridSnapshotCatalogue(s.store, s.snapshotsCap).list();
      assert.deepEqual(list.map((x) => x.name), ['2009-01-09T01:49:00Z', '2009-01-09T23:10:00Z', '2009-01-12T08:00:00Z']);
      assert.equal(list[2]?.host, 'other');
      assert.deepEqual(list[0]?.paths, ['/home/me']);
      assert.equal(list[0]?.stats.files, 3);
      assert.equal(list[1]?.parent, '2009-01-09T01:49:00Z');
      assert.equal(list[0]?.timeMs, Date.UTC(2009, 0, 9, 1, 49));
    });

    it('ignores children of snapshots/ that are not snapshots', async () => {
      await s.store.link(s.snapshotsCap, 'README', await s.store.putImmutable(new Uint8Array(Buffer.from('not a snapshot'))));
      try {
        const list = await new GridSnapshotCatalogue(s.store, s.snapshotsCap).list();
        assert.equal(list.length, 3);
      } finally {
        await s.store.unlink(s.snapshotsCap, 'README');
      }
    });

    const table: Array<[spec: string, expected: string | null]> = [
      ['latest', '2009-01-12T08:00:00Z'],
      ['2009-01-09T01:49:00Z', '2009-01-09T01:49:00Z'],
      ['2009-01-09', '2009-01-09T23:10:00Z'],
      ['2009-01-10', '2009-01-09T23:10:00Z'], // no snapshot that day: the newest earlier one
      ['2009-01-11', '2009-01-09T23:10:00Z'],
      ['2009-01-12', '2009-01-12T08:00:00Z'],
      ['2030-06-01', '2009-01-12T08:00:00Z'],
      ['2009-01-09T12:00:00Z', '2009-01-09T01:49:00Z'], // as of an instant
      ['2009-01-08', null],
      ['2009-01-09T01:48:59Z', null],
      ['yesterday', null],
    ];
    for (const [spec, expected] of table) {
      it(`resolves ${spec} (UTC days) to ${expected ?? 'snapshot.not-found'}`, async () => {
        const catalogue = new GridSnapshotCatalogue(s.store, s.snapshotsCap);
        if (expected === null) {
          await assert.rejects(catalogue.resolve(spec, { utc: true }), (err) => isTimefsError(err, 'snapshot.not-found') && err.message.includes(spec));
        } else {
          assert.equal((await catalogue.resolve(spec, { utc: true })).name, expected);
        }
      });
    }
  });

  describe('TreeReader', () => {
    it('lists a directory with decoded attributes and exact names', async () => {
      const latest = await new GridSnapshotCatalogue(s.store, s.snapshotsCap).resolve('latest');
      const tree = new GridTreeReader(s.store);
      const me = await tree.lookup(latest.cap, '/home/me');
      assert.equal(me.meta.type, 'dir');
      const entries = await tree.list(me.cap);
      const byName = new Map(entries.map((e) => [e.name, e]));
      assert.equal(entries.length, 10);
      assert.equal(byName.get('hello.txt')?.meta.size, contents.hello.length);
      assert.equal(byName.get('chain.bin')?.meta.storage, 'chain');
      assert.equal(byName.get('link')?.meta.type, 'symlink');
      assert.equal(byName.get('fifo')?.meta.type, 'fifo');
      assert.deepEqual(byName.get('fo_escaped')?.rawName, rawName);
      assert.deepEqual(byName.get('hello.txt')?.rawName, new Uint8Array(Buffer.from('hello.txt')));
      assert.equal(byName.get('hello.txt')?.meta.mtime, '1231465740123456789');
    });

    it('looks up paths by exact name bytes and reports missing ones', async () => {
      const latest = await new GridSnapshotCatalogue(s.store, s.snapshotsCap).resolve('latest');
      const tree = new GridTreeReader(s.store);
      const escaped = await tree.lookup(latest.cap, ['home', 'me', rawName]);
      assert.equal(escaped.name, 'fo_escaped');
      assert.equal((await tree.lookup(latest.cap, '')).meta.type, 'dir');
      await assert.rejects(tree.lookup(latest.cap, 'home/me/nope.txt'), (err) => isTimefsError(err, 'path.not-found') && err.message.includes('/home/me/nope.txt'));
      await assert.rejects(tree.lookup(latest.cap, 'home/me/hello.txt/x'), (err) => isTimefsError(err, 'path.not-found'));
      await assert.rejects(tree.lookup(latest.cap, 'home/../etc'), (err) => isTimefsError(err, 'usage'));
    });
  });

  describe('VersionReader', () => {
    const place = { path: '/home/me/x', snapshot: '2009-01-12T08:00:00Z' };
    const entryAt = async (name: string): Promise<TreeEntry> => {
      const latest = await new GridSnapshotCatalogue(s.store, s.snapshotsCap).resolve('latest');
      return new GridTreeReader(s.store).lookup(latest.cap, ['home', 'me', name]);
    };

    it('reads whole, packed, empty files and symlink targets in ranges', async () => {
      const reader = new ChainVersionReader(s.store);
      const hello = await reader.open(await entryAt('hello.txt'), place);
      assert.deepEqual(await hello.read(7, 5), new Uint8Array(Buffer.from('world')));
      assert.equal((await hello.read(13, 10)).length, 0);
      const packed = await reader.open(await entryAt('packed.txt'), place);
      assert.equal(packed.size, contents.packed.length);
      assert.deepEqual(await packed.read(0, 1000), contents.packed);
      assert.deepEqual(await packed.read(7, 7), contents.packed.subarray(7, 14));
      const empty = await reader.open(await entryAt('empty'), place);
      assert.equal(empty.size, 0);
      assert.equal((await empty.read(0, 10)).length, 0);
      const link = await reader.open(await entryAt('link'), place);
      assert.equal(Buffer.from(await link.read(0, 100)).toString(), '../elsewhere/target');
      await assert.rejects(reader.open(await entryAt('fifo'), place), (err) => isTimefsError(err, 'usage'));
    });

    it(`reads random ranges of a chain of depth ${sizes.chainDepth} that match the reference bytes`, async () => {
      const counting = countingStore(s.store);
      const reader = new ChainVersionReader(counting);
      const handle = await reader.open(await entryAt('chain.bin'), place);
      const expected = versions[versions.length - 1] as Uint8Array;
      assert.equal(handle.chainLength, sizes.chainDepth);
      assert.equal(handle.size, expected.length);
      const r = rng(7);
      const segment = 128 * 1024;
      const offsets: Array<[number, number]> = [
        [0, 1], [segment - 1, 2], [segment - 3, 7], [2 * segment - 5, 11], [expected.length - 1, 10],
        [expected.length, 5], [expected.length + 100_000, 3], [0, 0], [0, expected.length + 1000],
      ];
      for (let i = 0; i < sizes.reads; i++) offsets.push([r.int(expected.length + 10) | 1, (r.int(i % 4 === 0 ? 300_000 : 5000) | 1)]);
      for (const [offset, length] of offsets) {
        const got = await handle.read(offset, length);
        const want = expected.subarray(Math.min(offset, expected.length), Math.min(expected.length, offset + length));
        assert.equal(Buffer.compare(got, want), 0, `read [${offset}, +${length}) differs`);
      }
      assert.equal(counting.wholeGets, sizes.chainDepth, 'only the deltas are fetched whole, once each');
    });

    it('serves eight concurrent readers of one chain correctly', async () => {
      const reader = new ChainVersionReader(s.store);
      const entry = await entryAt('chain.bin');
      const expected = versions[versions.length - 1] as Uint8Array;
      await Promise.all(Array.from({ length: 8 }, async (_, i) => {
        const handle = await reader.open(entry, place);
        const r = rng(100 + i);
        for (let k = 0; k < 5; k++) {
          const offset = r.int(expected.length);
          const length = 1 + r.int(100_000);
          const got = await handle.read(offset, length);
          assert.equal(Buffer.compare(got, expected.subarray(offset, Math.min(expected.length, offset + length))), 0, `reader ${i} [${offset}, +${length})`);
        }
      }));
    });

    it('fetches only about the requested bytes of the base for a small read', async () => {
      const counting = countingStore(s.store);
      const handle = await new ChainVersionReader(counting).open(await entryAt('chain.bin'), place);
      const before = counting.rangeBytes;
      const got = await handle.read(Math.floor(handle.size / 2) + 1, 4097);
      assert.equal(got.length, 4097);
      assert.ok(counting.rangeBytes - before <= 4097 + 2 * 64 * 1024, `fetched ${counting.rangeBytes - before} bytes for a 4 KiB read`);
    });

    it('reads a chain whole with its hash checked', async () => {
      const reader = new ChainVersionReader(s.store);
      const all = await collect(reader.readVerified(await entryAt('chain.bin'), place, { chunkSize: 100_003 }));
      assert.equal(Buffer.compare(all, versions[versions.length - 1] as Uint8Array), 0);
      assert.deepEqual(await collect(reader.readVerified(await entryAt('big.bin'), place)), contents.big);
      assert.equal((await collect(reader.readVerified(await entryAt('empty'), place))).length, 0);
      assert.deepEqual(await collect(reader.readVerified(await entryAt('packed.txt'), place, { chunkSize: 3 })), contents.packed);
    });

    it('detects a hash mismatch at the end of a whole read, naming path and snapshot', async () => {
      const reader = new ChainVersionReader(s.store);
      await assert.rejects(collect(reader.readVerified(await entryAt('damaged.bin'), { path: '/home/me/damaged.bin', snapshot: 'SNAP' })),
        (err) => isTimefsError(err, 'integrity') && err.message.includes('/home/me/damaged.bin') && err.message.includes('SNAP'));
    });

    it('refuses a chain whose recorded size differs from what it rebuilds', async () => {
      const entry = await entryAt('chain.bin');
      const wrong = { ...entry, meta: { ...entry.meta, size: entry.meta.size + 1 } };
      await assert.rejects(new ChainVersionReader(s.store).open(wrong, place), (err) => isTimefsError(err, 'integrity'));
      const wrongCount = { ...entry, meta: { ...entry.meta, chain: (entry.meta.chain ?? 0) + 1 } };
      await assert.rejects(new ChainVersionReader(s.store).open(wrongCount, place), (err) => isTimefsError(err, 'repo.bad-format'));
    });
  });
}
