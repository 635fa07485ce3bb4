/**
 * Bytes collected in memory up to a limit, then spilled to a file in a spool directory (written
 * under a temporary name, fsynced, then renamed to its content hash, so a crash leaves either
 * nothing or a complete file). Used for the push's signatures, deltas and copies, and for index
 * text too large to hold in memory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { UploadBody } from './store.js';

/** Bytes collected in memory up to a limit, then spilled to a spool file. */
export class SpillSink {
  private parts: Uint8Array[] = [];
  private file: FileHandle | undefined;
  private tempPath: string | undefined;
  private readonly digest = createHash('sha256');
  private finalPath: string | undefined;
  size = 0;

  constructor(private readonly spoolDir: string, private readonly memoryLimit: number) {}

  /** Appends bytes. */
  async write(bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) return;
    this.size += bytes.length;
    if (this.file === undefined && this.size <= this.memoryLimit) {
      this.parts.push(bytes);
      return;
    }
    // Only a spooled copy needs its digest (its file name): bytes kept in memory are never hashed here.
    if (this.file === undefined) {
      await mkdir(this.spoolDir, { recursive: true, mode: 0o700 });
      this.tempPath = join(this.spoolDir, `tmp-${randomBytes(8).toString('hex')}`);
      this.file = await open(this.tempPath, 'w', 0o600);
      for (const part of this.parts) {
        this.digest.update(part);
        await this.file.write(part);
      }
      this.parts = [];
    }
    this.digest.update(bytes);
    await this.file.write(bytes);
  }

  /** Finishes writing: in memory, or fsynced and renamed to its content hash in the spool. */
  async finish(): Promise<void> {
    if (this.file === undefined || this.tempPath === undefined) return;
    await this.file.sync();
    await this.file.close();
    this.file = undefined;
    this.finalPath = join(this.spoolDir, this.digest.digest('hex'));
    await rename(this.tempPath, this.finalPath);
  }

  /** The collected bytes as chunks, from the start (readable more than once, after {@link finish}). */
  async *chunks(): AsyncGenerator<Uint8Array> {
    const body = this.body();
    if (body instanceof Uint8Array) yield body;
    else yield* body.stream;
  }

  /** The collected bytes as an upload body (readable more than once). */
  body(): UploadBody {
    if (this.finalPath === undefined) return this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    const path = this.finalPath;
    return { stream: createReadStream(path, { highWaterMark: 1 << 20 }), size: this.size };
  }

  /** Path of the spooled copy, when the bytes went to disk. */
  get path(): string | undefined {
    return this.finalPath;
  }

  /** Deletes the spooled file (after its upload is recorded) and drops memory. */
  async discard(): Promise<void> {
    this.parts = [];
    if (this.file !== undefined) await this.file.close().catch(() => undefined);
    for (const p of [this.tempPath, this.finalPath]) if (p !== undefined) await rm(p, { force: true });
  }
}
