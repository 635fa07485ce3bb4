/**
 * The rdiff kernels as WebAssembly (SIMD), assembled at start-up by wasm-writer.ts:
 *
 * - `blake2bPair(a, b, len, out)`: BLAKE2b-256 (unkeyed, RFC 7693) of the `len` bytes at `a` and
 *   of the `len` bytes at `b` at once, one message per 64-bit SIMD lane; writes the digest of
 *   `a` at `out` and that of `b` at `out + 32`. Two independent blocks are the common case:
 *   a signature hashes every block, and a delta's matches come in runs.
 * - `rabinKarp(p, len)`: librsync's RabinKarp sum (seed 1) of `len` bytes at `p`, sixteen bytes
 *   per step (four 32-bit lanes multiplied by powers of the multiplier).
 *
 * Memory layout: bytes [0, SCRATCH_END) are the kernels' own (the zero-padded last blocks).
 */
import { rabinKarpPower, RK_MULT } from '../checksums.js';
import { assembleModule, FunctionBody, I32, I64, V128 } from './wasm-writer.js';

/** Scratch space the kernels use at the start of memory; callers' data goes after it. */
export const SCRATCH_END = 1024;
const SCRATCH = 0;

const IV = [
  0x6a09e667f3bcc908n, 0xbb67ae8584caa73bn, 0x3c6ef372fe94f82bn, 0xa54ff53a5f1d36f1n,
  0x510e527fade682d1n, 0x9b05688c2b3e6c1fn, 0x1f83d9abfb41bd6bn, 0x5be0cd19137e2179n,
];

const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
] as const;

/** Byte shuffles rotating each 64-bit lane right by 32, 24 and 16 bits. */
function rotateRight(bytes: number): number[] {
  const lanes: number[] = [];
  for (let lane = 0; lane < 2; lane++) for (let i = 0; i < 8; i++) lanes.push(lane * 8 + ((i + bytes) % 8));
  return lanes;
}
const ROTR32 = rotateRight(4);
const ROTR24 = rotateRight(3);
const ROTR16 = rotateRight(2);
const LOW_LANES = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
const HIGH_LANES = [8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31];

function blake2bPair(): FunctionBody {
  const f = new FunctionBody([I32, I32, I32, I32], []);
  const [a, b, len, out] = [0, 1, 2, 3];
  const h = Array.from({ length: 8 }, () => f.local(V128));
  const v = Array.from({ length: 16 }, () => f.local(V128));
  const m = Array.from({ length: 16 }, () => f.local(V128));
  const off = f.local(I32);
  const rem = f.local(I32);
  const pa = f.local(I32);
  const pb = f.local(I32);
  const t = f.local(I64);
  const last = f.local(V128); // all ones for the final block

  // h = IV, h0 ^= 0x01010000 | digest length 32
  for (let i = 0; i < 8; i++) f.v128I64(IV[i]!, IV[i]!).set(h[i]!);
  f.get(h[0]!).v128I64(0x01010020n, 0x01010020n).v128Xor().set(h[0]!);

  const G = (ia: number, ib: number, ic: number, id: number, x: number, y: number) => {
    const [va, vb, vc, vd] = [v[ia]!, v[ib]!, v[ic]!, v[id]!];
    f.get(va).get(vb).i64x2Add().get(m[x]!).i64x2Add().set(va);
    f.get(vd).get(va).v128Xor().tee(vd).get(vd).shuffle(ROTR32).set(vd);
    f.get(vc).get(vd).i64x2Add().set(vc);
    f.get(vb).get(vc).v128Xor().tee(vb).get(vb).shuffle(ROTR24).set(vb);
    f.get(va).get(vb).i64x2Add().get(m[y]!).i64x2Add().set(va);
    f.get(vd).get(va).v128Xor().tee(vd).get(vd).shuffle(ROTR16).set(vd);
    f.get(vc).get(vd).i64x2Add().set(vc);
    // rotate right by 63 = left by 1
    f.get(vb).get(vc).v128Xor().tee(vb).get(vb).i64x2Add().get(vb).i32(63).i64x2ShrU().v128Or().set(vb);
  };

  f.loop();
  {
    f.get(len).get(off).i32Sub().set(rem);
    f.get(rem).i32(128).i32GtU().if();
    {
      f.get(a).get(off).i32Add().set(pa);
      f.get(b).get(off).i32Add().set(pb);
      f.get(t).i64(128n).i64Add().set(t);
      f.v128I64(0n, 0n).set(last);
    }
    f.else();
    {
      // The last block, zero-padded in scratch space.
      f.i32(SCRATCH).i32(0).i32(256).memoryFill();
      f.i32(SCRATCH).get(a).get(off).i32Add().get(rem).memoryCopy();
      f.i32(SCRATCH + 128).get(b).get(off).i32Add().get(rem).memoryCopy();
      f.i32(SCRATCH).set(pa);
      f.i32(SCRATCH + 128).set(pb);
      f.get(t).get(rem).i64ExtendI32U().i64Add().set(t);
      f.v128I64(-1n, -1n).set(last);
    }
    f.end();
    // Message words: m[2k] = (a's word 2k, b's word 2k), m[2k+1] likewise.
    for (let k = 0; k < 8; k++) {
      f.get(pa).v128Load(16 * k).get(pb).v128Load(16 * k).shuffle(LOW_LANES).set(m[2 * k]!);
      f.get(pa).v128Load(16 * k).get(pb).v128Load(16 * k).shuffle(HIGH_LANES).set(m[2 * k + 1]!);
    }
    for (let i = 0; i < 8; i++) f.get(h[i]!).set(v[i]!);
    for (let i = 0; i < 4; i++) f.v128I64(IV[i]!, IV[i]!).set(v[8 + i]!);
    f.v128I64(IV[4]!, IV[4]!).get(t).i64x2Splat().v128Xor().set(v[12]!);
    f.v128I64(IV[5]!, IV[5]!).set(v[13]!);
    f.v128I64(IV[6]!, IV[6]!).get(last).v128Xor().set(v[14]!);
    f.v128I64(IV[7]!, IV[7]!).set(v[15]!);
    for (let round = 0; round < 12; round++) {
      const s = SIGMA[round % 10]!;
      G(0, 4, 8, 12, s[0], s[1]);
      G(1, 5, 9, 13, s[2], s[3]);
      G(2, 6, 10, 14, s[4], s[5]);
      G(3, 7, 11, 15, s[6], s[7]);
      G(0, 5, 10, 15, s[8], s[9]);
      G(1, 6, 11, 12, s[10], s[11]);
      G(2, 7, 8, 13, s[12], s[13]);
      G(3, 4, 9, 14, s[14], s[15]);
    }
    for (let i = 0; i < 8; i++) f.get(h[i]!).get(v[i]!).v128Xor().get(v[i + 8]!).v128Xor().set(h[i]!);
    f.get(off).i32(128).i32Add().set(off);
    f.get(rem).i32(128).i32GtU().brIf(0);
  }
  f.end();
  // Digest of a: lane 0 of h0..h3; of b: lane 1.
  for (let k = 0; k < 2; k++) {
    f.get(out).get(h[2 * k]!).get(h[2 * k + 1]!).shuffle(LOW_LANES).v128Store(16 * k);
    f.get(out).get(h[2 * k]!).get(h[2 * k + 1]!).shuffle(HIGH_LANES).v128Store(32 + 16 * k);
  }
  return f;
}

