/**
 * Pure facts about Tahoe cap strings that let the client skip the network: LIT caps carry their
 * data inline, CHK caps carry their size, and some caps are already read-only.
 */

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** True for caps whose object is immutable (safe to cache by cap forever). */
export function isImmutableCap(cap: string): boolean {
  return /^URI:(CHK|LIT|DIR2-CHK|DIR2-LIT):/.test(cap);
}

/** True for immutable directory caps. */
export function isImmutableDirCap(cap: string): boolean {
  return /^URI:(DIR2-CHK|DIR2-LIT):/.test(cap);
}

/** True for caps that grant write access (mutable directories and files). */
export function isWriteCap(cap: string): boolean {
  return /^URI:(DIR2|DIR2-MDMF|SSK|MDMF):/.test(cap);
}

/** True for caps whose data lives inside the cap itself. */
export function isLiteralCap(cap: string): boolean {
  return cap.startsWith('URI:LIT:') || cap.startsWith('URI:DIR2-LIT:');
}

/** The content of a `URI:LIT:` cap (lowercase RFC 4648 base32 without padding). */
export function literalData(cap: string): Uint8Array {
  const text = cap.slice('URI:LIT:'.length);
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let bits = 0;
  let value = 0;
  let pos = 0;
  for (const ch of text) {
    const v = BASE32.indexOf(ch);
    if (v < 0) throw new RangeError('not a base32 LIT cap');
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[pos++] = (value >> bits) & 0xff;
    }
  }
  return out;
}

/** Largest file Tahoe stores inside its cap (`immutable/upload.py`, `URI_LIT_SIZE_THRESHOLD`). */
export const LIT_MAX_BYTES = 55;

/**
 * The `URI:LIT:` cap Tahoe gives `data` (≤ {@link LIT_MAX_BYTES} bytes): lowercase RFC 4648 base32
 * without padding, the last group filled with zero bits. Computed locally: no request.
 */
export function literalCap(data: Uint8Array): string {
  if (data.length > LIT_MAX_BYTES) throw new RangeError(`a LIT cap holds at most ${LIT_MAX_BYTES} bytes`);
  let text = '';
  let bits = 0;
  let value = 0;
  for (const byte of data) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      text += BASE32[(value >> bits) & 31];
    }
  }
  if (bits > 0) text += BASE32[(value << (5 - bits)) & 31];
  return `URI:LIT:${text}`;
}

/** The file size recorded in an immutable file cap (`URI:CHK:…:k:N:size`, `URI:LIT:`), else undefined. */
export function sizeFromCap(cap: string): number | undefined {
  if (cap.startsWith('URI:LIT:')) return Math.floor(((cap.length - 'URI:LIT:'.length) * 5) / 8);
  const m = /^URI:CHK:[^:]+:[^:]+:\d+:\d+:(\d+)$/.exec(cap);
  return m ? Number(m[1]) : undefined;
}

/** The read-only form of a cap when it can be derived without the network. */
export function knownReadOnlyCap(cap: string): string | undefined {
  if (isImmutableCap(cap) || /^URI:(DIR2-RO|DIR2-MDMF-RO|SSK-RO|MDMF-RO):/.test(cap)) return cap;
  return undefined;
}
