/**
 * Weak (rolling) checksums of librsync 2.3.2: RabinKarp (the default) and rollsum, plus the
 * MurmurHash3 finalizer librsync applies to rollsum digests before lookup. All arithmetic is
 * mod 2^32 with `Math.imul`; results are unsigned 32-bit numbers.
 */

/** RabinKarp multiplier. */
export const RK_MULT = 0x08104225;
/** RK_MULT^-1 mod 2^32 (used when the window shrinks). */
export const RK_INVM = 0x98f009ad;
/** (RK_MULT - 1) · seed, with seed 1. */
export const RK_ADJ = 0x08104224;
const RK_MULT2 = Math.imul(RK_MULT, RK_MULT);
const RK_MULT3 = Math.imul(RK_MULT2, RK_MULT);
const RK_MULT4 = Math.imul(RK_MULT3, RK_MULT);

/** Rollsum's per-byte offset. */
export const ROLLSUM_OFFSET = 31;

/** RK_MULT^exponent mod 2^32 by square-and-multiply. */
export function rabinKarpPower(exponent: number): number {
  let result = 1;
  let base = RK_MULT;
  let e = exponent;
  while (e > 0) {
    if (e % 2 === 1) result = Math.imul(result, base);
    base = Math.imul(base, base);
    e = Math.floor(e / 2);
  }
  return result;
}

const RK_MULT5 = Math.imul(RK_MULT4, RK_MULT);
const RK_MULT6 = Math.imul(RK_MULT5, RK_MULT);
const RK_MULT7 = Math.imul(RK_MULT6, RK_MULT);
const RK_MULT8 = Math.imul(RK_MULT7, RK_MULT);
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** RabinKarp hash of `data[start, start+length)` (seed 1), as a signed 32-bit integer. */
export function rabinKarpBlock(data: Uint8Array, start: number, length: number): number {
  const end = start + length;
  let h = 1;
  let i = start;
  if (LITTLE_ENDIAN && length >= 16) {
    const lead = (4 - ((data.byteOffset + start) & 3)) & 3; // bytes up to a 4-byte boundary
    h = rabinKarpBytes(h, data, i, i + lead);
    i += lead;
    const wordBytes = (end - i) & ~7;
    h = rabinKarpWords(h, new Int32Array(data.buffer, data.byteOffset + i, wordBytes >>> 2));
    i += wordBytes;
  }
  return rabinKarpBytes(h, data, i, end);
}

/**
 * Continues hash `h` over an even number of aligned little-endian words, eight bytes per step:
 * one multiply on the dependency chain and one load per four bytes. Several times faster than a
 * byte loop in V8, and the same value. (Kept in its own small function: V8 optimises it far better.)
 */
function rabinKarpWords(seed: number, words: Int32Array): number {
  let h = seed;
  const n = words.length;
  for (let j = 0; j < n; j += 2) {
    const x = words[j] as number;
    const y = words[j + 1] as number;
    h =
      (Math.imul(h, RK_MULT8) +
        ((Math.imul(x & 255, RK_MULT7) +
          Math.imul((x >>> 8) & 255, RK_MULT6) +
          Math.imul((x >>> 16) & 255, RK_MULT5) +
          Math.imul(x >>> 24, RK_MULT4) +
          Math.imul(y & 255, RK_MULT3) +
          Math.imul((y >>> 8) & 255, RK_MULT2) +
          Math.imul((y >>> 16) & 255, RK_MULT) +
          (y >>> 24)) |
          0)) |
      0;
  }
  return h;
}

function rabinKarpBytes(seed: number, data: Uint8Array, from: number, to: number): number {
  let h = seed;
  for (let i = from; i < to; i++) h = (Math.imul(h, RK_MULT) + (data[i] as number)) | 0;
  return h;
}

/** Rollsum state (s1, s2) of `data[start, start+length)`, packed as the raw librsync digest `(s2 << 16) | s1` (signed 32-bit). */
export function rollsumBlock(data: Uint8Array, start: number, length: number): number {
  let s1 = 0;
  let s2 = 0;
  const end = start + length;
  for (let i = start; i < end; i++) {
    s1 = (s1 + (data[i] as number)) | 0;
    s2 = (s2 + s1) | 0;
  }
  // Add the per-byte offset in closed form: s1 += 31·L, s2 += 31·L(L+1)/2 (all mod 2^16).
  const triangle = length % 2 === 0 ? Math.imul(length / 2, length + 1) : Math.imul(length, (length + 1) / 2);
  s1 = (s1 + Math.imul(ROLLSUM_OFFSET, length)) | 0;
  s2 = (s2 + Math.imul(ROLLSUM_OFFSET, triangle)) | 0;
  return ((s2 << 16) | (s1 & 0xffff)) | 0;
}

/** MurmurHash3's 32-bit finalizer, which librsync applies to rollsum digests before lookup. */
export function mix32(h: number): number {
  let x = h | 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x | 0;
}
