/**
 * The matching half of rdiff's delta as a pure function over one range of the new file: which
 * window positions match which basis blocks (librsync.md §3.3, rules 1–3 and 6–7), with no
 * literal or COPY bookkeeping. Worker threads run it over block ranges; the main thread runs it
 * to re-align a range whose speculative scan started out of step (see segment-stitch.ts).
 */
import { RK_ADJ, RK_INVM, RK_MULT, rabinKarpBlock, rabinKarpPower, rollsumBlock, ROLLSUM_OFFSET } from './checksums.js';
import { lookupKey, type SignatureIndex } from './signature-index.js';
import type { RdiffKernels } from './wasm/kernels.js';

/** What a scan needs to know about the signature. */
export interface ScanContext {
  readonly blockLength: number;
  readonly rollsum: boolean;
  readonly index: SignatureIndex;
  /** Full strong digest of `data[start, start+length)`. */
  strong(data: Uint8Array, start: number, length: number): Uint8Array;
  /** WebAssembly kernels: used for data in their arena (RabinKarp sums; BLAKE2b two windows at a time when `blake2`). */
  readonly kernels?: RdiffKernels | undefined;
  /** The strong sum is BLAKE2b-256 (and `strong` computes it: no digests from elsewhere). */
  readonly blake2?: boolean;
}

/** Matches found by a scan, in order: window start (relative to the scanned data), block index, window length. */
export interface MatchList {
  positions: number[];
  blocks: number[];
  lengths: number[];
}

/** An empty {@link MatchList}. */
export function emptyMatches(): MatchList {
  return { positions: [], blocks: [], lengths: [] };
}

/** Rolling state shared with the miss loops (kept in one object so they can return a position). */
interface Roll {
  h: number;
  s1: number;
  s2: number;
}

/**
 * Visits window positions of `data` from `from` while below `limit`, as rdiff does: a match jumps
 * past its window, a miss moves on by one byte. Windows are `blockLength` bytes; with `atEnd`,
 * `data` ends where the file ends and windows near the end shrink to the rest of the file.
 * Without `atEnd` the caller must provide full windows: `limit - 1 + blockLength <= data.length`.
 * Appends matches to `out` and returns the next position the scan would visit (>= limit).
 */
