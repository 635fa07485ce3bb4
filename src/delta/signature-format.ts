/**
 * The librsync signature file format and rdiff 2.3.2's parameter defaults.
 *
 * Layout: `u32 magic, u32 block_len, u32 strong_len`, then per block `u32 weak, u8[strong_len] strong`.
 * Four magics combine the weak sum (rollsum or RabinKarp) with the strong hash (MD4 or BLAKE2b-256).
 */
import { TimefsError } from '../model/errors.js';
import type { StrongHashKind } from './strong-hash.js';

/** Which rolling (weak) checksum a signature uses. */
export type WeakSumKind = 'rabinkarp' | 'rollsum';

/** Signature magic numbers (librsync.h). */
export const SIG_MAGIC = {
  ROLLSUM_MD4: 0x72730136,
  ROLLSUM_BLAKE2: 0x72730137,
  RK_MD4: 0x72730146,
  RK_BLAKE2: 0x72730147,
} as const;

/** rdiff's block length when the basis size is unknown (stdin pipe). */
export const DEFAULT_BLOCK_LENGTH = 2048;
/** rdiff's minimum strong length when the basis size is unknown. */
export const DEFAULT_MIN_STRONG_LENGTH = 12;
/** Largest block length timefs accepts: a delta keeps one block in memory. */
export const MAX_BLOCK_LENGTH = 1 << 28;
/** Size of the signature header. */
export const SIG_HEADER_LENGTH = 12;

/** The parameters recorded in a signature header. */
export interface SignatureParams {
  magic: number;
  weak: WeakSumKind;
  strong: StrongHashKind;
  blockLength: number;
  strongLength: number;
}

/** Options for a new signature, as rdiff's `-b`, `-S`, `-H`, `-R` take them. */
export interface SignatureOptions {
  /** Size of the file the signature will describe, if known (sets the default block length). */
  fileSize?: number | undefined;
  /** Block length; 0 or undefined = recommended from the file size. */
  blockLength?: number | undefined;
  /** Strong sum length; 0 or undefined = maximum, -1 = the minimum safe length. */
  strongLength?: number | undefined;
  /** Strong hash; default BLAKE2b-256. */
  hash?: StrongHashKind | undefined;
  /** Weak sum; default RabinKarp. */
  rollsum?: WeakSumKind | undefined;
}

/** The magic number for a weak/strong combination. */
export function signatureMagic(weak: WeakSumKind, strong: StrongHashKind): number {
  if (weak === 'rabinkarp') return strong === 'blake2' ? SIG_MAGIC.RK_BLAKE2 : SIG_MAGIC.RK_MD4;
  return strong === 'blake2' ? SIG_MAGIC.ROLLSUM_BLAKE2 : SIG_MAGIC.ROLLSUM_MD4;
}

/** The weak and strong kinds of a magic number, or undefined if it is not a signature magic. */
export function kindsOfMagic(magic: number): { weak: WeakSumKind; strong: StrongHashKind } | undefined {
  switch (magic) {
    case SIG_MAGIC.RK_BLAKE2:
      return { weak: 'rabinkarp', strong: 'blake2' };
    case SIG_MAGIC.RK_MD4:
      return { weak: 'rabinkarp', strong: 'md4' };
    case SIG_MAGIC.ROLLSUM_BLAKE2:
      return { weak: 'rollsum', strong: 'blake2' };
    case SIG_MAGIC.ROLLSUM_MD4:
      return { weak: 'rollsum', strong: 'md4' };
    default:
      return undefined;
  }
}

/** floor(log2(v)) for v >= 1, exact for any safe integer. */
function floorLog2(v: number): number {
  let n = 0;
  let x = v;
  while (x >= 2) {
    x = Math.floor(x / 2);
    n++;
  }
  return n;
}

/** floor(sqrt(v)), exact for any safe integer. */
function isqrt(v: number): number {
  let r = Math.floor(Math.sqrt(v));
  while (r * r > v) r--;
  while ((r + 1) * (r + 1) <= v) r++;
  return r;
}

/** rdiff 2.3.2's recommended block length for a basis of `fileSize` bytes (undefined = unknown). */
export function recommendedBlockLength(fileSize: number | undefined): number {
  if (fileSize === undefined) return DEFAULT_BLOCK_LENGTH;
  if (fileSize <= 65536) return 256;
  return isqrt(fileSize) & ~127;
}

