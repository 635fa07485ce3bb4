// Test-only: writes rdiff delta commands byte by byte (independently of src/delta's encoder), applies
// them naively, and generates seeded random chains, so extent maths can be checked against a full patch.

/** A delta command as tests write it. */
export type TestCommand =
  | { op: 'literal'; data: Uint8Array; width?: 0 | 1 | 2 | 4 | 8 }
  | { op: 'copy'; position: number; length: number; posWidth?: 1 | 2 | 4 | 8; lenWidth?: 1 | 2 | 4 | 8 };

function smallestWidth(v: number): 1 | 2 | 4 | 8 {
  return v <= 0xff ? 1 : v <= 0xffff ? 2 : v <= 0xffffffff ? 4 : 8;
}

function pushInt(out: number[], value: number, width: number): void {
  const bytes: number[] = [];
  let v = value;
  for (let i = 0; i < width; i++) {
    bytes.unshift(v % 256);
    v = Math.floor(v / 256);
  }
  out.push(...bytes);
}

const K: Record<number, number> = { 1: 0, 2: 1, 4: 2, 8: 3 };

/** Encodes commands into a delta (magic, commands, END unless `end` is false). */
export function encodeDelta(commands: readonly TestCommand[], options: { end?: boolean; trailer?: number[] } = {}): Uint8Array {
  const out: number[] = [0x72, 0x73, 0x02, 0x36];
  for (const c of commands) {
    if (c.op === 'literal') {
      const width = c.width ?? (c.data.length <= 64 ? 0 : smallestWidth(c.data.length));
      if (width === 0) out.push(c.data.length);
      else {
        out.push(0x41 + (K[width] as number));
        pushInt(out, c.data.length, width);
      }
      out.push(...c.data);
    } else {
      const pw = c.posWidth ?? smallestWidth(c.position);
      const lw = c.lenWidth ?? smallestWidth(c.length);
      out.push(0x45 + 4 * (K[pw] as number) + (K[lw] as number));
      pushInt(out, c.position, pw);
      pushInt(out, c.length, lw);
    }
  }
  if (options.end !== false) out.push(0);
  if (options.trailer) out.push(...options.trailer);
  return new Uint8Array(out);
}

/** Applies commands to `basis` the obvious way (the reference for every extent test). */
export function naivePatch(basis: Uint8Array, commands: readonly TestCommand[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const c of commands) {
    if (c.op === 'literal') parts.push(c.data);
    else {
      if (c.position + c.length > basis.length) throw new Error('naivePatch: copy past basis');
      parts.push(basis.subarray(c.position, c.position + c.length));
    }
  }
  return new Uint8Array(Buffer.concat(parts));
}

/** A small seeded PRNG (mulberry32), so failures reproduce. */
export function rng(seed: number): { int(maxExclusive: number): number; bytes(n: number): Uint8Array } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (max) => Math.floor(next() * max),
    bytes: (n) => {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = Math.floor(next() * 256);
      return b;
    },
  };
}

/**
 * Random edit commands turning `basis` into a new version: copies of random (possibly
 * overlapping, backward, repeated) basis ranges and short literals, with an occasional
 * truncation or growth.
 */
export function randomCommands(r: ReturnType<typeof rng>, basisSize: number, targetSize: number): TestCommand[] {
  const commands: TestCommand[] = [];
  let size = 0;
  while (size < targetSize) {
    const room = targetSize - size;
    if (basisSize > 0 && r.int(4) !== 0) {
      const length = 1 + r.int(Math.min(room, basisSize, 1 + r.int(40_000)));
      const position = r.int(basisSize - length + 1);
      commands.push({ op: 'copy', position, length });
      size += length;
    } else {
      const length = 1 + r.int(Math.min(room, 1 + r.int(3000)));
      commands.push({ op: 'literal', data: r.bytes(length) });
      size += length;
    }
  }
  return commands;
}

/** A seeded chain: base bytes, the deltas' commands and bytes, and every version's content. */
export function randomChain(seed: number, depth: number, baseSize: number): {
  base: Uint8Array; deltas: Uint8Array[]; commands: TestCommand[][]; versions: Uint8Array[];
} {
  const r = rng(seed);
  const base = r.bytes(baseSize);
  const versions = [base];
  const deltas: Uint8Array[] = [];
  const commands: TestCommand[][] = [];
  for (let i = 0; i < depth; i++) {
    const prev = versions[versions.length - 1] as Uint8Array;
    const change = r.int(5);
    const target = change === 0 ? Math.max(0, prev.length - r.int(20_000)) : change === 1 ? prev.length + r.int(20_000) : prev.length;
    const cmds = randomCommands(r, prev.length, target);
    commands.push(cmds);
    deltas.push(encodeDelta(cmds));
    versions.push(naivePatch(prev, cmds));
  }
  return { base, deltas, commands, versions };
}