function rabinKarp(): FunctionBody {
  const f = new FunctionBody([I32, I32], [I32]);
  const [p, len] = [0, 1];
  const acc = f.local(V128);
  const x = f.local(V128);
  const w = f.local(V128);
  const end16 = f.local(I32);
  const end = f.local(I32);
  const power = f.local(I32); // RK_MULT^(bytes summed in acc)
  const h = f.local(I32);
  const M16 = rabinKarpPower(16);
  // Lane i of the k-th group of four bytes is weighted RK_MULT^(15 - 4k - i).
  const weights = (k: number) => [0, 1, 2, 3].map((i) => rabinKarpPower(15 - 4 * k - i));
  const widened = (k: number, extend16: 'low' | 'high', extend32: 'low' | 'high') => {
    f.get(x);
    if (extend16 === 'low') f.i16x8ExtendLowU8();
    else f.i16x8ExtendHighU8();
    if (extend32 === 'low') f.i32x4ExtendLowU16();
    else f.i32x4ExtendHighU16();
    f.v128I32(weights(k)).i32x4Mul();
  };
  f.get(p).get(len).i32Add().set(end);
  f.get(p).get(len).i32(~15).i32And().i32Add().set(end16);
  f.i32(1).set(power);
  f.v128I32([0, 0, 0, 0]).set(acc);
  f.block().loop();
  {
    f.get(p).get(end16).i32GeU().brIf(1);
    f.get(p).v128Load().set(x);
    widened(0, 'low', 'low');
    widened(1, 'low', 'high');
    f.i32x4Add();
    widened(2, 'high', 'low');
    f.i32x4Add();
    widened(3, 'high', 'high');
    f.i32x4Add().set(w);
    f.get(acc).i32(M16).i32x4Splat().i32x4Mul().get(w).i32x4Add().set(acc);
    f.get(power).i32(M16).i32Mul().set(power);
    f.get(p).i32(16).i32Add().set(p);
    f.br(0);
  }
  f.end().end();
  f.get(power);
  for (let lane = 0; lane < 4; lane++) f.get(acc).i32x4ExtractLane(lane).i32Add();
  f.set(h);
  f.block().loop();
  {
    f.get(p).get(end).i32GeU().brIf(1);
    f.get(h).i32(RK_MULT).i32Mul().get(p).i32Load8U().i32Add().set(h);
    f.get(p).i32(1).i32Add().set(p);
    f.br(0);
  }
  f.end().end();
  f.get(h);
  return f;
}

/** The kernels' module bytes. */
export function kernelModule(): Uint8Array {
  return assembleModule({ blake2bPair: blake2bPair(), rabinKarp: rabinKarp() });
}
