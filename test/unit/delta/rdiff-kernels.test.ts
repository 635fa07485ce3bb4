// The WebAssembly kernels (src/delta/wasm) against the JavaScript and hash-wasm paths they stand
// in for: BLAKE2b-256 of two blocks at once, RabinKarp sums, and whole signatures and deltas
// (paired strong sums in runs of matches) byte for byte with the kernels on and off.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { concatBytes, deltaOf, loadSignature, signatureOf, type SignatureOptions } from '../../../src/delta/index.js';
import { rabinKarpBlock } from '../../../src/delta/checksums.js';
import { createStrongHasher } from '../../../src/delta/strong-hash.js';
import { KERNEL_MODULE_BASE64 } from '../../../src/delta/wasm/kernel-bytes.js';
import { kernelModule } from '../../../src/delta/wasm/kernel-code.js';
import { loadKernels } from '../../../src/delta/wasm/kernels.js';
import { noise } from '../../helpers/noise.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

async function kernels() {
  const k = await loadKernels(1 << 20);
  assert.ok(k, 'the kernels run on Node 20 (WebAssembly SIMD)');
  return k;
}

test('the module bytes the engine loads are the ones kernel-code.ts assembles (scripts/gen-rdiff-kernels.ts)', () => {
  assert.equal(Buffer.from(kernelModule()).toString('base64'), KERNEL_MODULE_BASE64);
});

test('BLAKE2b pairs equal BLAKE2b-256 for every length up to 300, block lengths and unaligned starts', async () => {
  const k = await kernels();
  const hasher = await createStrongHasher('blake2');
  const data = noise(70_000, 11);
  const arena = k.arena();
  arena.set(data);
  const lengths = [...Array.from({ length: 301 }, (_, i) => i), 1024, 16_383, 16_384, 16_385, 32_768];
  for (const length of lengths) {
    const [a, b] = [length % 7, 1 + (length * 31) % 30_000];
    const both = k.blake2bPair(arena, a, b, length);
    assert.equal(hex(both.subarray(0, 32)), hex(hasher.digest(data, a, length)), `first, length ${length}`);
    assert.equal(hex(both.subarray(32, 64)), hex(hasher.digest(data, b, length)), `second, length ${length}`);
  }
  // librsync.md's vectors
  arena.set(new TextEncoder().encode('hello world\n'));
  assert.equal(hex(k.blake2bPair(arena, 0, 0, 12).subarray(0, 32)), 'c71b05fd1d1c7bf7e928ff18e58db5193e9316416cc26ba9cc9094da80d7011e');
  assert.equal(hex(k.blake2bPair(arena, 0, 0, 0).subarray(32, 64)), '0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8');
});

test('RabinKarp sums equal the JavaScript ones for every length up to 100, long blocks and unaligned starts', async () => {
  const k = await kernels();
  const data = noise(70_000, 12);
  const arena = k.arena();
  arena.set(data);
  for (const length of [...Array.from({ length: 101 }, (_, i) => i), 255, 4096, 16_384, 65_537]) {
    for (const start of [0, 1, 3, 13]) {
      assert.equal(k.rabinKarp(arena, start, length), rabinKarpBlock(data, start, length), `length ${length} at ${start}`);
    }
  }
  const ones = new Uint8Array(40).fill(255);
  arena.set(ones);
  assert.equal(k.rabinKarp(arena, 0, 40), rabinKarpBlock(ones, 0, 40));
});

/** The same work with the kernels off (TIMEFS_RDIFF_WASM=0), for comparison. */
async function withoutKernels<T>(f: () => Promise<T>): Promise<T> {
  process.env.TIMEFS_RDIFF_WASM = '0';
  try {
    return await f();
  } finally {
    delete process.env.TIMEFS_RDIFF_WASM;
  }
}

test('signatures and deltas are the same bytes with and without the kernels: runs of matches, shifts, repeats, ends', async () => {
  const B = 512;
  const old = noise(40 * B + 100, 13);
  const block = old.subarray(3 * B, 4 * B);
  const cases: Record<string, Uint8Array> = {
    identical: old,
    // A run whose last paired window sits exactly at the end of the data (start + 2B = n).
    'whole blocks only': old.subarray(0, 40 * B),
    shifted: concatBytes([noise(7, 14), old]),
    'every other block changed': concatBytes(Array.from({ length: 40 }, (_, i) => (i % 2 ? noise(B, 100 + i) : old.subarray(i * B, (i + 1) * B)))),
    // The window after a match is a candidate that does not match (same weak sum is unlikely; a
    // repeated block matches a different block than its position suggests).
    'repeated block': concatBytes([block, block, block, old.subarray(10 * B, 12 * B), block]),
    'one byte in': concatBytes([old.subarray(0, 17 * B + 5), Uint8Array.of(1), old.subarray(17 * B + 5)]),
    empty: new Uint8Array(0),
  };
  const kinds: SignatureOptions[] = [{ blockLength: B }, { blockLength: B, hash: 'md4' }, { blockLength: B, rollsum: 'rollsum' }, { blockLength: B, strongLength: 8 }];
  for (const options of kinds) {
    const sig = await signatureOf(old, options);
    assert.deepEqual(sig, await withoutKernels(() => signatureOf(old, options)), `signature ${JSON.stringify(options)}`);
    for (const [name, next] of Object.entries(cases)) {
      const expected = await withoutKernels(() => deltaOf(sig, next));
      assert.deepEqual(await deltaOf(sig, next), expected, `${name}, ${JSON.stringify(options)}`);
    }
  }
  assert.equal(loadSignature(await signatureOf(old, { blockLength: B })).blockCount, 41);
});
