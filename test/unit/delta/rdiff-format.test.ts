// The delta command table, encoders and incremental decoder; checksums; rdiff's default parameters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mix32, rabinKarpBlock, rollsumBlock, RK_MULT } from '../../../src/delta/checksums.js';
import {
  checkDeltaMagic,
  encodeCopy,
  encodeLiteralHeader,
  readCommand,
  type DeltaCommand,
} from '../../../src/delta/delta-format.js';
import {
  decodeSignatureHeader,
  minimumStrongLength,
  recommendedBlockLength,
  resolveSignatureParams,
  SIG_MAGIC,
} from '../../../src/delta/signature-format.js';
import { deltaOf, signatureOf } from '../../../src/delta/index.js';
import { isTimefsError } from '../../../src/model/errors.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

function encodeCopyHex(position: number, length: number): string {
  const out = new Uint8Array(17);
  return hex(out.subarray(0, encodeCopy(out, 0, position, length)));
}

function encodeLiteralHex(length: number): string {
  const out = new Uint8Array(9);
  return hex(out.subarray(0, encodeLiteralHeader(out, 0, length)));
}

test('COPY widths are chosen independently for position and length (librsync.md §3.2)', () => {
  const table: [number, number, string][] = [
    [0, 768, '46 00 0300'],
    [1024, 3840, '4a 0400 0f00'],
    [0, 1, '45 00 01'],
    [255, 255, '45 ff ff'],
    [256, 65536, '4b 0100 00010000'],
    [0xffffffff, 1, '4d ffffffff 01'],
    [2 ** 32, 2 ** 32 + 5, '54 0000000100000000 0000000100000005'],
    [5, 2 ** 40, '48 05 0000010000000000'],
  ];
  for (const [pos, len, expected] of table) assert.equal(encodeCopyHex(pos, len), expected.replace(/\s+/g, ''), `COPY ${pos} ${len}`);
});

test('LITERAL headers: inline for 1..64, then N1/N2/N4/N8', () => {
  const table: [number, string][] = [
    [1, '01'],
    [64, '40'],
    [65, '4141'],
    [255, '41ff'],
    [256, '420100'],
    [32768, '428000'],
    [65536, '4300010000'],
    [2 ** 32, '440000000100000000'],
  ];
  for (const [len, expected] of table) assert.equal(encodeLiteralHex(len), expected, `LITERAL ${len}`);
});

test('readCommand decodes every opcode form and reports where literal data starts', () => {
  const delta = bytes('05 aabbccddee 41 02 1122 4500 07 54 0000000100000000 0000000000000009 00');
  const seen: DeltaCommand[] = [];
  for (let p = 0; ; ) {
    const r = readCommand(delta, p);
    assert.ok(r);
    seen.push(r.command);
    if (r.command.op === 'end') break;
    p = r.command.op === 'literal' ? r.command.dataOffset + r.command.length : r.next;
  }
  assert.deepEqual(seen, [
    { op: 'literal', length: 5, dataOffset: 1 },
    { op: 'literal', length: 2, dataOffset: 8 },
    { op: 'copy', position: 0, length: 7 },
    { op: 'copy', position: 2 ** 32, length: 9 },
    { op: 'end' },
  ]);
});

test('readCommand returns null for an incomplete header, at every cut', () => {
  const header = bytes('54 0000000100000000 0000000000000009');
  for (let cut = 0; cut < header.length; cut++) assert.equal(readCommand(header.subarray(0, cut), 0), null, `cut ${cut}`);
  assert.ok(readCommand(header, 0));
});

test('readCommand rejects reserved opcodes, zero lengths and absurd 8-byte values', () => {
  const bad: [string, RegExp][] = [
    ['55', /reserved opcode 0x55/],
    ['ff', /reserved opcode 0xff/],
    ['4100', /zero-length LITERAL/],
    ['4500 00', /zero-length COPY/],
    ['44 0020000000000000', /absurd literal length/],
    ['51 ffffffffffffffff 01', /absurd copy position/],
    ['48 00 8000000000000000', /absurd copy length/],
    ['51 001fffffffffffff 02', /past 2\^53/],
  ];
  for (const [h, message] of bad) {
    assert.throws(
      () => readCommand(bytes(h), 0),
      (err: unknown) => isTimefsError(err, 'delta.corrupt') && message.test(err.message),
      h,
    );
  }
  // The largest exact 8-byte value is accepted.
  assert.deepEqual(readCommand(bytes('44 001fffffffffffff'), 0)?.command, { op: 'literal', length: 2 ** 53 - 1, dataOffset: 9 });
});

test('checkDeltaMagic: bad magic and short input are typed errors', () => {
  checkDeltaMagic(bytes('72730236'));
  assert.throws(() => checkDeltaMagic(bytes('72730237')), (e: unknown) => isTimefsError(e, 'delta.bad-magic'));
  assert.throws(() => checkDeltaMagic(bytes('727302')), (e: unknown) => isTimefsError(e, 'delta.truncated'));
});

