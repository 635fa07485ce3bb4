/**
 * The WebAssembly rdiff kernels (kernel-code.ts) behind a small interface: an arena of bytes in
 * the kernels' own memory that the caller fills (or reads a file into), the RabinKarp sum of a
 * block there, and the BLAKE2b-256 digests of two blocks there at once.
 *
 * Each {@link RdiffKernels} owns one memory and one arena, so each encoder makes its own; the
 * compiled module is shared within a thread. Where WebAssembly SIMD is missing, `loadKernels`
 * returns undefined and the engine uses its JavaScript and hash-wasm paths (same bytes).
 */
import { KERNEL_MODULE_BASE64 } from './kernel-bytes.js';
import { SCRATCH_END } from './kernel-code.js';

const PAGE = 1 << 16;
/** Digests are written here: the first block's 32 bytes, then the second's. */
const OUT = SCRATCH_END;
/** Where the arena starts. */
const ARENA = SCRATCH_END + 64;

interface KernelExports {
  blake2bPair(a: number, b: number, length: number, out: number): void;
  rabinKarp(p: number, length: number): number;
}

/** The part of the WebAssembly JS API used here (the project's TypeScript libs do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
type WasmModule = object;
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Instance: new (module: WasmModule, imports: object) => { exports: object };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: Promise<WasmModule | undefined> | undefined;

/** The compiled module (compiled once per thread, in the background), or undefined without SIMD. */
function module(): Promise<WasmModule | undefined> {
  compiled ??= wasm ? wasm.compile(Buffer.from(KERNEL_MODULE_BASE64, 'base64')).catch(() => undefined) : Promise.resolve(undefined);
  return compiled;
}

/** Starts compiling the kernels now, so that they are ready when an encoder asks for them. */
export function prepareKernels(): void {
  void module();
}

/**
 * The compiled kernels module (undefined where it cannot run or TIMEFS_RDIFF_WASM=0), to hand to
 * worker threads ({@link adoptKernels}): they then share its compiled code instead of compiling
 * and warming up their own.
 */
export async function compiledKernels(): Promise<object | undefined> {
  return process.env.TIMEFS_RDIFF_WASM === '0' ? undefined : module();
}

/** Uses a module from {@link compiledKernels} (in a worker thread) instead of compiling one. */
export function adoptKernels(compiledModule: object): void {
  compiled = Promise.resolve(compiledModule);
}

/** Kernels with an arena of at least `capacity` bytes, or undefined where they cannot run (or TIMEFS_RDIFF_WASM=0). */
export async function loadKernels(capacity: number): Promise<RdiffKernels | undefined> {
  if (process.env.TIMEFS_RDIFF_WASM === '0') return undefined;
  const m = await module();
  if (!m) return undefined;
  try {
    return new RdiffKernels(m, capacity);
  } catch {
    return undefined; // no memory for one more instance now: the JavaScript paths give the same bytes
  }
}

/** One instance of the kernels with its own memory. */
export class RdiffKernels {
  private readonly memory: WasmMemory;
  private readonly exports: KernelExports;
  private view: Uint8Array;

  constructor(compiledModule: WasmModule, capacity: number) {
    const api = wasm as WasmApi;
    this.memory = new api.Memory({ initial: Math.ceil((ARENA + capacity) / PAGE) });
    const instance = new api.Instance(compiledModule, { env: { memory: this.memory } });
    this.exports = instance.exports as unknown as KernelExports;
    this.view = new Uint8Array(this.memory.buffer);
  }

  /** The arena: `capacity` bytes the caller may fill. Views taken earlier stay valid until {@link grow}. */
  arena(): Uint8Array {
    return this.view.subarray(ARENA);
  }

  /** Makes the arena hold at least `capacity` bytes (its contents are kept); returns the new arena view. */
  grow(capacity: number): Uint8Array {
    const need = Math.ceil((ARENA + capacity) / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (need > 0) {
      this.memory.grow(need);
      this.view = new Uint8Array(this.memory.buffer);
    }
    return this.arena();
  }

  /** True when `data` is a view into this arena (so its blocks can be summed here). */
  holds(data: Uint8Array): boolean {
    return data.buffer === this.memory.buffer;
  }

  /** RabinKarp sum (seed 1) of `data[start, start+length)`; `data` must be in the arena. */
  rabinKarp(data: Uint8Array, start: number, length: number): number {
    return this.exports.rabinKarp(data.byteOffset + start, length);
  }

  /**
   * BLAKE2b-256 of `data[a, a+length)` and of `data[b, b+length)` (both in the arena); the
   * result holds the first digest then the second and is overwritten by the next call.
   */
  blake2bPair(data: Uint8Array, a: number, b: number, length: number): Uint8Array {
    this.exports.blake2bPair(data.byteOffset + a, data.byteOffset + b, length, OUT);
    return this.view.subarray(OUT, OUT + 64);
  }
}
