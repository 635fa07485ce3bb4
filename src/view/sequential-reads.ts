/**
 * Reads of an open version that go through a large file from its start are served from one
 * in-order flow of its content ({@link VersionHandle.stream}: one streamed GET at low latency or
 * ranges in flight, a chain assembled with one copy, the base arriving while the deltas do)
 * instead of separate range reads. Reads a little out of order (the kernel's parallel read-ahead)
 * still come from the flow; any other read ends the flow and goes, like every later read, to the
 * handle's random access.
 */
import { isTimefsError } from '../model/errors.js';
import type { CallOptions } from '../store/store.js';
import { integrityError } from './hash-check.js';
import type { VersionHandle } from './version-reader.js';

/** Default {@link SequentialReadsOptions.minSize}: smaller files are read in the block cache's runs. */
export const SEQUENTIAL_MIN_SIZE = 32 << 20;

/** Options of {@link SequentialReads}. */
export interface SequentialReadsOptions {
  /** Files at least this large, read from offset 0, get a flow (default {@link SEQUENTIAL_MIN_SIZE}). */
  minSize?: number;
  /** Size of the flow's chunks (default 1 MiB). */
  chunkBytes?: number;
  /** Bytes kept behind the furthest read, for reads that arrive late (default 8 MiB). */
  keepBehind?: number;
  /** How far past what the flow has delivered a read may start and still wait for it (default 16 MiB). */
  reachAhead?: number;
}

/** The reads of one open version: from its in-order flow where they follow it, else random access. */
export class SequentialReads {
  private readonly minSize: number;
  private readonly chunkBytes: number;
  private readonly keepBehind: number;
  private readonly reachAhead: number;
  private flow: AsyncIterator<Uint8Array> | undefined;
  private given = false;
  private readonly chunks: Uint8Array[] = [];
  private chunksStart = 0;
  private delivered = 0;
  private pulling: Promise<void> = Promise.resolve();

  constructor(private readonly handle: VersionHandle, options: SequentialReadsOptions = {}) {
    this.minSize = options.minSize ?? SEQUENTIAL_MIN_SIZE;
    this.chunkBytes = options.chunkBytes ?? 1 << 20;
    this.keepBehind = options.keepBehind ?? 8 << 20;
    this.reachAhead = options.reachAhead ?? 16 << 20;
  }

  /** Bytes `[offset, offset + length)`, clamped to the size. */
  async read(offset: number, length: number, options: CallOptions = {}): Promise<Uint8Array> {
    const end = Math.min(this.handle.size, offset + Math.max(0, length));
    if (end <= offset) return new Uint8Array(0);
    if (!this.given && offset === 0 && this.handle.size >= this.minSize) {
      this.given = true;
      this.flow = this.handle.stream(this.chunkBytes)[Symbol.asyncIterator]();
    }
    // A read the flow cannot serve means random access: the flow stops, so it fetches nothing
    // nobody reads (the file is streamed whole, so anything else it buffered would be wasted).
    if (this.flow && !(offset >= this.chunksStart && offset <= this.delivered + this.reachAhead)) this.close();
    if (this.flow) {
      try {
        const run = this.pulling.then(() => this.pullTo(end));
        this.pulling = run.catch(() => undefined);
        await run;
        const bytes = this.slice(offset, end);
        if (bytes) return bytes;
      } catch (err) {
        if (isTimefsError(err, 'integrity')) throw err;
        this.close(); // a failed flow is not retried: random access takes over
      }
    }
    return this.handle.read(offset, length, options);
  }

  /** Stops the flow (cancelling its requests). */
  close(): void {
    const flow = this.flow;
    this.flow = undefined;
    this.chunks.length = 0;
    if (flow) void flow.return?.().catch(() => undefined);
  }

  private async pullTo(end: number): Promise<void> {
    while (this.flow && this.delivered < end) {
      const next = await this.flow.next();
      if (next.done) throw integrityError(this.handle.place, `the content ended at byte ${this.delivered} of ${this.handle.size}`);
      this.chunks.push(next.value);
      this.delivered += next.value.length;
    }
    const keepFrom = end - this.keepBehind;
    while (this.chunks.length > 1 && this.chunksStart + this.chunks[0]!.length <= keepFrom) this.chunksStart += this.chunks.shift()!.length;
  }

  /** The bytes from the held chunks, or undefined when they are no longer held. */
  private slice(offset: number, end: number): Uint8Array | undefined {
    if (offset < this.chunksStart || end > this.delivered) return undefined;
    let at = this.chunksStart;
    const parts: Uint8Array[] = [];
    for (const chunk of this.chunks) {
      const from = Math.max(offset, at);
      const to = Math.min(end, at + chunk.length);
      if (to > from) parts.push(chunk.subarray(from - at, to - at));
      at += chunk.length;
      if (at >= end) break;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }
}
