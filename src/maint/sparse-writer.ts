/**
 * Writing file content with holes: aligned blocks that are entirely zero are skipped (the file
 * offset moves past them) and the file is extended to its final size with ftruncate, so zero
 * runs become holes on file systems that support them, as they were in the source.
 */
import type { FileHandle } from 'node:fs/promises';

/** Size of the blocks checked for zeros: the common file-system block. */
export const HOLE_BLOCK = 4096;

/** Writes chunks in order to a file handle, leaving aligned all-zero blocks as holes. */
export class SparseWriter {
  private position = 0;
  /** Bytes actually written (not holes). */
  written = 0;

  constructor(private readonly handle: FileHandle) {}

  /** Appends `chunk` at the current position. */
  async write(chunk: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      // Handle the part up to the next block boundary, then whole blocks.
      const boundary = HOLE_BLOCK - (this.position % HOLE_BLOCK);
      const length = Math.min(boundary, chunk.length - offset);
      const piece = chunk.subarray(offset, offset + length);
      if (!(length === HOLE_BLOCK && isZero(piece))) {
        await this.writeAll(piece, this.position);
        this.written += piece.length;
      }
      this.position += length;
      offset += length;
    }
  }

  /** Sets the final size (creating a trailing hole if the end was zeros). */
  async finish(): Promise<number> {
    await this.handle.truncate(this.position);
    return this.position;
  }

  private async writeAll(piece: Uint8Array, at: number): Promise<void> {
    let done = 0;
    while (done < piece.length) {
      const { bytesWritten } = await this.handle.write(piece, done, piece.length - done, at + done);
      done += bytesWritten;
    }
  }
}

const ZERO_BLOCK = Buffer.alloc(HOLE_BLOCK);

function isZero(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).equals(ZERO_BLOCK);
}