export function scanMatches(data: Uint8Array, from: number, limit: number, atEnd: boolean, ctx: ScanContext, out: MatchList): number {
  const B = ctx.blockLength;
  const n = data.length;
  const index = ctx.index;
  const bloom = index.bloom;
  const rollsum = ctx.rollsum;
  const multB = rabinKarpPower(B);
  const roll: Roll = { h: 0, s1: 0, s2: 0 };
  const kernels = ctx.kernels?.holds(data) ? ctx.kernels : undefined;
  const weakOf = (start: number, length: number): number =>
    rollsum ? rollsumBlock(data, start, length) : kernels ? kernels.rabinKarp(data, start, length) : rabinKarpBlock(data, start, length);
  // Matches come in runs: when a window needs its strong sum and the window right after it (where
  // the scan goes if this one matches) is a candidate too, both are hashed at once. `ahead` is
  // that next window: its weak sum, and its digest when it was paired.
  const pairs = kernels !== undefined && ctx.blake2 === true;
  let aheadPos = -1;
  let aheadWeak = 0;
  let aheadDigest: Uint8Array | undefined;
  const strongAt = (d: Uint8Array, start: number, length: number): Uint8Array => {
    if (start === aheadPos && aheadDigest && length === B) return aheadDigest;
    if (pairs && length === B && start + 2 * B <= n) {
      const next = start + B;
      aheadPos = next;
      aheadWeak = weakOf(next, B);
      aheadDigest = undefined;
      if (index.hasKey(lookupKey(aheadWeak, rollsum))) {
        const both = (kernels as RdiffKernels).blake2bPair(d, start, next, B);
        aheadDigest = both.slice(32, 64);
        return both.subarray(0, 32);
      }
    }
    return ctx.strong(d, start, length);
  };
  let count = 0; // window length; 0 = recompute at pos
  let mult = 1; // RK_MULT^count
  let pos = from;
  while (pos < limit) {
    if (count === 0) {
      count = Math.min(B, n - pos);
      const weak = pos === aheadPos && count === B ? aheadWeak : weakOf(pos, count);
      if (rollsum) {
        roll.s1 = weak & 0xffff;
        roll.s2 = weak >>> 16;
      } else {
        roll.h = weak;
        mult = count === B ? multB : rabinKarpPower(count);
      }
    }
    const key = rollsum ? lookupKey((roll.s2 << 16) | (roll.s1 & 0xffff), true) : lookupKey(roll.h, false);
    const bit = index.bloomBit(key);
    if (((bloom[bit >>> 5] as number) & (1 << (bit & 31))) !== 0) {
      const block = index.findWindow(key, strongAt, data, pos, count);
      if (block >= 0) {
        out.positions.push(pos);
        out.blocks.push(block);
        out.lengths.push(count);
        pos += count;
        count = 0;
        continue;
      }
    }
    if (pos + B < n) {
      const outByte = data[pos] as number;
      const inByte = data[pos + B] as number;
      if (rollsum) {
        roll.s1 = (roll.s1 + inByte - outByte) | 0;
        roll.s2 = (roll.s2 + roll.s1 - Math.imul(count, outByte + ROLLSUM_OFFSET)) | 0;
      } else {
        roll.h = (Math.imul(roll.h, RK_MULT) + inByte - Math.imul(mult, outByte + RK_ADJ)) | 0;
      }
      pos++;
      const end = Math.min(limit, n - B);
      pos = rollsum ? rollMissesRollsum(data, pos, end, B, index, roll) : rollMissesRabinKarp(data, pos, end, B, multB, index, roll);
    } else if (atEnd) {
      const outByte = data[pos] as number;
      if (rollsum) {
        roll.s1 = (roll.s1 - (outByte + ROLLSUM_OFFSET)) | 0;
        roll.s2 = (roll.s2 - Math.imul(count, outByte + ROLLSUM_OFFSET)) | 0;
      } else {
        mult = Math.imul(mult, RK_INVM);
        roll.h = (roll.h - Math.imul(mult, outByte + RK_ADJ)) | 0;
      }
      count--;
      pos++;
    } else {
      pos++; // the window cannot slide: only reached at limit (see the precondition)
      count = 0;
    }
  }
  return pos;
}

/** Rolls a full window over misses from `pos` while below `end` (<= n - B); stops at a bloom hit or at `end`. */
function rollMissesRabinKarp(data: Uint8Array, start: number, end: number, B: number, multB: number, index: SignatureIndex, roll: Roll): number {
  const bloom = index.bloom;
  const shift = index.bloomShift;
  let h = roll.h;
  let pos = start;
  while (pos < end) {
    const bit = Math.imul(h === 0 ? -1 : h, 0x9e3779b1) >>> shift;
    if (((bloom[bit >>> 5] as number) & (1 << (bit & 31))) !== 0) break;
    h = (Math.imul(h, RK_MULT) + (data[pos + B] as number) - Math.imul(multB, (data[pos] as number) + RK_ADJ)) | 0;
    pos++;
  }
  roll.h = h;
  return pos;
}

function rollMissesRollsum(data: Uint8Array, start: number, end: number, B: number, index: SignatureIndex, roll: Roll): number {
  const bloom = index.bloom;
  const shift = index.bloomShift;
  let s1 = roll.s1;
  let s2 = roll.s2;
  let pos = start;
  while (pos < end) {
    let x = (s2 << 16) | (s1 & 0xffff);
    x ^= x >>> 16;
    x = Math.imul(x, 0x85ebca6b);
    x ^= x >>> 13;
    x = Math.imul(x, 0xc2b2ae35);
    x ^= x >>> 16;
    const bit = Math.imul(x === 0 ? -1 : x, 0x9e3779b1) >>> shift;
    if (((bloom[bit >>> 5] as number) & (1 << (bit & 31))) !== 0) break;
    const out = (data[pos] as number) + ROLLSUM_OFFSET;
    s1 = (s1 + (data[pos + B] as number) + ROLLSUM_OFFSET - out) | 0;
    s2 = (s2 + s1 - Math.imul(B, out)) | 0;
    pos++;
  }
  roll.s1 = s1;
  roll.s2 = s2;
  return pos;
}
