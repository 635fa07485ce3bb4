/**
 * Writing file content with holes: aligned blocks that are entirely zero are skipped (the file
 * offset moves past them) and the file is extended to its final size with ftruncate, so zero
 * runs become holes on file systems that support them, as they were in the source.
 */
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
    let runStart = -1;
    while (chunk.length - offset >= HOLE_BLOCK) {
      const piece = chunk.subarray(offset, offset + HOLE_BLOCK);
      if (isZero(piece)) {
        if (runStart >= 0) await this.emit(chunk.subarray(runStart, offset));
        runStart = -1;
        this.position += HOLE_BLOCK;
      } else if (runStart < 0) runStart = offset;
      offset += HOLE_BLOCK;
    }
    if (runStart >= 0) await this.emit(chunk.subarray(runStart, offset));
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

const ZERO_BLOCK = Buffer.alloc(HOLE_BLOCK);

function isZero(bytes: Uint8Array): boolean {
  if (bytes.length === HOLE_BLOCK) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).equals(ZERO_BLOCK);
  return bytes.every((b) => b === 0);
}