/** rdiff 2.3.2's minimum safe strong length (what `-S -1` picks). */
export function minimumStrongLength(fileSize: number | undefined, blockLength: number): number {
  if (fileSize === undefined) return DEFAULT_MIN_STRONG_LENGTH;
  return 2 + Math.floor((floorLog2(fileSize + 2 ** 24) + floorLog2(Math.floor(fileSize / blockLength) + 1) + 7) / 8);
}

/**
 * Resolves rdiff-style options into signature parameters exactly as rdiff 2.3.2 does.
 * Throws `delta.param` for a strong length above the hash's maximum or an unusable block length.
 */
export function resolveSignatureParams(options: SignatureOptions = {}): SignatureParams {
  const weak = options.rollsum ?? 'rabinkarp';
  const strong = options.hash ?? 'blake2';
  const maxStrong = strong === 'blake2' ? 32 : 16;
  const requestedBlock = options.blockLength ?? 0;
  if (!Number.isInteger(requestedBlock) || requestedBlock < 0 || requestedBlock > MAX_BLOCK_LENGTH) {
    throw new TimefsError('delta.param', `block length ${requestedBlock} is out of range (1 to ${MAX_BLOCK_LENGTH}, or 0 for the default)`);
  }
  const blockLength = requestedBlock || recommendedBlockLength(options.fileSize);
  const requestedStrong = options.strongLength ?? 0;
  let strongLength: number;
  if (requestedStrong === 0) strongLength = maxStrong;
  else if (requestedStrong === -1) strongLength = minimumStrongLength(options.fileSize, blockLength);
  else strongLength = requestedStrong;
  if (!Number.isInteger(strongLength) || strongLength < 1 || strongLength > maxStrong) {
    throw new TimefsError(
      'delta.param',
      `strong sum length ${requestedStrong} is out of range for ${strong === 'blake2' ? 'BLAKE2' : 'MD4'} (1 to ${maxStrong}, 0 for the maximum, -1 for the minimum)`,
    );
  }
  return { magic: signatureMagic(weak, strong), weak, strong, blockLength, strongLength };
}

/** The 12-byte header of a signature with these parameters. */
export function encodeSignatureHeader(params: SignatureParams): Uint8Array {
  const header = new Uint8Array(SIG_HEADER_LENGTH);
  const view = new DataView(header.buffer);
  view.setUint32(0, params.magic);
  view.setUint32(4, params.blockLength);
  view.setUint32(8, params.strongLength);
  return header;
}

/**
 * Parses and validates a signature header with rdiff 2.3.2's rules: magic 0 means RabinKarp+BLAKE2,
 * strong length 0 means the maximum. Throws `delta.truncated`, `delta.bad-magic`, `delta.corrupt` or `delta.param`.
 */
export function decodeSignatureHeader(bytes: Uint8Array): SignatureParams {
  if (bytes.length < SIG_HEADER_LENGTH) {
    throw new TimefsError('delta.truncated', `signature is truncated: ${bytes.length} bytes, shorter than its 12-byte header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let magic = view.getUint32(0);
  const blockLength = view.getUint32(4);
  const rawStrong = view.getInt32(8);
  if (magic === 0) magic = SIG_MAGIC.RK_BLAKE2;
  const kinds = kindsOfMagic(magic);
  // rdiff checks the lengths first; the magic first gives the clearer message for a wrong file.
  if (!kinds) {
    throw new TimefsError('delta.bad-magic', `not an rdiff signature: magic 0x${magic.toString(16).padStart(8, '0')}`);
  }
  if (blockLength < 1) throw new TimefsError('delta.corrupt', 'signature is corrupt: block length 0');
  if (rawStrong < 0 || rawStrong > 32) throw new TimefsError('delta.corrupt', `signature is corrupt: strong sum length ${rawStrong}`);
  const maxStrong = kinds.strong === 'blake2' ? 32 : 16;
  const strongLength = rawStrong === 0 ? maxStrong : rawStrong;
  if (strongLength > maxStrong) {
    throw new TimefsError('delta.param', `signature has strong sum length ${strongLength}, more than MD4's 16`);
  }
  if (blockLength > MAX_BLOCK_LENGTH) {
    throw new TimefsError('delta.param', `signature block length ${blockLength} is larger than timefs supports (${MAX_BLOCK_LENGTH})`);
  }
  return { magic, ...kinds, blockLength, strongLength };
}
