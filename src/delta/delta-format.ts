/**
 * The librsync 2.3.2 delta file format: magic number, command table, encoding helpers and an
 * incremental command decoder. All integers are unsigned big-endian.
 *
 * Layout: `u32 magic (0x72730236)`, then commands until `END` (0x00). Opcodes 0x01–0x40 are
 * literals of that length; 0x41–0x44 literals with a 1/2/4/8-byte length; 0x45–0x54 copies with
 * independent 1/2/4/8-byte position and length fields; 0x55–0xff are reserved.
 */
import { TimefsError } from '../model/errors.js';

/** `rs\x026`: the first four bytes of every delta. */
export const DELTA_MAGIC = 0x72730236;

/** Opcode values of the delta command table. */
export const OP = {
  END: 0x00,
  /** LITERAL_1…LITERAL_64 are 0x01…0x40 (length = opcode). */
  LITERAL_INLINE_MAX: 0x40,
  LITERAL_N1: 0x41,
  LITERAL_N2: 0x42,
  LITERAL_N4: 0x43,
  LITERAL_N8: 0x44,
  /** COPY opcode = COPY_BASE + 4·k(pos width) + k(len width), k(1,2,4,8) = 0,1,2,3. */
  COPY_BASE: 0x45,
  COPY_LAST: 0x54,
} as const;

/** One decoded delta command. */
export type DeltaCommand =
  | { op: 'literal'; length: number; dataOffset: number } // dataOffset: where the literal bytes start in the delta
  | { op: 'copy'; position: number; length: number }
  | { op: 'end' };

const WIDTHS = [1, 2, 4, 8] as const;

/** Smallest of 1, 2, 4 or 8 bytes that holds `value` (librsync's `rs_int_len`). */
export function intWidth(value: number): 1 | 2 | 4 | 8 {
  if (value <= 0xff) return 1;
  if (value <= 0xffff) return 2;
  if (value <= 0xffffffff) return 4;
  return 8;
}

function widthIndex(width: 1 | 2 | 4 | 8): number {
  return width === 1 ? 0 : width === 2 ? 1 : width === 4 ? 2 : 3;
}

/** Writes `value` big-endian in `width` bytes at `pos`; returns the position after it. */
export function writeInt(buf: Uint8Array, pos: number, value: number, width: number): number {
  let v = value;
  for (let i = width - 1; i >= 0; i--) {
    buf[pos + i] = v % 256;
    v = Math.floor(v / 256);
  }
  return pos + width;
}

/** Reads a `width`-byte big-endian unsigned integer (up to 8 bytes; exact up to 2^53). */
export function readInt(buf: Uint8Array, pos: number, width: number): number {
  let v = 0;
  for (let i = 0; i < width; i++) v = v * 256 + (buf[pos + i] as number);
  return v;
}

/** Maximum size of a command header (opcode + two 8-byte fields). */
export const MAX_COMMAND_HEADER = 17;

/** Encodes the header of a LITERAL of `length` bytes (the data follows it) into `out` at `pos`; returns the end. */
export function encodeLiteralHeader(out: Uint8Array, pos: number, length: number): number {
  if (length <= OP.LITERAL_INLINE_MAX) {
    out[pos] = length;
    return pos + 1;
  }
  const w = intWidth(length);
  out[pos] = OP.LITERAL_N1 + widthIndex(w);
  return writeInt(out, pos + 1, length, w);
}

/** Encodes a COPY of `length` basis bytes from `position` into `out` at `pos`; returns the end. */
export function encodeCopy(out: Uint8Array, pos: number, position: number, length: number): number {
  const pw = intWidth(position);
  const lw = intWidth(length);
  out[pos] = OP.COPY_BASE + 4 * widthIndex(pw) + widthIndex(lw);
  const p = writeInt(out, pos + 1, position, pw);
  return writeInt(out, p, length, lw);
}

/** The 4 magic bytes of a delta. */
export function deltaMagicBytes(): Uint8Array {
  const b = new Uint8Array(4);
  writeInt(b, 0, DELTA_MAGIC, 4);
  return b;
}

