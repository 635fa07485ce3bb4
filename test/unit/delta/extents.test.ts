import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baseExtents, parseDeltaExtents, slicePieces, type ExtentList, type Piece } from '../../../src/delta/extents.js';
import { isTimefsError } from '../../../src/model/errors.js';
import { encodeDelta, naivePatch, type TestCommand } from '../../helpers/delta-encoder.js';

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text));

/** Rebuilds the bytes an extent list describes, from its basis and the deltas' bytes. */
function materialise(list: ExtentList, basis: Uint8Array, deltas: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(list.size);
  for (const p of list.pieces) {
    const src = p.source === 'base' ? basis.subarray(p.position, p.position + p.length) : (deltas[p.delta] as Uint8Array).subarray(p.offset, p.offset + p.length);
    assert.equal(src.length, p.length, 'piece points outside its source');
    out.set(src, p.start);
  }
  return out;
}

function assertWellFormed(list: ExtentList): void {
  let at = 0;
  for (const p of list.pieces) {
    assert.ok(p.length > 0, 'empty piece');
    assert.equal(p.start, at, 'pieces must be contiguous');
    at += p.length;
  }
  assert.equal(at, list.size, 'pieces must cover the size');
}

const basis = bytes('0123456789abcdefghij'); // 20 bytes

describe('parseDeltaExtents', () => {
  const cases: Array<{ name: string; commands: TestCommand[]; pieces: number }> = [
    { name: 'empty output (END only)', commands: [], pieces: 0 },
    { name: 'identity copy', commands: [{ op: 'copy', position: 0, length: 20 }], pieces: 1 },
    { name: 'literal only', commands: [{ op: 'literal', data: bytes('hello') }], pieces: 1 },
    { name: 'adjacent copies merge', commands: [{ op: 'copy', position: 0, length: 5 }, { op: 'copy', position: 5, length: 15 }], pieces: 1 },
    { name: 'backward and repeated copies', commands: [{ op: 'copy', position: 10, length: 10 }, { op: 'copy', position: 0, length: 10 }, { op: 'copy', position: 0, length: 10 }], pieces: 3 },
    { name: 'copy of the last byte', commands: [{ op: 'copy', position: 19, length: 1 }], pieces: 1 },
    { name: 'literal, copy, literal', commands: [{ op: 'literal', data: bytes('X') }, { op: 'copy', position: 3, length: 4 }, { op: 'literal', data: bytes('YZ') }], pieces: 3 },
    { name: 'LITERAL_N1 for a short literal', commands: [{ op: 'literal', data: bytes('abc'), width: 1 }], pieces: 1 },
    { name: 'LITERAL_N2 long literal', commands: [{ op: 'literal', data: new Uint8Array(300).fill(7) }], pieces: 1 },
    { name: 'LITERAL_N8 and COPY_N8_N8', commands: [{ op: 'literal', data: bytes('ab'), width: 8 }, { op: 'copy', position: 6, length: 5, posWidth: 8, lenWidth: 8 }], pieces: 2 },
    { name: 'two literals stay two pieces (a header lies between their bytes)', commands: [{ op: 'literal', data: bytes('ab') }, { op: 'literal', data: bytes('cd') }], pieces: 2 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const delta = encodeDelta(c.commands);
      const list = parseDeltaExtents(delta, basis.length);
      assertWellFormed(list);
      assert.equal(list.pieces.length, c.pieces);
      assert.deepEqual(materialise(list, basis, [delta]), naivePatch(basis, c.commands));
    });
  }

  it('ignores bytes after END', () => {
    const delta = encodeDelta([{ op: 'literal', data: bytes('ok') }], { trailer: [0x55, 1, 2, 3] });
    assert.deepEqual(materialise(parseDeltaExtents(delta, 0), new Uint8Array(0), [delta]), bytes('ok'));
  });

  it('records the delta index in literal pieces', () => {
    const list = parseDeltaExtents(encodeDelta([{ op: 'literal', data: bytes('q') }]), 0, 7);
    assert.equal((list.pieces[0] as Piece & { source: 'delta' }).delta, 7);
  });

  const bad: Array<{ name: string; delta: Uint8Array; basisSize: number; code: string }> = [
    { name: 'COPY one byte past the basis', delta: encodeDelta([{ op: 'copy', position: 15, length: 6 }]), basisSize: 20, code: 'delta.corrupt' },
    { name: 'COPY starting at the basis end', delta: encodeDelta([{ op: 'copy', position: 20, length: 1 }]), basisSize: 20, code: 'delta.corrupt' },
    { name: 'COPY from an empty basis', delta: encodeDelta([{ op: 'copy', position: 0, length: 1 }]), basisSize: 0, code: 'delta.corrupt' },
    { name: 'zero-length COPY', delta: encodeDelta([{ op: 'copy', position: 0, length: 0 }]), basisSize: 20, code: 'delta.corrupt' },
    { name: 'zero-length LITERAL_N1', delta: encodeDelta([{ op: 'literal', data: new Uint8Array(0), width: 1 }]), basisSize: 20, code: 'delta.corrupt' },
    { name: 'reserved opcode', delta: new Uint8Array([0x72, 0x73, 0x02, 0x36, 0x55, 0]), basisSize: 20, code: 'delta.corrupt' },
    { name: 'absurd 8-byte length', delta: new Uint8Array([0x72, 0x73, 0x02, 0x36, 0x44, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0]), basisSize: 20, code: 'delta.corrupt' },
    { name: 'no END', delta: encodeDelta([{ op: 'literal', data: bytes('a') }], { end: false }), basisSize: 20, code: 'delta.truncated' },
    { name: 'magic only', delta: new Uint8Array([0x72, 0x73, 0x02, 0x36]), basisSize: 20, code: 'delta.truncated' },
    { name: 'literal data cut short', delta: new Uint8Array([0x72, 0x73, 0x02, 0x36, 0x05, 0x61, 0x62]), basisSize: 20, code: 'delta.truncated' },
    { name: 'header cut short', delta: new Uint8Array([0x72, 0x73, 0x02, 0x36, 0x4a, 0x01]), basisSize: 20, code: 'delta.truncated' },
    { name: 'bad magic', delta: new Uint8Array([0x72, 0x73, 0x02, 0x37, 0]), basisSize: 20, code: 'delta.bad-magic' },
    { name: 'empty file', delta: new Uint8Array(0), basisSize: 20, code: 'delta.truncated' },
  ];
  for (const c of bad) {
    it(`rejects ${c.name} with ${c.code}`, () => {
      assert.throws(() => parseDeltaExtents(c.delta, c.basisSize, 0, 'd001'), (err) => isTimefsError(err) && err.code === c.code);
    });
  }
});

