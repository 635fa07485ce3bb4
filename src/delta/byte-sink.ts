/**
 * A growable output buffer for encoders; `take()` hands out what was written and starts over.
 * With `reuse`, `take()` returns a view of the internal buffer (valid until the next write)
 * instead of a copy, so a streaming consumer creates no garbage.
 */
export class ByteSink {
  private buf: Uint8Array;
  private length = 0;

  constructor(
    private readonly reuse = false,
    initialCapacity = 64 * 1024,
  ) {
    this.buf = new Uint8Array(initialCapacity);
  }

  /** Makes room for `n` more bytes and returns the buffer and the write position. */
  reserve(n: number): { buf: Uint8Array; pos: number } {
    const need = this.length + n;
    if (need > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < need) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    return { buf: this.buf, pos: this.length };
  }

  /** Marks bytes up to `end` (a position in the buffer from {@link reserve}) as written. */
  commit(end: number): void {
    this.length = end;
  }

  /** Appends bytes. */
  write(bytes: Uint8Array): void {
    const { buf, pos } = this.reserve(bytes.length);
    buf.set(bytes, pos);
    this.length = pos + bytes.length;
  }

  /** Returns everything written since the last take (a copy, or a view with `reuse`), and empties the sink. */
  take(): Uint8Array {
    const out = this.reuse ? this.buf.subarray(0, this.length) : this.buf.slice(0, this.length);
    this.length = 0;
    return out;
  }
}

/**
 * Returns `buf` if it holds `needed` bytes, else a larger copy of its first `keep` bytes (at
 * least doubling). Buffers sized by a block length grow with the data actually seen, so a
 * crafted header with a huge block length costs nothing until that much data arrives.
 */
export function growBuffer(buf: Uint8Array, needed: number, keep: number): Uint8Array {
  if (needed <= buf.length) return buf;
  const next = new Uint8Array(Math.max(needed, buf.length * 2));
  next.set(buf.subarray(0, keep));
  return next;
}