/** Throws `delta.truncated` if `buf` is shorter than 4 bytes, `delta.bad-magic` if it does not start with the delta magic. */
export function checkDeltaMagic(buf: Uint8Array): void {
  if (buf.length < 4) {
    throw new TimefsError('delta.truncated', `delta is too short (${buf.length} bytes) to hold its magic number`);
  }
  const magic = readInt(buf, 0, 4);
  if (magic !== DELTA_MAGIC) {
    throw new TimefsError(
      'delta.bad-magic',
      `not an rdiff delta: magic 0x${magic.toString(16).padStart(8, '0')} (expected 0x72730236)`,
    );
  }
}

/**
 * Length in bytes of the parameters that follow `opcode`, or -1 for a reserved opcode.
 * Inline literals and END have none.
 */
export function parameterBytes(opcode: number): number {
  if (opcode <= OP.LITERAL_INLINE_MAX) return 0;
  if (opcode <= OP.LITERAL_N8) return WIDTHS[opcode - OP.LITERAL_N1] as number;
  if (opcode <= OP.COPY_LAST) {
    const k = opcode - OP.COPY_BASE;
    return (WIDTHS[k >> 2] as number) + (WIDTHS[k & 3] as number);
  }
  return -1;
}

function checkedInt(buf: Uint8Array, pos: number, width: number, what: string, at: number): number {
  if (width === 8) {
    // Values above 2^53 cannot be exact numbers; no real file is that large.
    const hi = readInt(buf, pos, 4);
    if (hi > 0x1fffff) {
      throw new TimefsError('delta.corrupt', `delta command at offset ${at} has an absurd ${what} (8-byte field above 2^53)`);
    }
  }
  return readInt(buf, pos, width);
}

/**
 * Decodes the command at `pos` (after the 4-byte magic; the caller checks magic with `checkDeltaMagic`).
 * Returns null when `buf` ends before the command header is complete. Throws
 * TimefsError('delta.corrupt') for reserved opcodes, zero lengths and absurd 8-byte values
 * (> Number.MAX_SAFE_INTEGER). For a literal, `next` points past the header only; the literal
 * bytes follow at `dataOffset`.
 */
export function readCommand(buf: Uint8Array, pos: number): { command: DeltaCommand; next: number } | null {
  if (pos >= buf.length) return null;
  const opcode = buf[pos] as number;
  if (opcode === OP.END) return { command: { op: 'end' }, next: pos + 1 };
  const params = parameterBytes(opcode);
  if (params < 0) {
    throw new TimefsError('delta.corrupt', `delta is corrupt: reserved opcode 0x${opcode.toString(16)} at offset ${pos}`);
  }
  const next = pos + 1 + params;
  if (next > buf.length) return null;
  if (opcode <= OP.LITERAL_INLINE_MAX) {
    return { command: { op: 'literal', length: opcode, dataOffset: next }, next };
  }
  if (opcode <= OP.LITERAL_N8) {
    const length = checkedInt(buf, pos + 1, params, 'literal length', pos);
    if (length === 0) throw new TimefsError('delta.corrupt', `delta is corrupt: zero-length LITERAL at offset ${pos}`);
    return { command: { op: 'literal', length, dataOffset: next }, next };
  }
  const k = opcode - OP.COPY_BASE;
  const pw = WIDTHS[k >> 2] as number;
  const lw = WIDTHS[k & 3] as number;
  const position = checkedInt(buf, pos + 1, pw, 'copy position', pos);
  const length = checkedInt(buf, pos + 1 + pw, lw, 'copy length', pos);
  if (length === 0) throw new TimefsError('delta.corrupt', `delta is corrupt: zero-length COPY at offset ${pos}`);
  if (position + length > Number.MAX_SAFE_INTEGER) {
    throw new TimefsError('delta.corrupt', `delta is corrupt: COPY at offset ${pos} reaches past 2^53`);
  }
  return { command: { op: 'copy', position, length }, next };
}