describe('slicePieces', () => {
  // Output: "X" + basis[3..7) + "YZ" + basis[0..20) = 27 bytes, 4 pieces.
  const commands: TestCommand[] = [
    { op: 'literal', data: bytes('X') }, { op: 'copy', position: 3, length: 4 },
    { op: 'literal', data: bytes('YZ') }, { op: 'copy', position: 0, length: 20 },
  ];
  const delta = encodeDelta(commands);
  const list = parseDeltaExtents(delta, basis.length);
  const whole = naivePatch(basis, commands);
  const read = (offset: number, length: number): Uint8Array => {
    const pieces = slicePieces(list, offset, length);
    const first = pieces[0];
    if (!first) return new Uint8Array(0);
    const last = pieces[pieces.length - 1] as Piece;
    const out = materialise({ size: list.size, pieces }, basis, [delta]);
    return out.subarray(first.start, last.start + last.length);
  };

  const table: Array<[offset: number, length: number, pieces: number]> = [
    [0, 27, 4], [0, 1, 1], [1, 4, 1], [1, 5, 2], [1, 6, 2], [4, 4, 3], [6, 2, 2], [26, 1, 1], [26, 100, 1],
    [27, 1, 0], [27, 0, 0], [1000, 5, 0], [5, 0, 0], [0, 0, 0], [-3, 5, 2], [7, 3, 1], [0, Number.MAX_SAFE_INTEGER, 4],
  ];
  for (const [offset, length, count] of table) {
    it(`[${offset}, +${length}) gives ${count} pieces and the reference bytes`, () => {
      const pieces = slicePieces(list, offset, length);
      assert.equal(pieces.length, count);
      const from = Math.max(0, offset);
      const expected = whole.subarray(Math.min(from, whole.length), Math.max(from, Math.min(whole.length, offset + length)));
      assert.deepEqual(read(offset, length), expected);
      for (const p of pieces) assert.ok(p.length > 0);
    });
  }

  it('gives nothing for an empty version', () => {
    assert.deepEqual(slicePieces(baseExtents(0), 0, 10), []);
  });
});
