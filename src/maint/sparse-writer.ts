/**
 * Writing file content with holes: aligned blocks that are entirely zero are skipped (the file
 * offset moves past them) and the file is extended to its final size with ftruncate, so zero
 * runs become holes on file systems that support them, as they were in the source.
 */
import { ftruncateSync, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/** Size of the blocks checked for zeros: the common file-system block. */
export const HOLE_BLOCK = 4096;

/**
 * Writes chunks in order to a file handle, leaving aligned all-zero blocks as holes. Bytes are
 * gathered into whole blocks first, so how the input is chunked does not matter.
 */
export class SparseWriter {
  private position = 0;
  private readonly block = Buffer.alloc(HOLE_BLOCK);
  private filled = 0;
  /** Bytes actually written (not holes). */
  written = 0;

  constructor(private readonly handle: FileHandle) {}

  /** Appends `chunk`. */
  async write(chunk: Uint8Array): Promise<void> {
    let offset = 0;
    // Complete a partly filled block first.
    if (this.filled > 0) {
      const take = Math.min(HOLE_BLOCK - this.filled, chunk.length);
      this.block.set(chunk.subarray(0, take), this.filled);
      this.filled += take;
      offset = take;
      if (this.filled < HOLE_BLOCK) return;
      await this.emit(this.block);
      this.filled = 0;
    }
    // Whole blocks straight from the chunk; runs of data are written in one call.
    const wholeEnd = offset + Math.floor((chunk.length - offset) / HOLE_BLOCK) * HOLE_BLOCK;
    let at = offset;
    for (const [start, end] of dataRuns(chunk, offset, wholeEnd)) {
      this.position += start - at;
      await this.emit(chunk.subarray(start, end));
      at = end;
    }
    this.position += wholeEnd - at;
    offset = wholeEnd;
    // Keep the tail for the next chunk.
    this.block.set(chunk.subarray(offset), 0);
    this.filled = chunk.length - offset;
  }

  /** Writes what is left and sets the final size (a trailing hole if the end was zeros). */
  async finish(): Promise<number> {
    if (this.filled > 0) {
      const tail = this.block.subarray(0, this.filled);
      if (tail.some((b) => b !== 0)) await this.emit(tail);
      else this.position += this.filled;
      this.filled = 0;
    }
    await this.handle.truncate(this.position);
    return this.position;
  }

  /** Writes `data` (block-aligned whole blocks, or the final tail) at the current position. */
  private async emit(data: Uint8Array): Promise<void> {
    if (isZero(data)) {
      this.position += data.length;
      return;
    }
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.handle.write(data, done, data.length - done, this.position + done);
      done += bytesWritten;
    }
    this.position += data.length;
    this.written += data.length;
  }
}

/**
 * The runs of `bytes[from, to)` to write, as [start, end) pairs: consecutive blocks of
 * {@link HOLE_BLOCK} bytes (counted from `from`) that are not all zero, merged; a last partial
 * block is a run when it holds a non-zero byte. Pure.
 */
export function dataRuns(bytes: Uint8Array, from = 0, to = bytes.length): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (let at = from; at < to; at += HOLE_BLOCK) {
    const end = Math.min(at + HOLE_BLOCK, to);
    if (isZero(bytes.subarray(at, end))) continue;
    const last = runs.at(-1);
    if (last && last[1] === at) last[1] = end;
    else runs.push([at, end]);
  }
  return runs;
}

/**
 * Writes `bytes` to the new, empty file `fd` with synchronous calls (small files, whose few system
 * calls cost less than a trip through the thread pool each), leaving all-zero blocks as holes.
 * Returns the bytes actually written.
 */
export function writeSparseSync(fd: number, bytes: Uint8Array): number {
  let written = 0;
  let end = 0;
  for (const [start, stop] of dataRuns(bytes)) {
    for (let done = start; done < stop; ) done += writeSync(fd, bytes, done, stop - done, done);
    written += stop - start;
    end = stop;
  }
  if (end < bytes.length) ftruncateSync(fd, bytes.length);
  return written;
}

const ZERO_BLOCK = Buffer.alloc(HOLE_BLOCK);

function isZero(bytes: Uint8Array): boolean {
  if (bytes.length <= HOLE_BLOCK) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).equals(ZERO_BLOCK.subarray(0, bytes.length));
  return bytes.every((b) => b === 0);
}
