import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { composeChain, composeExtents } from '../../../src/delta/extent-compose.js';
import { baseExtents, parseDeltaExtents, slicePieces, type ExtentList } from '../../../src/delta/extents.js';
import { isTimefsError } from '../../../src/model/errors.js';
import { encodeDelta, naivePatch, randomChain, rng, type TestCommand } from '../../helpers/delta-encoder.js';

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text));

/** Bytes [offset, offset+length) of a composed version, from the chain's base and deltas. */
function readComposed(list: ExtentList, base: Uint8Array, deltas: readonly Uint8Array[], offset: number, length: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = -1;
  for (const p of slicePieces(list, offset, length)) {
    if (at >= 0) assert.equal(p.start, at, 'pieces must be contiguous');
    at = p.start + p.length;
    if (p.source === 'base') {
      assert.ok(p.position + p.length <= base.length, 'base piece past the base');
      parts.push(base.subarray(p.position, p.position + p.length));
    } else {
      const d = deltas[p.delta] as Uint8Array;
      assert.ok(p.offset + p.length <= d.length, 'literal piece past its delta');
      parts.push(d.subarray(p.offset, p.offset + p.length));
    }
  }
  return new Uint8Array(Buffer.concat(parts));
}

function chainOf(base: Uint8Array, steps: TestCommand[][]): { deltas: Uint8Array[]; final: Uint8Array } {
  let current = base;
  const deltas = steps.map((cmds) => {
    current = naivePatch(current, cmds);
    return encodeDelta(cmds);
  });
  return { deltas, final: current };
}

describe('composeChain (tables)', () => {
  const base = bytes('ABCDEFGHIJ');
  const cases: Array<{ name: string; base: Uint8Array; steps: TestCommand[][] }> = [
    { name: 'no deltas: the base itself', base, steps: [] },
    { name: 'empty base, literal delta', base: new Uint8Array(0), steps: [[{ op: 'literal', data: bytes('new') }]] },
    { name: 'shrink to empty, then grow again', base, steps: [[], [{ op: 'literal', data: bytes('again') }]] },
    { name: 'swap halves twice gives the base back', base, steps: [
      [{ op: 'copy', position: 5, length: 5 }, { op: 'copy', position: 0, length: 5 }],
      [{ op: 'copy', position: 5, length: 5 }, { op: 'copy', position: 0, length: 5 }],
    ] },
    { name: 'literal of d001 copied forward by d002 and d003', base, steps: [
      [{ op: 'copy', position: 0, length: 3 }, { op: 'literal', data: bytes('xyz') }],
      [{ op: 'copy', position: 3, length: 3 }, { op: 'copy', position: 0, length: 6 }],
      [{ op: 'copy', position: 1, length: 8 }, { op: 'literal', data: bytes('!') }],
    ] },
    { name: 'one-byte versions', base: bytes('Q'), steps: [[{ op: 'copy', position: 0, length: 1 }], [{ op: 'literal', data: bytes('R') }], [{ op: 'copy', position: 0, length: 1 }]] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { deltas, final } = chainOf(c.base, c.steps);
      const list = composeChain(c.base.length, deltas);
      assert.equal(list.size, final.length);
      assert.deepEqual(readComposed(list, c.base, deltas, 0, list.size), final);
      for (const p of list.pieces) assert.ok(p.length > 0);
    });
  }

  it('identity deltas compose to a single base piece', () => {
    const { deltas } = chainOf(base, Array.from({ length: 25 }, () => [{ op: 'copy', position: 0, length: 10 } as TestCommand]));
    assert.deepEqual(composeChain(base.length, deltas).pieces, [{ source: 'base', start: 0, length: 10, position: 0 }]);
  });

  it('rejects a delta that copies past the end of the previous version, naming it', () => {
    const deltas = [encodeDelta([{ op: 'copy', position: 0, length: 4 }]), encodeDelta([{ op: 'copy', position: 2, length: 3 }])];
    assert.throws(() => composeChain(base.length, deltas, 'a.txt'), (err) => isTimefsError(err, 'delta.corrupt') && /a\.txt: delta d002/.test(err.message));
  });

  it('composeExtents checks its inputs too', () => {
    const next = parseDeltaExtents(encodeDelta([{ op: 'copy', position: 5, length: 6 }]), 11);
    assert.throws(() => composeExtents(baseExtents(10), next), (err) => isTimefsError(err, 'delta.corrupt'));
  });
});

describe('composeChain (seeded random chains vs a full patch)', () => {
  for (const [seed, depth, baseSize] of [[1, 20, 60_000], [2, 24, 200_000], [3, 32, 5_000], [4, 21, 1], [5, 20, 0]] as const) {
    it(`seed ${seed}: depth ${depth}, base ${baseSize} bytes`, () => {
      const chain = randomChain(seed, depth, baseSize);
      // Every prefix of the chain, not only the last version.
      for (let n = 0; n <= depth; n++) {
        const list = composeChain(baseSize, chain.deltas.slice(0, n));
        const expected = chain.versions[n] as Uint8Array;
        assert.equal(list.size, expected.length, `version ${n} size`);
        assert.deepEqual(readComposed(list, chain.base, chain.deltas, 0, list.size), expected, `version ${n} content`);
      }
      const last = chain.versions[depth] as Uint8Array;
      const list = composeChain(baseSize, chain.deltas);
      const r = rng(seed * 1000 + 7);
      for (let i = 0; i < 300; i++) {
        const offset = r.int(last.length + 50) - (i % 10 === 0 ? 10 : 0);
        const length = r.int(i % 3 === 0 ? 70_000 : 300);
        const from = Math.max(0, offset);
        const expected = last.subarray(Math.min(from, last.length), Math.max(Math.min(from, last.length), Math.min(last.length, offset + length)));
        assert.deepEqual(readComposed(list, chain.base, chain.deltas, offset, length), expected, `read [${offset}, +${length})`);
      }
      // Edges: empty reads, the last byte, one past it.
      assert.equal(readComposed(list, chain.base, chain.deltas, last.length, 10).length, 0);
      assert.equal(readComposed(list, chain.base, chain.deltas, 0, 0).length, 0);
      if (last.length > 0) assert.deepEqual(readComposed(list, chain.base, chain.deltas, last.length - 1, 5), last.subarray(last.length - 1));
    });
  }
});
