/**
 * The session's only I/O: requests in, replies and notices out. {@link DeviceChannel} is the real
 * `/dev/fuse` connection; tests drive a session through a recorded channel of their own instead.
 */
import { write, writeSync } from 'node:fs';
import { startRequestReader, type RequestReader } from './request-reader.js';

/** How a session talks to the kernel. */
export interface FuseChannel {
  /** Starts delivering requests (one whole request per call) until the connection ends. */
  start(onRequest: (bytes: Buffer) => void): RequestReader;
  /**
   * Writes one reply; throws the write's error. ENOENT means the kernel no longer waits for that
   * request (it was interrupted); anything else means the reply was refused.
   */
  writeReply(bytes: Buffer): void;
  /**
   * Sends a notice (cache invalidation) without blocking this thread: the kernel may hold a lock
   * that a request this thread still has to answer is waiting for.
   */
  notify(bytes: Buffer): Promise<void>;
}

/** The channel of an open `/dev/fuse` descriptor. */
export class DeviceChannel implements FuseChannel {
  constructor(private readonly fd: number) {}

  start(onRequest: (bytes: Buffer) => void): RequestReader {
    return startRequestReader(this.fd, onRequest);
  }

  writeReply(bytes: Buffer): void {
    writeSync(this.fd, bytes);
  }

  notify(bytes: Buffer): Promise<void> {
    return new Promise((done) => write(this.fd, bytes, () => done()));
  }
}
