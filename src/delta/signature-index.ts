/**
 * A loaded signature: its blocks' weak and strong sums plus a lookup index for delta.
 * The index is an open-addressing table keyed by the lookup form of the weak sum, fronted by a
 * bloom filter much larger than librsync's (it changes no output, only speed).
 */
import { TimefsError } from '../model/errors.js';
import { mix32 } from './checksums.js';
import { decodeSignatureHeader, SIG_HEADER_LENGTH, type SignatureParams } from './signature-format.js';

/** A parsed, indexed signature, ready for {@link createDeltaEncoder}. */
export interface LoadedSignature {
  readonly params: SignatureParams;
  /** Number of blocks. */
  readonly blockCount: number;
  /** Raw weak sums as stored, one per block. */
  readonly weakSums: Uint32Array;
  /** Strong sums, `strongLength` bytes per block. */
  readonly strongSums: Uint8Array;
  /** Lookup index over the blocks (see {@link SignatureIndex}). */
  readonly index: SignatureIndex;
}

/** Lookup key of a weak digest: rollsum digests are mixed first; 0 shares the 0xffffffff bucket (librsync's quirk). */
export function lookupKey(weak: number, rollsum: boolean): number {
  const k = rollsum ? mix32(weak) : weak | 0;
  return k === 0 ? -1 : k;
}

/** Hash table + bloom filter from lookup keys to block indices. */
export class SignatureIndex {
  /** Bloom filter bits (one word per 32 bits). */
  readonly bloom: Uint32Array;
  /** Right shift that turns a mixed key into a bloom bit index. */
  readonly bloomShift: number;
  private readonly keys: Int32Array;
  private readonly blocks: Int32Array;
  private readonly tableShift: number;
  private readonly tableMask: number;
  private readonly strongSums: Uint8Array;
  private readonly strongLength: number;

  constructor(keys: Int32Array, strongSums: Uint8Array, strongLength: number) {
    const count = keys.length;
    let tableBits = 4;
    while (1 << tableBits < count * 2) tableBits++;
    // ~64 bloom bits per block (librsync uses ~1.4): far fewer false hits in the per-byte loop.
    const bloomBits = Math.min(27, Math.max(10, tableBits + 5));
    this.bloom = new Uint32Array(1 << (bloomBits - 5));
    this.bloomShift = 32 - bloomBits;
    this.keys = new Int32Array(1 << tableBits);
    this.blocks = new Int32Array(1 << tableBits).fill(-1);
    this.tableShift = 32 - tableBits;
    this.tableMask = (1 << tableBits) - 1;
    this.strongSums = strongSums;
    this.strongLength = strongLength;
    for (let i = 0; i < count; i++) this.insert(keys[i] as number, i);
  }

  /** Bloom bit index of a key (the caller tests `bloom[b >>> 5] & (1 << (b & 31))`). */
  bloomBit(key: number): number {
    return Math.imul(key, 0x9e3779b1) >>> this.bloomShift;
  }

  private insert(key: number, block: number): void {
    let slot = Math.imul(key, 0x85ebca77) >>> this.tableShift;
    for (;;) {
      const b = this.blocks[slot] as number;
      if (b < 0) break;
      // Identical (weak, strong) pairs: the lowest index wins, as in librsync.
      if (this.keys[slot] === key && this.sameStrong(b, this.strongSums, block * this.strongLength)) return;
      slot = (slot + 1) & this.tableMask;
    }
    this.keys[slot] = key;
    this.blocks[slot] = block;
    const bit = this.bloomBit(key);
    this.bloom[bit >>> 5]! |= 1 << (bit & 31);
  }

  private sameStrong(block: number, other: Uint8Array, otherStart: number): boolean {
    const s = this.strongSums;
    const a = block * this.strongLength;
    for (let i = 0; i < this.strongLength; i++) if (s[a + i] !== other[otherStart + i]) return false;
    return true;
  }

  /** True when some block may have this key (bloom filter and table; strong sums not checked). */
  hasKey(key: number): boolean {
    const bit = this.bloomBit(key);
    if (((this.bloom[bit >>> 5] as number) & (1 << (bit & 31))) === 0) return false;
    let slot = Math.imul(key, 0x85ebca77) >>> this.tableShift;
    for (;;) {
      const b = this.blocks[slot] as number;
      if (b < 0) return false;
      if (this.keys[slot] === key) return true;
      slot = (slot + 1) & this.tableMask;
    }
  }

  /**
   * The block whose key is `key` and whose strong sum equals `strong(data, start, length)`
   * (computed at most once, only when the key is present), or -1. Takes the window as arguments
   * rather than a closure: a bloom filter false hit then allocates nothing.
   */
  findWindow(key: number, strong: (data: Uint8Array, start: number, length: number) => Uint8Array, data: Uint8Array, start: number, length: number): number {
    let slot = Math.imul(key, 0x85ebca77) >>> this.tableShift;
    let digest: Uint8Array | undefined;
    for (;;) {
      const b = this.blocks[slot] as number;
      if (b < 0) return -1;
      if (this.keys[slot] === key) {
        digest ??= strong(data, start, length);
        if (this.sameStrong(b, digest, 0)) return b;
      }
      slot = (slot + 1) & this.tableMask;
    }
  }
}

/**
 * Parses a whole signature file with rdiff 2.3.2's rules (trailing 1–3 bytes of a weak sum are
 * ignored; a partial strong sum is an error) and indexes it.
 * Throws `delta.truncated`, `delta.bad-magic`, `delta.corrupt` or `delta.param`.
 */
export function loadSignature(bytes: Uint8Array): LoadedSignature {
  const params = decodeSignatureHeader(bytes);
  const entryLength = 4 + params.strongLength;
  const body = bytes.length - SIG_HEADER_LENGTH;
  const blockCount = Math.floor(body / entryLength);
  const rest = body - blockCount * entryLength;
  if (rest >= 4) {
    throw new TimefsError(
      'delta.truncated',
      `signature is truncated: it ends inside the strong sum of block ${blockCount} (${rest - 4} of ${params.strongLength} bytes)`,
    );
  }
  const weakSums = new Uint32Array(blockCount);
  const strongSums = new Uint8Array(blockCount * params.strongLength);
  const keys = new Int32Array(blockCount);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rollsum = params.weak === 'rollsum';
  for (let i = 0, p = SIG_HEADER_LENGTH; i < blockCount; i++, p += entryLength) {
    const weak = view.getUint32(p);
    weakSums[i] = weak;
    keys[i] = lookupKey(weak, rollsum);
    strongSums.set(bytes.subarray(p + 4, p + entryLength), i * params.strongLength);
  }
  return { params, blockCount, weakSums, strongSums, index: new SignatureIndex(keys, strongSums, params.strongLength) };
}
