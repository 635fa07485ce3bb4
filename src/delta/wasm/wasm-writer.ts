/**
 * A minimal WebAssembly binary writer: just enough to assemble the rdiff kernels (one module,
 * an imported memory, a few functions over i32/i64/v128 locals). Opcodes follow the
 * WebAssembly 2.0 binary format (core, bulk memory and fixed-width SIMD).
 */

/** Value types. */
export const I32 = 0x7f;
export const I64 = 0x7e;
export const V128 = 0x7b;

/** Unsigned LEB128 of a non-negative integer below 2^32. */
function uleb(n: number): number[] {
  let v = n >>> 0;
  const out: number[] = [];
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
function sleb32(n: number): number[] {
  let v = n | 0;
  const out: number[] = [];
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** Signed LEB128 of a 64-bit integer. */
function sleb64(n: bigint): number[] {
  let v = BigInt.asIntN(64, n);
  const out: number[] = [];
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

function concat(parts: number[][]): number[] {
  const out: number[] = [];
  for (const part of parts) for (const x of part) out.push(x);
  return out;
}

function vec(items: number[][]): number[] {
  return concat([uleb(items.length), ...items]);
}

/** The body of one function: call the instruction methods in order. */
export class FunctionBody {
  readonly bytes: number[] = [];
  private readonly localTypes: number[] = [];

  constructor(readonly params: number[], readonly results: number[]) {}

  /** Declares a local of `type`; returns its index. */
  local(type: number): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }

  private op(...b: number[]): this {
    for (const x of b) this.bytes.push(x);
    return this;
  }

  private simd(code: number, ...rest: number[]): this {
    return this.op(0xfd, ...uleb(code), ...rest);
  }

  get(i: number): this { return this.op(0x20, ...uleb(i)); }
  set(i: number): this { return this.op(0x21, ...uleb(i)); }
  tee(i: number): this { return this.op(0x22, ...uleb(i)); }
  i32(n: number): this { return this.op(0x41, ...sleb32(n)); }
  i64(n: bigint): this { return this.op(0x42, ...sleb64(n)); }
  i32Add(): this { return this.op(0x6a); }
  i32Sub(): this { return this.op(0x6b); }
  i32Mul(): this { return this.op(0x6c); }
  i32And(): this { return this.op(0x71); }
  i32GtU(): this { return this.op(0x4b); }
  i32LtU(): this { return this.op(0x49); }
  i32GeU(): this { return this.op(0x4f); }
  i64Add(): this { return this.op(0x7c); }
  i64ExtendI32U(): this { return this.op(0xad); }
  i32Load8U(offset = 0): this { return this.op(0x2d, 0, ...uleb(offset)); }
  i32Store(offset = 0): this { return this.op(0x36, 2, ...uleb(offset)); }
  memoryFill(): this { return this.op(0xfc, ...uleb(11), 0); }
  memoryCopy(): this { return this.op(0xfc, ...uleb(10), 0, 0); }
  /** `block`, `loop` and `if` without results; `end` closes each. */
  block(): this { return this.op(0x02, 0x40); }
  loop(): this { return this.op(0x03, 0x40); }
  if(): this { return this.op(0x04, 0x40); }
  else(): this { return this.op(0x05); }
  end(): this { return this.op(0x0b); }
  br(depth: number): this { return this.op(0x0c, ...uleb(depth)); }
  brIf(depth: number): this { return this.op(0x0d, ...uleb(depth)); }

  v128Load(offset = 0): this { return this.simd(0x00, 0, ...uleb(offset)); }
  v128Store(offset = 0): this { return this.simd(0x0b, 0, ...uleb(offset)); }
  /** A v128 constant from two 64-bit lanes. */
  v128I64(lo: bigint, hi: bigint): this {
    const out = new Uint8Array(16);
    const view = new DataView(out.buffer);
    view.setBigUint64(0, BigInt.asUintN(64, lo), true);
    view.setBigUint64(8, BigInt.asUintN(64, hi), true);
    return this.simd(0x0c, ...out);
  }
  /** A v128 constant from four 32-bit lanes. */
  v128I32(lanes: number[]): this {
    const out: number[] = [];
    for (const v of lanes) for (let i = 0; i < 32; i += 8) out.push((v >>> i) & 0xff);
    return this.simd(0x0c, ...out);
  }
  shuffle(lanes: number[]): this { return this.simd(0x0d, ...lanes); }
  i32x4Splat(): this { return this.simd(0x11); }
  i64x2Splat(): this { return this.simd(0x12); }
  i32x4ExtractLane(lane: number): this { return this.simd(0x1b, lane); }
  v128Or(): this { return this.simd(0x50); }
  v128Xor(): this { return this.simd(0x51); }
  i16x8ExtendLowU8(): this { return this.simd(0x89); }
  i16x8ExtendHighU8(): this { return this.simd(0x8a); }
  i32x4ExtendLowU16(): this { return this.simd(0xa9); }
  i32x4ExtendHighU16(): this { return this.simd(0xaa); }
  i32x4Add(): this { return this.simd(0xae); }
  i32x4Mul(): this { return this.simd(0xb5); }
  i64x2Shl(): this { return this.simd(0xcb); }
  i64x2ShrU(): this { return this.simd(0xcd); }
  i64x2Add(): this { return this.simd(0xce); }

  /** The encoded body (locals and code). */
  encode(): number[] {
    const groups: number[][] = [];
    for (const type of this.localTypes) {
      const last = groups[groups.length - 1];
      if (last && last[1] === type) last[0]!++;
      else groups.push([1, type]);
    }
    const locals = vec(groups.map(([count, type]) => [...uleb(count!), type!]));
    return concat([uleb(locals.length + this.bytes.length + 1), locals, this.bytes, [0x0b]]);
  }
}

/** A module importing one memory (`env.memory`) and exporting `functions` by name. */
export function assembleModule(functions: Record<string, FunctionBody>): Uint8Array {
  const entries = Object.entries(functions);
  const section = (id: number, content: number[]) => concat([[id], uleb(content.length), content]);
  const types = vec(entries.map(([, f]) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]));
  const imports = vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]]);
  const funcs = vec(entries.map((_, i) => uleb(i)));
  const exports = vec(entries.map(([n], i) => [...name(n), 0x00, ...uleb(i)]));
  const code = vec(entries.map(([, f]) => f.encode()));
  return Uint8Array.from(
    concat([[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], section(1, types), section(2, imports), section(3, funcs), section(7, exports), section(10, code)]),
  );
}