test('RabinKarp: seed 1, known digests, and the word path equals the byte path at every alignment', () => {
  const A = new TextEncoder().encode('A');
  assert.equal(rabinKarpBlock(A, 0, 1) >>> 0, (RK_MULT + 0x41) >>> 0);
  const hello = new TextEncoder().encode('hello world\n');
  assert.equal(rabinKarpBlock(hello, 0, hello.length) >>> 0, 0x38aec4d7);
  assert.equal(rabinKarpBlock(new Uint8Array(256), 0, 256) >>> 0, 0x55101c01);
  const data = new Uint8Array(300).map((_, i) => (i * 37 + 11) & 255);
  for (let start = 0; start < 9; start++) {
    for (const len of [0, 1, 7, 8, 9, 64, 255]) {
      let h = 1;
      for (let i = start; i < start + len; i++) h = (Math.imul(h, RK_MULT) + data[i]!) | 0;
      assert.equal(rabinKarpBlock(data, start, len), h, `start ${start} len ${len}`);
    }
  }
});

test('rollsum stores the raw digest; lookup uses mix32', () => {
  const hello = new TextEncoder().encode('hello world\n');
  assert.equal(rollsumBlock(hello, 0, hello.length) >>> 0, 0x27d805da);
  assert.equal(mix32(0x27d805da) >>> 0, 0xa34e4df6);
});

test("rdiff 2.3.2's block and strong lengths from the file size (librsync.md §1.3 worked values)", () => {
  const table: [number | undefined, number, number][] = [
    [undefined, 2048, 12],
    [0, 256, 5],
    [12, 256, 5],
    [10240, 256, 6],
    [65536, 256, 6],
    [65537, 256, 6],
    [1 << 20, 1024, 7],
    [10_000_000, 3072, 7],
    [256 << 20, 16384, 8],
    [1 << 30, 32768, 8],
    [10 * 2 ** 30, 103552, 9],
  ];
  for (const [size, block, minStrong] of table) {
    assert.equal(recommendedBlockLength(size), block, `block for ${size}`);
    assert.equal(minimumStrongLength(size, block), minStrong, `min strong for ${size}`);
  }
});

test('resolveSignatureParams: defaults, -S 0/-1, -b verbatim, and limits', () => {
  assert.deepEqual(resolveSignatureParams({ fileSize: 10240 }), {
    magic: SIG_MAGIC.RK_BLAKE2,
    weak: 'rabinkarp',
    strong: 'blake2',
    blockLength: 256,
    strongLength: 32,
  });
  assert.equal(resolveSignatureParams({ hash: 'md4' }).strongLength, 16);
  assert.equal(resolveSignatureParams({ rollsum: 'rollsum', hash: 'md4' }).magic, SIG_MAGIC.ROLLSUM_MD4);
  assert.equal(resolveSignatureParams({ fileSize: 10240, strongLength: -1 }).strongLength, 6);
  assert.equal(resolveSignatureParams({ blockLength: 1 }).blockLength, 1);
  assert.throws(() => resolveSignatureParams({ hash: 'md4', strongLength: 17 }), (e: unknown) => isTimefsError(e, 'delta.param'));
  assert.throws(() => resolveSignatureParams({ strongLength: 33 }), (e: unknown) => isTimefsError(e, 'delta.param'));
  assert.throws(() => resolveSignatureParams({ blockLength: -1 }), (e: unknown) => isTimefsError(e, 'delta.param'));
});

test('decodeSignatureHeader: magic 0 means RabinKarp+BLAKE2 and strong length 0 the maximum (as rdiff)', () => {
  const p = decodeSignatureHeader(bytes('00000000 00000100 00000000'));
  assert.equal(p.magic, SIG_MAGIC.RK_BLAKE2);
  assert.equal(p.strongLength, 32);
  assert.equal(decodeSignatureHeader(bytes('72730136 00000100 00000000')).strongLength, 16);
});

test("librsync's weak-key quirk: a weak sum of 0 shares the bucket of 0xffffffff (as rdiff 2.3.2 does)", async () => {
  // Found by search: RabinKarp 0 and 0xffffffff, and the same first BLAKE2b-256 byte (0x16).
  const zero = Uint8Array.of(12, 205, 4, 236, 102);
  const ones = Uint8Array.of(31, 40, 159, 211, 173);
  assert.equal(rabinKarpBlock(zero, 0, 5), 0);
  assert.equal(rabinKarpBlock(ones, 0, 5) >>> 0, 0xffffffff);
  const sig = await signatureOf(zero, { blockLength: 5, strongLength: 1 });
  assert.equal(hex(sig), '727301470000000500000001' + '00000000' + '16');
  // rdiff answers COPY 0 5 here (verified with rdiff 2.3.2): the 1-byte strong sums collide.
  assert.equal(hex(await deltaOf(sig, ones)), '727302364500' + '0500');
});
