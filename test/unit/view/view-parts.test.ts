import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTimefsError } from '../../../src/model/errors.js';
import type { DirEntry } from '../../../src/store/store.js';
import { blake2bHex } from '../../../src/model/blake2b-pool.js';
import { decodeEntry, findChild, pathSegments, planBaseSpans, SequentialHashCheck, MAX_HELD_BYTES } from '../../../src/view/index.js';
import { rng } from '../../helpers/delta-encoder.js';

const edge = (name: string, timefs: unknown): DirEntry => ({ name, kind: 'file', cap: 'URI:LIT:', readCap: 'URI:LIT:', mutable: false, metadata: { timefs } });
const good = { type: 'file', mode: 0o644, uid: 1, gid: 2, mtime: '123', size: 5, storage: 'whole' };

describe('decodeEntry', () => {
  it('decodes good attributes and raw names', () => {
    const e = decodeEntry(edge('a_b', { ...good, rawName: Buffer.from([0x61, 0xff]).toString('base64') }), '/d');
    assert.deepEqual(e.rawName, new Uint8Array([0x61, 0xff]));
    assert.equal(e.meta.size, 5);
  });
  const bad: Array<[string, unknown]> = [
    ['no timefs key', undefined], ['unknown type', { ...good, type: 'door' }], ['negative size', { ...good, size: -1 }],
    ['fractional mode', { ...good, mode: 1.5 }], ['numeric mtime', { ...good, mtime: 123 }], ['bad hash', { ...good, hash: 'xyz' }],
    ['unknown storage', { ...good, storage: 'zip' }], ['packed without offset', { ...good, storage: 'packed' }],
    ['bad chain length', { ...good, storage: 'chain', chain: -2 }], ['non-string rawName', { ...good, rawName: 5 }],
  ];
  for (const [name, timefs] of bad) {
    it(`rejects ${name} with repo.bad-format naming the path`, () => {
      assert.throws(() => decodeEntry(edge('x', timefs), '/home'), (err) => isTimefsError(err, 'repo.bad-format') && err.message.startsWith('/home/x'));
    });
  }
});

describe('path helpers', () => {
  it('splits paths and refuses ..', () => {
    assert.deepEqual(pathSegments('/a//b/./c/'), ['a', 'b', 'c']);
    assert.deepEqual(pathSegments(''), []);
    assert.throws(() => pathSegments('a/../b'), (err) => isTimefsError(err, 'usage'));
  });
  it('finds children by bytes, then by NFC name', () => {
    const entries = [decodeEntry(edge('caf\u00e9', good), '/'), decodeEntry(edge('x_esc', { ...good, rawName: Buffer.from('cafe\u0301').toString('base64') }), '/')];
    assert.equal(findChild(entries, 'cafe\u0301')?.name, 'x_esc'); // exact non-NFC bytes
    assert.equal(findChild(entries, 'caf\u00e9')?.name, 'caf\u00e9');
    assert.equal(findChild(entries, 'x_esc'), undefined); // an escaped edge name is not the real name
  });
});

describe('planBaseSpans', () => {
  const piece = (position: number, length: number, start = 0) => ({ source: 'base' as const, start, length, position });
  it('merges nearby pieces and keeps far ones apart', () => {
    const spans = planBaseSpans([piece(100_000, 10), piece(0, 10), piece(20, 10), piece(1_000_000, 5)], 64 * 1024);
    assert.deepEqual(spans.map((s) => [s.position, s.length, s.pieces.length]), [[0, 30, 2], [100_000, 10, 1], [1_000_000, 5, 1]]);
  });
  it('keeps overlapping and repeated pieces in one span', () => {
    const spans = planBaseSpans([piece(0, 100), piece(50, 100), piece(0, 100)]);
    assert.deepEqual(spans.map((s) => [s.position, s.length, s.pieces.length]), [[0, 150, 3]]);
  });
  it('caps span size', () => {
    assert.equal(planBaseSpans([piece(0, 10), piece(20, 10)], 64, 25).length, 2);
  });
});

describe('SequentialHashCheck', () => {
  const data = rng(3).bytes(10_000);
  const place = { path: '/p', snapshot: 'S' };
  it('verifies in-order, overlapping and reordered reads', async () => {
    const hash = await blake2bHex(data);
    const inOrder = new SequentialHashCheck(data.length, hash, place);
    for (let o = 0; o < data.length; o += 999) await inOrder.update(o, data.subarray(o, o + 999));
    assert.equal(inOrder.verified, true);
    const reordered = new SequentialHashCheck(data.length, hash, place);
    await reordered.update(5000, data.subarray(5000));
    await reordered.update(0, data.subarray(0, 3000));
    await reordered.update(2000, data.subarray(2000, 5000)); // overlaps what was hashed
    assert.equal(reordered.verified, true);
  });
  it('throws integrity on a mismatch and gives up after a far seek', async () => {
    const wrong = 'cd'.repeat(32);
    const check = new SequentialHashCheck(data.length, wrong, place);
    await check.update(0, data.subarray(0, 5000));
    await assert.rejects(check.update(5000, data.subarray(5000)), (err) => isTimefsError(err, 'integrity') && err.message.includes('/p') && err.message.includes('S'));
    const seek = new SequentialHashCheck(MAX_HELD_BYTES * 4, wrong, place);
    await seek.update(MAX_HELD_BYTES * 2, new Uint8Array(MAX_HELD_BYTES + 1));
    assert.equal(seek.active, false);
  });
  it('checks an empty file on finish', async () => {
    const empty = new SequentialHashCheck(0, await blake2bHex(new Uint8Array(0)), place);
    await empty.finish();
    assert.equal(empty.verified, true);
    await assert.rejects(new SequentialHashCheck(0, 'ee'.repeat(32), place).finish(), (err) => isTimefsError(err, 'integrity'));
  });
});
