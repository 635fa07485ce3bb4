// Corrupt or hostile input fails cleanly: typed TimefsErrors, never a crash, hang or huge allocation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  concatBytes,
  deltaOf,
  loadSignature,
  memoryBasis,
  patchBytes,
  patchStream,
  signatureOf,
  type BasisReader,
} from '../../../src/delta/index.js';
import { isTimefsError, type ErrorCode } from '../../../src/model/errors.js';

const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const MAGIC = '72730236';
const BASIS = new TextEncoder().encode('0123456789abcdef');

function rejectsWith(code: ErrorCode, pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(isTimefsError(err, code), `expected ${code}, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  };
}

test('signature reader: truncated header, bad magic, zero block length, bad strong lengths', () => {
  const cases: [string, ErrorCode, RegExp][] = [
    ['', 'delta.truncated', /shorter than its 12-byte header/],
    ['72730147 00000100', 'delta.truncated', /header/],
    ['72730236 00000100 00000020', 'delta.bad-magic', /not an rdiff signature: magic 0x72730236/],
    ['deadbeef 00000100 00000020', 'delta.bad-magic', /0xdeadbeef/],
    ['72730147 00000000 00000020', 'delta.corrupt', /block length 0/],
    ['72730147 00000100 00000021', 'delta.corrupt', /strong sum length 33/],
    ['72730147 00000100 ffffffff', 'delta.corrupt', /strong sum length -1/],
    ['72730146 00000100 00000011', 'delta.param', /more than MD4's 16/],
    ['72730147 7fffffff 00000020', 'delta.param', /block length 2147483647/],
  ];
  for (const [h, code, pattern] of cases) assert.throws(() => loadSignature(bytes(h)), rejectsWith(code, pattern), h);
});

test('signature reader: a partial strong sum is an error, 1-3 stray bytes of a weak sum are ignored', async () => {
  const sig = await signatureOf(new Uint8Array(1000).map((_, i) => i * 7), { blockLength: 256, strongLength: 8 });
  assert.equal(loadSignature(sig).blockCount, 4);
  for (const extra of [1, 2, 3]) {
    const padded = concatBytes([sig, new Uint8Array(extra).fill(0xaa)]);
    assert.equal(loadSignature(padded).blockCount, 4, `${extra} stray bytes`);
  }
  for (const cut of [1, 4, 7]) {
    assert.throws(() => loadSignature(sig.subarray(0, sig.length - cut)), rejectsWith('delta.truncated', /inside the strong sum of block 3/));
  }
});

test('patch: bad magic, short magic, missing END, truncated literal and parameters', async () => {
  const cases: [string, ErrorCode, RegExp][] = [
    ['72730237 00', 'delta.bad-magic', /not an rdiff delta/],
    ['727302', 'delta.truncated', /too short/],
    ['', 'delta.truncated', /too short/],
    [MAGIC, 'delta.truncated', /before its END/],
    [`${MAGIC} 05 aabb`, 'delta.truncated', /inside a LITERAL \(3 bytes missing\)/],
    [`${MAGIC} 42 00`, 'delta.truncated', /before its END/],
    [`${MAGIC} 4500 04`, 'delta.truncated', /before its END/],
  ];
  for (const [h, code, pattern] of cases) await assert.rejects(patchBytes(BASIS, bytes(h)), rejectsWith(code, pattern), h);
});

test('patch: reserved opcodes, zero lengths and absurd values are corrupt, with the delta offset', async () => {
  const cases: [string, RegExp][] = [
    [`${MAGIC} 55`, /reserved opcode 0x55 at offset 4/],
    [`${MAGIC} 02 4142 ff`, /reserved opcode 0xff at offset 7/],
    [`${MAGIC} 4100`, /zero-length LITERAL at offset 4/],
    [`${MAGIC} 4500 00`, /zero-length COPY/],
    [`${MAGIC} 54 ffffffffffffffff 0000000000000001`, /absurd copy position/],
    [`${MAGIC} 44 ffffffffffffffff`, /absurd literal length/],
  ];
  for (const [h, pattern] of cases) await assert.rejects(patchBytes(BASIS, bytes(h)), rejectsWith('delta.corrupt', pattern), h);
});

test('patch: a COPY past the end of the basis is rejected (known size) or ends the basis (unknown size)', async () => {
  await assert.rejects(patchBytes(BASIS, bytes(`${MAGIC} 45 0a 07 00`)), rejectsWith('delta.corrupt', /reaches past the basis end \(16 bytes\)/));
  await assert.rejects(patchBytes(BASIS, bytes(`${MAGIC} 45 20 01 00`)), rejectsWith('delta.corrupt', /past the basis end/));
  const unsized: BasisReader = { read: async (o, l) => BASIS.subarray(o, Math.min(BASIS.length, o + l)) };
  const run = async () => {
    for await (const _ of patchStream(one(bytes(`${MAGIC} 4d 0000000a 30 00`)), unsized)) void _;
  };
  await assert.rejects(run(), rejectsWith('delta.truncated', /basis ended at offset 16/));
});

test('patch: huge claimed lengths never size an allocation and fail fast', async () => {
  // A LITERAL claiming 2^50 bytes followed by 3 bytes, and a COPY of 2^50 bytes from a tiny basis.
  await assert.rejects(patchBytes(BASIS, bytes(`${MAGIC} 44 0004000000000000 414243`)), rejectsWith('delta.truncated', /LITERAL/));
  await assert.rejects(patchBytes(BASIS, bytes(`${MAGIC} 48 00 0004000000000000 00`)), rejectsWith('delta.corrupt', /past the basis end/));
  const unsized: BasisReader = { read: async (o, l) => BASIS.subarray(o, Math.min(BASIS.length, o + l)) };
  let out = 0;
  const run = async () => {
    for await (const part of patchStream(one(bytes(`${MAGIC} 48 00 0004000000000000 00`)), unsized)) out += part.length;
  };
  await assert.rejects(run(), rejectsWith('delta.truncated', /basis ended/));
  assert.ok(out <= BASIS.length);
});

test('patch: data after END is ignored; N8 forms and backward/overlapping copies are accepted', async () => {
  assert.deepEqual(await patchBytes(BASIS, bytes(`${MAGIC} 02 4142 00 deadbeef 55`)), new TextEncoder().encode('AB'));
  const out = await patchBytes(BASIS, bytes(`${MAGIC} 44 0000000000000002 5859 54 0000000000000006 0000000000000005 45 00 03 45 01 03 00`));
  assert.equal(new TextDecoder().decode(out), 'XY6789a012123');
});

test('patch: corrupt input split into 1-byte chunks gives the same typed errors', async () => {
  const cases: [string, ErrorCode][] = [
    [`${MAGIC} 05 aabb`, 'delta.truncated'],
    [`${MAGIC} 02 4142 55`, 'delta.corrupt'],
    ['72730237 00', 'delta.bad-magic'],
    ['7273', 'delta.truncated'],
  ];
  for (const [h, code] of cases) {
    const delta = bytes(h);
    async function* byteByByte() {
      for (let i = 0; i < delta.length; i++) yield delta.subarray(i, i + 1);
    }
    const run = async () => {
      for await (const _ of patchStream(byteByByte(), memoryBasis(BASIS))) void _;
    };
    await assert.rejects(run(), (e: unknown) => isTimefsError(e, code), h);
  }
});

test('random garbage after a valid magic never crashes or hangs the patcher', async () => {
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) & 255;
  for (let i = 0; i < 2000; i++) {
    const body = new Uint8Array(1 + (i % 40)).map(() => rand());
    const delta = concatBytes([bytes(MAGIC), body]);
    try {
      await patchBytes(BASIS, delta);
    } catch (err) {
      assert.ok(isTimefsError(err, 'delta.corrupt', 'delta.truncated'), `case ${i}: ${String(err)}`);
    }
  }
});

test('random garbage signatures load or fail with a typed error', () => {
  let seed = 999;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) & 255;
  for (let i = 0; i < 2000; i++) {
    const sig = new Uint8Array(i % 60).map(() => rand());
    if (i % 3 === 0 && sig.length >= 12) sig.set([0x72, 0x73, 0x01, 0x47, 0, 0, 0, 1 + (i % 5), 0, 0, 0, i % 40]);
    try {
      loadSignature(sig);
    } catch (err) {
      assert.ok(isTimefsError(err, 'delta.corrupt', 'delta.truncated', 'delta.bad-magic', 'delta.param'), `case ${i}: ${String(err)}`);
    }
  }
});

async function* one(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data;
}

test('a signature header with a huge block length costs memory only as data arrives', async () => {
  const huge = (1 << 28).toString(16).padStart(8, '0');
  const empty = bytes(`72730147 ${huge} 00000020`); // no blocks: a slack delta
  const oneBlock = concatBytes([bytes(`72730147 ${huge} 00000008`), new Uint8Array(12)]);
  const before = process.memoryUsage().arrayBuffers;
  const small = new TextEncoder().encode('hello world\n');
  assert.deepEqual(await deltaOf(empty, small), bytes(`${MAGIC} 0c 68656c6c6f20776f726c640a 00`));
  assert.deepEqual(await deltaOf(oneBlock, small), bytes(`${MAGIC} 0c 68656c6c6f20776f726c640a 00`));
  const grown = process.memoryUsage().arrayBuffers - before;
  assert.ok(grown < 16 << 20, `array buffers grew by ${grown} bytes`);
});

test('patch copes with a basis reader that returns short reads (or more than asked)', async () => {
  const basis = new Uint8Array(5000).map((_, i) => i * 13);
  const delta = bytes(`${MAGIC} 4a 0010 0fa0 02 5859 49 0000 05 00`); // COPY 16 4000, "XY", COPY 0 5
  const expected = concatBytes([basis.subarray(16, 4016), new TextEncoder().encode('XY'), basis.subarray(0, 5)]);
  for (const reader of [
    { size: basis.length, read: async (o: number, l: number) => basis.subarray(o, Math.min(o + Math.min(l, 3), basis.length)) },
    { read: async (o: number) => basis.subarray(o) }, // ignores the length, no size
  ]) {
    const parts: Uint8Array[] = [];
    for await (const part of patchStream(one(delta), reader)) parts.push(part.slice());
    assert.deepEqual(concatBytes(parts), expected);
  }
});
